/*
 * Unit tests of the jobrunner's configuration parser.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "core/jr_config.h"
#include "core/jr_log.h"


#define FILE_NAME  "/etc/blog/jobrunner.conf"


static jr_config_t  cf;
static char         err[JR_CONFIG_ERRLEN];


static int
parse_as(const char *file, const char *text)
{
    err[0] = '\0';
    return jr_config_parse(&cf, file, text, strlen(text), err, sizeof(err));
}


static int
parse(const char *text)
{
    return parse_as(FILE_NAME, text);
}


/* Parses text, which must fail, and checks the whole message. */
static void
fails(const char *text, const char *message, const char *name)
{
    int  rc;

    rc = parse(text);

    is_int(rc, -1, "%s: refused", name);
    is_str(err, message, "%s: message", name);
    ok(cf.data_db == NULL && cf.log == NULL && cf.pid == NULL,
       "%s: nothing left allocated", name);
}


static void
test_good(void)
{
    int  rc;

    rc = parse("; the jobrunner\n"
               "# another comment style\n"
               "\n"
               "[jobrunner]\n"
               "data_db = /var/lib/blog/data.db\n"
               "log = log/jobrunner.log\n"
               "log_level = debug\n"
               "pid = /run/jobrunner.pid\n"
               "threadpool_size = 16\n");

    is_int(rc, 0, "good config: parsed");
    is_str(err, "", "good config: no message");
    is_str(cf.data_db, "/var/lib/blog/data.db", "good config: data_db");
    is_str(cf.log, "/etc/blog/log/jobrunner.log",
           "good config: log relative to the config file");
    is_int(cf.log_level, JR_LOG_DEBUG, "good config: log_level");
    is_str(cf.pid, "/run/jobrunner.pid", "good config: pid");
    is_int(cf.threadpool_size, 16, "good config: threadpool_size");

    jr_config_free(&cf);
    ok(cf.data_db == NULL && cf.log == NULL && cf.pid == NULL,
       "jr_config_free clears the struct");
}


static void
test_defaults(void)
{
    int  rc;

    rc = parse("[jobrunner]\ndata_db = data.db\n");

    is_int(rc, 0, "defaults: parsed");
    is_str(cf.data_db, "/etc/blog/data.db", "defaults: data_db resolved");
    ok(cf.log == NULL, "defaults: log is stderr");
    ok(cf.pid == NULL, "defaults: no pid file");
    is_int(cf.log_level, JR_LOG_INFO, "defaults: log_level info");
    is_int(cf.threadpool_size, 4, "defaults: threadpool_size 4");
    jr_config_free(&cf);

    rc = parse("[jobrunner]\ndata_db = data.db\nlog = -\n");

    is_int(rc, 0, "log = -: parsed");
    ok(cf.log == NULL, "log = -: stderr");
    jr_config_free(&cf);
}


static void
test_paths(void)
{
    static const struct {
        const char  *file;
        const char  *value;
        const char  *want;
    } tests[] = {
        { "/etc/blog/jobrunner.conf", "data.db", "/etc/blog/data.db" },
        { "/etc/blog/jobrunner.conf", "../db/data.db",
          "/etc/blog/../db/data.db" },
        { "/etc/blog/jobrunner.conf", "/srv/data.db", "/srv/data.db" },
        { "conf/jobrunner.conf", "data.db", "conf/data.db" },
        { "jobrunner.conf", "data.db", "data.db" },
        { "/jobrunner.conf", "data.db", "/data.db" },
        { "a/b/c.conf", "d/e.db", "a/b/d/e.db" },
    };

    int     rc;
    char    text[256];
    size_t  i;

    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        snprintf(text, sizeof(text), "[jobrunner]\ndata_db = %s\n"
                 "pid = %s\n", tests[i].value, tests[i].value);

        rc = parse_as(tests[i].file, text);

        is_int(rc, 0, "path %s in %s: parsed", tests[i].value, tests[i].file);
        is_str(cf.data_db, tests[i].want, "path %s in %s: data_db",
               tests[i].value, tests[i].file);
        is_str(cf.pid, tests[i].want, "path %s in %s: pid",
               tests[i].value, tests[i].file);
        jr_config_free(&cf);
    }
}


static void
test_syntax(void)
{
    int  rc;

    /* indented keys are keys, not continuations of the value above */
    rc = parse("[jobrunner]\n"
               "    data_db = data.db\n"
               "\tlog_level = warn\n"
               "  [jobrunner]\n"
               "pid = x.pid   ; inline comment\n");

    is_int(rc, 0, "indentation: parsed");
    is_str(cf.data_db, "/etc/blog/data.db", "indentation: data_db alone");
    is_int(cf.log_level, JR_LOG_WARN, "indentation: indented key read");
    is_str(cf.pid, "/etc/blog/x.pid", "inline comment stripped");
    jr_config_free(&cf);

    rc = parse("\xEF\xBB\xBF[jobrunner]\r\ndata_db = data.db\r\n"
               "threadpool_size = 2");

    is_int(rc, 0, "BOM, CRLF, no final newline: parsed");
    is_str(cf.data_db, "/etc/blog/data.db", "CRLF: value has no CR");
    is_int(cf.threadpool_size, 2, "no final newline: last line read");
    jr_config_free(&cf);

    rc = parse("[jobrunner]\ndata_db: data.db\n");

    is_int(rc, 0, "name: value also accepted");
    jr_config_free(&cf);
}


static void
test_errors(void)
{
    char               text[512];
    static const char  nul[] = "[jobrunner]\ndata_db = a\0b\n";

    fails("[jobrunner]\ndata_db = d.db\nbogus = 1\n",
          FILE_NAME ":3: unknown key \"bogus\" in [jobrunner]",
          "unknown key");

    fails("[jobrunner]\ndata_db = d.db\n\n[jobrunerr]\nlog = x\n",
          FILE_NAME ":4: unknown section \"[jobrunerr]\"",
          "unknown section");

    fails("[jobrunner]\ndata_db = d.db\n[other]\n",
          FILE_NAME ":3: unknown section \"[other]\"",
          "unknown empty section");

    fails("[jobrunner]\ndata_db = d.db\n; c\nlog = a\ndata_db = e.db\n",
          FILE_NAME ":5: duplicate key \"data_db\" (first set on line 2)",
          "duplicate key");

    fails("[jobrunner]\ndata_db = d.db\nthreadpool_size = 0\n",
          FILE_NAME ":3: invalid threadpool_size \"0\" (expected 1..128)",
          "threadpool_size 0");

    fails("[jobrunner]\ndata_db = d.db\nthreadpool_size = 129\n",
          FILE_NAME ":3: invalid threadpool_size \"129\" (expected 1..128)",
          "threadpool_size 129");

    fails("[jobrunner]\ndata_db = d.db\nthreadpool_size = four\n",
          FILE_NAME ":3: invalid threadpool_size \"four\" (expected 1..128)",
          "threadpool_size not a number");

    fails("[jobrunner]\nthreadpool_size = -4\ndata_db = d.db\n",
          FILE_NAME ":2: invalid threadpool_size \"-4\" (expected 1..128)",
          "threadpool_size negative");

    fails("[jobrunner]\nthreadpool_size = 8x\ndata_db = d.db\n",
          FILE_NAME ":2: invalid threadpool_size \"8x\" (expected 1..128)",
          "threadpool_size trailing junk");

    fails("[jobrunner]\nthreadpool_size = 4294967300\ndata_db = d.db\n",
          FILE_NAME ":2: invalid threadpool_size \"4294967300\" "
          "(expected 1..128)",
          "threadpool_size that wraps around");

    fails("[jobrunner]\ndata_db = d.db\nlog_level = verbose\n",
          FILE_NAME ":3: invalid log_level \"verbose\" (expected error, "
          "warn, notice, info or debug)",
          "bad log_level");

    fails("[jobrunner]\ndata_db = d.db\npid =\n",
          FILE_NAME ":3: empty value for \"pid\"",
          "empty value");

    fails("[jobrunner]\nlog = x.log\n",
          FILE_NAME ": missing required key \"data_db\" in [jobrunner]",
          "missing data_db");

    fails("",
          FILE_NAME ": missing required key \"data_db\" in [jobrunner]",
          "empty file");

    fails("data_db = d.db\n[jobrunner]\n",
          FILE_NAME ":1: key \"data_db\" before any section; keys belong "
          "in [jobrunner]",
          "key before any section");

    fails("[jobrunner]\ndata_db = d.db\nlog_level warn\n",
          FILE_NAME ":3: syntax error (expected \"[section]\", "
          "\"key = value\" or a comment)",
          "line without =");

    fails("[jobrunner\ndata_db = d.db\n",
          FILE_NAME ":1: syntax error (expected \"[section]\", "
          "\"key = value\" or a comment)",
          "section without ]");

    /* inih keeps going after a syntax error: the earlier line is named */
    fails("[jobrunner]\ndata_db = d.db\noops\nbogus = 1\n",
          FILE_NAME ":3: syntax error (expected \"[section]\", "
          "\"key = value\" or a comment)",
          "syntax error before an unknown key");

    fails("[jobrunner]\ndata_db = d.db\nbogus = 1\noops\n",
          FILE_NAME ":3: unknown key \"bogus\" in [jobrunner]",
          "unknown key before a syntax error");

    snprintf(text, sizeof(text), "[jobrunner]\ndata_db = d.db\n"
             "pid = %0193d\n", 0);
    fails(text, FILE_NAME ":3: line longer than 198 characters",
          "199 characters: line too long");

    /* 198 characters is still fine */
    snprintf(text, sizeof(text), "[jobrunner]\ndata_db = %0188d\n", 0);
    is_int(parse(text), 0, "longest line accepted");
    jr_config_free(&cf);

    is_int(jr_config_parse(&cf, FILE_NAME, nul, sizeof(nul) - 1, err,
                           sizeof(err)), -1, "NUL byte: refused");
    is_str(err, FILE_NAME ":2: NUL byte in line", "NUL byte: message");
}


static void
test_load(void)
{
    int    rc;
    FILE  *f;
    char   dir[] = "/tmp/jr_config.XXXXXX";
    char   file[64], want[64];

    rc = jr_config_load(&cf, "/nonexistent/jobrunner.conf", err, sizeof(err));

    is_int(rc, -1, "load: missing file refused");
    is_str(err, "/nonexistent/jobrunner.conf: cannot open: "
           "No such file or directory", "load: missing file message");

    if (mkdtemp(dir) == NULL) {
        ok(0, "load: mkdtemp");
        return;
    }

    snprintf(file, sizeof(file), "%s/j.conf", dir);
    snprintf(want, sizeof(want), "%s/data.db", dir);

    f = fopen(file, "w");
    ok(f != NULL, "load: config written");
    if (f == NULL) {
        rmdir(dir);
        return;
    }

    fputs("[jobrunner]\ndata_db = data.db\nthreadpool_size = 3\n", f);
    fclose(f);

    rc = jr_config_load(&cf, file, err, sizeof(err));

    is_int(rc, 0, "load: parsed");
    is_str(cf.data_db, want, "load: data_db next to the file");
    is_int(cf.threadpool_size, 3, "load: threadpool_size");
    jr_config_free(&cf);

    rc = jr_config_load(&cf, dir, err, sizeof(err));

    is_int(rc, -1, "load: directory refused");
    ok(strstr(err, ": cannot read: Is a directory") != NULL,
       "load: directory message (%s)", err);

    unlink(file);
    rmdir(dir);
}


static void
test_log_levels(void)
{
    is_int(jr_log_level_parse("error"), JR_LOG_ERROR, "log level error");
    is_int(jr_log_level_parse("warn"), JR_LOG_WARN, "log level warn");
    is_int(jr_log_level_parse("info"), JR_LOG_INFO, "log level info");
    is_int(jr_log_level_parse("debug"), JR_LOG_DEBUG, "log level debug");
    is_int(jr_log_level_parse("INFO"), -1, "log levels are lower case");
    is_int(jr_log_level_parse(""), -1, "empty log level");
}


static void
test_nats(void)
{
    int   rc;
    char  host[256];

    rc = parse("[jobrunner]\ndata_db = data.db\nspool_dir = spool\n"
               "[nats]\nurl = nats://127.0.0.1:4222\nrole = both\n"
               "creds = nats.creds\n");
    is_int(rc, 0, "[nats]: parses");
    is_int(cf.nats.line, 4, "[nats]: its line");
    is_int(cf.nats.role, JR_NATS_PUBLISH | JR_NATS_CONSUME, "[nats]: both");
    is_str(cf.nats.creds, "/etc/blog/nats.creds",
           "[nats]: creds relative to the file");
    is_str(cf.nats.stream, "BLOG_EVENTS", "[nats]: default stream");
    is_str(cf.nats.subject, "blog.events", "[nats]: default subject prefix");
    is_str(cf.nats.durable, "analytics", "[nats]: default durable");
    is_int(cf.nats.max_age, 7 * 86400, "[nats]: default max_age 7d");
    is_int(cf.nats.ack_wait, 30, "[nats]: default ack_wait 30s");

    /* the node is the host name up to its first dot */
    if (gethostname(host, sizeof(host)) == 0) {
        host[strcspn(host, ".")] = '\0';
        is_str(cf.nats.node, host, "[nats]: default node, the host name");
    }

    jr_config_free(&cf);

    rc = parse("[jobrunner]\ndata_db = data.db\n");
    ok(rc == 0 && cf.nats.line == 0 && cf.nats.url == NULL,
       "no [nats]: nothing of it");
    jr_config_free(&cf);

    fails("[jobrunner]\ndata_db = data.db\n[nats]\nurl = nats://h:1\n"
          "role = publisher\n",
          FILE_NAME ":5: a publisher keeps the events NATS has not taken "
          "yet in spool_dir: set it in [jobrunner]", "[nats]: no spool_dir");
}


/*
 * The sections, key by key: what each key takes, its default, and the
 * message for a bad value.  The messages are the users' documentation of
 * a mistake, so they are compared whole.
 */

#define BASE    "[jobrunner]\ndata_db = data.db\n"
#define S3      "[s3]\nendpoint = http://127.0.0.1:9000\nbucket = b-1\n" \
                "access_key_id = AKID\nsecret_access_key = hunter2-s3\n"
#define SECRET  "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


static const jr_timer_conf_t *
timer(const char *name)
{
    size_t  i;

    for (i = 0; i < cf.jobs.ntimers; i++) {
        if (strcmp(cf.jobs.timers[i].name, name) == 0) {
            return &cf.jobs.timers[i];
        }
    }

    return NULL;
}


static int
has_timer(const char *name, const char *spec, const char *task)
{
    const jr_timer_conf_t  *t;

    t = timer(name);

    return t != NULL && strcmp(t->spec, spec) == 0
           && strcmp(t->task, task) == 0;
}


static void
test_jobs(void)
{
    int  rc;

    rc = parse(BASE "ttl_db = ttl.db\nmedia_root = /srv/media\n"
               "thumb_dir = th\nthumb_widths = 1280, 320 640\n"
               "thumb_formats = webp\nthumb_max_pixels = 400M\n"
               "thumb_memory_mb = 64\nqueue_max_attempts = 3\n"
               "queue_backoff = 1m\nqueue_lease = 2h\n"
               "queue_keep_done = 1d\n");

    is_int(rc, 0, "jobs keys: parsed");
    is_str(cf.jobs.ttl_db, "/etc/blog/ttl.db", "ttl_db resolved");
    is_str(cf.jobs.media_root, "/srv/media", "media_root");
    is_str(cf.jobs.thumb_dir, "th", "thumb_dir");
    ok(cf.jobs.thumb_nwidths == 3 && cf.jobs.thumb_widths[0] == 320
       && cf.jobs.thumb_widths[1] == 640 && cf.jobs.thumb_widths[2] == 1280,
       "thumb_widths sorted");
    is_int(cf.jobs.thumb_formats, JR_THUMB_WEBP, "thumb_formats");
    is_int(cf.jobs.thumb_max_pixels, 400000000, "thumb_max_pixels in M");
    is_int(cf.jobs.thumb_memory_mb, 64, "thumb_memory_mb");
    is_int(cf.jobs.queue_max_attempts, 3, "queue_max_attempts");
    is_int(cf.jobs.queue_backoff, 60, "queue_backoff");
    is_int(cf.jobs.queue_lease, 7200, "queue_lease");
    is_int(cf.jobs.queue_keep_done, 86400, "queue_keep_done");
    jr_config_free(&cf);

    rc = parse(BASE);

    is_int(rc, 0, "jobs defaults: parsed");
    ok(cf.jobs.ttl_db == NULL && cf.jobs.media_root == NULL,
       "no ttl_db, no media_root");
    is_str(cf.jobs.thumb_dir, "thumbs", "default thumb_dir");
    ok(cf.jobs.thumb_nwidths == 3 && cf.jobs.thumb_widths[0] == 320
       && cf.jobs.thumb_widths[2] == 1280, "default thumb_widths");
    is_int(cf.jobs.thumb_formats, JR_THUMB_ORIGINAL | JR_THUMB_WEBP,
           "default thumb_formats");
    is_int(cf.jobs.thumb_max_pixels, 500000000, "default thumb_max_pixels");
    is_int(cf.jobs.thumb_memory_mb, 256, "default thumb_memory_mb");
    is_int(cf.jobs.queue_max_attempts, 5, "default queue_max_attempts");
    is_int(cf.jobs.queue_backoff, 10, "default queue_backoff");
    is_int(cf.jobs.queue_lease, 60, "default queue_lease");
    is_int(cf.jobs.queue_keep_done, 7 * 86400, "default queue_keep_done");
    jr_config_free(&cf);

    fails(BASE "thumb_widths = 8\n",
          FILE_NAME ":3: invalid thumb_widths \"8\" (expected 1 to 8 widths, "
          "each 16..16384)", "thumb_widths too small");
    fails(BASE "thumb_widths = ,\n",
          FILE_NAME ":3: invalid thumb_widths \",\" (expected 1 to 8 widths)",
          "thumb_widths none");
    fails(BASE "thumb_formats = gif\n",
          FILE_NAME ":3: invalid thumb_formats \"gif\" (expected "
          "\"original\", \"webp\" or both)", "thumb_formats");
    fails(BASE "thumb_dir = .x\n",
          FILE_NAME ":3: invalid thumb_dir \".x\" (expected a folder name of "
          "letters, digits, \"_\", \"-\" and \".\", not starting with \".\")",
          "thumb_dir");
    fails(BASE "thumb_max_pixels = 0\n",
          FILE_NAME ":3: invalid thumb_max_pixels \"0\" (expected a number "
          "of pixels, or of megapixels followed by M)", "thumb_max_pixels");
    fails(BASE "thumb_memory_mb = 8\n",
          FILE_NAME ":3: invalid thumb_memory_mb \"8\" (expected "
          "16..1048576)", "thumb_memory_mb");
    fails(BASE "queue_max_attempts = 101\n",
          FILE_NAME ":3: invalid queue_max_attempts \"101\" (expected "
          "1..100)", "queue_max_attempts");
    fails(BASE "queue_backoff = 0s\n",
          FILE_NAME ":3: invalid queue_backoff \"0s\" (expected a duration "
          "such as 30s, 10m, 2h or 7d)", "a duration of 0");
}


static void
test_timers(void)
{
    int  rc;

    rc = parse(BASE);

    is_int(rc, 0, "timers: defaults parsed");
    is_int(cf.jobs.ntimers, 1, "without ttl_db and media_root: one timer");
    ok(has_timer("retention", "daily 04:00", JR_TASK_RETENTION),
       "... retention, daily");
    jr_config_free(&cf);

    rc = parse(BASE "ttl_db = t.db\nmedia_root = m\n");

    is_int(cf.jobs.ntimers, 3, "with ttl_db and media_root: three timers");
    ok(has_timer("ttl_cleanup", "every 10m", JR_TASK_TTL_CLEANUP),
       "... ttl_cleanup every 10m");
    ok(has_timer("thumb_scan", "every 1h", JR_TASK_THUMB_SCAN),
       "... thumb_scan every 1h");
    jr_config_free(&cf);

    rc = parse(BASE "ttl_db = t.db\nmedia_root = m\n"
               "[timers]\nttl_cleanup = every 5m\nthumb_scan = off\n");

    is_int(rc, 0, "[timers]: parsed");
    is_int(cf.jobs.ntimers, 2, "a timer off is none");
    ok(has_timer("ttl_cleanup", "every 5m", JR_TASK_TTL_CLEANUP),
       "ttl_cleanup as set");
    ok(timer("thumb_scan") == NULL, "thumb_scan off");
    jr_config_free(&cf);

    rc = parse(BASE "[timers]\nthumb_scan = off\nretention = off\n"
               "[timers]\nttl_cleanup = off\n");

    is_int(rc, 0, "[timers] twice: parsed");
    is_int(cf.jobs.ntimers, 0, "all timers off");
    jr_config_free(&cf);

    fails(BASE "[timers]\nthumb_scan = every 1h\n",
          FILE_NAME ":4: timer \"thumb_scan\" needs media_root in "
          "[jobrunner]", "thumb_scan without media_root");
    fails(BASE "[timers]\nretention = off\nretention = daily 01:00\n",
          FILE_NAME ":5: duplicate key \"retention\" (first set on line 4)",
          "a timer twice");
    fails(BASE "[timers]\nretention = every 10\n",
          FILE_NAME ":4: invalid schedule \"every 10\" for \"retention\" "
          "(expected \"every N\" with N from 1 and a unit s, m, h or d, at "
          "most a week, or off)", "a bad schedule");
}


static void
test_cronhook(void)
{
    int                        rc;
    const jr_cronhook_conf_t  *ch;

    rc = parse(BASE "[cronhook.publish]\nurl = http://127.0.0.1/_cron\n"
               "secret = " SECRET "\nschedule = every 1m\n"
               "[cronhook.b-2]\nurl = https://h/x\n"
               "secret = " SECRET " " SECRET "\nschedule = hourly :05\n"
               "timeout = 1h\n");

    is_int(rc, 0, "[cronhook.*]: parsed");
    is_int(cf.jobs.ncronhooks, 2, "two cronhooks");

    ch = &cf.jobs.cronhooks[0];
    is_str(ch->name, "publish", "its name");
    is_str(ch->url, "http://127.0.0.1/_cron", "its url");
    is_int(ch->nkeys, 1, "one secret");
    is_int(ch->timeout, 30, "default timeout 30s");
    is_int(ch->line, 3, "its line");
    ok(has_timer("cronhook.publish", "every 1m", JR_TASK_CRONHOOK),
       "its timer");

    ch = &cf.jobs.cronhooks[1];
    is_str(ch->name, "b-2", "the second's name");
    is_int(ch->nkeys, 2, "two secrets");
    is_int(ch->timeout, 3600, "timeout 1h");
    ok(has_timer("cronhook.b-2", "hourly :05", JR_TASK_CRONHOOK),
       "its timer");
    jr_config_free(&cf);

    fails(BASE "[cronhook.x]\nsecret = " SECRET "\nschedule = every 1m\n",
          FILE_NAME ":3: missing required key \"url\" in [cronhook.x]",
          "cronhook without url");
    fails(BASE "[cronhook.x]\ntimeout = 2h\n",
          FILE_NAME ":4: invalid timeout \"2h\" (expected a duration from 1s "
          "to 1h)", "cronhook timeout");
    fails(BASE "[cronhook.x]\nuri = http://h/\n",
          FILE_NAME ":4: unknown key \"uri\" in [cronhook.x] (expected url, "
          "secret, schedule or timeout)", "cronhook unknown key");
    fails(BASE "[cronhook.x]\nsecret = " SECRET " " SECRET " " SECRET "\n",
          FILE_NAME ":4: invalid secret in [cronhook.x] (expected one or two "
          "\"whsec_\" followed by the base64 of 24 to 64 bytes)",
          "three secrets");
    ok(strstr(err, "MDEy") == NULL, "no message repeats a secret");
    fails(BASE "[cronhook.]\n", FILE_NAME ":3: unknown section "
          "\"[cronhook.]\"", "a cronhook without a name");
    fails(BASE "[cronhook.a]\n[timers]\n[cronhook.a]\n",
          FILE_NAME ":5: duplicate section \"[cronhook.a]\" (first on line "
          "3)", "a cronhook twice");
}


static void
test_retention(void)
{
    int  rc;

    rc = parse(BASE "[retention.logs]\npath = logs\npattern = *.log\n"
               "max_age = 30d\n[retention.tmp]\npath = /tmp\nmax_age = 1h\n");

    is_int(rc, 0, "[retention.*]: parsed");
    is_int(cf.jobs.nretention, 2, "two of them");
    is_str(cf.jobs.retention[0].name, "logs", "the name");
    is_str(cf.jobs.retention[0].path, "/etc/blog/logs", "path resolved");
    is_str(cf.jobs.retention[0].pattern, "*.log", "pattern");
    is_int(cf.jobs.retention[0].max_age, 30 * 86400, "max_age");
    ok(cf.jobs.retention[1].pattern == NULL, "no pattern: all files");
    jr_config_free(&cf);

    fails(BASE "[retention.a]\npath = /tmp\npattern = a/b\n",
          FILE_NAME ":5: invalid pattern \"a/b\" (a file name pattern, "
          "without \"/\")", "pattern with a slash");
    fails(BASE "[retention.a]\nmax_age = 0d\n",
          FILE_NAME ":4: invalid max_age \"0d\" (expected a duration such as "
          "12h or 30d)", "max_age 0");
    fails(BASE "[retention.a]\nmax_age = 1d\n",
          FILE_NAME ":3: missing required key \"path\" in [retention.a]",
          "retention without path");
    fails(BASE "[retention.a]\nage = 1d\n",
          FILE_NAME ":4: unknown key \"age\" in [retention.a] (expected path, "
          "pattern or max_age)", "retention unknown key");
}


static void
test_s3(void)
{
    int  rc;

    unsetenv("AWS_REGION");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");

    rc = parse(BASE "[s3]\nendpoint = https://s3.eu-west-1.amazonaws.com/\n"
               "region = eu-west-1\nbucket = my-bucket\n"
               "access_key_id = AKID\nsecret_access_key = sk\n"
               "session_token = st\nca_file = ca.pem\ntimeout = 1m\n"
               "max_attempts = 3\npart_size = 8M\n");

    is_int(rc, 0, "[s3]: parsed");
    is_int(cf.s3.line, 3, "its line");
    is_str(cf.s3.endpoint, "https://s3.eu-west-1.amazonaws.com",
           "endpoint without its final slash");
    is_str(cf.s3.region, "eu-west-1", "region");
    is_str(cf.s3.bucket, "my-bucket", "bucket");
    is_str(cf.s3.access_key, "AKID", "access_key_id");
    is_str(cf.s3.secret_key, "sk", "secret_access_key");
    is_str(cf.s3.session_token, "st", "session_token");
    is_str(cf.s3.ca_file, "/etc/blog/ca.pem", "ca_file resolved");
    is_int(cf.s3.timeout, 60, "timeout");
    is_int(cf.s3.max_attempts, 3, "max_attempts");
    is_int(cf.s3.part_size, 8 << 20, "part_size");
    is_int(cf.s3.url_style, JR_S3_URL_VIRTUAL, "auto: virtual on AWS");
    jr_config_free(&cf);

    rc = parse(BASE S3);

    is_int(rc, 0, "[s3] with the required keys: parsed");
    is_str(cf.s3.region, "us-east-1", "default region");
    is_int(cf.s3.timeout, 30, "default timeout");
    is_int(cf.s3.max_attempts, 5, "default max_attempts");
    is_int(cf.s3.part_size, 16 << 20, "default part_size");
    is_int(cf.s3.url_style, JR_S3_URL_PATH, "auto: path elsewhere");
    ok(cf.s3.session_token == NULL && cf.s3.ca_file == NULL,
       "no session_token, no ca_file");
    jr_config_free(&cf);

    rc = parse(BASE);
    ok(rc == 0 && cf.s3.line == 0 && cf.s3.endpoint == NULL, "no [s3]");
    jr_config_free(&cf);

    setenv("AWS_REGION", "eu-north-1", 1);
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);

    rc = parse(BASE "[s3]\nendpoint = http://h:9000\nbucket = b-1\n");
    is_int(rc, 0, "[s3] credentials from the environment");
    is_str(cf.s3.region, "eu-north-1", "... region");
    is_str(cf.s3.access_key, "ENVID", "... access key");
    is_str(cf.s3.secret_key, "envsecret", "... secret key");
    is_str(cf.s3.session_token, "envtoken", "... session token");
    jr_config_free(&cf);

    rc = parse(BASE S3 "region = r-1\n");
    is_int(rc, 0, "[s3] with the environment set too");
    is_str(cf.s3.region, "r-1", "... the file's region wins");
    is_str(cf.s3.secret_key, "hunter2-s3", "... and its secret");
    jr_config_free(&cf);

    unsetenv("AWS_REGION");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");

    fails(BASE "[s3]\nendpoint = http://h\nbucket = b-1\n",
          FILE_NAME ":3: no S3 credentials: set access_key_id and "
          "secret_access_key in [s3], or AWS_ACCESS_KEY_ID and "
          "AWS_SECRET_ACCESS_KEY in the environment", "no credentials");
    fails(BASE "[s3]\nendpoint = https://s3.amazonaws.com\nbucket = a.b.c\n"
          "access_key_id = a\nsecret_access_key = hunter2-s3\n",
          FILE_NAME ":5: bucket \"a.b.c\" has a dot, which the certificate "
          "of a virtual-host URL does not cover: set url_style = path",
          "a dotted bucket on a virtual host");
    ok(strstr(err, "hunter2") == NULL, "no message repeats a secret");
    fails(BASE "[s3]\nbucket = b-1\n",
          FILE_NAME ":3: missing required key \"endpoint\" in [s3]",
          "no endpoint");
    fails(BASE "[s3]\nendpoint = http://h\n",
          FILE_NAME ":3: missing required key \"bucket\" in [s3]",
          "no bucket");
    fails(BASE "[s3]\npart_size = 6G\n",
          FILE_NAME ":4: invalid part_size \"6G\" (expected 5M to 5G)",
          "part_size too large");
    fails(BASE "[s3]\nmax_attempts = 21\n",
          FILE_NAME ":4: invalid max_attempts \"21\" (expected 1..20)",
          "max_attempts");
    fails(BASE "[s3]\ntimeout = 0s\n",
          FILE_NAME ":4: invalid timeout \"0s\" (expected a duration from 1s "
          "to 1h)", "timeout 0");
    fails(BASE "[s3]\nurl_style = sideways\n",
          FILE_NAME ":4: invalid url_style \"sideways\" (expected path, "
          "virtual or auto)", "url_style");
    fails(BASE "[s3]\nsecret_access_key = hunter2-s3\n"
          "secret_access_key = hunter2-s3\n",
          FILE_NAME ":5: duplicate key \"secret_access_key\" (first set on "
          "line 4)", "a secret twice");
    ok(strstr(err, "hunter2") == NULL, "... not repeated");
}


static void
test_backup(void)
{
    int  rc;

    rc = parse(BASE S3 "[backup]\n");

    is_int(rc, 0, "[backup]: parsed");
    is_int(cf.backup.line, 8, "its line");
    is_str(cf.backup.prefix, "data.db", "default prefix");
    is_str(cf.backup.local_dir, "/etc/blog/data.db-backup",
           "default local_dir, next to data_db");
    is_int(cf.backup.interval_ms, 100, "default interval_ms");
    is_int(cf.backup.heartbeat_ms, 5000, "default heartbeat_ms");
    is_int(cf.backup.checkpoint_pages, 1000, "default checkpoint_pages");
    is_int(cf.backup.snapshot_interval, 86400, "default snapshot_interval");
    is_int(cf.backup.retention, 7 * 86400, "default retention");
    is_int(cf.backup.lag_alert, 10, "default lag_alert");
    is_int(cf.backup.hot_interval, 60, "default hot_interval");
    is_int(cf.backup.nhot, 2, "default hot_databases: two");
    is_str(cf.backup.nhot == 2 ? cf.backup.hot_paths[0] : NULL,
           "/etc/blog/queue.db", "queue.db, next to data_db");
    is_str(cf.backup.nhot == 2 ? cf.backup.hot_paths[1] : NULL,
           "/etc/blog/analytics.db", "analytics.db, next to data_db");
    jr_config_free(&cf);

    rc = parse(BASE S3 "[backup]\nhot_databases = off\n");
    is_int(rc, 0, "hot_databases = off: parsed");
    is_int(cf.backup.nhot, 0, "no hot database");
    jr_config_free(&cf);

    rc = parse(BASE S3 "[backup]\nhot_databases = /var/q.db  sub/a-1.db\n"
               "hot_interval = 5m\n");
    is_int(rc, 0, "hot_databases and hot_interval: parsed");
    is_int(cf.backup.nhot, 2, "two hot databases");
    is_str(cf.backup.nhot == 2 ? cf.backup.hot_paths[0] : NULL, "/var/q.db",
           "an absolute path as it is");
    is_str(cf.backup.nhot == 2 ? cf.backup.hot_paths[1] : NULL,
           "/etc/blog/sub/a-1.db", "a relative one in data_db's folder");
    is_int(cf.backup.hot_interval, 300, "hot_interval");
    jr_config_free(&cf);

    rc = parse(BASE S3 "[backup]\nprefix = blog/data.db\nlocal_dir = bk\n"
               "interval_ms = 50\ncheckpoint_pages = 20\n"
               "snapshot_interval = 12h\nretention = 2d\nlag_alert = 1m\n"
               "heartbeat_ms = 2000\n");

    is_int(rc, 0, "[backup] with every key: parsed");
    is_str(cf.backup.prefix, "blog/data.db", "prefix");
    is_str(cf.backup.local_dir, "/etc/blog/bk", "local_dir resolved");
    is_int(cf.backup.interval_ms, 50, "interval_ms");
    is_int(cf.backup.heartbeat_ms, 2000, "heartbeat_ms");
    is_int(cf.backup.checkpoint_pages, 20, "checkpoint_pages");
    is_int(cf.backup.snapshot_interval, 43200, "snapshot_interval");
    is_int(cf.backup.retention, 2 * 86400, "retention");
    is_int(cf.backup.lag_alert, 60, "lag_alert");
    jr_config_free(&cf);

    fails(BASE "[backup]\n",
          FILE_NAME ":3: [backup] needs an [s3] section: the bucket to "
          "replicate to", "[backup] without [s3]");
    fails(BASE S3 "[backup]\nprefix = a//b\n",
          FILE_NAME ":9: invalid prefix \"a//b\" (expected names of letters, "
          "digits, \".\", \"_\" and \"-\" separated by \"/\", such as "
          "blog/data.db)", "a bad prefix");
    fails(BASE S3 "[backup]\ncheckpoint_pages = 9\n",
          FILE_NAME ":9: invalid checkpoint_pages \"9\" (expected "
          "10..1000000)", "checkpoint_pages");
    fails(BASE S3 "[backup]\nsnapshot_interval = daily\n",
          FILE_NAME ":9: invalid snapshot_interval \"daily\" (expected a "
          "duration such as 30s, 10m, 2h or 7d)", "snapshot_interval");
    fails(BASE S3 "[backup]\n[backup]\n",
          FILE_NAME ":9: duplicate section \"[backup]\" (first on line 8)",
          "[backup] twice");
}


static void
test_mirror(void)
{
    int  rc;

    rc = parse(BASE "media_root = media\n" S3 "[mirror]\n");

    is_int(rc, 0, "[mirror]: parsed");
    is_int(cf.mirror.line, 9, "its line");
    is_str(cf.mirror.bucket, "b-1", "default bucket: [s3]'s");
    is_str(cf.mirror.prefix, "mirror", "default prefix");
    ok(cf.mirror.media == 1 && cf.mirror.replica == 0
       && cf.mirror.delete_gone == 0, "media on, no replica without "
       "[backup], no delete");
    ok(cf.mirror.dest.bucket == cf.mirror.bucket
       && cf.mirror.dest.endpoint == cf.s3.endpoint,
       "dest: [s3] with the mirror's bucket");
    ok(has_timer("mirror", "every 1h", JR_TASK_MIRROR),
       "the live mirror every hour");
    ok(has_timer("mirror.daily", "daily 03:30", JR_TASK_MIRROR_TIER),
       "the daily tier");
    ok(has_timer("mirror.weekly", "weekly sun 03:00", JR_TASK_MIRROR_TIER),
       "the weekly tier");
    ok(has_timer("mirror.biweekly", "biweekly sun 02:30",
                 JR_TASK_MIRROR_TIER), "the biweekly tier");
    jr_config_free(&cf);

    rc = parse(BASE S3 "[backup]\n[mirror]\nbucket = m-2\nprefix = a/b\n"
               "media = off\ndelete = on\nschedule = off\n"
               "daily = daily 01:00\n");

    is_int(rc, 0, "[mirror] with [backup]: parsed");
    is_str(cf.mirror.bucket, "m-2", "bucket");
    is_str(cf.mirror.prefix, "a/b", "prefix");
    ok(cf.mirror.media == 0 && cf.mirror.replica == 1
       && cf.mirror.delete_gone == 1, "media off, replica on with [backup], "
       "delete on");
    ok(timer("mirror") == NULL, "schedule off: no live mirror");
    ok(has_timer("mirror.daily", "daily 01:00", JR_TASK_MIRROR_TIER),
       "the daily tier as set");
    jr_config_free(&cf);

    fails(BASE S3 "[mirror]\n",
          FILE_NAME ":8: [mirror] media = on needs media_root in [jobrunner] "
          "(or set media = off)", "media without media_root");
    fails(BASE S3 "[mirror]\nmedia = off\nreplica = on\n",
          FILE_NAME ":10: [mirror] replica = on needs a [backup] section: "
          "the objects to mirror", "replica without [backup]");
    fails(BASE S3 "[mirror]\nmedia = off\n",
          FILE_NAME ":8: [mirror] has nothing to mirror (media and replica "
          "are off)", "nothing to mirror");
    fails(BASE "[mirror]\n",
          FILE_NAME ":3: [mirror] needs an [s3] section: the endpoint and "
          "credentials of the mirror's bucket", "[mirror] without [s3]");
    fails(BASE S3 "[mirror]\ndelete = yes\n",
          FILE_NAME ":9: invalid delete \"yes\" (expected on or off)",
          "delete");
    fails(BASE S3 "[mirror]\nweekly = monthly\n",
          FILE_NAME ":9: invalid schedule \"monthly\" for \"weekly\" "
          "(expected \"every N[s|m|h|d]\", \"hourly :MM\", \"daily HH:MM\", "
          "\"weekly DAY HH:MM\", \"biweekly DAY HH:MM\" or \"monthly D HH:MM\", or off)",
          "a bad tier schedule");
}


static void
test_nats_keys(void)
{
    int  rc;

    rc = parse(BASE "[nats]\nurl = nats://a:1,tls://b:2\nrole = consumer\n"
               "node = n-1\nstream = S\nsubject_prefix = x.events\n"
               "durable = d\nmax_age = 1d\nack_wait = 1m\nsse = off\n"
               "sse_subject_prefix = x.sse\n");

    is_int(rc, 0, "[nats] with every key: parsed");
    is_str(cf.nats.url, "nats://a:1,tls://b:2", "url");
    is_int(cf.nats.role, JR_NATS_CONSUME, "role consumer");
    is_str(cf.nats.node, "n-1", "node");
    is_str(cf.nats.stream, "S", "stream");
    is_str(cf.nats.subject, "x.events", "subject_prefix");
    is_str(cf.nats.durable, "d", "durable");
    is_int(cf.nats.max_age, 86400, "max_age");
    is_int(cf.nats.ack_wait, 60, "ack_wait");
    is_int(cf.nats.sse, 0, "sse off");
    is_str(cf.nats.sse_subject, "x.sse", "sse_subject_prefix");
    jr_config_free(&cf);

    fails(BASE "[nats]\nurl = nats://user:hunter2-nats@h:1 x\n",
          FILE_NAME ":4: invalid url (expected nats://HOST:PORT or "
          "tls://HOST:PORT, several separated by commas)", "a bad url");
    ok(strstr(err, "hunter2") == NULL, "... not repeated");
    fails(BASE "[nats]\nurl = nats://h:1\nrole = consumer\n"
          "sse_subject_prefix = blog.events.sse\n",
          FILE_NAME ":6: sse_subject_prefix \"blog.events.sse\" and "
          "subject_prefix \"blog.events\" overlap: one is, or is under, the "
          "other", "overlapping subjects");
    fails(BASE "[nats]\nmax_age = forever\n",
          FILE_NAME ":4: invalid max_age \"forever\" (expected a duration "
          "such as 12h or 7d)", "max_age");
    fails(BASE "[nats]\nstream = a.b\n",
          FILE_NAME ":4: invalid stream \"a.b\" (expected 1 to 64 of A-Z, "
          "a-z, 0-9, \"_\" and \"-\")", "stream");
}


static void
test_replica(void)
{
    int  rc;

    rc = parse(BASE S3 "[replica]\n");

    is_int(rc, 0, "[replica]: parsed");
    is_int(cf.replica.line, 8, "its line");
    is_str(cf.replica.prefix, "data.db", "default prefix");
    is_str(cf.replica.local_dir, "/etc/blog/data.db-replica",
           "default local_dir");
    is_int(cf.replica.poll_ms, 200, "default poll_ms");
    is_int(cf.replica.checkpoint_pages, 1000, "default checkpoint_pages");
    is_int(cf.replica.lag_alert, 10, "default lag_alert");
    jr_config_free(&cf);

    rc = parse(BASE S3 "[replica]\nprefix = p/q\nlocal_dir = /r\n"
               "poll_ms = 1000\ncheckpoint_pages = 50\nlag_alert = 1h\n");

    is_int(rc, 0, "[replica] with every key: parsed");
    is_str(cf.replica.prefix, "p/q", "prefix");
    is_str(cf.replica.local_dir, "/r", "local_dir");
    is_int(cf.replica.poll_ms, 1000, "poll_ms");
    is_int(cf.replica.checkpoint_pages, 50, "checkpoint_pages");
    is_int(cf.replica.lag_alert, 3600, "lag_alert");
    jr_config_free(&cf);

    fails(BASE "[replica]\n",
          FILE_NAME ":3: [replica] needs an [s3] section: the bucket the "
          "primary replicates to", "[replica] without [s3]");
    fails(BASE S3 "[backup]\n[replica]\n",
          FILE_NAME ":9: [replica] and [backup] exclude each other: the "
          "primary backs data.db up, its replicas follow it",
          "[replica] with [backup]");
    fails(BASE "spool_dir = s\n" S3 "[nats]\nurl = nats://h:1\n"
          "role = both\n[replica]\n",
          FILE_NAME ":12: [replica] with a NATS consumer: analytics are "
          "written on the primary (set [nats] role = publisher)",
          "[replica] consuming");
    fails(BASE "events_socket = e.sock\n" S3 "[replica]\n",
          FILE_NAME ":9: [replica] with an events socket or spool but no "
          "[nats]: a replica's events go to the primary through NATS "
          "(docs/events.md)", "[replica] counting events");
    fails(BASE S3 "[replica]\npoll_ms = 5\n",
          FILE_NAME ":9: invalid poll_ms \"5\" (expected 10..60000)",
          "poll_ms");
}


/* What the engine does the same for every section. */
static void
test_engine(void)
{
    int  rc;

    fails(BASE "[s3]\nbogus = 1\n",
          FILE_NAME ":4: unknown key \"bogus\" in [s3] (expected endpoint, "
          "region, bucket, url_style, access_key_id, secret_access_key, "
          "session_token, ca_file, timeout, max_attempts or part_size)",
          "an unknown key lists the section's keys");
    fails(BASE "[backup]\nbogus =\n",
          FILE_NAME ":4: unknown key \"bogus\" in [backup] (expected prefix, "
          "local_dir, checkpoint_pages, lag_alert, interval_ms, heartbeat_ms, "
          "snapshot_interval, retention, hot_databases or hot_interval)",
          "an unknown key before an empty value");
    fails(BASE "[nats]\nrole = both\nrole =\n",
          FILE_NAME ":5: duplicate key \"role\" (first set on line 4)",
          "a duplicate key before an empty value");
    fails(BASE "[s3]\nregion = a/b\n",
          FILE_NAME ":4: invalid region \"a/b\" (expected at most 64 "
          "characters, no \"/\" or blank)", "region");
    fails(BASE "[s3]\nbucket = Bad_Bucket\n",
          FILE_NAME ":4: invalid bucket \"Bad_Bucket\" (expected 3 to 63 of "
          "a-z, 0-9, \".\" and \"-\")", "an [s3] bucket");
    fails(BASE S3 "[mirror]\nbucket = a..b\n",
          FILE_NAME ":9: invalid bucket \"a..b\" (expected 3 to 63 of a-z, "
          "0-9, \".\" and \"-\")", "a [mirror] bucket, by S3's rules too");
    fails(BASE "[cronhook.x]\nschedule = every 10\n",
          FILE_NAME ":4: invalid schedule \"every 10\" for \"schedule\" "
          "(expected \"every N\" with N from 1 and a unit s, m, h or d, at "
          "most a week)", "a cronhook's schedule, which cannot be off");
    fails(BASE "[mail]\npassword = hunter2-mail\npassword = hunter2-mail\n",
          FILE_NAME ":5: duplicate key \"password\" (first set on line 4)",
          "a secret twice");
    ok(strstr(err, "hunter2") == NULL, "... is not repeated");
    fails(BASE "[s3]\nsession_token = \n",
          FILE_NAME ":4: empty value for \"session_token\"",
          "an empty secret");
    fails(BASE "[jobrunner]\nthreadpool_size = 2\n[jobrunner]\n"
          "threadpool_size = 3\n",
          FILE_NAME ":6: duplicate key \"threadpool_size\" (first set on "
          "line 4)", "[jobrunner] twice is one section");
    fails(BASE "[retention.a]\npath = /\nmax_age = 1d\n[retention.b]\n"
          "path = /\npath = /tmp\n",
          FILE_NAME ":8: duplicate key \"path\" (first set on line 7)",
          "each [name.NAME] has its own keys");
    fails(BASE "[cronhook.y]\nurl = http://h/\nsecret = " SECRET "\n"
          "schedule = every 1m\n[cronhook.z]\n",
          FILE_NAME ":7: missing required key \"url\" in [cronhook.z]",
          "a required key, blamed on its section's line");

    rc = parse(BASE "[cronhook.a]\nurl = http://h/\nsecret = " SECRET "\n"
               "schedule = every 1m\n"
               "[retention.a]\npath = /tmp\nmax_age = 1d\n");
    ok(rc == 0 && cf.jobs.ncronhooks == 1 && cf.jobs.nretention == 1,
       "[cronhook.a] and [retention.a]: one NAME, two sections");
    jr_config_free(&cf);
    ok(cf.jobs.cronhooks == NULL && cf.jobs.ncronhooks == 0
       && cf.jobs.timers == NULL && cf.jobs.thumb_dir == NULL,
       "jr_config_free releases the sections' arrays and strings");
    is_int(cf.jobs.queue_max_attempts, 5, "... and sets the defaults again");
}


int
main(void)
{
    test_good();
    test_defaults();
    test_paths();
    test_syntax();
    test_errors();
    test_load();
    test_log_levels();
    test_nats();
    test_jobs();
    test_timers();
    test_cronhook();
    test_retention();
    test_s3();
    test_backup();
    test_mirror();
    test_nats_keys();
    test_replica();
    test_engine();

    return tap_done();
}
