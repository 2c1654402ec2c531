# ngx_blog: the nginx module, the jobrunner sidecar and the blogctl tool.
#
#   make          build build/ngx_http_blog_module.so, build/jobrunner, build/blogctl
#   make run      install missing packages, build, serve the demo site on 127.0.0.1:8080
#   make test     install missing packages, build, run the whole t/ suite with prove

BUILD     ?= build
NGINX_SRC ?= /usr/share/nginx/src
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN       = -Wall -Wextra -Werror
CPPFLAGS  += -Ingx_blog_module -D_GNU_SOURCE
PROVE     ?= prove

MODULE     = $(BUILD)/ngx_http_blog_module.so
MODULE_SRC = config $(wildcard ngx_blog_module/*.[ch])
SHARED     = ngx_blog_module/blog_schema.c ngx_blog_module/blog_path.c

# Pure C shared by blogctl and the module's admin panel: posts, revisions,
# tags, Markdown, passwords.  blogctl's unit tests link it too, and the
# admin panel's request-body and header parsers and diff, which blogctl
# does not use.
CONTENT    = ngx_blog_module/blog_markdown.c ngx_blog_module/blog_post.c \
             ngx_blog_module/blog_tags.c ngx_blog_module/blog_secret.c
PARSERS    = ngx_blog_module/blog_form.c ngx_blog_module/blog_multipart.c \
             ngx_blog_module/blog_header.c \
             ngx_blog_module/blog_diff.c

JR_SRCS    = $(wildcard jobrunner/*.c)
JR_LIB     = $(filter-out jobrunner/jr_main.c, $(JR_SRCS))
JR_LIBS    = -luv -linih -lsqlite3 -lm

# The queue, thumbnails, timers, cronhooks and mails: ttl.db's schema,
# webhook signatures and sign-in codes are shared with the module.  pkg-config runs in the recipes,
# so after "make deps" has installed libvips.
JR_SHARED  = ngx_blog_module/blog_ttl_schema.c ngx_blog_module/blog_webhook.c \
             ngx_blog_module/blog_code.c
JR_CFLAGS  = $(shell pkg-config --cflags vips)
JR_LIBS   += $(shell pkg-config --libs vips) -lcurl -lcrypto -ljansson

# The S3 client (backups, mirrors): libcurl, SigV4 with libcrypto, S3's
# XML answers with libxml2.
JR_CFLAGS += $(shell pkg-config --cflags libxml-2.0)
JR_LIBS   += $(shell pkg-config --libs libxml-2.0)

# Event intake and analytics: the event wire format is shared with the
# module; countries come from .mmdb (libmaxminddb) or legacy .dat (libGeoIP).
JR_SHARED += ngx_blog_module/blog_event.c
JR_LIBS   += -lmaxminddb -lGeoIP

# The realtime hub reads its requests with Debian's http-parser.
JR_LIBS   += -lhttp_parser

# Events of several nodes through NATS JetStream: libnats (the C client).
JR_LIBS   += -lnats -lpthread

CTL_SRCS   = $(wildcard blogctl/*.c)
CTL_LIB    = $(filter-out blogctl/blogctl.c, $(CTL_SRCS))
CTL_LIBS   = -lcmark -largon2 -lsqlite3

# C unit tests print TAP; t/unit/jr_*.c link the jobrunner's code, the
# others blogctl's.
UNIT_SRCS  = $(wildcard t/unit/*.c)
UNIT_BINS  = $(patsubst t/unit/%.c, $(BUILD)/t/%, $(UNIT_SRCS))

# Drivers the .t tests run (not tests themselves): t/tools/jr_*.c link
# the jobrunner's code.
TOOL_SRCS  = $(wildcard t/tools/jr_*.c)
TOOL_BINS  = $(patsubst t/tools/%.c, $(BUILD)/t/tools/%, $(TOOL_SRCS))

.PHONY: all deps deps-test run test test-asan test-valgrind fuzz-smoke unit \
        clean

all: $(MODULE) $(BUILD)/jobrunner $(BUILD)/blogctl

deps:
	@sh scripts/deps.sh

deps-test:
	@sh scripts/deps.sh test

# configure is slow (~6 s): rerun it only when config changes.
$(BUILD)/nginx/Makefile: config
	@mkdir -p $(BUILD)/nginx
	cd $(NGINX_SRC) && ./configure --with-compat --with-threads \
	    --with-cc-opt='$(NGINX_CC_OPT)' --with-ld-opt='$(NGINX_LD_OPT)' \
	    --add-dynamic-module=$(CURDIR) \
	    --builddir=$(CURDIR)/$(BUILD)/nginx > $(CURDIR)/$(BUILD)/configure.log

$(MODULE): $(BUILD)/nginx/Makefile $(MODULE_SRC)
	$(MAKE) -s -f $(CURDIR)/$(BUILD)/nginx/Makefile -C $(NGINX_SRC) modules
	@# a rename, not a copy over the file: a running nginx has it mapped
	cp $(BUILD)/nginx/ngx_http_blog_module.so $@.tmp && mv -f $@.tmp $@

$(BUILD)/jobrunner: $(JR_SRCS) $(SHARED) $(JR_SHARED) $(wildcard jobrunner/*.h ngx_blog_module/blog_*.h)
	@mkdir -p $(BUILD)
	$(CC) $(CPPFLAGS) $(JR_CFLAGS) $(CFLAGS) $(WARN) -o $@ $(JR_SRCS) $(SHARED) $(JR_SHARED) $(LDFLAGS) $(JR_LIBS)

$(BUILD)/blogctl: $(CTL_SRCS) $(SHARED) $(CONTENT) $(wildcard blogctl/*.h ngx_blog_module/blog_*.h)
	@mkdir -p $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $(CTL_SRCS) $(SHARED) $(CONTENT) $(LDFLAGS) $(CTL_LIBS)

$(BUILD)/t/jr_%: t/unit/jr_%.c t/unit/tap.h $(JR_LIB) $(SHARED) $(JR_SHARED)
	@mkdir -p $(BUILD)/t
	$(CC) $(CPPFLAGS) $(JR_CFLAGS) -Ijobrunner -It/unit $(CFLAGS) $(WARN) -o $@ $< $(JR_LIB) $(SHARED) $(JR_SHARED) $(LDFLAGS) $(JR_LIBS)

$(BUILD)/t/tools/jr_%: t/tools/jr_%.c $(JR_LIB) $(SHARED) $(JR_SHARED)
	@mkdir -p $(BUILD)/t/tools
	$(CC) $(CPPFLAGS) $(JR_CFLAGS) -Ijobrunner $(CFLAGS) $(WARN) -o $@ $< $(JR_LIB) $(SHARED) $(JR_SHARED) $(LDFLAGS) $(JR_LIBS)

$(BUILD)/t/%: t/unit/%.c t/unit/tap.h $(CTL_LIB) $(SHARED) $(CONTENT) $(PARSERS)
	@mkdir -p $(BUILD)/t
	$(CC) $(CPPFLAGS) -Iblogctl -It/unit $(CFLAGS) $(WARN) -o $@ $< $(CTL_LIB) $(SHARED) $(CONTENT) $(PARSERS) $(LDFLAGS) $(CTL_LIBS)

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
	$(MAKE) BUILD=build-asan NGINX_CC_OPT='$(SAN)' NGINX_LD_OPT='$(SAN)' \
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
	sh scripts/fuzz all 15

clean:
	rm -rf $(BUILD) build-asan
