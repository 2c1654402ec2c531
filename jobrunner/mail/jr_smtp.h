/*
 * What the mail kinds share: sending through the [mail] SMTP server with
 * libcurl, for the sign-in codes (jr_mail.c) and the analytics reports
 * (jr_report.c) -- libcurl's easy interface blocks: pool threads only --
 * and the blog's title they name.
 */

#ifndef JR_SMTP_H
#define JR_SMTP_H

#include <stddef.h>

#include <sqlite3.h>

#include "mail/jr_mail_conf.h"


/*
 * Sends message (len bytes, RFC 5322 with CRLF line ends) to the nto
 * addresses of to (bare addresses) as mc says.  Returns 0, or -1 with why
 * in err (errlen bytes) and *permanent set when retrying cannot help (a
 * 5xx reply, credentials or TLS refused).  *reply is the server's last
 * SMTP reply code, 0 if none.
 */
int jr_smtp_send(const jr_mail_conf_t *mc, const char *const *to, size_t nto,
    const char *message, size_t len, long *reply, int *permanent, char *err,
    size_t errlen);

/*
 * The blog's title (data.db's settings), "" when it has none: malloc'ed,
 * or NULL with SQLite's code in *rc.  In jr_mail.c.  Loop only.
 */
char *jr_mail_blog_title(sqlite3 *db, int *rc);

#endif /* JR_SMTP_H */
