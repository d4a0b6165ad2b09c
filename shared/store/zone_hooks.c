/* The commit hooks every zone edit runs, in order: the one place a derivation is plugged in. */
#include <stddef.h>
#include "shared/sts/sts_derive.h"
#include "shared/store/update_policy.h"
#include "shared/store/zone_hook.h"
#include "shared/watch/watch_mx.h"

const struct zone_hook zone_hooks[] = {
	{ "mta-sts", sts_derive_commit, sts_derive_zone_deleted },
	{ "update-policy", NULL, update_policy_zone_deleted },
	{ "watch-mx", watch_mx_commit, NULL },
	{ NULL, NULL, NULL },
};
