/*
 * Configuration parser.
 *
 * inih does the INI syntax; this file adds what inih leaves out: line
 * numbers for the handler, strict sections and keys, values checked and
 * paths resolved.
 *
 * Line numbers: Debian's libinih is built without INI_HANDLER_LINENO, so
 * the handler is not told which line it is called for.  We therefore parse
 * with ini_parse_stream() and our own reader over the file's text in memory.
 * inih calls the reader once per line and calls the handler for that line
 * before asking for the next one, so the reader's line count is the number
 * of the line the handler is looking at.  That holds only if every read
 * returns one whole line, so the reader refuses lines longer than inih's
 * buffer instead of letting inih split them.
 *
 * The reader also strips leading whitespace.  inih takes an indented line as
 * the continuation of the previous key's value (Python configparser style),
 * so an indented "log = x" would silently become part of the value above
 * it; stripped, indentation means nothing, as a sysadmin expects.
 *
 * And the reader checks "[section]" lines, because inih calls the handler
 * only for keys: a misspelt, empty section would otherwise pass unnoticed.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "core/jr_config.h"
#include "core/jr_log.h"


#define JR_CONFIG_SECTION  "jobrunner"

/* Which file takes the keys of the section being read. */
enum {
    JR_CONFIG_OWNER_JOBS = 0,      /* [timers], [cronhook.*], ... */
    JR_CONFIG_OWNER_S3,            /* [s3] */
    JR_CONFIG_OWNER_BACKUP,        /* [backup] */
    JR_CONFIG_OWNER_MIRROR,        /* [mirror] */
    JR_CONFIG_OWNER_MAIL,          /* [mail] */
    JR_CONFIG_OWNER_NATS,          /* [nats] */
    JR_CONFIG_OWNER_REPLICA        /* [replica] */
};


typedef struct jr_config_parse_s  jr_config_parse_t;

typedef int (*jr_config_set_pt)(jr_config_parse_t *p, void *field,
    const char *name, const char *value);

typedef struct {
    const char        *name;
    jr_config_set_pt   set;
    size_t             offset;
    int                required;
} jr_config_key_t;


static int jr_config_set_path(jr_config_parse_t *p, void *field,
    const char *name, const char *value);
static int jr_config_set_log(jr_config_parse_t *p, void *field,
    const char *name, const char *value);
static int jr_config_set_log_level(jr_config_parse_t *p, void *field,
    const char *name, const char *value);
static int jr_config_set_threadpool(jr_config_parse_t *p, void *field,
    const char *name, const char *value);
static int jr_config_set_jobs(jr_config_parse_t *p, void *field,
    const char *name, const char *value);
static int jr_config_set_events(jr_config_parse_t *p, void *field,
    const char *name, const char *value);
static int jr_config_set_sse(jr_config_parse_t *p, void *field,
    const char *name, const char *value);


static const jr_config_key_t  jr_config_keys[] = {
    { "data_db", jr_config_set_path,
      offsetof(jr_config_t, data_db), 1 },
    { "log", jr_config_set_log,
      offsetof(jr_config_t, log), 0 },
    { "log_level", jr_config_set_log_level,
      offsetof(jr_config_t, log_level), 0 },
    { "pid", jr_config_set_path,
      offsetof(jr_config_t, pid), 0 },
    { "threadpool_size", jr_config_set_threadpool,
      offsetof(jr_config_t, threadpool_size), 0 },

    /* the queue, thumbnails and timers: jr_jobs_conf.c checks the values */
    { "ttl_db", jr_config_set_path,
      offsetof(jr_config_t, jobs.ttl_db), 0 },
    { "media_root", jr_config_set_path,
      offsetof(jr_config_t, jobs.media_root), 0 },
    { "thumb_dir", jr_config_set_jobs, 0, 0 },
    { "thumb_widths", jr_config_set_jobs, 0, 0 },
    { "thumb_formats", jr_config_set_jobs, 0, 0 },
    { "thumb_max_pixels", jr_config_set_jobs, 0, 0 },
    { "thumb_memory_mb", jr_config_set_jobs, 0, 0 },
    { "queue_max_attempts", jr_config_set_jobs, 0, 0 },
    { "queue_backoff", jr_config_set_jobs, 0, 0 },
    { "queue_lease", jr_config_set_jobs, 0, 0 },
    { "queue_keep_done", jr_config_set_jobs, 0, 0 },

    /* event intake and analytics: jr_events_conf.c checks the values */
    { "events_socket", jr_config_set_path,
      offsetof(jr_config_t, events.socket), 0 },
    { "events_socket_mode", jr_config_set_events, 0, 0 },
    { "spool_dir", jr_config_set_path,
      offsetof(jr_config_t, events.spool_dir), 0 },
    { "spool_scan_ms", jr_config_set_events, 0, 0 },
    { "batch_size", jr_config_set_events, 0, 0 },
    { "batch_interval_ms", jr_config_set_events, 0, 0 },
    { "geoip_db", jr_config_set_path,
      offsetof(jr_config_t, events.geoip_db), 0 },
    { "geoip6_db", jr_config_set_path,
      offsetof(jr_config_t, events.geoip6_db), 0 },
    { "metrics_listen", jr_config_set_events, 0, 0 },

    /* the realtime hub: jr_sse_conf.c checks the values */
    { "sse_socket", jr_config_set_path,
      offsetof(jr_config_t, sse.socket), 0 },
    { "sse_socket_mode", jr_config_set_sse, 0, 0 },
    { "sse_listen", jr_config_set_sse, 0, 0 },
    { "sse_heartbeat_ms", jr_config_set_sse, 0, 0 },
    { "sse_retry_ms", jr_config_set_sse, 0, 0 },
    { "sse_history", jr_config_set_sse, 0, 0 },
    { "sse_history_bytes", jr_config_set_sse, 0, 0 },
    { "sse_max_pending", jr_config_set_sse, 0, 0 },
    { "sse_max_subscribers", jr_config_set_sse, 0, 0 },
    { "sse_max_topics", jr_config_set_sse, 0, 0 },
    { "sse_topic_linger_ms", jr_config_set_sse, 0, 0 },
};

#define JR_CONFIG_NKEYS  (sizeof(jr_config_keys) / sizeof(jr_config_keys[0]))


struct jr_config_parse_s {
    jr_config_t  *cf;
    const char   *file;
    size_t        dirlen;     /* of file's directory, with its slash */
    const char   *pos;        /* the text not yet given to inih */
    const char   *end;
    int           line;       /* number of the line inih is parsing */
    int           failed;     /* line of our first error, 0 if none,
                                 -1 if no line is to blame */
    int           seen[JR_CONFIG_NKEYS];   /* line each key was set on */
    int           owner;      /* JR_CONFIG_OWNER_* of the section */
    char         *err;
    size_t        errlen;
};


static void
jr_config_init(jr_config_t *cf)
{
    cf->data_db = NULL;
    cf->log = NULL;
    cf->pid = NULL;
    cf->log_level = JR_LOG_INFO;
    cf->threadpool_size = JR_CONFIG_THREADPOOL_DEF;
    jr_jobs_conf_init(&cf->jobs);
    jr_events_conf_init(&cf->events);
    jr_s3_conf_init(&cf->s3);
    jr_backup_conf_init(&cf->backup);
    jr_mirror_conf_init(&cf->mirror);
    jr_sse_conf_init(&cf->sse);
    jr_mail_conf_init(&cf->mail);
    jr_nats_conf_init(&cf->nats);
    jr_replica_conf_init(&cf->replica);
}


void
jr_config_free(jr_config_t *cf)
{
    free(cf->data_db);
    free(cf->log);
    free(cf->pid);
    jr_jobs_conf_free(&cf->jobs);
    jr_events_conf_free(&cf->events);
    jr_s3_conf_free(&cf->s3);
    jr_backup_conf_free(&cf->backup);
    jr_mirror_conf_free(&cf->mirror);
    jr_sse_conf_free(&cf->sse);
    jr_mail_conf_free(&cf->mail);
    jr_nats_conf_free(&cf->nats);
    jr_replica_conf_free(&cf->replica);
    jr_config_init(cf);
}


/*
 * Records the first error as "FILE:LINE: message" (line 0: "FILE: message")
 * and returns 0, the value by which an inih handler reports failure.
 */
static int __attribute__((format(printf, 3, 4)))
jr_config_error(jr_config_parse_t *p, int line, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    if (p->failed) {
        return 0;
    }

    p->failed = line ? line : -1;

    if (line) {
        n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, line);
    } else {
        n = snprintf(p->err, p->errlen, "%s: ", p->file);
    }

    if (n >= 0 && (size_t) n < p->errlen) {
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - n, fmt, ap);
        va_end(ap);
    }

    return 0;
}


/* A section other than [jobrunner]: [s3], [backup], [mirror], [mail],
   [nats], [replica] or one of jobs'. */
static int
jr_config_section(jr_config_parse_t *p, const char *name, size_t len,
    char *msg, size_t msglen)
{
    if (len == 2 && memcmp(name, "s3", 2) == 0) {
        p->owner = JR_CONFIG_OWNER_S3;
        return jr_s3_conf_section(&p->cf->s3, p->line, msg, msglen);
    }

    if (len == 6 && memcmp(name, "backup", 6) == 0) {
        p->owner = JR_CONFIG_OWNER_BACKUP;
        return jr_backup_conf_section(&p->cf->backup, p->line, msg, msglen);
    }

    if (len == 6 && memcmp(name, "mirror", 6) == 0) {
        p->owner = JR_CONFIG_OWNER_MIRROR;
        return jr_mirror_conf_section(&p->cf->mirror, p->line, msg, msglen);
    }

    if (len == 4 && memcmp(name, "mail", 4) == 0) {
        p->owner = JR_CONFIG_OWNER_MAIL;
        return jr_mail_conf_section(&p->cf->mail, p->line, msg, msglen);
    }

    if (len == 4 && memcmp(name, "nats", 4) == 0) {
        p->owner = JR_CONFIG_OWNER_NATS;
        return jr_nats_conf_section(&p->cf->nats, p->line, msg, msglen);
    }

    if (len == 7 && memcmp(name, "replica", 7) == 0) {
        p->owner = JR_CONFIG_OWNER_REPLICA;
        return jr_replica_conf_section(&p->cf->replica, p->line, msg,
                                       msglen);
    }

    p->owner = JR_CONFIG_OWNER_JOBS;

    return jr_jobs_conf_section(&p->cf->jobs, name, len, p->line, msg,
                                msglen);
}


static char *
jr_config_read_line(char *buf, int size, void *user)
{
    jr_config_parse_t  *p = user;
    char                msg[JR_CONFIG_ERRLEN];
    size_t              len, max;
    const char         *start, *end, *nl, *close;

    if (p->failed || p->pos == p->end || size < 2) {
        return NULL;
    }

    p->line++;

    start = p->pos;
    nl = memchr(start, '\n', p->end - start);
    end = nl ? nl + 1 : p->end;
    p->pos = end;

    /* inih skips a UTF-8 byte order mark too, but after our checks */
    if (p->line == 1 && end - start >= 3
        && memcmp(start, "\xEF\xBB\xBF", 3) == 0)
    {
        start += 3;
    }

    if (memchr(start, '\0', end - start) != NULL) {
        jr_config_error(p, p->line, "NUL byte in line");
        return NULL;
    }

    /* size - 1 bytes for the line and its newline, 1 for the NUL */
    len = end - start - (nl != NULL);
    max = (size_t) size - 2;

    if (len > max) {
        jr_config_error(p, p->line, "line longer than %zu characters", max);
        return NULL;
    }

    while (start < end && *start != '\n' && isspace((unsigned char) *start)) {
        start++;
    }

    if (start < end && *start == '[') {
        close = memchr(start, ']', end - start);

        /*
         * Without "]" it is a syntax error, which inih reports.  Sections
         * other than ours are checked and opened by the file that takes
         * their keys: [s3] jr_s3_conf.c, [backup] jr_backup_conf.c,
         * [mirror] jr_mirror_conf.c, [mail] jr_mail_conf.c, [nats]
         * jr_nats_conf.c, [replica] jr_replica_conf.c, the others
         * ([timers], [cronhook.NAME], ...) jr_jobs_conf.c.
         */
        if (close != NULL
            && (close - start - 1 != sizeof(JR_CONFIG_SECTION) - 1
                || memcmp(start + 1, JR_CONFIG_SECTION,
                          sizeof(JR_CONFIG_SECTION) - 1) != 0)
            && jr_config_section(p, start + 1, close - start - 1, msg,
                                 sizeof(msg))
               != 0)
        {
            jr_config_error(p, p->line, "%s", msg);
            return NULL;
        }
    }

    len = end - start;
    memcpy(buf, start, len);
    buf[len] = '\0';

    return buf;
}


static int
jr_config_handler(void *user, const char *section, const char *name,
    const char *value)
{
    int                 rc;
    char                msg[JR_CONFIG_ERRLEN];
    size_t              i;
    jr_config_parse_t  *p = user;

    /* the reader has refused unknown sections */
    if (section[0] == '\0') {
        return jr_config_error(p, p->line, "key \"%s\" before any section; "
                               "keys belong in [" JR_CONFIG_SECTION "]",
                               name);
    }

    if (strcmp(section, JR_CONFIG_SECTION) != 0) {
        if (value[0] == '\0') {
            return jr_config_error(p, p->line, "empty value for \"%s\"",
                                   name);
        }

        switch (p->owner) {

        case JR_CONFIG_OWNER_S3:
            rc = jr_s3_conf_key(&p->cf->s3, name, value, p->file, p->dirlen,
                                p->line, msg, sizeof(msg));
            break;

        case JR_CONFIG_OWNER_BACKUP:
            rc = jr_backup_conf_key(&p->cf->backup, name, value, p->file,
                                    p->dirlen, p->line, msg, sizeof(msg));
            break;

        case JR_CONFIG_OWNER_MIRROR:
            rc = jr_mirror_conf_key(&p->cf->mirror, name, value, p->line,
                                    msg, sizeof(msg));
            break;

        case JR_CONFIG_OWNER_MAIL:
            rc = jr_mail_conf_key(&p->cf->mail, name, value, p->file,
                                  p->dirlen, p->line, msg, sizeof(msg));
            break;

        case JR_CONFIG_OWNER_NATS:
            rc = jr_nats_conf_key(&p->cf->nats, name, value, p->file,
                                  p->dirlen, p->line, msg, sizeof(msg));
            break;

        case JR_CONFIG_OWNER_REPLICA:
            rc = jr_replica_conf_key(&p->cf->replica, name, value, p->file,
                                     p->dirlen, p->line, msg, sizeof(msg));
            break;

        default:
            rc = jr_jobs_conf_section_key(&p->cf->jobs, name, value, p->file,
                                          p->dirlen, p->line, msg,
                                          sizeof(msg));
        }

        if (rc != 0) {
            return jr_config_error(p, p->line, "%s", msg);
        }

        return 1;
    }

    for (i = 0; i < JR_CONFIG_NKEYS; i++) {
        if (strcmp(name, jr_config_keys[i].name) == 0) {
            break;
        }
    }

    if (i == JR_CONFIG_NKEYS) {
        return jr_config_error(p, p->line, "unknown key \"%s\" in [%s]",
                               name, section);
    }

    if (p->seen[i]) {
        return jr_config_error(p, p->line,
                               "duplicate key \"%s\" (first set on line %d)",
                               name, p->seen[i]);
    }

    p->seen[i] = p->line;

    if (value[0] == '\0') {
        return jr_config_error(p, p->line, "empty value for \"%s\"", name);
    }

    return jr_config_keys[i].set(p, (char *) p->cf + jr_config_keys[i].offset,
                                 name, value);
}


static int
jr_config_set_path(jr_config_parse_t *p, void *field, const char *name,
    const char *value)
{
    char    **path = field;
    size_t    dirlen, len;

    dirlen = value[0] == '/' ? 0 : p->dirlen;
    len = strlen(value);

    *path = malloc(dirlen + len + 1);
    if (*path == NULL) {
        return jr_config_error(p, p->line, "out of memory for \"%s\"", name);
    }

    memcpy(*path, p->file, dirlen);
    memcpy(*path + dirlen, value, len + 1);

    return 1;
}


static int
jr_config_set_log(jr_config_parse_t *p, void *field, const char *name,
    const char *value)
{
    /* "-" is stderr, which a NULL path already means */
    if (strcmp(value, "-") == 0) {
        return 1;
    }

    return jr_config_set_path(p, field, name, value);
}


static int
jr_config_set_log_level(jr_config_parse_t *p, void *field, const char *name,
    const char *value)
{
    int  *level = field;

    *level = jr_log_level_parse(value);
    if (*level == -1) {
        return jr_config_error(p, p->line, "invalid %s \"%s\" (expected "
                               "error, warn, notice, info or debug)", name, value);
    }

    return 1;
}


static int
jr_config_set_threadpool(jr_config_parse_t *p, void *field, const char *name,
    const char *value)
{
    unsigned     *size = field;
    unsigned      n;
    const char   *c;

    /* by hand: strtoul() would take signs, blanks and wrap around */
    n = 0;

    for (c = value; *c; c++) {
        if (*c < '0' || *c > '9' || n > JR_CONFIG_THREADPOOL_MAX) {
            break;
        }

        n = n * 10 + (*c - '0');
    }

    if (*c != '\0' || n < JR_CONFIG_THREADPOOL_MIN
        || n > JR_CONFIG_THREADPOOL_MAX)
    {
        return jr_config_error(p, p->line, "invalid %s \"%s\" (expected "
                               "%d..%d)", name, value,
                               JR_CONFIG_THREADPOOL_MIN,
                               JR_CONFIG_THREADPOOL_MAX);
    }

    *size = n;

    return 1;
}


static int
jr_config_set_jobs(jr_config_parse_t *p, void *field, const char *name,
    const char *value)
{
    char  msg[JR_CONFIG_ERRLEN];

    (void) field;

    if (jr_jobs_conf_key(&p->cf->jobs, name, value, msg, sizeof(msg)) != 0) {
        return jr_config_error(p, p->line, "%s", msg);
    }

    return 1;
}


static int
jr_config_set_events(jr_config_parse_t *p, void *field, const char *name,
    const char *value)
{
    char  msg[JR_CONFIG_ERRLEN];

    (void) field;

    if (jr_events_conf_key(&p->cf->events, name, value, msg, sizeof(msg))
        != 0)
    {
        return jr_config_error(p, p->line, "%s", msg);
    }

    return 1;
}


static int
jr_config_set_sse(jr_config_parse_t *p, void *field, const char *name,
    const char *value)
{
    char  msg[JR_CONFIG_ERRLEN];

    (void) field;

    if (jr_sse_conf_key(&p->cf->sse, name, value, msg, sizeof(msg)) != 0) {
        return jr_config_error(p, p->line, "%s", msg);
    }

    return 1;
}


int
jr_config_parse(jr_config_t *cf, const char *file, const char *text,
    size_t len, char *err, size_t errlen)
{
    int                 rc, line;
    char                msg[JR_CONFIG_ERRLEN];
    size_t              i;
    const char         *slash;
    jr_config_parse_t   p;

    jr_config_init(cf);

    memset(&p, 0, sizeof(p));
    p.cf = cf;
    p.file = file;
    p.pos = text;
    p.end = text + len;
    p.err = err;
    p.errlen = errlen;

    slash = strrchr(file, '/');
    p.dirlen = slash ? (size_t) (slash - file) + 1 : 0;

    rc = ini_parse_stream(jr_config_read_line, &p, jr_config_handler, &p);

    /*
     * inih returns the first line it found wrong, ours or a syntax error it
     * kept parsing past.  Since our errors stop the parse, a line before
     * ours can only be a syntax error, and being first it replaces ours.
     */
    if (rc > 0 && (p.failed == 0 || rc < p.failed)) {
        p.failed = 0;
        jr_config_error(&p, rc, "syntax error (expected \"[section]\", "
                        "\"key = value\" or a comment)");

    } else if (rc < 0 && p.failed == 0) {
        jr_config_error(&p, 0, "cannot parse (inih error %d)", rc);
    }

    for (i = 0; i < JR_CONFIG_NKEYS && p.failed == 0; i++) {
        if (jr_config_keys[i].required && p.seen[i] == 0) {
            jr_config_error(&p, 0, "missing required key \"%s\" in ["
                            JR_CONFIG_SECTION "]", jr_config_keys[i].name);
        }
    }

    if (p.failed == 0
        && jr_jobs_conf_finish(&cf->jobs, &line, msg, sizeof(msg)) != 0)
    {
        jr_config_error(&p, line, "%s", msg);
    }

    if (p.failed == 0 && cf->s3.line
        && jr_s3_conf_finish(&cf->s3, &line, msg, sizeof(msg)) != 0)
    {
        jr_config_error(&p, line, "%s", msg);
    }

    if (p.failed == 0 && cf->backup.line
        && jr_backup_conf_finish(&cf->backup, cf->s3.line != 0, cf->data_db,
                                 &line, msg, sizeof(msg))
           != 0)
    {
        jr_config_error(&p, line, "%s", msg);
    }

    /* after [s3] and the jobs': it takes the one, adds timers to the other */
    if (p.failed == 0 && cf->mirror.line
        && jr_mirror_conf_finish(&cf->mirror, &cf->s3, cf->backup.line != 0,
                                 &cf->jobs, &line, msg, sizeof(msg))
           != 0)
    {
        jr_config_error(&p, line, "%s", msg);
    }

    if (p.failed == 0 && cf->mail.line
        && jr_mail_conf_finish(&cf->mail, &line, msg, sizeof(msg)) != 0)
    {
        jr_config_error(&p, line, "%s", msg);
    }

    if (p.failed == 0 && cf->nats.line
        && jr_nats_conf_finish(&cf->nats, cf->events.spool_dir, &line, msg,
                               sizeof(msg))
           != 0)
    {
        jr_config_error(&p, line, "%s", msg);
    }

    if (p.failed == 0 && cf->replica.line
        && jr_replica_conf_finish(&cf->replica, cf->s3.line != 0,
                                  cf->backup.line != 0,
                                  cf->mirror.line != 0,
                                  cf->nats.line
                                  && (cf->nats.role & JR_NATS_CONSUME),
                                  cf->nats.line == 0
                                  && (cf->events.socket
                                      || cf->events.spool_dir),
                                  cf->data_db, &line, msg, sizeof(msg))
           != 0)
    {
        jr_config_error(&p, line, "%s", msg);
    }

    if (p.failed) {
        jr_config_free(cf);
        return -1;
    }

    return 0;
}


int
jr_config_load(jr_config_t *cf, const char *file, char *err, size_t errlen)
{
    int      rc;
    char    *text, *grown;
    FILE    *f;
    size_t   len, size, n;

    jr_config_init(cf);

    f = fopen(file, "re");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
        return -1;
    }

    text = NULL;
    len = 0;
    size = 0;

    do {
        if (len == size) {
            size = size ? size * 2 : 4096;

            grown = realloc(text, size);
            if (grown == NULL) {
                snprintf(err, errlen, "%s: out of memory", file);
                free(text);
                fclose(f);
                return -1;
            }

            text = grown;
        }

        n = fread(text + len, 1, size - len, f);
        len += n;

    } while (n > 0);

    if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
        free(text);
        fclose(f);
        return -1;
    }

    fclose(f);

    rc = jr_config_parse(cf, file, text, len, err, errlen);

    free(text);

    return rc;
}
