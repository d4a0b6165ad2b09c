/* zonectl: shared declarations of the command table, options and output helpers. */
#ifndef ZONECTL_H
#define ZONECTL_H

#include <stdbool.h>
#include <stdio.h>
#include "shared/config.h"
#include "shared/diag.h"
#include "shared/store.h"
#include "shared/sts_record.h"
#include "shared/zone.h"
#include "shared/zone_ops.h"

/* Exit codes, documented in zonectl(8). */
enum {
	EXIT_OK = 0,
	EXIT_INPUT = 1,     /* bad input: zone file, record, batch, configuration */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_NOTFOUND = 3,  /* no such zone, record or file */
	EXIT_CONFLICT = 4,  /* zone exists already, or changed during an edit */
	EXIT_STORE = 5,     /* the store or the system failed */
};

#define CTL_MAX_NS 16

struct ctl {
	struct config cfg;
	const char *state;          /* --state, else the configuration's state-dir */
	const char *config_path;    /* -c */
	bool json;
	char **args;                /* positional arguments after the command words */
	int nargs;
	const char *from, *origin, *output, *policy_name, *key;
	const char *algorithm;      /* tsig add --algorithm */
	char *ns[CTL_MAX_NS];
	size_t nns;
	enum serial_policy policy;  /* --serial-policy, else the configuration's */
	/* mta-sts options */
	const char *mode, *max_age;
	const char *mx_extra[STS_EXTRA_MAX], *rua[STS_RUA_MAX];
	unsigned nmx_extra, nrua;
	bool now, no_mx_extra, no_rua, no_publish;
	struct diag d;
	struct store *st;
};

struct command {
	const char *name;       /* "zone import" */
	const char *usage;      /* arguments and options */
	const char *summary;    /* one line */
	const char *help;       /* the rest of `zonectl help CMD` */
	int min_args, max_args; /* positional arguments; max -1 for any number */
	const char *options;    /* options it takes, space separated: "origin serial-policy" */
	int (*run)(struct ctl *c);
};

extern const struct command zonectl_commands[];

/* The command line as ctl_args_parse() found it; options go straight into struct ctl. */
#define CTL_USED_MAX 64
struct ctl_args {
	char **pos;                       /* positional words (malloc'ed array, borrowed strings) */
	int npos;
	bool help, version;
	const char *used[CTL_USED_MAX];   /* command options given, to check the command takes them */
	int nused;
};
/* Returns 0 or an exit code (the usage error printed). Free a with ctl_args_free(). */
int ctl_args_parse(struct ctl *c, int argc, char **argv, struct ctl_args *a);
void ctl_args_free(struct ctl_args *a);

/* help.c: usage and help texts, and finding a command by its words. */
void ctl_print_usage(FILE *out);
void ctl_print_help(const struct command *cmd, FILE *out);
/* The command whose words start argv; sets *words to how many it took. */
const struct command *ctl_lookup(int argc, char **argv, int *words);
/* `zonectl help [WORDS]`: returns the exit code. */
int ctl_help(int argc, char **argv);
/* True when some command's first word is word ("zone", "rr"). */
bool ctl_is_group(const char *word);
/* True when cmd takes option opt. */
bool ctl_takes(const struct command *cmd, const char *opt);
/* Prints "zonectl: " fmt (with arg) and the usage; returns EXIT_USAGE. */
int ctl_usage_error(const struct command *cmd, const char *fmt, const char *arg);

/* Opens the store (read-only when write is false); prints why it cannot. */
int ctl_open(struct ctl *c, bool write);
/* Opens the store read-only and begins a read transaction; prints why it cannot. */
int ctl_read(struct ctl *c, struct store_txn *t);
/* ctl_read(), then the zone named by args[0]; prints why it cannot. */
int ctl_read_zone(struct ctl *c, struct store_txn *t, struct zone_info *z);
/* Parses a zone name from the command line (absolute even without the trailing dot). */
int ctl_zone_name(struct ctl *c, const char *arg, uint8_t apex[DNAME_MAX]);
/* Prints an error for rc with context and returns the exit code for it. */
int ctl_fail(struct ctl *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints a committed edit (or "no changes") and returns the exit code; nothing more. */
int ctl_result(struct ctl *c, const uint8_t *apex, int rc, const struct zone_result *res);
/* Writes s as a JSON string. */
void json_str(FILE *out, const char *s);
/* Writes the diagnostics as a JSON array. */
void json_diag(FILE *out, const struct diag *d);
/* A domain name for messages: like dname_format() but without the trailing dot. */
const char *ctl_domain(char out[DNAME_STR_MAX], const uint8_t *name);
/* ISO 8601 UTC time into buf (at least 32 bytes). */
const char *ctl_time(int64_t t, char *buf, size_t len);

int cmd_check_config(struct ctl *c);
int cmd_zone_list(struct ctl *c);
int cmd_zone_add(struct ctl *c);
int cmd_zone_import(struct ctl *c);
int cmd_zone_export(struct ctl *c);
int cmd_zone_del(struct ctl *c);
int cmd_zone_history(struct ctl *c);
int cmd_zone_edit(struct ctl *c);
int cmd_rr_list(struct ctl *c);
int cmd_rr_add(struct ctl *c);
int cmd_rr_del(struct ctl *c);
int cmd_rr_set(struct ctl *c);
int cmd_batch(struct ctl *c);
int cmd_stats(struct ctl *c);
int cmd_zone_secondaries(struct ctl *c);
int cmd_mtasts_enable(struct ctl *c);
int cmd_mtasts_mode(struct ctl *c);
int cmd_mtasts_set(struct ctl *c);
int cmd_mtasts_disable(struct ctl *c);
int cmd_mtasts_status(struct ctl *c);
int cmd_mtasts_publish(struct ctl *c);
/* Runs the MTA-STS publish step for the zone's due domains (every zone's when 0), showing
 * what happened. Returns 0 or an exit code for a failure of the store. */
int ctl_publish(struct ctl *c, uint32_t zone_id);
/* After a command printed its commit (exit code ec, edit result rc, res): the publish step
 * for the edited zone, unless nothing was committed or --no-publish. Returns the exit code. */
int ctl_publish_after(struct ctl *c, int ec, int rc, const struct zone_result *res);
int cmd_cert(struct ctl *c);
int cmd_tsig_add(struct ctl *c);
int cmd_tsig_list(struct ctl *c);
int cmd_tsig_del(struct ctl *c);

#endif
