/*
 * The [nats] section; see jr_nats_conf.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/jr_jobs_conf.h"
#include "nats/jr_nats_conf.h"


#define JR_NATS_SUBJECT_MAX  128

enum {
    JR_NATS_KEY_URL = 0,
    JR_NATS_KEY_ROLE,
    JR_NATS_KEY_NODE,
    JR_NATS_KEY_STREAM,
    JR_NATS_KEY_SUBJECT,
    JR_NATS_KEY_DURABLE,
    JR_NATS_KEY_MAX_AGE,
    JR_NATS_KEY_CREDS,
    JR_NATS_KEY_ACK_WAIT,
    JR_NATS_KEY_SSE,
    JR_NATS_KEY_SSE_SUBJECT,
    JR_NATS_KEY_N
};

static const char *const  jr_nats_keys[JR_NATS_KEY_N] = {
    "url", "role", "node", "stream", "subject_prefix", "durable", "max_age",
    "creds", "ack_wait", "sse", "sse_subject_prefix"
};


static int __attribute__((format(printf, 3, 4)))
jr_nats_conf_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


void
jr_nats_conf_init(jr_nats_conf_t *nc)
{
    memset(nc, 0, sizeof(jr_nats_conf_t));

    nc->max_age = 7 * 86400;
    nc->ack_wait = 30;
    nc->sse = 1;
}


void
jr_nats_conf_free(jr_nats_conf_t *nc)
{
    free(nc->url);
    free(nc->creds);
    free(nc->node);
    free(nc->stream);
    free(nc->subject);
    free(nc->durable);
    free(nc->sse_subject);
    jr_nats_conf_init(nc);
}


int
jr_nats_conf_section(jr_nats_conf_t *nc, int line, char *err, size_t errlen)
{
    if (nc->line) {
        return jr_nats_conf_error(err, errlen, "duplicate section \"[nats]\" "
                                  "(first on line %d)", nc->line);
    }

    nc->line = line;

    return 0;
}


/*
 * A name that is one subject token and a valid stream, consumer and
 * message id part: letters, digits, "_" and "-" (no ".", which separates
 * tokens and the parts of a message id).
 */
static int
jr_nats_conf_name(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > JR_NATS_NAME_MAX) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
        {
            return -1;
        }
    }

    return 0;
}


/* Names joined by single dots: no wildcard, no empty token. */
static int
jr_nats_conf_subject(const char *s)
{
    const char  *dot;

    if (strlen(s) > JR_NATS_SUBJECT_MAX) {
        return -1;
    }

    for ( ;; ) {
        dot = strchr(s, '.');

        if (jr_nats_conf_name(s, dot ? (size_t) (dot - s) : strlen(s)) != 0) {
            return -1;
        }

        if (dot == NULL) {
            return 0;
        }

        s = dot + 1;
    }
}


/* Each of the comma-separated servers nats://... or tls://..., no blank. */
static int
jr_nats_conf_url(const char *s)
{
    size_t       len;
    const char  *end;

    for ( ;; ) {
        end = strchr(s, ',');
        len = end ? (size_t) (end - s) : strlen(s);

        if (!((len > 7 && strncmp(s, "nats://", 7) == 0)
              || (len > 6 && strncmp(s, "tls://", 6) == 0)))
        {
            return -1;
        }

        if (strcspn(s, " \t\r\n") < len) {
            return -1;
        }

        if (end == NULL) {
            return 0;
        }

        s = end + 1;
    }
}


int
jr_nats_conf_key(jr_nats_conf_t *nc, const char *name, const char *value,
    const char *dir, size_t dirlen, int line, char *err, size_t errlen)
{
    int     k;
    char  **str;
    size_t  len;

    for (k = 0; k < JR_NATS_KEY_N; k++) {
        if (strcmp(name, jr_nats_keys[k]) == 0) {
            break;
        }
    }

    if (k == JR_NATS_KEY_N) {
        return jr_nats_conf_error(err, errlen, "unknown key \"%s\" in [nats]",
                                  name);
    }

    if (nc->seen[k]) {
        return jr_nats_conf_error(err, errlen, "duplicate key \"%s\" (first "
                                  "set on line %d)", name, nc->seen[k]);
    }

    nc->seen[k] = line;
    str = NULL;

    switch (k) {

    case JR_NATS_KEY_URL:
        /* not quoted: it may hold a user's password */
        if (jr_nats_conf_url(value) != 0) {
            return jr_nats_conf_error(err, errlen, "invalid url (expected "
                                      "nats://HOST:PORT or tls://HOST:PORT, "
                                      "several separated by commas)");
        }

        str = &nc->url;
        break;

    case JR_NATS_KEY_ROLE:
        if (strcmp(value, "publisher") == 0) {
            nc->role = JR_NATS_PUBLISH;

        } else if (strcmp(value, "consumer") == 0) {
            nc->role = JR_NATS_CONSUME;

        } else if (strcmp(value, "both") == 0) {
            nc->role = JR_NATS_PUBLISH | JR_NATS_CONSUME;

        } else {
            return jr_nats_conf_error(err, errlen, "invalid role \"%s\" "
                                      "(expected publisher, consumer or "
                                      "both)", value);
        }

        return 0;

    case JR_NATS_KEY_NODE:
    case JR_NATS_KEY_STREAM:
    case JR_NATS_KEY_DURABLE:
        if (jr_nats_conf_name(value, strlen(value)) != 0) {
            return jr_nats_conf_error(err, errlen, "invalid %s \"%s\" "
                                      "(expected 1 to %d of A-Z, a-z, 0-9, "
                                      "\"_\" and \"-\")", name, value,
                                      JR_NATS_NAME_MAX);
        }

        str = k == JR_NATS_KEY_NODE ? &nc->node
              : k == JR_NATS_KEY_STREAM ? &nc->stream : &nc->durable;
        break;

    case JR_NATS_KEY_SSE:
        if (strcmp(value, "on") == 0) {
            nc->sse = 1;

        } else if (strcmp(value, "off") == 0) {
            nc->sse = 0;

        } else {
            return jr_nats_conf_error(err, errlen, "invalid sse \"%s\" "
                                      "(expected on or off)", value);
        }

        return 0;

    case JR_NATS_KEY_SUBJECT:
    case JR_NATS_KEY_SSE_SUBJECT:
        if (jr_nats_conf_subject(value) != 0) {
            return jr_nats_conf_error(err, errlen, "invalid %s \"%s\" "
                                      "(expected tokens of A-Z, a-z, 0-9, "
                                      "\"_\" and \"-\" joined by dots, such "
                                      "as blog.events)", name, value);
        }

        str = k == JR_NATS_KEY_SUBJECT ? &nc->subject : &nc->sse_subject;
        break;

    case JR_NATS_KEY_MAX_AGE:
        if (jr_jobs_conf_duration(value, &nc->max_age) != 0) {
            return jr_nats_conf_error(err, errlen, "invalid %s \"%s\" "
                                      "(expected a duration such as 12h or "
                                      "7d)", name, value);
        }

        return 0;

    case JR_NATS_KEY_ACK_WAIT:
        if (jr_jobs_conf_duration(value, &nc->ack_wait) != 0
            || nc->ack_wait > 3600)
        {
            return jr_nats_conf_error(err, errlen, "invalid %s \"%s\" "
                                      "(expected a duration from 1s to 1h)",
                                      name, value);
        }

        return 0;

    case JR_NATS_KEY_CREDS:
        len = value[0] == '/' ? 0 : dirlen;

        nc->creds = malloc(len + strlen(value) + 1);
        if (nc->creds == NULL) {
            return jr_nats_conf_error(err, errlen, "out of memory");
        }

        memcpy(nc->creds, dir, len);
        strcpy(nc->creds + len, value);

        return 0;
    }

    *str = strdup(value);
    if (*str == NULL) {
        return jr_nats_conf_error(err, errlen, "out of memory");
    }

    return 0;
}


/* Whether subject s is prefix, or a subject under it. */
static int
jr_nats_conf_within(const char *s, const char *prefix)
{
    size_t  len;

    len = strlen(prefix);

    return strncmp(s, prefix, len) == 0 && (s[len] == '\0' || s[len] == '.');
}


static int
jr_nats_conf_default(char **field, const char *value)
{
    if (*field == NULL) {
        *field = strdup(value);
    }

    return *field ? 0 : -1;
}


int
jr_nats_conf_finish(jr_nats_conf_t *nc, const char *spool_dir, int *line,
    char *err, size_t errlen)
{
    char     host[256];
    size_t   len;

    *line = nc->line;

    if (nc->url == NULL) {
        return jr_nats_conf_error(err, errlen, "missing required key \"url\" "
                                  "in [nats]");
    }

    if (nc->role == 0) {
        return jr_nats_conf_error(err, errlen, "missing required key \"role\" "
                                  "in [nats]");
    }

    if ((nc->role & JR_NATS_PUBLISH) && spool_dir == NULL) {
        *line = nc->seen[JR_NATS_KEY_ROLE];
        return jr_nats_conf_error(err, errlen, "a publisher keeps the events "
                                  "NATS has not taken yet in spool_dir: set "
                                  "it in [jobrunner]");
    }

    /* the host name up to its first dot: "edge-1" of edge-1.example.org */
    if (nc->node == NULL) {
        if (gethostname(host, sizeof(host)) != 0) {
            host[0] = '\0';
        }

        host[sizeof(host) - 1] = '\0';
        len = strcspn(host, ".");

        if (jr_nats_conf_name(host, len) != 0) {
            return jr_nats_conf_error(err, errlen, "the host name \"%s\" is "
                                      "no valid node name: set \"node\" in "
                                      "[nats]", host);
        }

        nc->node = strndup(host, len);
        if (nc->node == NULL) {
            return jr_nats_conf_error(err, errlen, "out of memory");
        }
    }

    if (jr_nats_conf_default(&nc->stream, "BLOG_EVENTS") != 0
        || jr_nats_conf_default(&nc->subject, "blog.events") != 0
        || jr_nats_conf_default(&nc->durable, "analytics") != 0
        || jr_nats_conf_default(&nc->sse_subject, "blog.sse") != 0)
    {
        return jr_nats_conf_error(err, errlen, "out of memory");
    }

    /*
     * The events stream takes every subject under its prefix, and the
     * hubs every subject under theirs: neither may hold the other, or
     * realtime messages would be stored as events, or events delivered
     * to readers.
     */
    if (jr_nats_conf_within(nc->sse_subject, nc->subject)
        || jr_nats_conf_within(nc->subject, nc->sse_subject))
    {
        *line = nc->seen[JR_NATS_KEY_SSE_SUBJECT]
                ? nc->seen[JR_NATS_KEY_SSE_SUBJECT]
                : nc->seen[JR_NATS_KEY_SUBJECT];
        return jr_nats_conf_error(err, errlen, "sse_subject_prefix \"%s\" "
                                  "and subject_prefix \"%s\" overlap: one "
                                  "is, or is under, the other",
                                  nc->sse_subject, nc->subject);
    }

    return 0;
}
