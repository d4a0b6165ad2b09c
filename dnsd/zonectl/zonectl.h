/* zonectl: shared declarations of the command table, options and output helpers. */
#ifndef ZONECTL_H
#define ZONECTL_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "shared/util/config.h"
#include "shared/util/diag.h"
#include "shared/store/store.h"
#include "shared/sts/sts_record.h"
#include "shared/store/zone.h"
#include "shared/store/zone_ops.h"
#include "shared/store/update_policy.h"
#include "shared/store/api_token.h"

/* Exit codes, documented in zonectl(8). */
enum {
	EXIT_OK = 0,
	EXIT_INPUT = 1,     /* bad input: zone file, record, batch, configuration */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_NOTFOUND = 3,  /* no such zone, record or file */
	EXIT_CONFLICT = 4,  /* zone exists already, or changed during an edit */
	EXIT_STORE = 5,     /* the store or the system failed */
	EXIT_CHECK_WARN = 6,   /* check: the checks ran and found warnings, no error */
	EXIT_CHECK_ERROR = 7,  /* check: the checks ran and found an error */
};

#define CTL_MAX_NS 16
#define CTL_CONNECT_TO_MAX 32   /* --connect-to rules (CHECK_MAX_CONNECT_TO) */
#define CTL_WAIT_DEFAULT_S 60   /* --wait: how long to wait for a publish (retry-max <= 60) */
#define CTL_WAIT_MAX_S 3600     /* the longest --timeout */

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
	bool rua_only;              /* --rua-only: no rua of Lockstep's own (tlsrpt.mailbox) */
	bool wait;                  /* --wait: until the publish step published, or exit 4 */
	const char *timeout;        /* --timeout SECONDS for --wait */
	unsigned wait_s;            /* its value, or CTL_WAIT_DEFAULT_S */
	bool force;                 /* restore --force */
	const char *dir;            /* zone import --dir DIR */
	const char *list;           /* mta-sts enable --list FILE */
	bool all_or_nothing;        /* zone import --all-or-nothing */
	/* zone update-policy add --name, --type */
	const char *upd_names[UPDATE_POLICY_MAX_NAMES], *upd_types[UPDATE_POLICY_MAX_TYPES];
	unsigned nupd_names, nupd_types;
	const char *domain;         /* tlsrpt ingest --domain DOMAIN */
	const char *days;           /* tlsrpt summary --days N */
	/* check and watch add: --resolver, --ca, --connect-to (repeatable), --nagios */
	const char *resolver, *ca;
	const char *every;          /* watch add --every MINUTES */
	const char *connect_to[CTL_CONNECT_TO_MAX];
	unsigned nconnect_to;
	bool nagios;
	const char *api_zones[API_TOKEN_ZONES_MAX];   /* api token add --zone */
	unsigned napi_zones;
	bool read_only;             /* api token add --read-only */
	const char *writing;        /* a file other than the store being written (full-disk messages) */
	struct diag d;
	struct store *st;
	const struct command *cmd;  /* the command being run */
	bool bulk;                  /* a bulk run: its publish step counts what it published */
	int64_t started;            /* when the command began: policy versions made since are its */
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
/* The command whose name is closest to the words typed (a typo or two away), or NULL. */
const struct command *ctl_suggest(int argc, char **argv);
/* True when some command's first word is word ("zone", "rr"). */
bool ctl_is_group(const char *word);
/* True when cmd takes option opt. */
bool ctl_takes(const struct command *cmd, const char *opt);
/* Prints "zonectl: " fmt (with arg) and the usage; returns EXIT_USAGE. */
int ctl_usage_error(const struct command *cmd, const char *fmt, const char *arg);

/* Opens the store (read-only when write is false); prints why it cannot. A reader never
 * creates a store: with none, it says how to make one (EXIT_NOTFOUND). */
int ctl_open(struct ctl *c, bool write);
/* ctl_fail(c, rc, what, dir) for a store that cannot be used, then what to do about it. */
int ctl_store_fail(struct ctl *c, int rc, const char *what, const char *dir);
/* "There is no store in STATE", with how to make one; returns EXIT_NOTFOUND. */
int ctl_no_store(struct ctl *c);
/* Run as root on a state directory another user owns: become that user, so nothing zonectl
 * writes there ends up owned by root. Returns 0 or an exit code (printed). */
int ctl_become_owner(struct ctl *c);
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
/* An error of the command's own (no return code to explain): one line on stderr, or
 * {"error":...} with --json. Returns code. */
int ctl_fail_msg(struct ctl *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* JSON values for --json output, new references (NULL only when out of memory). Every string
 * is valid UTF-8: bytes that are not become U+FFFD, so the output always parses. */
json_t *ctl_json_string(const char *s);
json_t *ctl_json_stringn(const char *s, size_t len);
/* An RFC 3339 UTC time ("2026-12-03T07:33:03Z"), or null for 0 (never). */
json_t *ctl_json_time(int64_t t);
/* The diagnostics as [{"severity","file","line","message"}]. */
json_t *ctl_json_diag(const struct diag *d);
/* Prints v (taken) as one line on standard output. Returns EXIT_OK, or EXIT_STORE when it
 * could not be built (out of memory). */
int ctl_json_print(json_t *v);

/*
 * One JSON object written to standard output member by member, so a list of a million
 * records is never held whole; each key and value is still written by jansson. Without
 * --json nothing is written, but list elements are still counted (n), so a command's text
 * and JSON paths share one walk.
 */
struct ctl_out {
	struct ctl *c;
	size_t members;   /* members of the object written so far */
	size_t n;         /* elements of the open list */
	bool failed;      /* a value could not be built: sticky, reported by ctl_out_end() */
};

/* Starts the object: "{". */
void ctl_out_begin(struct ctl_out *o, struct ctl *c);
/* One member "key":v; v is taken (a NULL v fails the output). */
void ctl_out_put(struct ctl_out *o, const char *key, json_t *v);
/* Opens the member "key":[ for ctl_out_item(). */
void ctl_out_list(struct ctl_out *o, const char *key);
/* One list element; v is taken. Without --json pass NULL: it only counts. */
void ctl_out_item(struct ctl_out *o, json_t *v);
/* Closes the list: "]". */
void ctl_out_list_end(struct ctl_out *o);
/* Ends the object and the line. Returns EXIT_OK, or EXIT_STORE when a value failed. */
int ctl_out_end(struct ctl_out *o);
/* An object that is one list: ctl_out_begin(), then ctl_out_list(o, key). */
void ctl_out_list_begin(struct ctl_out *o, struct ctl *c, const char *key);
/* Ends what ctl_out_list_begin() began: "]}". Returns as ctl_out_end(). */
int ctl_out_list_finish(struct ctl_out *o);
/* After a list read in t (rc: the walk's result): ends the output and the transaction.
 * Returns the exit code; for rc, after ctl_fail(what). */
int ctl_list_done(struct ctl_out *o, struct store_txn *t, int rc, const char *what);
/* A domain name for messages: like dname_format() but without the trailing dot. */
const char *ctl_domain(char out[DNAME_STR_MAX], const uint8_t *name);
/* RFC 3339 UTC time into buf (at least 32 bytes), for text output. */
const char *ctl_time(int64_t t, char *buf, size_t len);

/* The progress line of a bulk command, on standard error when it is a terminal (not with
 * --json): done/total, rate and time left, rewritten in place. */
struct ctl_progress {
	bool on;
	const char *what;
	size_t total;
	int64_t start, last;   /* CLOCK_MONOTONIC ns */
	int width;             /* of the line on screen, 0 when none */
};
void ctl_progress_begin(struct ctl_progress *p, const struct ctl *c, const char *what,
                        size_t total);
void ctl_progress_step(struct ctl_progress *p, size_t done);
/* Takes the line off the screen before other output; the next step draws it again. */
void ctl_progress_clear(struct ctl_progress *p);
/* Seconds since ctl_progress_begin(). */
double ctl_progress_seconds(const struct ctl_progress *p);
#define CTL_BATCH_MAX 100000
/* ZONECTL_BATCH (1..CTL_BATCH_MAX): zones or domains per transaction of a bulk command;
 * 0 (the library's default) when unset or invalid. */
size_t ctl_bulk_batch(void);
/* "zonectl: what" and the command's usage; returns EXIT_USAGE. */
int ctl_bulk_usage(const struct ctl *c, const char *what);

int cmd_check_config(struct ctl *c);
int cmd_zone_list(struct ctl *c);
int cmd_zone_add(struct ctl *c);
int cmd_zone_import(struct ctl *c);
/* zone import of several files or --dir (cmd_zone_bulk.c). */
int cmd_zone_import_bulk(struct ctl *c);
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
int cmd_zone_update_policy(struct ctl *c);
int cmd_mtasts_enable(struct ctl *c);
/* mta-sts enable: one domain (cmd_mtasts_enable), or several or --list (cmd_mtasts_bulk.c). */
int cmd_mtasts_enable_bulk(struct ctl *c);
/* After mta-sts.DOMAIN's enable committed (or was found done): its demo certificate, when a
 * demo CA is there; a failure is a warning on stderr. */
void ctl_demo_cert(struct ctl *c, const uint8_t *domain);
struct sts_settings;
/* The mta-sts settings given as options; usage errors print and return EXIT_USAGE. */
int ctl_sts_settings(struct ctl *c, struct sts_settings *s);
int cmd_mtasts_mode(struct ctl *c);
int cmd_mtasts_set(struct ctl *c);
int cmd_mtasts_disable(struct ctl *c);
int cmd_mtasts_status(struct ctl *c);
int cmd_mtasts_publish(struct ctl *c);
int cmd_mtasts_rederive(struct ctl *c);
/* Runs the MTA-STS publish step for the zone's due domains (every zone's when NULL), showing
 * what happened. Returns 0 or an exit code for a failure of the store. */
int ctl_publish(struct ctl *c, const struct zone_info *zone);
/* After a command printed its commit (exit code ec, edit result rc, res): the publish step
 * for the edited zone, unless nothing was committed or --no-publish. Returns the exit code. */
int ctl_publish_after(struct ctl *c, int ec, int rc, const struct zone_result *res);
int cmd_cert(struct ctl *c);
/* cmd_acme.c: certificates from an ACME CA. */
int cmd_acme(struct ctl *c);
/* cert list [--json]: every certificate file and every name ACME handles. */
int ctl_cert_list(struct ctl *c);
/* cert renew|status NAME. */
int ctl_cert_acme(struct ctl *c, const char *action);
/* Queues host (force: renew now) and runs its order here, to its end; the outcome printed.
 * c->st open for writing. Returns 0 or a store error (a CA failure is in the record). */
int ctl_acme_run_host(struct ctl *c, const char *host, bool force);
/* True when the configuration has an acme: directory. */
bool ctl_acme_on(const struct ctl *c);
int cmd_tsig_add(struct ctl *c);
int cmd_tsig_list(struct ctl *c);
int cmd_tsig_del(struct ctl *c);
int cmd_api_token_add(struct ctl *c);
int cmd_api_token_list(struct ctl *c);
int cmd_api_token_del(struct ctl *c);
int cmd_store_check(struct ctl *c);
int cmd_backup(struct ctl *c);
int cmd_restore(struct ctl *c);
/* guard.c: before enforce, zonectl check of the domain (its watch options, else watch.*,
 * the command line's first); refused (exit 4, the errors printed) on an error unless
 * --force, or when mta-sts.enforce-check is off. 0 or the exit code. */
int ctl_check_enforce(struct ctl *c, const uint8_t *name);
int cmd_watch_add(struct ctl *c);
int cmd_watch_del(struct ctl *c);
int cmd_watch_list(struct ctl *c);
int cmd_watch_history(struct ctl *c);
int cmd_watch_run(struct ctl *c);
int cmd_check(struct ctl *c);
int cmd_tlsrpt_ingest(struct ctl *c);
int cmd_tlsrpt_import(struct ctl *c);
int cmd_tlsrpt_summary(struct ctl *c);
int cmd_tlsrpt_list(struct ctl *c);
int cmd_tlsrpt_show(struct ctl *c);
int cmd_tlsrpt_reparse(struct ctl *c);
/* Before a switch of domain to enforce (store open): shows the last TLSRPT_ENFORCE_DAYS days
 * of TLS reports and refuses (EXIT_CONFLICT, said why) when they show failures enforce would
 * make bounces, unless --force; warns when there are none. Returns 0 or the exit code. */
#define TLSRPT_ENFORCE_DAYS 14
int ctl_tlsrpt_enforce(struct ctl *c, const uint8_t *domain);

#endif
