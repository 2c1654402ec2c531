/*
 * The [mail] section; see jr_mail_conf.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jr_jobs_conf.h"
#include "mail/jr_mail_conf.h"


#define JR_MAIL_TIMEOUT_MAX  600

static const char *const  jr_mail_keys[JR_MAIL_KEY_N] = {
    "smtp_url", "from", "username", "password", "starttls", "ca_file",
    "timeout"
};


static int __attribute__((format(printf, 3, 4)))
jr_mail_conf_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


void
jr_mail_conf_init(jr_mail_conf_t *mc)
{
    memset(mc, 0, sizeof(jr_mail_conf_t));

    mc->starttls = JR_STARTTLS_REQUIRED;
    mc->timeout = 30;
}


static void
jr_mail_conf_wipe(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}


void
jr_mail_conf_free(jr_mail_conf_t *mc)
{
    free(mc->smtp_url);
    free(mc->from);
    free(mc->from_addr);
    jr_mail_conf_wipe(mc->username);
    jr_mail_conf_wipe(mc->password);
    free(mc->ca_file);

    jr_mail_conf_init(mc);
}


int
jr_mail_conf_section(jr_mail_conf_t *mc, int line, char *err, size_t errlen)
{
    if (mc->line) {
        return jr_mail_conf_error(err, errlen, "duplicate section \"[mail]\" "
                                  "(first on line %d)", mc->line);
    }

    mc->line = line;

    return 0;
}


int
jr_mail_addr_valid(const char *s, size_t len)
{
    size_t       i, at;
    const char  *bad = "<>()[]\\,;:\"";

    if (len == 0 || len > JR_MAIL_ADDR_MAX) {
        return 0;
    }

    at = len;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] <= ' ' || s[i] == 0x7f
            || strchr(bad, s[i]) != NULL)
        {
            return 0;
        }

        if (s[i] == '@') {
            if (at != len) {
                return 0;
            }

            at = i;
        }
    }

    return at > 0 && at < len - 1;
}


/* "Name <addr>" or "addr": the address, copied into mc->from_addr. */
static int
jr_mail_conf_from(jr_mail_conf_t *mc, const char *value, char *err,
    size_t errlen)
{
    size_t       len;
    const char  *c, *lt, *addr;

    for (c = value; *c; c++) {
        if ((unsigned char) *c < ' ' || *c == 0x7f) {
            goto invalid;
        }
    }

    len = strlen(value);
    addr = value;

    if (len && value[len - 1] == '>') {
        lt = strrchr(value, '<');
        if (lt == NULL) {
            goto invalid;
        }

        addr = lt + 1;
        len = (size_t) (value + len - 1 - addr);
    }

    if (!jr_mail_addr_valid(addr, len)) {
        goto invalid;
    }

    mc->from = strdup(value);
    mc->from_addr = strndup(addr, len);

    if (mc->from == NULL || mc->from_addr == NULL) {
        return jr_mail_conf_error(err, errlen, "out of memory");
    }

    return 0;

invalid:

    return jr_mail_conf_error(err, errlen, "invalid from \"%s\" (expected "
                              "an address, or a name and the address in "
                              "<>: Blog <blog@example.org>)", value);
}


static int
jr_mail_conf_url(jr_mail_conf_t *mc, const char *value, char *err,
    size_t errlen)
{
    size_t       scheme;
    const char  *c, *host, *end;

    if (strncmp(value, "smtp://", 7) == 0) {
        scheme = 7;

    } else if (strncmp(value, "smtps://", 8) == 0) {
        scheme = 8;

    } else {
        return jr_mail_conf_error(err, errlen, "invalid smtp_url \"%s\" "
                                  "(expected smtp://HOST[:PORT] or "
                                  "smtps://HOST[:PORT])", value);
    }

    host = value + scheme;
    end = host + strcspn(host, "/");

    /* the URL is logged: a password in it would be too, so say where */
    if (memchr(host, '@', (size_t) (end - host)) != NULL) {
        return jr_mail_conf_error(err, errlen, "smtp_url must not hold a "
                                  "user name or password: set username "
                                  "and password in [mail] instead");
    }

    for (c = value; *c; c++) {
        if ((unsigned char) *c <= ' ' || *c == 0x7f) {
            return jr_mail_conf_error(err, errlen, "invalid smtp_url \"%s\" "
                                      "(blanks or control characters)",
                                      value);
        }
    }

    if (end == host || *host == ':') {
        return jr_mail_conf_error(err, errlen, "invalid smtp_url \"%s\" (no "
                                  "host)", value);
    }

    mc->smtp_url = strdup(value);
    if (mc->smtp_url == NULL) {
        return jr_mail_conf_error(err, errlen, "out of memory");
    }

    return 0;
}


int
jr_mail_conf_key(jr_mail_conf_t *mc, const char *name, const char *value,
    const char *dir, size_t dirlen, int line, char *err, size_t errlen)
{
    int      i;
    long     secs;
    size_t   len;
    char   **s;

    for (i = 0; i < JR_MAIL_KEY_N; i++) {
        if (strcmp(name, jr_mail_keys[i]) == 0) {
            break;
        }
    }

    if (i == JR_MAIL_KEY_N) {
        return jr_mail_conf_error(err, errlen, "unknown key \"%s\" in [mail] "
                                  "(expected smtp_url, from, username, "
                                  "password, starttls, ca_file or timeout)",
                                  name);
    }

    if (mc->seen[i]) {
        return jr_mail_conf_error(err, errlen, "duplicate key \"%s\" (first "
                                  "set on line %d)", name, mc->seen[i]);
    }

    mc->seen[i] = line;

    switch (i) {

    case JR_MAIL_KEY_SMTP_URL:
        return jr_mail_conf_url(mc, value, err, errlen);

    case JR_MAIL_KEY_FROM:
        return jr_mail_conf_from(mc, value, err, errlen);

    case JR_MAIL_KEY_USERNAME:
    case JR_MAIL_KEY_PASSWORD:
        /* never repeated in a message: it may be a secret */
        s = (i == JR_MAIL_KEY_USERNAME) ? &mc->username : &mc->password;
        *s = strdup(value);

        return *s ? 0 : jr_mail_conf_error(err, errlen, "out of memory");

    case JR_MAIL_KEY_STARTTLS:
        if (strcmp(value, "required") == 0) {
            mc->starttls = JR_STARTTLS_REQUIRED;

        } else if (strcmp(value, "try") == 0) {
            mc->starttls = JR_STARTTLS_TRY;

        } else if (strcmp(value, "off") == 0) {
            mc->starttls = JR_STARTTLS_OFF;

        } else {
            return jr_mail_conf_error(err, errlen, "invalid starttls \"%s\" "
                                      "(expected required, try or off)",
                                      value);
        }

        return 0;

    case JR_MAIL_KEY_CA_FILE:
        if (value[0] == '/') {
            dirlen = 0;
        }

        len = strlen(value);

        mc->ca_file = malloc(dirlen + len + 1);
        if (mc->ca_file == NULL) {
            return jr_mail_conf_error(err, errlen, "out of memory");
        }

        memcpy(mc->ca_file, dir, dirlen);
        memcpy(mc->ca_file + dirlen, value, len + 1);

        return 0;

    default:
        if (jr_jobs_conf_duration(value, &secs) != 0
            || secs > JR_MAIL_TIMEOUT_MAX)
        {
            return jr_mail_conf_error(err, errlen, "invalid timeout \"%s\" "
                                      "(expected a duration from 1s to 10m)",
                                      value);
        }

        mc->timeout = (unsigned) secs;
        return 0;
    }
}


/* A credential from the environment, if the file has not set it. */
static int
jr_mail_conf_env(char **field, const char *var)
{
    const char  *v;

    if (*field != NULL) {
        return 0;
    }

    v = getenv(var);
    if (v == NULL || *v == '\0') {
        return 0;
    }

    *field = strdup(v);

    return *field ? 0 : -1;
}


int
jr_mail_conf_finish(jr_mail_conf_t *mc, int *line, char *err, size_t errlen)
{
    *line = mc->line;

    if (mc->line == 0) {
        return 0;
    }

    if (mc->smtp_url == NULL || mc->from == NULL) {
        return jr_mail_conf_error(err, errlen, "missing required key \"%s\" "
                                  "in [mail]",
                                  mc->smtp_url ? "from" : "smtp_url");
    }

    if (jr_mail_conf_env(&mc->username, JR_MAIL_ENV_USERNAME) != 0
        || jr_mail_conf_env(&mc->password, JR_MAIL_ENV_PASSWORD) != 0)
    {
        return jr_mail_conf_error(err, errlen, "out of memory");
    }

    if ((mc->username == NULL) != (mc->password == NULL)) {
        return jr_mail_conf_error(err, errlen, "[mail] has a %s but no %s "
                                  "(in the file or in %s)",
                                  mc->username ? "username" : "password",
                                  mc->username ? "password" : "username",
                                  mc->username ? JR_MAIL_ENV_PASSWORD
                                               : JR_MAIL_ENV_USERNAME);
    }

    if (mc->username && strncmp(mc->smtp_url, "smtps://", 8) != 0
        && mc->starttls != JR_STARTTLS_REQUIRED)
    {
        *line = mc->seen[JR_MAIL_KEY_STARTTLS];
        return jr_mail_conf_error(err, errlen, "[mail] sends its username "
                                  "and password over TLS only: use "
                                  "smtps:// or starttls = required");
    }

    return 0;
}
