/*
 * Tags: the tags table holds one row per slug, post_tags links posts to
 * them.  Tag names come from revisions.tags, joined by ','; the writers
 * (front-matter parser, admin form) make sure no name contains one.
 *
 * Only ASCII counts as a letter in a slug: slugs end up in URLs, where
 * anything else would be escaped.
 */

#include <stdio.h>
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


/*
 * Links post id to the tag of name[0..n), made if new, and appends its id
 * to the JSON array being written at *keep.
 */
static int
blog_tags_link(sqlite3_stmt *upsert, sqlite3_stmt *rename,
    sqlite3_stmt *link, int64_t id, const char *name, size_t n, char *slug,
    char **keep)
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

    if (rename != NULL) {
        rc = sqlite3_bind_text(rename, 1, slug, (int) sl, SQLITE_STATIC);
        if (rc == SQLITE_OK) {
            rc = sqlite3_bind_text(rename, 2, name, (int) n, SQLITE_STATIC);
        }

        if (rc == SQLITE_OK) {
            rc = sqlite3_step(rename);
            if (rc == SQLITE_DONE) {
                rc = sqlite3_reset(rename);
            }
        }

        if (rc != SQLITE_OK) {
            return rc;
        }
    }

    *keep += sprintf(*keep, ",%lld", (long long) tag);

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


/*
 * The links that stay are left as they are, and only the others deleted:
 * every link written moves the tag's listing (migration 8), and a post
 * saved with its tags unchanged should not move any.
 */
int
blog_tags_set(sqlite3 *db, blog_stmts_t *cache, int64_t id,
    const char *names)
{
    int            rc;
    char          *slug, *keep, *p_keep;
    size_t         n, ntags;
    const char    *p, *comma;
    sqlite3_stmt  *unlink, *upsert, *rename, *link;

    unlink = NULL;
    upsert = NULL;
    rename = NULL;
    link = NULL;

    ntags = 1;
    for (p = names; *p != '\0'; p++) {
        ntags += (*p == ',');
    }

    /* a slug is never longer than its name, nor than all the names */
    slug = malloc(strlen(names) + 1);
    keep = malloc(ntags * (sizeof(",-9223372036854775808") - 1)
                  + sizeof("[0]"));
    if (slug == NULL || keep == NULL) {
        free(slug);
        free(keep);
        return SQLITE_NOMEM;
    }

    /* "[0,3,7]": 0 is no tag's id, and spares the commas a special case */
    p_keep = keep;
    *p_keep++ = '[';
    *p_keep++ = '0';

    /* blog_tags_defer(): the name goes to the table of the renames */
    if (sqlite3_table_column_metadata(db, "temp", "blog_tag_names", NULL,
                                      NULL, NULL, NULL, NULL, NULL)
        == SQLITE_OK)
    {
        rc = blog_stmt_prepare(cache, db,
                 "INSERT INTO temp.blog_tag_names (slug, name)"
                 " VALUES (?1, ?2)"
                 " ON CONFLICT (slug) DO UPDATE SET name = excluded.name",
                 &rename);

        /* a no-op update: RETURNING gives a row for a tag already there */
        if (rc == SQLITE_OK) {
            rc = blog_stmt_prepare(cache, db,
                     "INSERT INTO tags (slug, name) VALUES (?1, ?2)"
                     " ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug"
                     " RETURNING id", &upsert);
        }

    } else {
        rc = blog_stmt_prepare(cache, db,
                 "INSERT INTO tags (slug, name) VALUES (?1, ?2)"
                 " ON CONFLICT (slug) DO UPDATE SET name = excluded.name"
                 " RETURNING id", &upsert);
    }

    if (rc == SQLITE_OK) {
        rc = blog_stmt_prepare(cache, db,
                 "INSERT OR IGNORE INTO post_tags (post_id, tag_id)"
                 " VALUES (?1, ?2)", &link);
    }

    if (rc == SQLITE_OK) {
        rc = blog_stmt_prepare(cache, db,
                 "DELETE FROM post_tags WHERE post_id = ?1"
                 " AND tag_id NOT IN (SELECT value FROM json_each(?2))",
                 &unlink);
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

        rc = blog_tags_link(upsert, rename, link, id, p, n, slug, &p_keep);
    }

    *p_keep++ = ']';

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(unlink, 1, id);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_text(unlink, 2, keep, (int) (p_keep - keep),
                               SQLITE_STATIC);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(unlink);
        rc = (rc == SQLITE_DONE) ? SQLITE_OK : rc;
    }

    blog_stmt_done(cache, unlink);
    blog_stmt_done(cache, upsert);
    blog_stmt_done(cache, rename);
    blog_stmt_done(cache, link);
    free(slug);
    free(keep);

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


int
blog_tags_defer(sqlite3 *db)
{
    return sqlite3_exec(db,
               "CREATE TEMP TABLE blog_tag_names ("
               "  slug TEXT PRIMARY KEY,"
               "  name TEXT NOT NULL"
               ")", NULL, NULL, NULL);
}


int
blog_tags_rename(sqlite3 *db)
{
    return sqlite3_exec(db,
               "UPDATE tags SET name = n.name FROM temp.blog_tag_names n"
               " WHERE tags.slug = n.slug AND tags.name != n.name;"
               "DROP TABLE temp.blog_tag_names;", NULL, NULL, NULL);
}
