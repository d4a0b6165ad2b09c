/*
 * Alerts: one event (a problem that opened or was resolved, or a one-time notice) goes to the
 * log at its level and to the hooks of the `alerts:` section: webhooks that get it POSTed as
 * JSON, and a command that gets it on standard input.
 */
#ifndef LS_ALERT_H
#define LS_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define ALERT_DOMAIN_MAX 256
#define ALERT_CODE_MAX 48
#define ALERT_VALUE_MAX 1024       /* bytes of before, after or detail */
#define ALERT_WRITER_MAX 192
#define ALERT_HOOKS_MAX 8          /* webhook URLs in alerts.webhook */
#define ALERT_URL_MAX 1024
#define ALERT_TIMEOUT_DEFAULT 10   /* seconds one hook may take (alerts.timeout) */

enum alert_level { ALERT_INFO, ALERT_WARN, ALERT_ERROR };
enum alert_state { ALERT_OPEN, ALERT_RESOLVED, ALERT_ONCE };

struct alert_event {
	char domain[ALERT_DOMAIN_MAX];     /* text form, no trailing dot */
	char code[ALERT_CODE_MAX];         /* "mode-rollback", a check's problem code */
	enum alert_level level;
	enum alert_state state;
	char before[ALERT_VALUE_MAX];      /* "" is null in the JSON */
	char after[ALERT_VALUE_MAX];
	char detail[ALERT_VALUE_MAX];      /* codes an event explains, a message; "" is left out */
	char writer[ALERT_WRITER_MAX];     /* mx-changed: who made the change; "" is left out */
	int64_t time;
};

/* Where events go besides the log: the `alerts:` section, strings borrowed from it. */
struct alert_hooks {
	const char *webhooks;    /* "URL ..." (http:// or https://), "" for none */
	const char *command;     /* a program's path, "" for none */
	const char *ca;          /* CA file for https webhooks, "" for the system's */
	unsigned timeout_s;      /* per hook */
};

const char *alert_level_name(enum alert_level l);   /* "info", "warn", "error" */
const char *alert_state_name(enum alert_state s);   /* "open", "resolved", "once" */
int alert_level_parse(const char *text, enum alert_level *out);
int alert_state_parse(const char *text, enum alert_state *out);

/* The event as a JSON object {"domain","code","level","state","before","after","time"} (time
 * RFC 3339 UTC) plus "detail" and "writer" when set. New reference, NULL without memory. */
json_t *alert_json(const struct alert_event *e);
/* The reverse, for events kept in the store. Returns 0 or LS_EPARSE. */
int alert_from_json(const json_t *j, struct alert_event *e);

/* True when h has a webhook or a command. */
bool alert_hooks_any(const struct alert_hooks *h);
/* Checks the hooks' syntax (URLs, an absolute command path); reason in err. */
int alert_hooks_check(const struct alert_hooks *h, char *err, size_t errlen);

/*
 * Sends e: one log line at its level (`alert: DOMAIN: CODE open|resolved|once ...`), then
 * the JSON to every webhook and to the command, each within h->timeout_s. A failed hook is
 * logged (the others still run). Returns 0, or the first hook's failure. Blocks for up to
 * the hooks' timeouts: call it off any query loop.
 */
int alert_send(const struct alert_hooks *h, const struct alert_event *e);
/* The hooks only, for a caller that logged the event its own way. */
int alert_deliver(const struct alert_hooks *h, const struct alert_event *e);

/* Runs path with json on its standard input (no shell, no arguments), waiting at most
 * timeout_s; a program still running then is killed. 0 when it exited 0. */
int alert_command(const char *path, const char *json, size_t len, unsigned timeout_s,
                  char *err, size_t errlen);

#endif
