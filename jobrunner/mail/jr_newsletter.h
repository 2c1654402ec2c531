/*
 * What the newsletter's two kinds share (jr_newsletter.c sends a post to
 * the subscribers, jr_subscribe.c mails a confirmation link): the site's
 * settings as data.db has them, and a connection of a pool thread's own.
 */

#ifndef JR_NEWSLETTER_H
#define JR_NEWSLETTER_H

#include <sqlite3.h>

#include "core/jr_config.h"
#include "jobs/jr_jobs.h"


/*
 * Where a message has its reader's unsubscribe link: rendered once as the
 * template's {{unsubscribe_url}}, replaced per message.
 */
#define JR_NL_MARK         "@@BLOG-UNSUBSCRIBE-URL@@"

#define JR_NL_HTML         "newsletter-mail.html"
#define JR_NL_TEXT         "newsletter-mail.txt"

/* The links' routes under base_url: the module's (README, "Newsletter"). */
#define JR_NL_CONFIRM_ROUTE      "subscribe/confirm?t="
#define JR_NL_UNSUBSCRIBE_ROUTE  "unsubscribe?t="

typedef struct {
    char  *title;          /* settings.title, may be empty */
    char  *base_url;       /* settings.base_url, with a trailing "/" */
    char  *post_route;     /* settings.post_route ("posts/"), with its "/":
                              the module's "blog_route post" */
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


/* A newsletter as rendered: malloc'ed, NUL-terminated. */
typedef struct {
    char  *subject;        /* the post's title */
    char  *html;
    char  *text;
} jr_nl_letter_t;

/*
 * Renders post (jr_nl_render.c) with the site's settings, reading it on
 * db.  0, or -1 after jr_work_fail().
 */
int jr_nl_render(jr_work_t *w, sqlite3 *db, const jr_nl_site_t *site,
    int64_t post, jr_nl_letter_t *out);
void jr_nl_letter_free(jr_nl_letter_t *l);

#endif /* JR_NEWSLETTER_H */
