/*
 * Tags: the tags table holds one row per slug, post_tags links posts to
 * them.  Tag names come from revisions.tags, joined by ','; the parser makes
 * sure no name contains one.
 */

#include <stdlib.h>
#include <string.h>

#include "ctl_db.h"
#include "ctl_slug.h"
#include "ctl_tags.h"
#include "ctl_util.h"


static int
ctl_tags_link(sqlite3 *db, sqlite3_stmt *upsert, sqlite3_stmt *link,
    int64_t id, const char *name, size_t n, char *slug)
{
    size_t   sl;
    int64_t  tag;

    sl = ctl_tag_slug(name, n, slug);

    /* the parser refuses such names; a revision written by hand may not */
    if (sl == 0) {
        return CTL_OK;
    }

    if (sqlite3_bind_text(upsert, 1, slug, (int) sl, SQLITE_STATIC)
        != SQLITE_OK
        || sqlite3_bind_text(upsert, 2, name, (int) n, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_step(upsert) != SQLITE_ROW)
    {
        return ctl_db_fail(db);
    }

    tag = sqlite3_column_int64(upsert, 0);

    if (sqlite3_reset(upsert) != SQLITE_OK) {
        return ctl_db_fail(db);
    }

    if (sqlite3_bind_int64(link, 1, id) != SQLITE_OK
        || sqlite3_bind_int64(link, 2, tag) != SQLITE_OK
        || sqlite3_step(link) != SQLITE_DONE
        || sqlite3_reset(link) != SQLITE_OK)
    {
        return ctl_db_fail(db);
    }

    return CTL_OK;
}


int
ctl_tags_set(sqlite3 *db, int64_t id, const char *names)
{
    int            rc;
    char          *slug;
    size_t         n;
    const char    *p, *comma;
    sqlite3_stmt  *del, *upsert, *link;

    del = NULL;
    upsert = NULL;
    link = NULL;
    rc = CTL_ERROR;

    /* a slug is never longer than its name, nor than all the names */
    slug = malloc(strlen(names) + 1);
    if (slug == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    if (ctl_db_prepare(db, "DELETE FROM post_tags WHERE post_id = ?1", &del)
        != CTL_OK
        || ctl_db_prepare(db,
               "INSERT INTO tags (slug, name) VALUES (?1, ?2)"
               " ON CONFLICT (slug) DO UPDATE SET name = excluded.name"
               " RETURNING id", &upsert) != CTL_OK
        || ctl_db_prepare(db,
               "INSERT OR IGNORE INTO post_tags (post_id, tag_id)"
               " VALUES (?1, ?2)", &link) != CTL_OK)
    {
        goto done;
    }

    if (sqlite3_bind_int64(del, 1, id) != SQLITE_OK
        || sqlite3_step(del) != SQLITE_DONE)
    {
        ctl_db_fail(db);
        goto done;
    }

    for (p = names; *p != '\0'; p = (*comma != '\0') ? comma + 1 : comma) {
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

        if (ctl_tags_link(db, upsert, link, id, p, n, slug) != CTL_OK) {
            goto done;
        }
    }

    rc = CTL_OK;

done:

    sqlite3_finalize(del);
    sqlite3_finalize(upsert);
    sqlite3_finalize(link);
    free(slug);

    return rc;
}


int
ctl_tags_prune(sqlite3 *db)
{
    if (sqlite3_exec(db,
            "DELETE FROM tags"
            " WHERE id NOT IN (SELECT tag_id FROM post_tags)",
            NULL, NULL, NULL) != SQLITE_OK)
    {
        return ctl_db_fail(db);
    }

    return CTL_OK;
}
