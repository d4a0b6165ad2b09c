/* `tlsrpt ingest`'s MIME step in the helper zonectl-mime, so zonectl itself never loads GMime. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "dnsd/zonectl/mime_run.h"
#include "shared/util/err.h"
#include "shared/util/file.h"

extern char **environ;

/* The helper's path: beside this program (the build tree), else MIME_RUN_LIBEXEC from it. */
static int helper_path(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -errno;
	self[n] = 0;
	const char *dir = dirname(self);
	snprintf(out, size, "%s/" MIME_RUN_HELPER, dir);
	if (access(out, X_OK) == 0)
		return 0;
	snprintf(out, size, "%s/" MIME_RUN_LIBEXEC "/" MIME_RUN_HELPER, dir);
	return access(out, X_OK) == 0 ? 0 : -ENOENT;
}

/* The message as a file for the helper's standard input: no pipe to fill both ways. */
static int message_fd(const uint8_t *msg, size_t len)
{
	int fd = memfd_create("zonectl-mail", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = file_write_all(fd, msg, len);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int mime_run_find(const uint8_t *msg, size_t len, size_t max, uint8_t **out, size_t *outlen,
                  char *err, size_t errlen)
{
	char path[PATH_MAX + 64], amax[32], amsg[32];
	int in = -1, pipefd[2] = { -1, -1 }, rc, status;
	uint8_t *part = NULL;
	size_t plen = 0;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	if ((rc = helper_path(path, sizeof(path))) != 0) {
		snprintf(err, errlen, "cannot find the helper " MIME_RUN_HELPER " beside zonectl or in "
		         MIME_RUN_LIBEXEC " from it");
		return rc;
	}
	if ((in = message_fd(msg, len)) < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
		rc = in < 0 ? in : -errno;
		snprintf(err, errlen, "cannot pass the message to %s: %s", path, ls_strerror(rc));
		goto fail;
	}
	snprintf(amax, sizeof(amax), "%zu", max);
	snprintf(amsg, sizeof(amsg), "%zu", len);   /* its own bound: the message it is given */
	char *argv[] = { path, amax, amsg, NULL };
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	rc = -posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (rc != 0) {
		snprintf(err, errlen, "cannot run %s: %s", path, ls_strerror(rc));
		goto fail;
	}
	rc = file_read_fd(pipefd[0], max, (char **)&part, &plen);
	if (rc != 0)
		kill(pid, SIGKILL);   /* more than it may write: it is not to be believed */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && WIFEXITED(status)) {
		switch (WEXITSTATUS(status)) {
		case MIME_RUN_FOUND:
			*out = part;
			*outlen = plen;
			part = NULL;
			break;
		case MIME_RUN_NOPART:
			rc = LS_ENOTFOUND;
			break;
		case MIME_RUN_TOOBIG:
			rc = LS_ETOOBIG;
			break;
		default:
			rc = -EIO;
		}
	} else if (rc == 0) {
		rc = -EIO;
	}
	if (rc == -EIO)
		snprintf(err, errlen, "%s failed (%s %d)", path,
		         WIFEXITED(status) ? "exit status" : "signal",
		         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	else if (rc != 0 && rc != LS_ENOTFOUND && rc != LS_ETOOBIG)
		snprintf(err, errlen, "reading from %s: %s", path, ls_strerror(rc));
fail:
	free(part);
	if (in >= 0)
		close(in);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return rc;
}
