# ngx_blog: the nginx module, the jobrunner sidecar and the blogctl tool.
#
#   make          build build/ngx_http_blog_module.so, build/jobrunner, build/blogctl
#   make run      install missing packages, build, serve the demo site on 127.0.0.1:8080
#   make test     install missing packages, build, run the whole t/ suite with prove

BUILD     ?= build
NGINX_SRC ?= /usr/share/nginx/src
CC        ?= cc
CXX       ?= c++
AR        ?= ar
CFLAGS    ?= -O2 -g
WARN       = -Wall -Wextra -Werror
CPPFLAGS  += -D_GNU_SOURCE
PROVE     ?= prove
JOBS      ?= $(shell nproc)

# Each part is a static library of object files, compiled once with -MMD
# (a header change rebuilds what includes it) and -fPIC (libblog.a goes
# into the nginx module's .so too):
#
#   lib/             libblog.a  plain C shared by all three programs
#   jobrunner/*/     libjr.a    the jobrunner's subsystems
#   blogctl/         libctl.a   blogctl but its main()
#
# The programs, the unit tests and the test tools link them.
OBJ        = $(BUILD)/obj

# lib/*.cc is C++ behind a C interface (blog_highlight.cc: GNU
# source-highlight's library), so the programs link libstdc++.
LIB_SRCS   = $(wildcard lib/*.c)
LIB_CXX    = $(wildcard lib/*.cc)
LIB_OBJS   = $(patsubst %.c, $(OBJ)/%.o, $(LIB_SRCS)) \
             $(patsubst %.cc, $(OBJ)/%.o, $(LIB_CXX))
LIB_LIBS   = -lsqlite3 -lcmark -largon2 -lcrypto -lsource-highlight -lstdc++ \
             -ljansson -lm

JR_SRCS    = $(wildcard jobrunner/*/*.c)
JR_OBJS    = $(patsubst %.c, $(OBJ)/%.o, $(JR_SRCS))
JR_MAIN    = $(OBJ)/jobrunner/jr_main.o
# pkg-config runs in the recipes (recursive variables), so after
# "make deps" has installed libvips and libxml2.  The S3 client's XML is
# libxml2's; events' countries are libmaxminddb's (.mmdb) or libGeoIP's
# (.dat); the realtime hub reads requests with Debian's http-parser; NATS
# is libnats.
JR_CFLAGS  = $(shell pkg-config --cflags vips libxml-2.0)
JR_LIBS    = -luv -linih -lm $(shell pkg-config --libs vips libxml-2.0) \
             -lcurl -ljansson -lmaxminddb -lGeoIP -lhttp_parser -lnats \
             -lpthread

# imports read WordPress's XML and HTML with libxml2, Hugo's YAML with
# libyaml
CTL_CFLAGS = $(shell pkg-config --cflags libxml-2.0)
CTL_LIBS   = -lyaml
CTL_SRCS   = $(filter-out blogctl/blogctl.c, $(wildcard blogctl/*.c))
CTL_OBJS   = $(patsubst %.c, $(OBJ)/%.o, $(CTL_SRCS))
CTL_MAIN   = $(OBJ)/blogctl/blogctl.o

MODULE     = $(BUILD)/ngx_http_blog_module.so

# analytics.db's views are packs (lib/blog_hitpack.h): the same SQL
# functions as a loadable SQLite extension, for the sqlite3 shell and
# Python ("sqlite3 -cmd '.load build/blog_sqlite' analytics.db").
# blog_hitpack.c is compiled a second time for it, against sqlite3ext.h,
# with only its entry point exported.
SQLITE_EXT = $(BUILD)/blog_sqlite.so
EXT_OBJS   = $(OBJ)/ext/lib/blog_hitpack.o
MODULE_SRC = config $(wildcard ngx_blog_module/*.[ch] ngx_blog_module/*/*.[ch])

# C unit tests print TAP; drivers the .t tests run (not tests themselves)
# are in t/tools.  Both may use any part.
UNIT_SRCS  = $(wildcard t/unit/*.c)
UNIT_BINS  = $(patsubst t/unit/%.c, $(BUILD)/t/%, $(UNIT_SRCS))
TOOL_SRCS  = $(wildcard t/tools/*.c)
TOOL_BINS  = $(patsubst t/tools/%.c, $(BUILD)/t/tools/%, $(TOOL_SRCS))
TEST_OBJS  = $(patsubst t/%.c, $(OBJ)/t/%.o, $(UNIT_SRCS) $(TOOL_SRCS))

$(OBJ)/lib/%.o:       INCS = -Ilib
$(OBJ)/jobrunner/%.o: INCS = -Ilib -Ijobrunner $(JR_CFLAGS)
$(OBJ)/blogctl/%.o:   INCS = -Ilib -Iblogctl $(CTL_CFLAGS)
$(OBJ)/t/%.o:         INCS = -Ilib -Ijobrunner -Iblogctl -It/unit $(JR_CFLAGS)

ALL_LIBS   = $(BUILD)/libctl.a $(BUILD)/libjr.a $(BUILD)/libblog.a
LINK_LIBS  = -Wl,--as-needed $(CTL_LIBS) $(JR_LIBS) $(LIB_LIBS)

.SECONDARY:

.PHONY: all deps deps-test run test test-asan test-valgrind fuzz-smoke unit \
        clean FORCE

all: $(MODULE) $(BUILD)/jobrunner $(BUILD)/blogctl $(SQLITE_EXT)

deps:
	@sh scripts/deps.sh

deps-test:
	@sh scripts/deps.sh test

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(INCS) $(CFLAGS) $(WARN) -fPIC -MMD -MP -c -o $@ $<

$(OBJ)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(INCS) $(CFLAGS) $(WARN) -fPIC -MMD -MP -c -o $@ $<

$(OBJ)/ext/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ilib -DBLOG_HITPACK_EXTENSION $(CFLAGS) $(WARN) -fPIC \
	    -fvisibility=hidden -MMD -MP -c -o $@ $<

$(SQLITE_EXT): $(EXT_OBJS)
	$(CC) $(CFLAGS) -shared -o $@ $^ $(LDFLAGS)

$(BUILD)/libblog.a: $(LIB_OBJS)
$(BUILD)/libjr.a: $(JR_OBJS)
$(BUILD)/libctl.a: $(CTL_OBJS)
$(ALL_LIBS):
	@rm -f $@
	$(AR) rcs $@ $^

# The module is configured as the nginx it loads into was (its --with-*
# modules: SSL, HTTP/2, realip, threads, compat...), or its own "#if
# (NGX_HTTP_SSL)" code is compiled out; scripts/nginx-flags reads them
# from "$(NGINX) -V".  configure is slow (~6 s): rerun it only when config
# changes, or those flags, or the module's list of files, which configure
# writes into nginx's Makefile.  Both lists are rewritten only when they
# change.
NGINX        ?= /usr/sbin/nginx
MODULE_FILES  = $(sort $(filter-out config, $(MODULE_SRC)))

$(BUILD)/module-files: FORCE
	@mkdir -p $(@D)
	@echo '$(MODULE_FILES)' | cmp -s - $@ || echo '$(MODULE_FILES)' > $@

$(BUILD)/nginx-flags: FORCE
	@mkdir -p $(@D)
	@sh scripts/nginx-flags '$(NGINX)' '$(NGINX_SRC)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(BUILD)/nginx/Makefile: config $(BUILD)/module-files $(BUILD)/nginx-flags
	@mkdir -p $(BUILD)/nginx
	cd $(NGINX_SRC) && BLOG_LIBBLOG=$(CURDIR)/$(BUILD)/libblog.a \
	    ./configure $$(cat $(CURDIR)/$(BUILD)/nginx-flags) \
	    --with-cc-opt='$(NGINX_CC_OPT)' --with-ld-opt='$(NGINX_LD_OPT)' \
	    --add-dynamic-module=$(CURDIR) \
	    --builddir=$(CURDIR)/$(BUILD)/nginx > $(CURDIR)/$(BUILD)/configure.log

# nginx's Makefile relinks the .so only when its own objects change, so
# it is removed first: a change in libblog.a relinks it too.
$(MODULE): $(BUILD)/nginx/Makefile $(MODULE_SRC) $(BUILD)/libblog.a
	@rm -f $(BUILD)/nginx/ngx_http_blog_module.so
	$(MAKE) -s -f $(CURDIR)/$(BUILD)/nginx/Makefile -C $(NGINX_SRC) modules
	@# a rename, not a copy over the file: a running nginx has it mapped
	cp $(BUILD)/nginx/ngx_http_blog_module.so $@.tmp && mv -f $@.tmp $@

$(BUILD)/jobrunner: $(JR_MAIN) $(BUILD)/libjr.a $(BUILD)/libblog.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LINK_LIBS)

$(BUILD)/blogctl: $(CTL_MAIN) $(BUILD)/libctl.a $(BUILD)/libblog.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LINK_LIBS)

$(BUILD)/t/%: $(OBJ)/t/unit/%.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LINK_LIBS)

$(BUILD)/t/tools/%: $(OBJ)/t/tools/%.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LINK_LIBS)

-include $(patsubst %.o, %.d, $(LIB_OBJS) $(JR_OBJS) $(JR_MAIN) $(CTL_OBJS) \
    $(CTL_MAIN) $(TEST_OBJS) $(EXT_OBJS))

unit: $(UNIT_BINS) $(TOOL_BINS)

run: deps all
	@sh scripts/run.sh

test: deps-test all unit node_modules/.package-lock.json
	$(PROVE) $(PROVE_FLAGS) t/*.t $(UNIT_BINS)

# playwright-core for t/52-browser.t, as package-lock.json pins it; it
# drives Debian's chromium and downloads no browser of its own.
node_modules/.package-lock.json: package.json package-lock.json
	@PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund

# The suite again with everything built with AddressSanitizer and UBSan.
# nginx itself is not rebuilt: it loads the sanitizer runtime with
# LD_PRELOAD (see t/lib/BlogTest.pm).  GCC's -O1 with sanitizers warns
# about format arguments it cannot follow, hence -Wno-format-overflow.
SAN       = -fsanitize=address,undefined -fno-omit-frame-pointer
ASAN_LOGS = $(CURDIR)/build-asan/reports

test-asan: deps-test node_modules/.package-lock.json
	$(MAKE) -j$(JOBS) BUILD=build-asan NGINX_CC_OPT='$(SAN)' NGINX_LD_OPT='$(SAN)' \
	    CFLAGS='-O1 -g $(SAN) -Wno-format-overflow' LDFLAGS='$(SAN)' all unit
	rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	BLOG_BUILD=$(CURDIR)/build-asan ASAN_LOG_DIR=$(ASAN_LOGS) \
	    BLOG_NGINX_PRELOAD=$$($(CC) -print-file-name=libasan.so) \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(PROVE) $(PROVE_FLAGS) t/*.t $(patsubst $(BUILD)/%, build-asan/%, $(UNIT_BINS))
	@if [ -n "$$(ls $(ASAN_LOGS))" ]; then \
	    cat $(ASAN_LOGS)/*; echo "test-asan: sanitizer reports above"; exit 1; fi

# The jobrunner's tests with the jobrunner under valgrind (memcheck): any
# invalid read or write, use of uninitialised memory or definite leak
# fails.  Each process writes its report to $(VALGRIND_LOGS), empty when
# clean (t/lib/BlogTest.pm); t/valgrind.supp holds the library noise.
# VALGRIND_TESTS is the whole set; CI runs a part of it (.ci/run).
VALGRIND_LOGS  = $(CURDIR)/$(BUILD)/valgrind
VALGRIND_TESTS = t/30-*.t t/40-*.t t/42-*.t t/43-*.t t/45-*.t t/46-*.t
VALGRIND_UNITS = $(filter $(BUILD)/t/jr_%, $(UNIT_BINS))
VALGRIND       = valgrind --quiet --num-callers=30 --leak-check=full \
                 --show-leak-kinds=definite --errors-for-leak-kinds=definite \
                 --error-exitcode=99 --suppressions=$(CURDIR)/t/valgrind.supp

test-valgrind: deps-test all unit
	rm -rf $(VALGRIND_LOGS) && mkdir -p $(VALGRIND_LOGS)
	VALGRIND_LOG_DIR=$(VALGRIND_LOGS) $(PROVE) $(PROVE_FLAGS) $(VALGRIND_TESTS)
	$(PROVE) $(PROVE_FLAGS) \
	    --exec '$(VALGRIND) --log-file=$(VALGRIND_LOGS)/unit.%p' \
	    $(VALGRIND_UNITS)
	@if [ -n "$$(find $(VALGRIND_LOGS) -type f -size +0)" ]; then \
	    cat $$(find $(VALGRIND_LOGS) -type f -size +0); \
	    echo "test-valgrind: valgrind reports above"; exit 1; fi

# A short run of every fuzz target (scripts/fuzz runs one for longer).
fuzz-smoke: deps-test
	sh scripts/fuzz all 10

clean:
	rm -rf $(BUILD) build-asan

# Debian packages (docs/debian.md): dpkg-buildpackage in a copy of the
# tracked files (as they are in the work tree; untracked ones are left
# out) under $(DEB_DIR)/src, then lintian, which fails it on an error.
# The .debs, the .changes and lintian's report (lintian.txt) are left in
# $(DEB_DIR); nothing is rebuilt while no tracked file changed.
DEB_DIR   = $(BUILD)/deb
DEB_FILES := $(wildcard $(shell git ls-files 2>/dev/null))

.PHONY: deb

deb: $(DEB_DIR)/.built

$(DEB_DIR)/.built: $(DEB_FILES)
	@test -n "$(firstword $(DEB_FILES))" || { echo "deb: needs a git work tree" >&2; exit 1; }
	@sh scripts/deps.sh deb
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	@echo "tar: $(words $(DEB_FILES)) tracked files to $(DEB_DIR)/src"
	@tar -cf - --no-recursion $(DEB_FILES) | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b -Jauto
	lintian --fail-on error $(DEB_DIR)/*.changes > $(DEB_DIR)/lintian.txt; \
	    status=$$?; cat $(DEB_DIR)/lintian.txt; exit $$status
	touch $@
