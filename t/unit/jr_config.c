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

    return tap_done();
}
