/* Finds a built-in static file by its request path. */
#include <string.h>
#include "httpsd/api/api_assets.h"

const struct api_asset *api_asset_find(const char *path)
{
	if (path == NULL)
		return NULL;
	/* A handful of rows: a linear scan is cheaper than anything cleverer. */
	for (const struct api_asset_entry *e = api_assets_table; e->path != NULL; e++)
		if (strcmp(e->path, path) == 0)
			return &e->asset;
	return NULL;
}
