/* The API listener's static files (the page under /ui/ and /api/openapi.json), built into the
 * program from httpsd/api/ui/ and docs/openapi.json by api_assets_gen.py at build time. */
#ifndef HTTPSD_API_ASSETS_H
#define HTTPSD_API_ASSETS_H

#include <stddef.h>
#include <stdint.h>

/* The page's policy; the server sends it with every asset. index.html repeats default-src
 * 'self' in a meta element so the page stays confined even behind a proxy that drops it. */
#define API_ASSETS_CSP "default-src 'self'; base-uri 'none'; form-action 'self'; " \
	"frame-ancestors 'none'"

struct api_asset {
	const char *content_type;
	const uint8_t *data;	/* followed by a NUL byte that len does not count */
	size_t len;
};

/* One row of the generated table; the table ends with a NULL path. */
struct api_asset_entry {
	const char *path;
	struct api_asset asset;
};

extern const struct api_asset_entry api_assets_table[];

/* The asset served at path (the request target without its query string): "/ui/",
 * "/ui/index.html", "/ui/app.js", "/ui/app.css", "/api/openapi.json"; NULL when unknown.
 * Static storage, never freed. */
const struct api_asset *api_asset_find(const char *path);

#endif
