/*
 * A daemon's SIGHUP: its configuration file read again. What may change while the daemon
 * runs is the daemon's to apply; every other option that changed is named in the log as one
 * that needs a restart. A file with errors changes nothing.
 */
#ifndef LS_RELOAD_H
#define LS_RELOAD_H

#include "shared/util/config.h"

/* Which options a daemon reads ("section" for all of a section), and which of those it can
 * take while running ("section.name"); lists end with NULL. */
struct reload_rules {
	const char *const *sections;
	const char *const *live;
};

/*
 * Loads the file old was read from (the default file when old had none) into *out, malloc'ed
 * (free with config_free() and free()). Problems are logged; returns 0, or -1 with the old
 * configuration to be kept. Logs each option of rules->sections that changed and is not
 * live: "SIGHUP: dnsd.listen changed; restart dnsd to apply it".
 */
int reload_config(const struct config *old, const struct reload_rules *rules,
                  struct config **out);

#endif
