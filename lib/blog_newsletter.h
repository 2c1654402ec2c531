/*
 * The newsletter's links and addresses, shared by the module (which
 * checks links: ngx_http_blog_newsletter.c) and the jobrunner (which
 * writes them into mails: jobrunner/mail/).
 *
 * A link's token is "PAYLOAD.MAC": the payload in base64url, then the
 * first 16 bytes of HMAC-SHA256(key, PURPOSE ":" payload) in base64url.
 * The key is data.db's settings.newsletter_key (its migration 15), so
 * every program that has the file has it and nothing else does.  The
 * purpose keeps a token of one kind from passing as another.
 *
 *   confirm      "ISSUED EXPIRES EMAIL\nNAME": a reader's subscription,
 *                stored only when the link is followed; used once (a
 *                subscriber row confirmed or unsubscribed at or after
 *                ISSUED makes it spent) and refused after EXPIRES
 *   unsubscribe  "ID": subscriber ID's one-click unsubscription, valid
 *                as long as the row (RFC 8058 wants it to keep working)
 */

#ifndef BLOG_NEWSLETTER_H
#define BLOG_NEWSLETTER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BLOG_NL_CONFIRM      "confirm"
#define BLOG_NL_UNSUBSCRIBE  "unsubscribe"

/* RFC 5321's longest path: the longest address we send to or from. */
#define BLOG_EMAIL_MAX       254

/* The longest name a reader may give, in bytes. */
#define BLOG_NL_NAME_MAX     200

/* The longest token: a confirm payload of the longest address and name. */
#define BLOG_NL_TOKEN_MAX    1024

/* The MAC's bytes: 128 bits are plenty against forgery. */
#define BLOG_NL_MAC_BYTES    16


/* A confirm token's fields: pointers into the caller's buffer. */
typedef struct {
    time_t       issued;
    time_t       expires;
    const char  *email;
    size_t       email_len;
    const char  *name;
    size_t       name_len;
} blog_nl_confirm_t;


/*
 * Whether s is an address we send mail to or from: 1 to BLOG_EMAIL_MAX
 * bytes with one "@" between a local part and a domain, and none of the
 * characters that would need quoting or could end a header or an SMTP
 * command.
 */
int blog_email_valid(const char *s, size_t len);

/*
 * The token of payload[0..len) for purpose, NUL-terminated into out
 * (size bytes).  Returns its length, or -1 when it does not fit or
 * libcrypto failed.
 */
int blog_nl_sign(const char *key, const char *purpose, const char *payload,
    size_t len, char *out, size_t size);

/*
 * Checks token[0..len) against key for purpose, in constant time, and
 * decodes its payload, NUL-terminated, into out (size bytes).  Returns
 * the payload's length, or -1 for a token that is malformed or not
 * signed with key.
 */
int blog_nl_open(const char *key, const char *purpose, const char *token,
    size_t len, char *out, size_t size);

/*
 * Parses a confirm payload (from blog_nl_open) in place.  0, or -1 when
 * it is not one.
 */
int blog_nl_confirm_parse(char *payload, size_t len, blog_nl_confirm_t *c);

/*
 * The confirm token of an address and a name, NUL-terminated into out.
 * Returns its length, or -1.
 */
int blog_nl_confirm_sign(const char *key, time_t issued, time_t expires,
    const char *email, const char *name, char *out, size_t size);

/* The unsubscribe token of subscriber id, NUL-terminated.  Length or -1. */
int blog_nl_unsubscribe_sign(const char *key, int64_t id, char *out,
    size_t size);

#endif /* BLOG_NEWSLETTER_H */
