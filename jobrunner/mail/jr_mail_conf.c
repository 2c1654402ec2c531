/*
 * The [mail] section; see jr_mail_conf.h.
 */

#include <stdlib.h>
#include <string.h>

#include "blog_newsletter.h"
#include "mail/jr_mail_conf.h"


#define JR_MAIL(member)  JR_CONF_FIELD(jr_mail_conf_t, member)


/* "Name <addr>" or "addr": the address, copied into mc->from_addr. */
static int
jr_mail_conf_set_from(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    size_t           len;
    const char      *c, *lt, *addr;
    jr_mail_conf_t  *mc = conf;

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

    if (!blog_email_valid(addr, len)) {
        goto invalid;
    }

    mc->from = strdup(value);
    mc->from_addr = strndup(addr, len);

    if (mc->from == NULL || mc->from_addr == NULL) {
        return jr_conf_error(cf, "out of memory");
    }

    return 0;

invalid:

    return jr_conf_invalid(cf, key, value, "expected an address, or a name "
                           "and the address in <>: Blog <blog@example.org>");
}


static int
jr_mail_conf_set_url(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    size_t           scheme;
    const char      *c, *host, *end;
    jr_mail_conf_t  *mc = conf;

    if (strncmp(value, "smtp://", 7) == 0) {
        scheme = 7;

    } else if (strncmp(value, "smtps://", 8) == 0) {
        scheme = 8;

    } else {
        return jr_conf_invalid(cf, key, value, "expected smtp://HOST[:PORT] "
                               "or smtps://HOST[:PORT]");
    }

    host = value + scheme;
    end = host + strcspn(host, "/");

    /* the URL is logged: a password in it would be too, so say where */
    if (memchr(host, '@', (size_t) (end - host)) != NULL) {
        return jr_conf_error(cf, "smtp_url must not hold a user name or "
                             "password: set username and password in [mail] "
                             "instead");
    }

    for (c = value; *c; c++) {
        if ((unsigned char) *c <= ' ' || *c == 0x7f) {
            return jr_conf_invalid(cf, key, value, "blanks or control "
                                   "characters");
        }
    }

    if (end == host || *host == ':') {
        return jr_conf_invalid(cf, key, value, "no host");
    }

    mc->smtp_url = strdup(value);
    if (mc->smtp_url == NULL) {
        return jr_conf_error(cf, "out of memory");
    }

    return 0;
}


/* A DNS name: labels of letters, digits and "-" between dots. */
static int
jr_mail_conf_dns_name(const char *s)
{
    size_t  label;

    label = 0;

    for ( /* void */ ; *s; s++) {
        if (*s == '.') {
            if (label == 0) {
                return -1;
            }

            label = 0;
            continue;
        }

        if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z')
            && !(*s >= '0' && *s <= '9') && *s != '-')
        {
            return -1;
        }

        if (++label > 63) {
            return -1;
        }
    }

    return label ? 0 : -1;
}


/* The key read now: a key that cannot sign stops the start, not a mail. */
static int
jr_mail_conf_dkim(jr_conf_t *cf, jr_mail_conf_t *mc)
{
    char        err[512];
    const char  *domain;

    if (mc->dkim_key_file == NULL) {
        if (mc->dkim_selector || mc->dkim_domain) {
            return jr_conf_error(cf, "[mail] has a dkim_%s but no "
                                 "dkim_key_file",
                                 mc->dkim_selector ? "selector" : "domain");
        }

        return 0;
    }

    if (mc->dkim_selector == NULL) {
        return jr_conf_error_at(cf, jr_conf_line(cf, "dkim_key_file"),
                                "[mail] dkim_key_file needs a dkim_selector: "
                                "the DNS name SELECTOR._domainkey.DOMAIN has "
                                "the public key");
    }

    domain = mc->dkim_domain ? mc->dkim_domain
                             : strrchr(mc->from_addr, '@') + 1;

    mc->dkim = jr_dkim_load(domain, mc->dkim_selector, mc->dkim_key_file,
                            err, sizeof(err));
    if (mc->dkim == NULL) {
        return jr_conf_error_at(cf, jr_conf_line(cf, "dkim_key_file"), "%s",
                                err);
    }

    return 0;
}


/* Both credentials or none, and over TLS only; the DKIM key. */
static int
jr_mail_conf_finish(jr_conf_t *cf, void *conf)
{
    jr_mail_conf_t  *mc = conf;

    if ((mc->username == NULL) != (mc->password == NULL)) {
        return jr_conf_error(cf, "[mail] has a %s but no %s (in the file or "
                             "in %s)",
                             mc->username ? "username" : "password",
                             mc->username ? "password" : "username",
                             mc->username ? JR_MAIL_ENV_PASSWORD
                                          : JR_MAIL_ENV_USERNAME);
    }

    if (mc->username && strncmp(mc->smtp_url, "smtps://", 8) != 0
        && mc->starttls != JR_STARTTLS_REQUIRED)
    {
        return jr_conf_error_at(cf, jr_conf_line(cf, "starttls"), "[mail] "
                                "sends its username and password over TLS "
                                "only: use smtps:// or starttls = required");
    }

    return jr_mail_conf_dkim(cf, mc);
}


static void
jr_mail_conf_free(void *conf)
{
    jr_mail_conf_t  *mc = conf;

    free(mc->from_addr);
    mc->from_addr = NULL;
    jr_dkim_free(mc->dkim);
    mc->dkim = NULL;
}


static const jr_conf_type_t  jr_mail_conf_url = {
    jr_mail_conf_set_url, JR_CONF_HEAP
};

static const jr_conf_type_t  jr_mail_conf_from = {
    jr_mail_conf_set_from, JR_CONF_HEAP
};

static const jr_conf_enum_t  jr_mail_conf_starttls[] = {
    { "required", JR_STARTTLS_REQUIRED }, { "try", JR_STARTTLS_TRY },
    { "off", JR_STARTTLS_OFF }, { NULL, 0 }
};

static const jr_conf_check_t  jr_mail_conf_dns = {
    jr_mail_conf_dns_name, "expected a DNS name: mail, 2026a.example.org"
};

/* the user name too is never repeated in a message: it may be a secret */
static const jr_conf_key_t  jr_mail_conf_keys[] = {
    { "smtp_url", &jr_mail_conf_url, JR_MAIL(smtp_url), .required = 1 },
    { "from", &jr_mail_conf_from, JR_MAIL(from), .required = 1 },
    { "username", &jr_conf_secret, JR_MAIL(username),
      .env = JR_MAIL_ENV_USERNAME },
    { "password", &jr_conf_secret, JR_MAIL(password),
      .env = JR_MAIL_ENV_PASSWORD },
    { "starttls", &jr_conf_enum, JR_MAIL(starttls),
      .data = jr_mail_conf_starttls, .def = "required" },
    { "ca_file", &jr_conf_path, JR_MAIL(ca_file) },
    { "timeout", &jr_conf_duration, JR_MAIL(timeout),
      .max = 600, .def = "30s" },
    { "rate", &jr_conf_number, JR_MAIL(rate), .min = 1, .max = 10000,
      .def = "10" },
    { "per_connection", &jr_conf_number, JR_MAIL(per_connection),
      .min = 1, .max = 100000, .def = "100" },
    { "retry", &jr_conf_duration, JR_MAIL(retry), .min = 1, .max = 86400,
      .def = "1m" },
    { "attempts", &jr_conf_number, JR_MAIL(attempts), .min = 1, .max = 100,
      .def = "5" },
    { "confirm_ttl", &jr_conf_duration, JR_MAIL(confirm_ttl), .min = 60,
      .max = 30 * 86400, .def = "2d" },
    { "dkim_key_file", &jr_conf_path, JR_MAIL(dkim_key_file) },
    { "dkim_selector", &jr_conf_string, JR_MAIL(dkim_selector),
      .data = &jr_mail_conf_dns },
    { "dkim_domain", &jr_conf_string, JR_MAIL(dkim_domain),
      .data = &jr_mail_conf_dns },
    { "newsletter_progress", &jr_conf_duration, JR_MAIL(newsletter_progress),
      .max = 60, .def = "1s" },
    { "newsletter_stall", &jr_conf_duration, JR_MAIL(newsletter_stall),
      .max = 86400, .def = "10m" },
    { NULL }
};

const jr_conf_section_t  jr_mail_conf_section = {
    .name = "mail", .line = offsetof(jr_mail_conf_t, line),
    .keys = jr_mail_conf_keys,
    .finish = jr_mail_conf_finish, .free = jr_mail_conf_free
};
