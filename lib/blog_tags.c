/*
 * Tags: the tags table holds one row per slug, post_tags links posts to
 * them.  Tag names come from revisions.tags, joined by ','; the writers
 * (front-matter parser, admin form) make sure no name contains one.
 *
 * Only ASCII counts as a letter in a slug: slugs end up in URLs, where
 * anything else would be escaped.
 */

#include <stdlib.h>
#include <string.h>

#include "blog_tags.h"


#define blog_is_lower_digit(c)  (((c) >= 'a' && (c) <= 'z')                  \
                                 || ((c) >= '0' && (c) <= '9'))


size_t
blog_tag_slug(const char *s, size_t n, char *out)
{
    char    c;
    size_t  i, len;
    int     dash;

    len = 0;
    dash = 0;

    for (i = 0; i < n; i++) {
        c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char) (c - 'A' + 'a');
        }

        if (!blog_is_lower_digit(c)) {
            dash = 1;
            continue;
        }

        /* a run of separators becomes one '-', but only between words */
        if (dash && len > 0) {
            out[len++] = '-';
        }

        dash = 0;
        out[len++] = c;
    }

    out[len] = '\0';

    return len;
}


static int
blog_tags_link(sqlite3_stmt *upsert, sqlite3_stmt *link, int64_t id,
    const char *name, size_t n, char *slug)
{
    int      rc;
    size_t   sl;
    int64_t  tag;

    sl = blog_tag_slug(name, n, slug);

    /* the writers refuse such names; a revision written by hand may not */
    if (sl == 0) {
        return SQLITE_OK;
    }

    rc = sqlite3_bind_text(upsert, 1, slug, (int) sl, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_text(upsert, 2, name, (int) n, SQLITE_STATIC);
    }

    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_step(upsert);
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    }

    tag = sqlite3_column_int64(upsert, 0);

    rc = sqlite3_reset(upsert);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_bind_int64(link, 1, id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(link, 2, tag);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(link);
        if (rc == SQLITE_DONE) {
            rc = sqlite3_reset(link);
        }
    }

    return rc;
}


int
blog_tags_set(sqlite3 *db, int64_t id, const char *names)
{
    int            rc;
    char          *slug;
    size_t         n;
    const char    *p, *comma;
    sqlite3_stmt  *del, *upsert, *link;

    del = NULL;
    upsert = NULL;
    link = NULL;

    /* a slug is never longer than its name, nor than all the names */
    slug = malloc(strlen(names) + 1);
    if (slug == NULL) {
        return SQLITE_NOMEM;
    }

    rc = sqlite3_prepare_v2(db, "DELETE FROM post_tags WHERE post_id = ?1",
                            -1, &del, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db,
                 "INSERT INTO tags (slug, name) VALUES (?1, ?2)"
                 " ON CONFLICT (slug) DO UPDATE SET name = excluded.name"
                 " RETURNING id", -1, &upsert, NULL);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db,
                 "INSERT OR IGNORE INTO post_tags (post_id, tag_id)"
                 " VALUES (?1, ?2)", -1, &link, NULL);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(del, 1, id);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(del);
        rc = (rc == SQLITE_DONE) ? SQLITE_OK : rc;
    }

    for (p = names; rc == SQLITE_OK && *p != '\0';
         p = (*comma != '\0') ? comma + 1 : comma)
    {
        comma = strchr(p, ',');
        if (comma == NULL) {
            comma = p + strlen(p);
        }

        n = (size_t) (comma - p);

        /* "a, b" is how a person would write a revision by hand */
        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }

        while (n > 0 && p[n - 1] == ' ') {
            n--;
        }

        rc = blog_tags_link(upsert, link, id, p, n, slug);
    }

    sqlite3_finalize(del);
    sqlite3_finalize(upsert);
    sqlite3_finalize(link);
    free(slug);

    return rc;
}


int
blog_tags_prune(sqlite3 *db)
{
    return sqlite3_exec(db,
               "DELETE FROM tags"
               " WHERE id NOT IN (SELECT tag_id FROM post_tags)",
               NULL, NULL, NULL);
}
