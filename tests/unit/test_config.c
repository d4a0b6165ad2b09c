/* Unit tests for shared/util/config.c: defaults, every error kind with its line, print and reload. */
#include <errno.h>
#include "tests/unit/unit.h"
#include "shared/util/config.h"
#include "shared/store/journal.h"
#include "shared/util/err.h"

struct fixture {
	char *dir;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->dir = temp_dir();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* Writes len bytes to a new file in the fixture's directory; returns its malloc'ed path. */
static char *write_conf(struct fixture *f, const char *text, size_t len)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/confXXXXXX", f->dir) > 0);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void assert_defaults(const struct config *cfg)
{
	assert_string_equal(cfg->state_dir, "/var/lib/lockstep");
	assert_int_equal(cfg->serial_policy, SERIAL_INCREMENT);
	assert_int_equal(cfg->default_ttl, 3600);
	assert_null(cfg->path);
}

/*
 * Loads the file at path expecting rc and that many error messages, with the defaults left in
 * place; the messages stay in *d. Free what it leaves with load_done().
 */
static void load_expect(const char *path, int rc, size_t errors, struct config *cfg,
                        struct diag *d)
{
	diag_init(d);
	int got = config_load(cfg, path, d);
	if (got != rc || d->errors != errors) {
		fprintf(stderr, "%s: rc %d (want %d), messages:\n", path, got, rc);
		diag_print(d, stderr);
	}
	assert_int_equal(got, rc);
	assert_int_equal(d->errors, errors);
	assert_defaults(cfg);
}

/* The same for len bytes of text in a new file; returns its malloc'ed path. */
static char *load_fails(struct fixture *f, const char *text, size_t len, size_t errors,
                        struct config *cfg, struct diag *d)
{
	char *path = write_conf(f, text, len);
	load_expect(path, LS_ECONFIG, errors, cfg, d);
	return path;
}

static void load_done(struct config *cfg, struct diag *d, char *path)
{
	config_free(cfg);
	diag_free(d);
	free(path);
}

/* Loads text, expects success, and leaves the result in *cfg. */
static void load_ok(struct fixture *f, const char *text, size_t len, struct config *cfg)
{
	struct diag d;
	diag_init(&d);
	char *path = write_conf(f, text, len);
	int rc = config_load(cfg, path, &d);
	if (rc != 0)
		diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(d.errors, 0);
	assert_string_equal(cfg->path, path);
	diag_free(&d);
	free(path);
}

static void test_defaults(void **state)
{
	(void)state;
	struct config cfg;
	assert_int_equal(config_defaults(&cfg), 0);
	assert_defaults(&cfg);
	config_free(&cfg);
	assert_null(cfg.state_dir);
	config_free(&cfg);      /* twice is harmless */
}

static void test_table(void **state)
{
	(void)state;
	size_t n = config_option_count();
	assert_true(n >= 12);
	assert_null(config_option_get(n));
	for (size_t i = 0; i < n; i++) {
		const struct config_option *o = config_option_get(i);
		assert_non_null(o);
		assert_non_null(o->help);
		assert_true(strlen(o->help) > 0 && strchr(o->help, '\n') == NULL);
		assert_true(o->offset < sizeof(struct config));
		/* Sections stay together, so config_print() writes each header once. */
		for (size_t j = i + 1; j < n; j++) {
			const struct config_option *q = config_option_get(j);
			if (strcmp(q->section, o->section) == 0)
				for (size_t k = i + 1; k < j; k++)
					assert_string_equal(config_option_get(k)->section, o->section);
			assert_false(strcmp(q->section, o->section) == 0 && strcmp(q->name, o->name) == 0);
		}
		/* The config's names for serial policies are the ones the rest of the code knows. */
		if (o->type == CONFIG_ENUM && strcmp(o->name, "serial-policy") == 0) {
			size_t k = 0;
			for (const struct config_enum *e = o->enums; e->name; e++, k++) {
				enum serial_policy sp;
				assert_int_equal(serial_policy_parse(e->name, &sp), 0);
				assert_int_equal((int)sp, e->value);
				assert_string_equal(serial_policy_name(sp), e->name);
			}
			assert_int_equal(k, 3);
		}
	}
}

/* Texts that load, with the state-dir, serial-policy and default-ttl they give. */
static const struct {
	const char *text;
	const char *state_dir;
	enum serial_policy policy;
	uint32_t ttl;
} accepted[] = {
	{ "# lockstep.conf\n"
	  "\n"
	  "server:\n"
	  "    state-dir: \"/srv/lockstep\"   # where the store lives\n"
	  "\n"
	  "zones:   # zone defaults\n"
	  "\tserial-policy: dateserial\n"
	  "    default-ttl: 86400\n"
	  "    # a comment inside a section\n", "/srv/lockstep", SERIAL_DATECOUNTER, 86400 },
	{ "", "/var/lib/lockstep", SERIAL_INCREMENT, 3600 },
	/* Bounds. */
	{ "zones:\n default-ttl: 2147483647\n serial-policy: unixtime\n", "/var/lib/lockstep",
	  SERIAL_UNIXTIME, 2147483647u },
	{ "zones:\n default-ttl: 0\n", "/var/lib/lockstep", SERIAL_INCREMENT, 0 },
	/* Sections may repeat; a key may still be set only once. */
	{ "zones:\n default-ttl: 5\nserver:\n state-dir: /x\nzones:\n serial-policy: unixtime\n",
	  "/x", SERIAL_UNIXTIME, 5 },
	/* CRLF and no final newline. */
	{ "server:\r\n"
	  "    state-dir: \"/srv/crlf\"\r\n"
	  "\r\n"
	  "zones:\r\n"
	  "    serial-policy: unixtime   # comment\r\n"
	  "    default-ttl: 60", "/srv/crlf", SERIAL_UNIXTIME, 60 },
	/* A UTF-8 byte order mark before the first section is not an error. */
	{ "\xef\xbb\xbfserver:\n state-dir: /bom\n", "/bom", SERIAL_INCREMENT, 3600 },
	/* Quotes and comments. */
	{ "server:\n  state-dir: \"/srv/a#b c\"  # real comment\n", "/srv/a#b c", SERIAL_INCREMENT,
	  3600 },
	{ "server:\n  state-dir: /srv/x#not part\n", "/srv/x", SERIAL_INCREMENT, 3600 },
	{ "server:\n  state-dir: \" /with space \"\n"
	  "zones:\n  default-ttl: \"120\"\n  serial-policy: \"unixtime\"\n", " /with space ",
	  SERIAL_UNIXTIME, 120 },
	{ "server:\n  state-dir: C:/odd:path\n", "C:/odd:path", SERIAL_INCREMENT, 3600 },
};

static void test_accepted(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		struct config cfg;
		load_ok(f, accepted[i].text, strlen(accepted[i].text), &cfg);
		if (strcmp(cfg.state_dir, accepted[i].state_dir) != 0 ||
		    cfg.serial_policy != accepted[i].policy || cfg.default_ttl != accepted[i].ttl)
			fail_msg("case %zu: state-dir \"%s\", serial-policy %d, default-ttl %u", i,
			         cfg.state_dir, (int)cfg.serial_policy, (unsigned)cfg.default_ttl);
		config_free(&cfg);
	}
}

/* Address lists in every form operators write them. */
static void test_address_lists(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	static const char text[] =
		"dnsd:\n  listen: 127.0.0.1:5300   [::1]:5300 0.0.0.0:53\n"
		"httpsd:\n  listen: \"[2001:db8::1]:443\"\n"
		"mta-sts:\n  endpoints: 127.0.0.1:8443 [::1]:8443\n"
		"  service-address: 192.0.2.80 2001:db8::80\n";
	load_ok(f, text, strlen(text), &cfg);
	assert_string_equal(cfg.dnsd_listen, "127.0.0.1:5300   [::1]:5300 0.0.0.0:53");
	assert_string_equal(cfg.sts_service_address, "192.0.2.80 2001:db8::80");
	config_free(&cfg);
}

static void print_and_reload(struct fixture *f, const struct config *cfg, struct config *back);

/* config_print()'s text for cfg; free() it. */
static char *printed(const struct config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	config_print(cfg, out);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* The journal bounds: defaults as journal.h says, both ends of their ranges, 0 age refused. */
static void test_journal_options(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(cfg.journal_max_size, JOURNAL_DEFAULT_MAX_SIZE);
	assert_int_equal(cfg.journal_max_age, JOURNAL_DEFAULT_MAX_AGE);
	config_free(&cfg);
	static const char lo[] = "zones:\n journal-max-size: 0\n journal-max-age: 1\n";
	load_ok(f, lo, sizeof(lo) - 1, &cfg);
	assert_int_equal(cfg.journal_max_size, 0);
	assert_int_equal(cfg.journal_max_age, 1);
	config_free(&cfg);
	static const char hi[] = "zones:\n journal-max-size: 4294967295\n journal-max-age: 315360000\n";
	load_ok(f, hi, sizeof(hi) - 1, &cfg);
	assert_int_equal(cfg.journal_max_size, 4294967295u);
	assert_int_equal(cfg.journal_max_age, 315360000u);
	config_free(&cfg);
	/* keep-journal is the name; journal-max-age, its older name, still sets the same bound. */
	static const char keep[] = "zones:\n keep-journal: 0\n";
	load_ok(f, keep, sizeof(keep) - 1, &cfg);
	assert_int_equal(cfg.journal_max_age, 0);
	config_free(&cfg);
	static const char week[] = "zones:\n keep-journal: 604800\n";
	load_ok(f, week, sizeof(week) - 1, &cfg);
	assert_int_equal(cfg.journal_max_age, 604800);
	config_free(&cfg);
	static const char *bad[] = { "zones:\n journal-max-age: 0\n",
	                             "zones:\n journal-max-size: 4294967296\n",
	                             "zones:\n journal-max-size: 1M\n",
	                             "zones:\n keep-journal: 1d\n",
	                             "zones:\n keep-journal: 315360001\n",
	                             "zones:\n keep-journal: 5\n journal-max-age: 6\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag d;
		char *path = load_fails(f, bad[i], strlen(bad[i]), 1, &cfg, &d);
		assert_int_equal(cfg.journal_max_size, JOURNAL_DEFAULT_MAX_SIZE);
		assert_int_equal(cfg.journal_max_age, JOURNAL_DEFAULT_MAX_AGE);
		load_done(&cfg, &d, path);
	}
	/* The printed file names keep-journal and mentions the old name only in a comment. */
	static const char old[] = "zones:\n journal-max-age: 777\n";
	struct config back;
	load_ok(f, old, sizeof(old) - 1, &cfg);
	char *buf = printed(&cfg);
	assert_non_null(strstr(buf, "\n    keep-journal: 777\n"));
	assert_non_null(strstr(buf, "\n    # journal-max-age:\n"));
	free(buf);
	print_and_reload(f, &cfg, &back);
	assert_int_equal(back.journal_max_age, 777);
	config_free(&back);
	config_free(&cfg);
}

struct bad_case {
	const char *text;
	size_t len;         /* 0: strlen(text) */
	unsigned line;
	const char *msg;    /* part of the first message */
};

#define NUL_CASE "server:\n\n\n state-dir: /a\0b\n"

static void test_each_error(void **state)
{
	struct fixture *f = *state;
	static const struct bad_case cases[] = {
		{ "server:\n state-dir: /a\nfrobnicate:\n  x: 1\n", 0, 3, "unknown section 'frobnicate'" },
		{ "server:\n state-dir: /a\n colour: blue\n", 0, 3, "unknown key 'colour' in section 'server'" },
		{ "# top\n state-dir: /a\nserver:\n", 0, 2, "key 'state-dir' outside a section" },
		{ "zones:\n default-ttl: 3600\nserver:\n    state-dir: /a\n    state-dir: /b\n", 0, 5,
		  "duplicate key 'state-dir' (first set on line 4)" },
		{ "zones:\n\n default-ttl: ten\n", 0, 3, "bad value 'ten' for 'default-ttl'" },
		{ "zones:\n default-ttl: -1\n", 0, 2, "bad value '-1'" },
		{ "zones:\n default-ttl: 2147483648\n", 0, 2, "out of range 0..2147483647" },
		{ "zones:\n default-ttl: 99999999999999999999\n", 0, 2, "out of range" },
		{ "zones:\n serial-policy: random\n", 0, 2,
		  "expected one of increment, dateserial, unixtime" },
		{ "zones:\n serial-policy: Increment\n", 0, 2, "bad value 'Increment'" },
		{ "server:\n state-dir: \"/var/lib # oops\n", 0, 2, "unterminated quote" },
		{ "server:\n state-dir: \"/a\" /b\n", 0, 2, "text after the closing quote" },
		/* Addresses are checked where they are written, with the line. */
		{ "mta-sts:\n endpoints: foo\n", 0, 2, "bad value 'foo' for 'endpoints'" },
		{ "dnsd:\n listen: 999.1.1.1:53\n", 0, 2, "bad value '999.1.1.1:53' for 'listen'" },
		{ "httpsd:\n listen: 127.0.0.1:443 127.0.0.1:99999\n", 0, 2, "addresses with ports" },
		{ "dnsd:\n listen: 127.0.0.1\n", 0, 2, "bad value '127.0.0.1' for 'listen'" },
		{ "mta-sts:\n service-address: 192.0.2.1:80\n", 0, 2, "without ports" },
		{ "mta-sts:\n service-address: [2001:db8::1]\n", 0, 2, "without ports" },
		{ "server:\n state-dir: /a\"b\n", 0, 2, "stray quote" },
		{ "server:\n state-dir:\n", 0, 2, "missing value for 'state-dir'" },
		{ "server:\n state-dir: \"\"\n", 0, 2, "missing value for 'state-dir'" },
		{ "server:\nstate-dir: /a\n", 0, 2, "key 'state-dir' is not indented" },
		{ "server: yes\n", 0, 1, "section line 'server:' takes no value" },
		{ "zones:\n  server:\n", 0, 2, "must start at column 0" },
		{ "server\n", 0, 1, "expected 'section:' or 'key: value'" },
		{ "server:\n state dir: /a\n", 0, 2, "expected 'section:'" },
		{ "server:\n state-dir: /a\x01" "b\n", 0, 2,
		  "bad value '/a\\x01b' for 'state-dir': expected a string without control" },
		{ NUL_CASE, sizeof(NUL_CASE) - 1, 4, "NUL byte" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		struct config cfg;
		struct diag d;
		char *path = load_fails(f, c->text, c->len ? c->len : strlen(c->text), 1, &cfg, &d);
		if (d.v[0].line != c->line || strstr(d.v[0].text, c->msg) == NULL)
			fail_msg("case %zu: want line %u and \"%s\", got %u \"%s\"", i, c->line, c->msg,
			         d.v[0].line, d.v[0].text);
		assert_int_equal(d.v[0].sev, DIAG_ERROR);
		assert_string_equal(d.v[0].file, path);
		load_done(&cfg, &d, path);
	}
}

static void test_line_too_long(void **state)
{
	struct fixture *f = *state;
	size_t len = 3 * CONFIG_LINE_MAX;
	char *text = malloc(len);
	assert_non_null(text);
	/* Line 2 is exactly the limit (a comment, CR not counted), line 3 one byte over. */
	size_t n = (size_t)sprintf(text, "server:\n");
	memset(text + n, '#', CONFIG_LINE_MAX);
	n += CONFIG_LINE_MAX;
	n += (size_t)sprintf(text + n, "\r\n");
	size_t start = n;
	n += (size_t)sprintf(text + n, " state-dir: \"");
	memset(text + n, 'a', start + CONFIG_LINE_MAX - n);
	n = start + CONFIG_LINE_MAX;
	text[n++] = '"';
	n += (size_t)sprintf(text + n, "\n zones-x: 1\n");
	struct config cfg;
	struct diag d;
	char *path = load_fails(f, text, n, 2, &cfg, &d);
	assert_int_equal(d.v[0].line, 3);
	assert_non_null(strstr(d.v[0].text, "line too long"));
	/* Reading goes on after the long line. */
	assert_int_equal(d.v[1].line, 4);
	assert_non_null(strstr(d.v[1].text, "unknown key 'zones-x'"));
	load_done(&cfg, &d, path);
	free(text);
}

static void test_reports_every_error(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"server:\n"
		"    state-dir: \"/ok\"\n"
		"    bogus: 1\n"
		"zones:\n"
		"    default-ttl: x\n"
		"    serial-policy: dateserial\n"
		"    serial-policy: unixtime\n"
		"nope:\n"
		"    ignored: 1\n"
		"    also-ignored: 2\n"
		"zones:\n"
		"    default-ttl: \"5\n";
	static const unsigned want[] = { 3, 5, 7, 8, 12 };
	struct config cfg;
	struct diag d;
	char *path = load_fails(f, text, sizeof(text) - 1, 5, &cfg, &d);
	assert_int_equal(d.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(d.v[i].line, want[i]);
	load_done(&cfg, &d, path);
}

static void test_missing_files(void **state)
{
	struct fixture *f = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/does-not-exist.conf", f->dir);
	struct config cfg;
	struct diag d;
	load_expect(path, -ENOENT, 1, &cfg, &d);
	assert_string_equal(d.v[0].file, path);
	load_done(&cfg, &d, NULL);

	/* A directory is not a configuration file. */
	load_expect(f->dir, -EISDIR, 1, &cfg, &d);
	load_done(&cfg, &d, NULL);

	/* With no path the default file is optional; only check this where it is absent. */
	if (access(CONFIG_DEFAULT_PATH, F_OK) != 0 && errno == ENOENT) {
		load_expect(NULL, 0, 0, &cfg, &d);
		assert_int_equal(d.n, 0);
		load_done(&cfg, &d, NULL);
	}
}

static void test_file_size_limit(void **state)
{
	struct fixture *f = *state;
	char *text = malloc(CONFIG_FILE_MAX + 1);
	assert_non_null(text);
	/* Comment lines of 64 bytes; the limit itself is accepted, one byte more is not. */
	for (size_t i = 0; i < CONFIG_FILE_MAX + 1; i++)
		text[i] = i % 64 == 63 ? '\n' : '#';
	struct config cfg;
	load_ok(f, text, CONFIG_FILE_MAX, &cfg);
	config_free(&cfg);

	struct diag d;
	char *path = load_fails(f, text, CONFIG_FILE_MAX + 1, 1, &cfg, &d);
	assert_non_null(strstr(d.v[0].text, "larger than"));
	load_done(&cfg, &d, path);
	free(text);
}

/* Prints cfg into a file and loads that file back. */
static void print_and_reload(struct fixture *f, const struct config *cfg, struct config *back)
{
	char *path = write_conf(f, "", 0);
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	config_print(cfg, out);
	assert_int_equal(fclose(out), 0);
	struct diag d;
	diag_init(&d);
	int rc = config_load(back, path, &d);
	if (rc)
		diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	diag_free(&d);
	free(path);
}

static void test_print_reloads(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "server:\n state-dir: \"/srv/x #1\"\n"
	                           "zones:\n serial-policy: dateserial\n default-ttl: 7\n";
	struct config cfg, back;
	load_ok(f, text, sizeof(text) - 1, &cfg);
	print_and_reload(f, &cfg, &back);
	assert_string_equal(back.state_dir, cfg.state_dir);
	assert_int_equal(back.serial_policy, cfg.serial_policy);
	assert_int_equal(back.default_ttl, cfg.default_ttl);
	config_free(&back);
	config_free(&cfg);

	assert_int_equal(config_defaults(&cfg), 0);
	print_and_reload(f, &cfg, &back);
	assert_string_equal(back.state_dir, "/var/lib/lockstep");
	assert_int_equal(back.serial_policy, SERIAL_INCREMENT);
	assert_int_equal(back.default_ttl, 3600);
	config_free(&back);
	config_free(&cfg);
}

static void test_print_shows_every_option(void **state)
{
	(void)state;
	struct config cfg;
	assert_int_equal(config_defaults(&cfg), 0);
	char *buf = printed(&cfg);
	assert_non_null(strstr(buf, "defaults only"));
	for (size_t i = 0; i < config_option_count(); i++) {
		const struct config_option *o = config_option_get(i);
		char want[128], unset[128];
		/* Options whose value is empty are shown commented out: no empty value can be written. */
		snprintf(want, sizeof(want), "\n    %s: ", o->name);
		snprintf(unset, sizeof(unset), "\n    # %s:\n", o->name);
		assert_true(strstr(buf, want) != NULL || strstr(buf, unset) != NULL);
		assert_non_null(strstr(buf, o->help));
		snprintf(want, sizeof(want), "\n%s:\n", o->section);
		assert_non_null(strstr(buf, want));
	}
	assert_non_null(strstr(buf, "    state-dir: \"/var/lib/lockstep\"\n"));
	assert_non_null(strstr(buf, "    serial-policy: increment\n"));
	assert_non_null(strstr(buf, "    default-ttl: 3600\n"));
	free(buf);
	config_free(&cfg);
}

/* The httpsd section's values, in the order of struct config. */
struct httpsd_values {
	const char *listen;
	uint32_t workers;
	const char *user;
	uint32_t header_timeout, idle_timeout, max_header_size, max_body_size, max_clients,
	         max_per_address;
	bool access_log;
};

static void assert_httpsd(const struct config *cfg, const struct httpsd_values *v)
{
	assert_string_equal(cfg->httpsd_listen, v->listen);
	assert_int_equal(cfg->httpsd_workers, v->workers);
	assert_string_equal(cfg->httpsd_user, v->user);
	assert_int_equal(cfg->httpsd_header_timeout, v->header_timeout);
	assert_int_equal(cfg->httpsd_idle_timeout, v->idle_timeout);
	assert_int_equal(cfg->httpsd_max_header_size, v->max_header_size);
	assert_int_equal(cfg->httpsd_max_body_size, v->max_body_size);
	assert_int_equal(cfg->httpsd_max_clients, v->max_clients);
	assert_int_equal(cfg->httpsd_max_per_address, v->max_per_address);
	assert_int_equal(cfg->httpsd_access_log, v->access_log);
}

/* The httpsd section: every key, its bounds, and the defaults httpsd relies on. */
static void test_httpsd_section(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	static const struct httpsd_values defaults = { "0.0.0.0:443 [::]:443", 0, "", 10, 30, 8192,
	                                               65536, 10000, 50, true };
	static const struct httpsd_values set = { "127.0.0.1:8443 [::1]:8443", 2, "lockstep", 5, 60,
	                                          1024, 0, 100, 3, false };
	assert_int_equal(config_defaults(&cfg), 0);
	assert_httpsd(&cfg, &defaults);
	config_free(&cfg);
	static const char text[] =
		"httpsd:\n"
		"    listen: \"127.0.0.1:8443 [::1]:8443\"\n"
		"    workers: 2\n"
		"    user: lockstep\n"
		"    header-timeout: 5\n"
		"    idle-timeout: 60\n"
		"    max-header-size: 1024\n"
		"    max-body-size: 0\n"
		"    max-clients: 100\n"
		"    max-per-address: 3\n"
		"    access-log: no\n";
	load_ok(f, text, sizeof(text) - 1, &cfg);
	assert_httpsd(&cfg, &set);
	config_free(&cfg);
	/* Out of bounds: the whole load fails and names the line. */
	static const char *const bad[] = {
		"httpsd:\n max-header-size: 1023\n", "httpsd:\n header-timeout: 0\n",
		"httpsd:\n max-per-address: 0\n", "httpsd:\n access-log: maybe\n",
		"httpsd:\n workers: 65\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag d;
		char *path = load_fails(f, bad[i], strlen(bad[i]), 1, &cfg, &d);
		assert_int_equal(d.v[0].line, 2);
		assert_int_equal(cfg.httpsd_max_header_size, 8192);
		load_done(&cfg, &d, path);
	}
}

/* server: log-level, log-file, syslog: defaults (stderr at info), every level by name, bad
 * values refused with their line. */
static void test_log_options(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	assert_string_equal(cfg.log_file, "");
	assert_false(cfg.log_syslog);
	config_free(&cfg);
	static const char text[] =
		"server:\n"
		"    log-level: warning\n"
		"    log-file: /var/log/lockstep/dnsd.log\n"
		"    syslog: yes\n";
	load_ok(f, text, sizeof(text) - 1, &cfg);
	assert_int_equal(cfg.log_level, LOG_LEVEL_WARNING);
	assert_string_equal(cfg.log_file, "/var/log/lockstep/dnsd.log");
	assert_true(cfg.log_syslog);
	config_free(&cfg);
	static const struct { const char *name; enum log_level level; } levels[] = {
		{ "error", LOG_LEVEL_ERROR }, { "warning", LOG_LEVEL_WARNING },
		{ "notice", LOG_LEVEL_NOTICE }, { "info", LOG_LEVEL_INFO }, { "debug", LOG_LEVEL_DEBUG },
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		char one[64];
		int n = snprintf(one, sizeof(one), "server:\n log-level: %s\n", levels[i].name);
		load_ok(f, one, (size_t)n, &cfg);
		assert_int_equal(cfg.log_level, levels[i].level);
		assert_string_equal(log_level_name(cfg.log_level), levels[i].name);
		config_free(&cfg);
	}
	static const char *const bad[] = {
		"server:\n log-level: verbose\n", "server:\n log-level: 6\n",
		"server:\n syslog: maybe\n", "server:\n log-level: INFO\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag d;
		char *path = load_fails(f, bad[i], strlen(bad[i]), 1, &cfg, &d);
		assert_int_equal(d.v[0].line, 2);
		assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
		if (i != 2 && strstr(d.v[0].text, "one of error, warning, notice, info, debug") == NULL)
			fail_msg("'%s' does not list the levels", d.v[0].text);
		load_done(&cfg, &d, path);
	}
}

/* Every option is documented: runs from the top of the tree (make unit), skips elsewhere. */
static void test_man_page_lists_every_option(void **state)
{
	(void)state;
	FILE *in = fopen("docs/lockstep.conf.5", "r");
	if (in == NULL)
		skip();
	char *page = calloc(1, 256 * 1024);
	assert_non_null(page);
	size_t n = fread(page, 1, 256 * 1024 - 1, in);
	fclose(in);
	assert_true(n > 0);
	for (size_t i = 0; i < config_option_count(); i++) {
		const struct config_option *o = config_option_get(i);
		/* roff writes the hyphens of option names as \- */
		char want[128];
		size_t k = 0;
		for (const char *c = o->name; *c && k + 3 < sizeof(want); c++) {
			if (*c == '-')
				want[k++] = '\\';
			want[k++] = *c;
		}
		want[k] = '\0';
		if (strstr(page, want) == NULL)
			fail_msg("docs/lockstep.conf.5 does not document %s", o->name);
	}
	free(page);
}

/* Random bytes and mangled valid files: no crash, and either a clean load or defaults. */
static void test_garbage(void **state)
{
	struct fixture *f = *state;
	static const char base[] = "server:\n state-dir: \"/a#b\"\nzones:\n serial-policy: unixtime\n"
	                           " default-ttl: 10\n";
	uint32_t seed = 12345;
	char buf[512];
	for (int round = 0; round < 300; round++) {
		size_t len;
		if (round % 2) {
			len = sizeof(base) - 1;
			memcpy(buf, base, len);
			for (int k = 0; k < 1 + round % 5; k++) {
				seed = seed * 1103515245u + 12345u;
				buf[(seed >> 8) % len] = (char)(seed >> 20);
			}
		} else {
			seed = seed * 1103515245u + 12345u;
			len = (seed >> 8) % sizeof(buf);
			for (size_t k = 0; k < len; k++) {
				seed = seed * 1103515245u + 12345u;
				buf[k] = (char)(seed >> 16);
			}
		}
		char *path = write_conf(f, buf, len);
		struct config cfg;
		struct diag d;
		diag_init(&d);
		int rc = config_load(&cfg, path, &d);
		assert_true(rc == 0 || rc == LS_ECONFIG);
		if (rc == 0) {
			assert_int_equal(d.errors, 0);
			assert_non_null(cfg.state_dir);
		} else {
			assert_true(d.errors > 0);
			assert_defaults(&cfg);
		}
		config_free(&cfg);
		diag_free(&d);
		unlink(path);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_address_lists),
		cmocka_unit_test(test_journal_options),
		cmocka_unit_test(test_each_error),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_reports_every_error),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_file_size_limit),
		cmocka_unit_test(test_print_reloads),
		cmocka_unit_test(test_print_shows_every_option),
		cmocka_unit_test(test_httpsd_section),
		cmocka_unit_test(test_man_page_lists_every_option),
		cmocka_unit_test(test_log_options),
		cmocka_unit_test(test_garbage),
	};
	/* One directory for the group: every file in it has a name of its own (mkstemp). */
	return cmocka_run_group_tests(tests, setup, teardown);
}
