/*
 * One SMTP client for the mails of the jobrunner (sign-in codes,
 * confirmation links, newsletters): a libcurl easy handle set up from
 * [mail] once, which sends message after message over the connection it
 * keeps (libcurl's connection cache of the handle), and opens a new one
 * after per_connection messages.  Blocking: pool threads only.
 */

#ifndef JR_SMTP_H
#define JR_SMTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "mail/jr_mail_conf.h"


typedef struct {
    CURL                  *curl;
    const jr_mail_conf_t  *mc;
    unsigned               sent;         /* over the current connection */
    char                  *head;         /* its DKIM-Signature, or NULL */
    size_t                 head_len;
    const char            *msg;          /* the message being sent */
    size_t                 len;
    size_t                 off;          /* of head and msg together */
    long                   reply;        /* the server's last reply code */
    CURLcode               rc;           /* the last send's */
    char                   err[CURL_ERROR_SIZE];
} jr_smtp_t;


/* Sets the handle up.  0, or -1 (no memory). */
int jr_smtp_open(jr_smtp_t *s, const jr_mail_conf_t *mc);

/*
 * Sends msg[0..len) to the address to (envelope), from [mail]'s address,
 * signed first when [mail] has a DKIM key (jr_dkim.h).  Returns 0 when the server accepted it, or -1 with s->rc, s->reply and
 * s->err telling why.
 */
int jr_smtp_send(jr_smtp_t *s, const char *to, const char *msg, size_t len);

/* The same message to the nto addresses of to, in one transaction. */
int jr_smtp_send_all(jr_smtp_t *s, const char *const *to, size_t nto,
    const char *msg, size_t len);

/* Whether the last failure is a "never": 5xx, refused credentials, TLS. */
int jr_smtp_permanent(const jr_smtp_t *s);

/* "smtp://...: libcurl's error: detail (last SMTP reply 550)" into buf. */
void jr_smtp_error(const jr_smtp_t *s, char *buf, size_t size);

/* Closes the connection (QUIT) and frees the handle. */
void jr_smtp_close(jr_smtp_t *s);

#endif /* JR_SMTP_H */
