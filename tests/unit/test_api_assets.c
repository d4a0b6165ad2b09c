/* Unit tests for httpsd/api/api_assets.c: every built-in file is found at its path with its
 * type and exactly the bytes of its source file; the page names only files that exist. */
#include "tests/unit/unit.h"
#include "httpsd/api/api_assets.h"

/* The source files, read from the top of the tree (where `make unit` runs). */
static char *slurp(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	assert_non_null(f);
	do {
		cap += 65536;
		buf = realloc(buf, cap);
		assert_non_null(buf);
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*len = n;
	return buf;
}

static void check(const char *path, const char *file, const char *type)
{
	size_t len;
	char *want = slurp(file, &len);
	const struct api_asset *a = api_asset_find(path);
	assert_non_null(a);
	assert_string_equal(a->content_type, type);
	assert_int_equal(a->len, len);
	assert_memory_equal(a->data, want, len);
	assert_int_equal(a->data[a->len], 0);
	free(want);
}

static void test_each_file(void **state)
{
	check("/ui/", "httpsd/api/ui/index.html", "text/html; charset=utf-8");
	check("/ui/index.html", "httpsd/api/ui/index.html", "text/html; charset=utf-8");
	check("/ui/app.js", "httpsd/api/ui/app.js", "text/javascript; charset=utf-8");
	check("/ui/app.css", "httpsd/api/ui/app.css", "text/css; charset=utf-8");
	check("/ui/icon.svg", "httpsd/api/ui/icon.svg", "image/svg+xml");
	check("/api/openapi.json", "docs/openapi.json", "application/json");
	/* One copy of the bytes for both names of the page. */
	assert_ptr_equal(api_asset_find("/ui/")->data, api_asset_find("/ui/index.html")->data);
}

static void test_unknown(void **state)
{
	assert_null(api_asset_find(NULL));
	assert_null(api_asset_find(""));
	assert_null(api_asset_find("/"));
	assert_null(api_asset_find("/ui"));
	assert_null(api_asset_find("/ui/app.js?v=1"));
	assert_null(api_asset_find("/ui/../docs/openapi.json"));
	assert_null(api_asset_find("/UI/"));
	assert_null(api_asset_find("/api/openapi.json/"));
	assert_null(api_asset_find("/ui/app.jsx"));
}

/* Every src="x" and href="x" in the page is a built-in file under /ui/ (no CDN, nothing
 * missing), and the page carries no inline script or style. */
static void test_page_refs(void **state)
{
	const struct api_asset *page = api_asset_find("/ui/");
	const char *text = (const char *)page->data;
	static const char *const attrs[] = { " src=\"", " href=\"" };
	int found = 0;
	assert_non_null(page);
	for (size_t i = 0; i < 2; i++) {
		for (const char *p = strstr(text, attrs[i]); p != NULL; p = strstr(p + 1, attrs[i])) {
			const char *v = p + strlen(attrs[i]);
			const char *end = strchr(v, '"');
			char path[128];
			assert_non_null(end);
			assert_true((size_t)(end - v) + 5 < sizeof(path));
			snprintf(path, sizeof(path), "/ui/%.*s", (int)(end - v), v);
			assert_non_null(api_asset_find(path));
			found++;
		}
	}
	assert_true(found >= 3);
	assert_null(strstr(text, "<style"));
	assert_null(strstr(text, " style="));
	assert_null(strstr(text, " onclick="));
	assert_null(strstr(text, " onload="));
	assert_non_null(strstr(text, "<script src=\"app.js\""));
	assert_null(strstr(text, "<script>"));
	assert_non_null(strstr(text, "content=\"default-src 'self'\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_file),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_page_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
