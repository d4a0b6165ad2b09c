/* Re-reading the configuration on SIGHUP: the new one only when it loads whole. */
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/util/reload.h"

static bool listed(const char *const *list, const char *section, const char *name)
{
	size_t sl = strlen(section);
	for (; list && *list; list++) {
		if (strcmp(*list, section) == 0)
			return true;
		if (name && strncmp(*list, section, sl) == 0 && (*list)[sl] == '.' &&
		    strcmp(*list + sl + 1, name) == 0)
			return true;
	}
	return false;
}

int reload_config(const struct config *old, const struct reload_rules *rules,
                  struct config **out)
{
	struct diag d;
	struct config *cfg = calloc(1, sizeof(*cfg));
	*out = NULL;
	if (cfg == NULL) {
		log_error("SIGHUP: out of memory; the configuration in force stays");
		return -1;
	}
	diag_init(&d);
	int rc = config_load(cfg, old->path, &d);
	size_t errors = log_diag(&d, "SIGHUP: ");
	diag_free(&d);
	if (rc || errors) {
		log_error("SIGHUP: %s: %s; the configuration in force stays",
		          old->path ? old->path : CONFIG_DEFAULT_PATH, ls_strerror(rc ? rc : LS_ECONFIG));
		config_free(cfg);
		free(cfg);
		return -1;
	}
	for (size_t i = 0; i < config_option_count(); i++) {
		const struct config_option *o = config_option_get(i);
		if (o->alias_of == NULL && listed(rules->sections, o->section, NULL) &&
		    !listed(rules->live, o->section, o->name) &&
		    !config_option_same(old, cfg, o))
			log_warning("SIGHUP: %s.%s changed; restart %s to apply it", o->section, o->name,
			            log_component());
	}
	*out = cfg;
	return 0;
}
