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
	{ "zone import", "FILE [--origin DOMAIN] [--serial-policy POLICY]",
	  "Load a master file: create the zone, or replace its whole content.",
	  "Reads an RFC 1035 master file ($ORIGIN, $TTL, $INCLUDE below the file's directory,\n"
	  "relative names, @, RFC 3597 unknown types). The zone is --origin, else the owner of\n"
	  "the SOA. Every error is printed as FILE:LINE and nothing changes. Replacing an\n"
	  "existing zone shows the difference and gives it a new serial; an identical file\n"
	  "changes nothing.",
	  1, 1, "origin serial-policy", cmd_zone_import },
	{ "zone export", "DOMAIN [-o FILE]",
	  "Write the zone as a master file (standard output by default).",
	  "SOA first, then every record in DNS canonical order with absolute names. The file\n"
	  "imports back to the same zone and loads in NSD, Knot and ldns-read-zone. -o writes\n"
	  "through a temporary file that is renamed into place.",
	  1, 1, "output", cmd_zone_export },
	{ "zone del", "DOMAIN", "Delete a zone with all its records and its journal.",
	  "The zone stops being served on the next query. Its history stays.",
	  1, 1, "", cmd_zone_del },
	{ "zone edit", "DOMAIN", "Edit the zone as text in $EDITOR and apply the difference.",
	  "Opens the exported zone in $VISUAL or $EDITOR (default vi). On save, the new text\n"
	  "replaces the zone in one commit and the difference is shown. When the text is\n"
	  "invalid, or the zone changed while you edited, nothing changes: the errors are shown\n"
	  "and your text is kept in a file whose name is printed (on a terminal you may edit again).",
	  1, 1, "", cmd_zone_edit },
	{ "zone history", "DOMAIN", "Show the zone's commits: when, serials, counts and command.",
	  "One line per commit, oldest first.",
	  1, 1, "", cmd_zone_history },
	{ "zone secondaries", "DOMAIN list | add ADDR[:PORT] [--key NAME] | del ADDR",
	  "List, add or delete the secondaries allowed to transfer the zone.",
	  "Zone transfers (AXFR, IXFR) are refused unless the client's address is one of the\n"
	  "zone's secondaries. dnsd sends NOTIFY to ADDR:PORT (default port 53) after every\n"
	  "change of the zone. With --key, the secondary must sign its requests with that TSIG\n"
	  "key (made with `zonectl tsig add`; unknown keys are refused, exit 3), and dnsd signs\n"
	  "its NOTIFY messages with it. Adding an address again replaces its entry.\n"
	  "Addresses: 192.0.2.1, 192.0.2.1:5300, 2001:db8::1, [2001:db8::1]:5300.",
	  2, 3, "key", cmd_zone_secondaries },
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
	{ "tsig del", "NAME", "Delete a TSIG key that no secondary uses.",
	  "Refused (exit 4, nothing changes) while a zone's secondary names the key: delete\n"
	  "or re-add those secondaries first. Exit 3 when there is no such key.",
	  1, 1, "", cmd_tsig_del },
	{ "rr list", "DOMAIN [NAME [TYPE]]", "List the zone's records, or those at NAME (of TYPE).",
	  "NAME is relative to DOMAIN unless it ends with a dot; @ is the apex. Exit 3 when a\n"
	  "NAME was given and nothing is there.",
	  1, 3, "", cmd_rr_list },
	{ "rr add", "DOMAIN 'RR'", "Add one record given in master-file format.",
	  "Example: zonectl rr add example.com 'mail 300 IN MX 10 mx1.example.com.'\n"
	  "The owner is relative to DOMAIN. Without a TTL the record takes its RRset's TTL, or\n"
	  "zones.default-ttl for a new RRset. Shows the difference and the new serial.",
	  2, 2, "", cmd_rr_add },
	{ "rr del", "DOMAIN NAME [TYPE [RDATA]]",
	  "Delete every record at NAME, one RRset, or one record.",
	  "Example: zonectl rr del example.com www A 192.0.2.1\n"
	  "Deleting something that is not there is an error (exit 1) and changes nothing.",
	  2, -1, "", cmd_rr_del },
	{ "rr set", "DOMAIN NAME TYPE TTL RDATA...", "Replace an RRset with the records given.",
	  "Each RDATA argument is one record: zonectl rr set example.com @ MX 300 '10 mx1' '20 mx2'",
	  5, -1, "", cmd_rr_set },
	{ "batch", "DOMAIN", "Apply many changes from standard input in one atomic commit.",
	  "One change per line, all or nothing:\n"
	  "  add RR                    a record in master-file format\n"
	  "  del NAME [TYPE [RDATA]]   a name, an RRset or one record\n"
	  "  set NAME TYPE TTL RDATA   replace the RRset (further set lines for it add to it)\n"
	  "Blank lines and lines starting with # or ; are skipped. Errors name <stdin>:LINE.",
	  1, 1, "", cmd_batch },
	{ "stats", "", "Show dnsd's query counters (by transport, type and rcode).",
	  "dnsd writes its counters to STATE/dnsd.stats every second while it runs; this prints\n"
	  "them with the time they were written (exit 3 when there are none). With --json:\n"
	  "{\"written\":UNIXTIME,\"queries.udp\":N,...}.",
	  0, 0, "", cmd_stats },
	{ "check-config", "", "Check the configuration file and print the effective configuration.",
	  "Reads -c FILE, else " CONFIG_DEFAULT_PATH " when it exists, else only the built-in\n"
	  "defaults. Prints every error as FILE:LINE (exit 1), or the effective configuration\n"
	  "followed by `configuration OK`.",
	  0, 0, "", cmd_check_config },
	{ 0 }
};
