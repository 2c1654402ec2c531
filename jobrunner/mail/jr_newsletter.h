/*
 * What the newsletter's two kinds share (jr_newsletter.c sends a post to
 * the subscribers, jr_subscribe.c mails a confirmation link): the site's
 * settings as data.db has them, and a connection of a pool thread's own.
 */

#ifndef JR_NEWSLETTER_H
#define JR_NEWSLETTER_H

#include <sqlite3.h>

#include "core/jr_config.h"


/* The links' routes under base_url: the module's (README, "Newsletter"). */
#define JR_NL_CONFIRM_ROUTE      "subscribe/confirm?t="
#define JR_NL_UNSUBSCRIBE_ROUTE  "unsubscribe?t="

typedef struct {
    char  *title;          /* settings.title, may be empty */
    char  *base_url;       /* settings.base_url, with a trailing "/" */
    char  *key;            /* settings.newsletter_key */
} jr_nl_site_t;


/*
 * Reads the settings from db.  0, or -1 with why in err: no base_url (the
 * links would have no address), no key, out of memory, a database error.
 */
int jr_nl_site_read(sqlite3 *db, jr_nl_site_t *site, char *err, size_t len);
void jr_nl_site_free(jr_nl_site_t *site);

/*
 * A pool thread's connection: data.db, as it is (checked, not migrated),
 * with queue.db attached as "queue".  NULL with why in err.
 */
sqlite3 *jr_nl_db_open(const jr_config_t *cf, char *err, size_t len);

#endif /* JR_NEWSLETTER_H */
