/*
 * The [mail] section: the SMTP server that the "mail" job sends sign-in
 * codes through (jr_mail.c).
 *
 *     [mail]
 *     smtp_url = smtps://mail.example.org:465
 *     from     = Blog <blog@example.org>
 *     username = blog@example.org
 *     password = ...                    ; or JOBRUNNER_SMTP_PASSWORD
 *     starttls = required               ; required, try or off (smtp://)
 *     ca_file  = /etc/ssl/private-ca.pem
 *     timeout  = 30s
 *
 * Without a [mail] section nothing is sent: the codes are written to the
 * jobrunner's log instead, which is what "make run" does.  The user name
 * and password may come from the environment (JOBRUNNER_SMTP_USERNAME,
 * JOBRUNNER_SMTP_PASSWORD) when the file does not set them, and are only
 * ever sent over TLS.  Neither ever appears in a message or the log.
 */

#ifndef JR_MAIL_CONF_H
#define JR_MAIL_CONF_H

#include <stddef.h>


#define JR_MAIL_ENV_USERNAME  "JOBRUNNER_SMTP_USERNAME"
#define JR_MAIL_ENV_PASSWORD  "JOBRUNNER_SMTP_PASSWORD"

/* RFC 5321's longest path: the longest address we send to or from. */
#define JR_MAIL_ADDR_MAX      254

typedef enum {
    JR_STARTTLS_REQUIRED = 0,
    JR_STARTTLS_TRY,
    JR_STARTTLS_OFF
} jr_starttls_e;

enum {
    JR_MAIL_KEY_SMTP_URL = 0,
    JR_MAIL_KEY_FROM,
    JR_MAIL_KEY_USERNAME,
    JR_MAIL_KEY_PASSWORD,
    JR_MAIL_KEY_STARTTLS,
    JR_MAIL_KEY_CA_FILE,
    JR_MAIL_KEY_TIMEOUT,
    JR_MAIL_KEY_N
};

typedef struct {
    char          *smtp_url;     /* NULL: codes go to the log */
    char          *from;         /* the From: header, as written */
    char          *from_addr;    /* its address, for MAIL FROM */
    char          *username;     /* NULL: no AUTH */
    char          *password;
    char          *ca_file;      /* NULL: the system's CAs */
    jr_starttls_e  starttls;
    unsigned       timeout;      /* seconds */
    int            line;         /* of "[mail]", 0 if none */
    int            seen[JR_MAIL_KEY_N];
} jr_mail_conf_t;


void jr_mail_conf_init(jr_mail_conf_t *mc);

/* Frees the strings, the password wiped first. */
void jr_mail_conf_free(jr_mail_conf_t *mc);

/* The "[mail]" line.  Returns 0, or -1 when it is the second one. */
int jr_mail_conf_section(jr_mail_conf_t *mc, int line, char *err,
    size_t errlen);

/*
 * A key of [mail]; a relative ca_file is taken from dir (dirlen bytes
 * with its slash).  Returns 0, or -1 with the reason in err.
 */
int jr_mail_conf_key(jr_mail_conf_t *mc, const char *name, const char *value,
    const char *dir, size_t dirlen, int line, char *err, size_t errlen);

/*
 * After the whole file: required keys, credentials from the environment,
 * and TLS for them.  Returns 0, or -1 with *line the line to blame.
 */
int jr_mail_conf_finish(jr_mail_conf_t *mc, int *line, char *err,
    size_t errlen);

/*
 * Whether s is an address we send mail to or from: 1 to 254 bytes with
 * one "@" between a local part and a domain, and none of the characters
 * that would need quoting or could end a header or an SMTP command.
 */
int jr_mail_addr_valid(const char *s, size_t len);

#endif /* JR_MAIL_CONF_H */
