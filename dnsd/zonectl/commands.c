/* The zonectl command table: every command with its own help, so `zonectl help` cannot drift. */
#include "dnsd/zonectl/zonectl.h"

const struct command zonectl_commands[] = {
	{ "zone list", "", "List the zones in the store with serial and record count.",
	  "Prints one line per zone: name, SOA serial, number of records and the time of the\n"
	  "last change. With --json: {\"zones\":[{\"name\",\"serial\",\"records\",\"serial_policy\",\n"
	  "\"created\",\"modified\"}]}.",
	  0, 0, "", cmd_zone_list },
	{ "zone add", "DOMAIN (--from FILE | --ns NAME...) [--serial-policy POLICY]",
	  "Create a new zone from a master file, or with a SOA and NS records.",
	  "Refuses a zone that exists already (exit 4). --from reads FILE with DOMAIN as the\n"
	  "origin; --ns (repeatable) makes a SOA naming the first server and hostmaster.DOMAIN,\n"
	  "and one NS record per server. POLICY is increment, dateserial or unixtime and says how\n"
	  "each later commit picks the next serial (default: zones.serial-policy).",
	  1, 1, "from ns serial-policy", cmd_zone_add },
	{ "zone import", "FILE... | --dir DIR [--all-or-nothing] [--origin DOMAIN] "
	  "[--serial-policy POLICY] [--wait [--timeout S]]",
	  "Load master files: create each zone, or replace its whole content.",
	  "Reads an RFC 1035 master file ($ORIGIN, $TTL, $INCLUDE below the file's directory,\n"
	  "relative names, @, RFC 3597 unknown types). The zone is --origin, else the owner of\n"
	  "the SOA. Every error is printed as FILE:LINE and nothing changes. Replacing an\n"
	  "existing zone shows the difference and gives it a new serial; an identical file\n"
	  "changes nothing.\n"
	  "Several FILEs, or --dir DIR (every *.zone file directly in DIR, in name order; no\n"
	  "limit from the shell), are imported in one run: each file's zone is the owner of its\n"
	  "SOA, several zones are committed per transaction (one disk sync each), a file that\n"
	  "fails is printed as FILE:LINE and skipped while the others land, and exit status 1\n"
	  "says some failed. --all-or-nothing makes it one transaction: when any file fails,\n"
	  "nothing lands. Instead of a difference per zone, one summary line: files, zones\n"
	  "imported, unchanged and failed, records and seconds (--json: {\"files\",\"imported\",\n"
	  "\"unchanged\",\"failed\",\"records\",\"committed\",\"milliseconds\",\"errors\"}). On a\n"
	  "terminal, standard error shows a progress line with the rate and the time left.",
	  0, -1, "origin serial-policy wait timeout dir all-or-nothing", cmd_zone_import },
	{ "zone export", "DOMAIN [-o FILE]",
	  "Write the zone as a master file (standard output by default).",
	  "SOA first, then every record in DNS canonical order with absolute names. The file\n"
	  "imports back to the same zone and loads in NSD, Knot and ldns-read-zone. -o writes\n"
	  "through a temporary file that is renamed into place.",
	  1, 1, "output", cmd_zone_export },
	{ "zone del", "DOMAIN", "Delete a zone with all its records and its journal.",
	  "The zone stops being served on the next query. Its history stays.",
	  1, 1, "", cmd_zone_del },
	{ "zone edit", "DOMAIN [--wait [--timeout S]]", "Edit the zone as text in $EDITOR and apply the difference.",
	  "Opens the exported zone in $VISUAL or $EDITOR (default vi). On save, the new text\n"
	  "replaces the zone in one commit and the difference is shown. When the text is\n"
	  "invalid, or the zone changed while you edited, nothing changes: the errors are shown\n"
	  "and your text is kept in a file whose name is printed (on a terminal you may edit again).",
	  1, 1, "wait timeout", cmd_zone_edit },
	{ "zone history", "DOMAIN", "Show the zone's commits: when, serials, counts and command.",
	  "One line per commit, oldest first.",
	  1, 1, "", cmd_zone_history },
	{ "zone secondaries", "DOMAIN list | add ADDR[:PORT] [--key NAME] | del ADDR",
	  "List, add or delete the secondaries allowed to transfer the zone.",
	  "Zone transfers (AXFR, IXFR) are refused unless the client's address is one of the\n"
	  "zone's secondaries. dnsd sends NOTIFY to ADDR:PORT (default port 53) after every\n"
	  "change of the zone. With --key, the secondary must sign its requests with that TSIG\n"
	  "key (made with `zonectl tsig add`; unknown keys are refused, exit 3), and dnsd signs\n"
	  "its NOTIFY messages with it. Adding an address again replaces its entry (and says so).\n"
	  "Addresses: 192.0.2.1, 192.0.2.1:5300, 2001:db8::1, [2001:db8::1]:5300.",
	  2, 3, "key", cmd_zone_secondaries },
	{ "zone update-policy", "DOMAIN list | add KEY [--name PATTERN]... [--type TYPE]... | del KEY",
	  "List, add or delete the TSIG keys that may change the zone by DNS UPDATE.",
	  "dnsd accepts a DNS UPDATE (RFC 2136, nsupdate, knsupdate) only when it is signed with\n"
	  "a TSIG key (zonectl tsig add) that has a policy in the zone; no policy, no update.\n"
	  "--name PATTERN (repeatable): an exact name, or *.NAME for every name strictly below\n"
	  "NAME; names are relative to DOMAIN unless they end with a dot. Without --name the\n"
	  "whole zone. --type TYPE (repeatable): the types the key may change; without it every\n"
	  "type but SOA. Records MTA-STS manages are refused to every update, as to every hand\n"
	  "edit. add replaces the key's policy (\"no change\" when it is the same); the key must\n"
	  "exist (exit 3). With --json: list {\"zone\",\"policies\":[{\"key\",\"names\",\"types\"}]}\n"
	  "(null names: the whole zone; null types: the default), add and del {\"zone\",\"key\",\n"
	  "\"names\",\"types\",\"added\"|\"deleted\"}.",
	  2, 3, "name type", cmd_zone_update_policy },
	{ "mta-sts enable", "DOMAIN... | --list FILE [--mode MODE] [--max-age SECONDS] [--mx-extra PATTERN]... "
	  "[--rua URI]... [--rua-only] [--no-publish | --wait [--timeout S]]",
	  "Turn MTA-STS on for a mail domain: records, policy and id kept in step with its MX.",
	  "DOMAIN is the zone apex or any name with an MX RRset. Adds mta-sts.DOMAIN (A/AAAA of\n"
	  "mta-sts.service-address, or a CNAME to mta-sts.service-cname), the policy (MODE\n"
	  "testing, enforce or none; default testing; max_age default 604800), and\n"
	  "_smtp._tls.DOMAIN TXT \"v=TLSRPTv1; rua=...\": first mailto:<tlsrpt.mailbox> when\n"
	  "tlsrpt.receive is on and a mailbox is set (Lockstep's own intake, see tlsrpt\n"
	  "ingest), then https://mta-sts.DOMAIN/tlsrpt (httpsd's POST /tlsrpt) when\n"
	  "mta-sts.endpoints is set (for each DOMAIN, one or many), then each --rua (mailto: or\n"
	  "https:); --rua-only leaves Lockstep's own out.\n"
	  "No record when there is no address. --mx-extra adds a pattern (host or *.suffix) to the MX targets. The\n"
	  "_mta-sts.DOMAIN TXT id appears only once every mta-sts.endpoints serves the policy\n"
	  "(see `mta-sts publish`). Refused when DOMAIN is not a host name, has no MX, a null\n"
	  "MX (unless --mode none), an MX target that is a CNAME, or records of its own at\n"
	  "those names. --max-age 0 is allowed, with a warning (senders then cache nothing).\n"
	  "From then on every MX change, by any command, makes the next policy, published the\n"
	  "same way; the records are MTA-STS's and other commands refuse to change them.\n"
	  "Several DOMAINs, or --list FILE (one domain a line, - for standard input; # comments\n"
	  "and blank lines skipped), are enabled in one run with the same options: several\n"
	  "domains are committed per transaction (one disk sync each), a domain that fails is\n"
	  "printed and skipped while the others go on, and exit status 1 says some failed. A\n"
	  "domain already enabled is counted as such, not as a failure, and still gets its demo\n"
	  "certificate: a run that was stopped is run again to finish. One summary line (--json:\n"
	  "{\"domains\",\"enabled\",\"already\",\"failed\",\"milliseconds\",\"errors\"}), then\n"
	  "one publish step for all of them; a progress line on a terminal's standard error.",
	  0, -1, "mode max-age mx-extra rua rua-only no-publish wait timeout list",
	  cmd_mtasts_enable_bulk },
	{ "mta-sts mode", "DOMAIN MODE [--force] [--resolver ADDR[:PORT]] [--ca FILE] "
	  "[--connect-to HOST:PORT:ADDR:PORT]... [--no-publish | --wait [--timeout S]]", "Change the policy mode: testing, enforce or none.",
	  "A new policy version, published as after any change. enforce is refused while the\n"
	  "domain has a null MX. Before enforce, the last 14 days of TLS reports are shown\n"
	  "(tlsrpt summary) and the switch is refused (exit 4) when they show failed sessions to\n"
	  "an MX host the policy still names, or about the policy host itself\n"
	  "(sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid), unless --force.\n"
	  "With no reports at all it warns and goes on. Then the domain is checked as `zonectl\n"
	  "check` does (its `watch add` options, else watch.resolver; --resolver, --ca and\n"
	  "--connect-to as check's) and the switch is refused (exit 4) on any error, unless\n"
	  "--force (mta-sts.enforce-check: no skips the check). `mta-sts set --mode enforce` does\n"
	  "the same.",
	  2, 2, "no-publish wait timeout force resolver ca connect-to", cmd_mtasts_mode },
	{ "mta-sts set", "DOMAIN [--mode MODE] [--max-age SECONDS] [--mx-extra PATTERN]... "
	  "[--no-mx-extra] [--rua URI]... [--rua-only] [--no-rua] [--no-publish | --wait [--timeout S]]",
	  "Change a domain's MTA-STS settings.",
	  "Given --mx-extra patterns replace the current ones (--no-mx-extra removes them all);\n"
	  "--rua URIs replace the TLS-RPT addresses (--no-rua removes the _smtp._tls record).\n"
	  "A changed policy is published as after any change.",
	  1, 1, "mode max-age mx-extra no-mx-extra rua rua-only no-rua no-publish wait timeout force "
	  "resolver ca connect-to",
	  cmd_mtasts_set },
	{ "mta-sts disable", "DOMAIN [--now] [--no-publish | --wait [--timeout S]]",
	  "Stop MTA-STS for a domain the safe way (RFC 8461 8.3), or at once with --now.",
	  "Publishes a mode none policy under a new id, keeps serving it until the longest\n"
	  "max_age ever published has passed since, and only then deletes the _mta-sts,\n"
	  "mta-sts and _smtp._tls records (dnsd's publish step does it). --now deletes them at\n"
	  "once, after a warning: senders holding an enforce policy keep applying it.",
	  1, 1, "now no-publish wait timeout", cmd_mtasts_disable },
	{ "mta-sts status", "[DOMAIN]", "Show MTA-STS state: mode, policy, id, waits, endpoints.",
	  "Per domain: the state (published, waiting, removing), mode and max_age, the newest\n"
	  "policy version and its text, the id and the version it stands for, the next\n"
	  "rotation, why a publish waits and when it is tried next, the last fetch from each\n"
	  "endpoint, and MX names in their grace period. --json for machines: its times are\n"
	  "RFC 3339 UTC strings, or null (published_time before the first publish, next_try\n"
	  "when nothing waits).",
	  0, 1, "", cmd_mtasts_status },
	{ "mta-sts publish", "[DOMAIN] [--wait [--timeout S]]", "Run the publish step now (every domain with work due).",
	  "Fetches each waiting policy from every mta-sts.endpoints over HTTPS as a sender\n"
	  "would and, when all serve it, writes the new id (a new serial). Also rotates ids\n"
	  "older than mta-sts.rotate-interval, ends grace periods and finishes removals. dnsd\n"
	  "runs the same step every second; running it twice is harmless. Exit 4 when DOMAIN's\n"
	  "publish still waits; --wait tries again (1, 2, 4, 8 s apart) for --timeout seconds\n"
	  "(default 60) first.",
	  0, 1, "wait timeout", cmd_mtasts_publish },
	{ "mta-sts rederive", "[--force]",
	  "Point every domain's mta-sts name at the configured service-address or service-cname.",
	  "After mta-sts.service-address or service-cname changed: the A/AAAA (or CNAME)\n"
	  "records of mta-sts.<domain> of every enabled domain are rewritten, one commit per\n"
	  "zone (new serial, NOTIFY, IXFR), and the service is recorded as applied. dnsd does\n"
	  "the same at start and on SIGHUP (with mta-sts.publisher on); running it again is\n"
	  "harmless (\"no change\"). Records that no service Lockstep applied would have made\n"
	  "are kept and named; --force rewrites them too. A store from before this command\n"
	  "records the service in force and rewrites nothing unless --force is given. With\n"
	  "--json: {\"changed\",\"adopted\",\"zones\",\"rewritten\",\"current\",\"kept\",\n"
	  "\"domains\":[{\"domain\",\"outcome\",\"serial_old\",\"serial\"}]}.",
	  0, 0, "force", cmd_mtasts_rederive },
	{ "api token add", "NAME [--zone ZONE]... [--read-only]",
	  "Make a token for the HTTP API; prints its secret once, alone on the last line.",
	  "The API (api.listen, served by httpsd's API process) takes the secret as X-API-Key or\n"
	  "Authorization: Bearer. Only a salted hash is stored, so the secret cannot be shown\n"
	  "again. --zone (repeatable, each an existing zone) limits the token to those zones (403\n"
	  "elsewhere, and GET zones lists only them); without it the token may use every zone.\n"
	  "--read-only tokens get 403 on every write. History entries of the token's commits say\n"
	  "\"by token NAME\". --json: {\"name\",\"read_only\",\"zones\",\"secret\"}.",
	  1, 1, "zone read-only", cmd_api_token_add },
	{ "api token list", "", "List the API tokens: names, read-only or not, zones; never secrets.",
	  "--json: {\"tokens\":[{\"name\",\"read_only\",\"zones\",\"created\"}]}.",
	  0, 0, "", cmd_api_token_list },
	{ "api token del", "NAME", "Delete an API token; its next request gets 401.",
	  "Exit 3 when there is no such token.",
	  1, 1, "", cmd_api_token_del },
	{ "tsig add", "NAME [--algorithm hmac-sha256|hmac-sha512|hmac-sha1]",
	  "Make a TSIG key with a random secret and print it once, for NSD and Knot.",
	  "The secret (as long as the algorithm's MAC, from getrandom) is stored and printed\n"
	  "this one time, in the key: sections of nsd.conf and knot.conf; it is never shown or\n"
	  "logged again. The default algorithm is hmac-sha256. NAME is a domain name such as\n"
	  "xfr-key; a key of that name must not exist yet (exit 4). With --json:\n"
	  "{\"name\",\"algorithm\",\"secret\"}. Use the key with\n"
	  "`zonectl zone secondaries DOMAIN add ADDR --key NAME`.",
	  1, 1, "algorithm", cmd_tsig_add },
	{ "tsig list", "", "List the TSIG keys: names and algorithms, never secrets.",
	  "One line per key: NAME ALGORITHM. With --json: {\"keys\":[{\"name\",\"algorithm\"}]}.",
	  0, 0, "", cmd_tsig_list },
	{ "tsig del", "NAME", "Delete a TSIG key that no secondary or update policy uses.",
	  "Refused (exit 4, nothing changes) while a zone's secondary or update policy names\n"
	  "the key: delete or re-add those first. Exit 3 when there is no such key.",
	  1, 1, "", cmd_tsig_del },
	{ "rr list", "DOMAIN [NAME [TYPE]]", "List the zone's records, or those at NAME (of TYPE).",
	  "NAME is relative to DOMAIN unless it ends with a dot; @ is the apex. Exit 3 when a\n"
	  "NAME was given and nothing is there.",
	  1, 3, "", cmd_rr_list },
	{ "rr add", "DOMAIN 'RR' [--wait [--timeout S]]", "Add one record given in master-file format.",
	  "Example: zonectl rr add example.com 'mail 300 IN MX 10 mx1.example.com.'\n"
	  "The owner is relative to DOMAIN. Without a TTL the record takes its RRset's TTL, or\n"
	  "zones.default-ttl for a new RRset. Shows the difference and the new serial.",
	  2, 2, "wait timeout", cmd_rr_add },
	{ "rr del", "DOMAIN NAME [TYPE [RDATA]] [--wait [--timeout S]]",
	  "Delete every record at NAME, one RRset, or one record.",
	  "Example: zonectl rr del example.com www A 192.0.2.1\n"
	  "Deleting something that is not there is an error (exit 1) and changes nothing.",
	  2, -1, "wait timeout", cmd_rr_del },
	{ "rr set", "DOMAIN NAME TYPE TTL RDATA... [--wait [--timeout S]]", "Replace an RRset with the records given.",
	  "Each RDATA argument is one record: zonectl rr set example.com @ MX 300 '10 mx1' '20 mx2'",
	  5, -1, "wait timeout", cmd_rr_set },
	{ "batch", "DOMAIN [--wait [--timeout S]]", "Apply many changes from standard input in one atomic commit.",
	  "One change per line, all or nothing:\n"
	  "  add RR                    a record in master-file format\n"
	  "  del NAME [TYPE [RDATA]]   a name, an RRset or one record\n"
	  "  set NAME TYPE TTL RDATA   replace the RRset (further set lines for it add to it)\n"
	  "Blank lines and lines starting with # or ; are skipped. Errors name <stdin>:LINE.",
	  1, 1, "wait timeout", cmd_batch },
	{ "stats", "", "Show dnsd's query counters (by transport, type and rcode).",
	  "dnsd writes its counters to STATE/dnsd.stats every second while it runs; this prints\n"
	  "them with the time they were written (exit 3 when there are none). With --json:\n"
	  "{\"written\":\"2026-12-03T07:33:03Z\",\"queries.udp\":N,...}.",
	  0, 0, "", cmd_stats },
	{ "cert", "demo-ca | issue HOST... | list",
	  "Make the demo CA, issue httpsd certificates from it, or list the certificates.",
	  "demo-ca creates STATE/demo-ca/ca.pem and ca.key (0600): an ECDSA P-256 CA valid for\n"
	  "10 years, for tests and demos. It keeps a CA that is there already.\n"
	  "issue HOST... makes for each HOST (e.g. mta-sts.example.com) an ECDSA P-256 key and a\n"
	  "certificate signed by the demo CA (subjectAltName HOST, serverAuth, 90 days), written\n"
	  "to STATE/certs/HOST/fullchain.pem (certificate, then the CA) and privkey.pem (0600).\n"
	  "httpsd picks them up at the next handshake. Exit 3 when there is no demo CA.\n"
	  "list prints each STATE/certs/HOST with its notAfter and issuer, and why it cannot\n"
	  "be used if so. With --json: {\"certs\":[{\"host\",\"not_after\",\"issuer\",\"error\"}]}.",
	  1, -1, "", cmd_cert },
	{ "store check", "", "Read every record of the store and say whether it is sound.",
	  "Walks every table (LMDB's own table of tables and free list, then meta, zones,\n"
	  "rrsets, journal, history, mtasts, secondaries, tsig, update, tlsrpt, acme_alpn, api) in key\n"
	  "order and decodes each value as the code that owns it does. LMDB has no page checksums:\n"
	  "a page overwritten with garbage is found only this way. The walk runs in a child\n"
	  "process, so LMDB crashing on a bad page is reported, not suffered. Sound: the records per table, exit\n"
	  "0. Damaged: the table and what is wrong there, exit 5; `zonectl restore --force FILE`\n"
	  "then puts a backup in place. Exit 3 when there is no store. Safe while the daemons\n"
	  "run (one read transaction). With --json: {\"sound\",\"pages\",\"page_size\",\n"
	  "\"records\":{TABLE:N}} or {\"error\",\"table\",\"problem\"}.",
	  0, 0, "", cmd_store_check },
	{ "backup", "FILE", "Write a consistent, compacted copy of the store to FILE.",
	  "FILE is an LMDB data file as `mdb_copy -c` writes it: one read transaction, so it is\n"
	  "consistent while dnsd, httpsd and other zonectl runs go on writing. It is written to\n"
	  "a temporary file beside FILE and renamed into place, so FILE is whole or untouched\n"
	  "(a full disk says so and leaves nothing behind). `zonectl restore FILE` puts it back.\n"
	  "With --json: {\"backup\",\"bytes\"}.",
	  1, 1, "", cmd_backup },
	{ "restore", "FILE [--force]", "Make a backup the store in the state directory.",
	  "FILE must be a sound store (what `zonectl backup` writes): it is copied beside the\n"
	  "store, opened and checked as `store check` does (exit 1 and nothing changes when it\n"
	  "is not), then renamed over STATE/data.mdb. The state directory is created when it is\n"
	  "missing. Refused (exit 4) while dnsd or httpsd runs on the state directory (they hold\n"
	  "STATE/dnsd.lock and STATE/httpsd.lock) or any process has the store open, and when\n"
	  "a store is there already, unless --force.",
	  1, 1, "force", cmd_restore },
	/* Watching domains over time: watch add, del, list, history, run. */
	{ "watch add", "DOMAIN [--every MINUTES] [--resolver ADDR[:PORT]] [--ca FILE] "
	  "[--connect-to HOST:PORT:ADDR:PORT]... [--timeout S]",
	  "Watch a domain: check it every MINUTES and alert on drift.",
	  "Any domain, ours or not. The options are zonectl check's and are kept for every run\n"
	  "of DOMAIN; --every (1 to 10080, default watch.every) is the interval, each run moved\n"
	  "by up to 10% of it; the first run comes within a minute (dnsd runs them, or `watch\n"
	  "run`). Adding a watched domain again replaces its options. Domains with MTA-STS\n"
	  "enabled are watched without this (watch.own). Each run stores a compact result and\n"
	  "sends the events of what changed since the run before to the log and the alerts:\n"
	  "hooks (lockstep.conf(5)).",
	  1, 1, "every resolver ca connect-to timeout", cmd_watch_add },
	{ "watch del", "DOMAIN", "Stop watching a domain and delete its results.",
	  "An own MTA-STS domain stays unwatched until it is added again.",
	  1, 1, "", cmd_watch_del },
	{ "watch list", "[--json]", "List the watched domains with their state.",
	  "One line per domain: interval, status of the last run, last and next run, open\n"
	  "problems. --json: {\"domains\":[{\"domain\",\"every\",\"implicit\",\"next\",\"last\",\n"
	  "\"status\",\"id\",\"open\"}]}.",
	  0, 0, "", cmd_watch_list },
	{ "watch history", "DOMAIN [--json]", "Show a watched domain's stored results, oldest first.",
	  "Each result: time, status, id, policy hash, mode, max_age, MX hosts, the problem\n"
	  "codes and the events that run sent. Results are kept watch.keep-days.\n"
	  "--json: {\"domain\",\"results\":[{\"time\",\"txt\",\"fetched\",\"id\",\"hash\",\"mode\",\n"
	  "\"max_age\",\"mx\",\"codes\",\"sts_cert_not_after\",\"fetch_error\",\"events\"}]}.",
	  1, 1, "", cmd_watch_history },
	{ "watch run", "[DOMAIN] [--json]", "Run the due watch checks now, or DOMAIN's.",
	  "The same checks, events and alerts as dnsd's; queued mx-changed events are sent\n"
	  "first. Exit status as zonectl check's: 0 no warning or error, 6 warnings only, 7 any\n"
	  "error (the worst of the domains run); 3 DOMAIN is not watched; 5 a check could not run.",
	  0, 1, "", cmd_watch_run },
	/* TLS reports (RFC 8460): tlsrpt ingest, import, summary, list, show, reparse. */
	{ "tlsrpt ingest", "[--domain DOMAIN]",
	  "Read one mailed TLS report (RFC 5322 message on standard input) into the spool.",
	  "For an MTA's pipe transport or a .forward: finds the application/tlsrpt+gzip or\n"
	  "application/tlsrpt+json part (multipart/report; report-type=tlsrpt; else a gzip or\n"
	  "JSON attachment), checks that it is a TLS report, and writes it durably to\n"
	  "STATE/tlsrpt/new, from where dnsd (or `tlsrpt import`) takes it into the store.\n"
	  "--domain names the domain the mail was delivered for: policies without a\n"
	  "policy-domain count for it. Exit 0 once spooled; 65 (EX_DATAERR) when the message\n"
	  "holds no report, or one that is not valid or larger than tlsrpt.max-size (do not\n"
	  "retry); 75 (EX_TEMPFAIL) when the spool cannot be written (retry later).",
	  0, 0, "domain", cmd_tlsrpt_ingest },
	{ "tlsrpt import", "[--json]", "Take the spooled TLS reports into the store now.",
	  "What dnsd's maintenance thread does every second: each report in STATE/tlsrpt/new is\n"
	  "parsed, counted and stored (a report sent twice, by mail and HTTPS, is stored once:\n"
	  "organization-name and report-id), then deleted from the spool. A file that is not a\n"
	  "report moves to STATE/tlsrpt/bad. --json: {\"imported\",\"duplicates\",\"rejected\"}.",
	  0, 0, "", cmd_tlsrpt_import },
	{ "tlsrpt summary", "[DOMAIN] [--days N] [--json]",
	  "Show what TLS reports say per domain and day: sessions, failures and their causes.",
	  "Per domain (DOMAIN only, when given) and day (the UTC date the report's date-range\n"
	  "starts) of the last N days (default 14): reports, sending organisations, successful\n"
	  "and failed sessions (the reports' summaries), failures by result-type, by receiving\n"
	  "MX and by sending IP (from failure-details; where those disagree with the summary,\n"
	  "the difference is shown), and sessions that used a policy older than the current\n"
	  "one or one not known (\"unknown\"). A missing MX or IP counts as \"unknown\".\n"
	  "--json: {\"domains\":[{\"domain\",\"current_version\",\"days\":[{\"day\",\"reports\",\n"
	  "\"organizations\",\"successful\",\"failed\",\"failed_in_details\",\"difference\",\n"
	  "\"result_types\",\"mx\",\"sending_ips\",\"older_policy_sessions\",\n"
	  "\"unknown_policy_sessions\"}]}]}.",
	  0, 1, "days", cmd_tlsrpt_summary },
	{ "tlsrpt list", "DOMAIN [--json]", "List the TLS reports counted for a domain.",
	  "One line per report, oldest first: the local id (for `tlsrpt show`), the sending\n"
	  "organisation, its report-id, the date range and the totals. --json: {\"reports\":\n"
	  "[{\"id\",\"organization\",\"report_id\",\"start\",\"end\",\"received\",\"successful\",\n"
	  "\"failed\",\"misaddressed\"}]} (times in seconds since the epoch).",
	  1, 1, "", cmd_tlsrpt_list },
	{ "tlsrpt show", "ID", "Print a stored TLS report exactly as it was received.",
	  "ID is the local id `tlsrpt list` prints. The JSON text is printed byte for byte as\n"
	  "the sender sent it (inflated when it came as gzip).",
	  1, 1, "", cmd_tlsrpt_show },
	{ "tlsrpt reparse", "[--json]", "Count every stored TLS report again from its raw text.",
	  "The raw reports are kept, so after a parser fix (or a domain enabled later) the\n"
	  "summary rows can be made again. One transaction: all or nothing.",
	  0, 0, "", cmd_tlsrpt_reparse },
	{ "check", "DOMAIN [--json | --nagios] [--resolver ADDR[:PORT]] [--ca FILE] "
	  "[--connect-to HOST:PORT:ADDR:PORT]... [--timeout S]",
	  "Check any domain's MTA-STS as a sending server sees it; exit 0, 6 warnings, 7 errors.",
	  "Runs every check at once within --timeout S (default 30): the _mta-sts TXT record,\n"
	  "the policy fetched over HTTPS, the MX records against the policy's mx patterns, an\n"
	  "SMTP STARTTLS handshake with every MX host and address (EHLO, STARTTLS, the\n"
	  "certificate checked for the MX name and trust, QUIT; nothing else is sent), the\n"
	  "TLS-RPT record and its rua, and TLSA records (DANE). For a domain enabled in the\n"
	  "local store also: every secondary serves the published id, every httpsd endpoint\n"
	  "the current policy, no publish step waits. Prints one line per problem (level,\n"
	  "code, subject, what is wrong, the fix) and `ok CHECK` for each clean check.\n"
	  "--resolver asks that server (it may be an authoritative one that does no recursion;\n"
	  "CNAMEs are followed here), else the system's resolver. --ca FILE trusts those CAs\n"
	  "instead of the system's. --connect-to (curl's syntax, repeatable) sends connections\n"
	  "for HOST:PORT (mta-sts.DOMAIN:443, MXHOST:25) to ADDR:PORT instead; an empty HOST or\n"
	  "PORT matches any. --json: {\"domain\",\"status\":\"ok|warn|error\",\"problems\":\n"
	  "[{\"code\",\"level\",\"subject\",\"message\",\"fix\"}],\"checked\":[...]}.\n"
	  "--nagios prints one monitoring-plugin line (MTA-STS OK|WARNING|CRITICAL|UNKNOWN -\n"
	  "code: ...) and exits 0, 1, 2 or 3. Codes and levels: zonectl(8).",
	  1, 1, "resolver ca connect-to timeout nagios", cmd_check },
	{ "check-config", "", "Check the configuration file and print the effective configuration.",
	  "Reads -c FILE, else " CONFIG_DEFAULT_PATH " when it exists, else only the built-in\n"
	  "defaults. Prints every error as FILE:LINE (exit 1), or the effective configuration\n"
	  "followed by `configuration OK`.",
	  0, 0, "", cmd_check_config },
	{ 0 }
};
