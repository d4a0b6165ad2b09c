# httpsd/api/: the API process. Its static files (the page in ui/, docs/openapi.json) are
# compiled into libhttpsd.a as a generated table; one row per request path.
API_ASSETS := /ui/=httpsd/api/ui/index.html \
              /ui/index.html=httpsd/api/ui/index.html \
              /ui/app.js=httpsd/api/ui/app.js \
              /ui/app.css=httpsd/api/ui/app.css \
              /ui/icon.svg=httpsd/api/ui/icon.svg \
              /api/openapi.json=docs/openapi.json
API_ASSETS_C    := $(BUILD)/gen/httpsd/api/api_assets_data.c
API_ASSETS_OBJS := $(OBJ)/httpsd/api/api_assets.o $(OBJ)/gen/httpsd/api/api_assets_data.o

$(API_ASSETS_C): httpsd/api/api_assets_gen.py httpsd/api/module.mk \
                 $(sort $(foreach a,$(API_ASSETS),$(word 2,$(subst =, ,$(a)))))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(PYTHON) httpsd/api/api_assets_gen.py $@ $(API_ASSETS)

$(OBJ)/gen/httpsd/api/api_assets_data.o: $(API_ASSETS_C)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(LS_CPPFLAGS) $(CPPFLAGS) $(LS_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBHTTPSD): $(API_ASSETS_OBJS)

# tests/system/test_ui.py drives the page in headless Chromium through Selenium.
DEB_PACKAGES += chromium chromium-driver python3-selenium

# The API process itself (every other .c here) goes into libhttpsd.a beside the assets.
API_SRCS := $(filter-out httpsd/api/api_assets.c,$(wildcard httpsd/api/*.c))
API_OBJS := $(API_SRCS:%.c=$(OBJ)/%.o)
$(LIBHTTPSD): $(API_OBJS)

# test_api_pdns_compare.py runs Debian's PowerDNS next to the API; test_api_lego.py gets a
# certificate with lego's pdns provider from Pebble.
DEB_PACKAGES += pdns-server pdns-backend-sqlite3 lego pebble

# `make fuzz` builds every target from the sources: the API's (and its generated assets) too.
HTTPSD_SRCS += $(API_SRCS) httpsd/api/api_assets.c $(API_ASSETS_C)
