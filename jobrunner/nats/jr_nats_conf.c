/*
 * The [nats] section; see jr_nats_conf.h.
 */

#include <string.h>
#include <unistd.h>

#include "nats/jr_nats_conf.h"


#define JR_NATS(member)  JR_CONF_FIELD(jr_nats_conf_t, member)

#define JR_NATS_SUBJECT_MAX  128

/* JR_NATS_NAME_MAX in a message */
#define JR_NATS_STR(n)       JR_NATS_STR_(n)
#define JR_NATS_STR_(n)      #n


/*
 * A name that is one subject token and a valid stream, consumer and
 * message id part: letters, digits, "_" and "-" (no ".", which separates
 * tokens and the parts of a message id).
 */
static int
jr_nats_conf_name(const char *s, size_t len)
{
    return (len > 0 && len <= JR_NATS_NAME_MAX
            && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789_-") >= len)
           ? 0 : -1;
}


static int
jr_nats_conf_is_name(const char *s)
{
    return jr_nats_conf_name(s, strlen(s));
}


/* Names joined by single dots: no wildcard, no empty token. */
static int
jr_nats_conf_is_subject(const char *s)
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
jr_nats_conf_is_url(const char *s)
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


/* Whether subject s is prefix, or a subject under it. */
static int
jr_nats_conf_within(const char *s, const char *prefix)
{
    size_t  len;

    len = strlen(prefix);

    return strncmp(s, prefix, len) == 0 && (s[len] == '\0' || s[len] == '.');
}


static int
jr_nats_conf_finish(jr_conf_t *cf, void *conf)
{
    int              line;
    char             host[256];
    size_t           len;
    jr_nats_conf_t  *nc = conf;

    if ((nc->role & JR_NATS_PUBLISH)
        && jr_conf_value(cf, "jobrunner", "spool_dir") == NULL)
    {
        return jr_conf_error_at(cf, jr_conf_line(cf, "role"), "a publisher "
                                "keeps the events NATS has not taken yet in "
                                "spool_dir: set it in [jobrunner]");
    }

    /* the host name up to its first dot: "edge-1" of edge-1.example.org */
    if (nc->node == NULL) {
        if (gethostname(host, sizeof(host)) != 0) {
            host[0] = '\0';
        }

        host[sizeof(host) - 1] = '\0';
        len = strcspn(host, ".");

        if (jr_nats_conf_name(host, len) != 0) {
            return jr_conf_error(cf, "the host name \"%s\" is no valid node "
                                 "name: set \"node\" in [nats]", host);
        }

        nc->node = strndup(host, len);
        if (nc->node == NULL) {
            return jr_conf_error(cf, "out of memory");
        }
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
        line = jr_conf_line(cf, "sse_subject_prefix");

        return jr_conf_error_at(cf, line ? line
                                         : jr_conf_line(cf, "subject_prefix"),
                                "sse_subject_prefix \"%s\" and subject_prefix "
                                "\"%s\" overlap: one is, or is under, the "
                                "other", nc->sse_subject, nc->subject);
    }

    /* no announcement stored as an event or sent to readers */
    if (jr_nats_conf_within(nc->backup_subject, nc->subject)
        || jr_nats_conf_within(nc->subject, nc->backup_subject)
        || jr_nats_conf_within(nc->backup_subject, nc->sse_subject)
        || jr_nats_conf_within(nc->sse_subject, nc->backup_subject))
    {
        return jr_conf_error_at(cf, jr_conf_line(cf, "backup_subject"),
                                "backup_subject \"%s\" overlaps "
                                "subject_prefix \"%s\" or sse_subject_prefix "
                                "\"%s\": one is, or is under, the other",
                                nc->backup_subject, nc->subject,
                                nc->sse_subject);
    }

    return 0;
}


static const jr_conf_check_t  jr_nats_conf_url = {
    jr_nats_conf_is_url,
    "expected nats://HOST:PORT or tls://HOST:PORT, several separated by "
    "commas"
};

static const jr_conf_check_t  jr_nats_conf_token = {
    jr_nats_conf_is_name,
    "expected 1 to " JR_NATS_STR(JR_NATS_NAME_MAX) " of A-Z, a-z, 0-9, "
    "\"_\" and \"-\""
};

static const jr_conf_check_t  jr_nats_conf_subject = {
    jr_nats_conf_is_subject,
    "expected tokens of A-Z, a-z, 0-9, \"_\" and \"-\" joined by dots, such "
    "as blog.events"
};

static const jr_conf_enum_t  jr_nats_conf_roles[] = {
    { "publisher", JR_NATS_PUBLISH }, { "consumer", JR_NATS_CONSUME },
    { "both", JR_NATS_PUBLISH | JR_NATS_CONSUME }, { NULL, 0 }
};

/* the url is a secret: it may hold a user's password */
static const jr_conf_key_t  jr_nats_conf_keys[] = {
    { "url", &jr_conf_secret, JR_NATS(url),
      .data = &jr_nats_conf_url, .required = 1 },
    { "role", &jr_conf_enum, JR_NATS(role),
      .data = jr_nats_conf_roles, .required = 1 },
    { "node", &jr_conf_string, JR_NATS(node), .data = &jr_nats_conf_token },
    { "stream", &jr_conf_string, JR_NATS(stream),
      .data = &jr_nats_conf_token, .def = "BLOG_EVENTS" },
    { "subject_prefix", &jr_conf_string, JR_NATS(subject),
      .data = &jr_nats_conf_subject, .def = "blog.events" },
    { "durable", &jr_conf_string, JR_NATS(durable),
      .data = &jr_nats_conf_token, .def = "analytics" },
    { "max_age", &jr_conf_duration, JR_NATS(max_age),
      .data = "12h or 7d", .def = "7d" },
    { "creds", &jr_conf_path, JR_NATS(creds) },
    { "ack_wait", &jr_conf_duration, JR_NATS(ack_wait),
      .max = 3600, .def = "30s" },
    { "sse", &jr_conf_flag, JR_NATS(sse), .def = "on" },
    { "sse_subject_prefix", &jr_conf_string, JR_NATS(sse_subject),
      .data = &jr_nats_conf_subject, .def = "blog.sse" },
    { "backup_subject", &jr_conf_string, JR_NATS(backup_subject),
      .data = &jr_nats_conf_subject, .def = "blog.backup" },
    { NULL }
};

const jr_conf_section_t  jr_nats_conf_section = {
    .name = "nats", .line = offsetof(jr_nats_conf_t, line),
    .keys = jr_nats_conf_keys, .finish = jr_nats_conf_finish
};
