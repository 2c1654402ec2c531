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
 *     dkim_key_file = dkim.key          ; signs every mail: jr_dkim.h
 *     dkim_selector = mail
 *     dkim_domain   = example.org       ; default: the From domain
 *     newsletter_progress = 1s          ; jr_nl_progress.h
 *     newsletter_stall    = 10m
 *
 *     ; the newsletter (jr_newsletter.c, jr_subscribe.c)
 *     rate           = 10           ; messages per second, at most
 *     per_connection = 100          ; messages over one SMTP connection
 *     retry          = 1m           ; after a 4xx, doubled per attempt
 *     attempts       = 5            ; then the message is failed
 *     confirm_ttl    = 2d           ; a confirmation link's life
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

#include "core/jr_conf.h"
#include "mail/jr_dkim.h"


#define JR_MAIL_ENV_USERNAME  "JOBRUNNER_SMTP_USERNAME"
#define JR_MAIL_ENV_PASSWORD  "JOBRUNNER_SMTP_PASSWORD"

#include "blog_newsletter.h"

/* the longest address we send to or from (blog_email_valid) */
#define JR_MAIL_ADDR_MAX      BLOG_EMAIL_MAX

typedef enum {
    JR_STARTTLS_REQUIRED = 0,
    JR_STARTTLS_TRY,
    JR_STARTTLS_OFF
} jr_starttls_e;

typedef struct {
    char          *smtp_url;     /* NULL: codes go to the log */
    char          *from;         /* the From: header, as written */
    char          *from_addr;    /* its address, for MAIL FROM */
    char          *username;     /* NULL: no AUTH */
    char          *password;
    char          *ca_file;      /* NULL: the system's CAs */
    jr_starttls_e  starttls;
    unsigned       timeout;      /* seconds */
    char          *dkim_key_file;
    char          *dkim_selector;
    char          *dkim_domain;
    jr_dkim_t     *dkim;         /* NULL: mails go unsigned */
    unsigned       newsletter_progress;   /* seconds between counts */
    unsigned       newsletter_stall;      /* seconds without progress */
    unsigned       rate;         /* newsletter messages per second */
    unsigned       per_connection; /* messages before a new connection */
    unsigned       retry;        /* seconds before a 4xx is tried again,
                                    doubled per attempt */
    unsigned       attempts;     /* SMTP tries of one message at most */
    unsigned       confirm_ttl;  /* seconds a confirmation link works */
    int            line;         /* of "[mail]", 0 if none */
} jr_mail_conf_t;


/*
 * The user name and password come from the environment when the file
 * does not set them, and go over TLS only.
 */
extern const jr_conf_section_t  jr_mail_conf_section;

#endif /* JR_MAIL_CONF_H */
