/*
 * The reader pages' statements (lib/blog_reader.c) against a database of
 * schema 8 with a few thousand posts: no statement scans a table that
 * grows with the site or sorts into a temporary B-tree, with and without
 * ANALYZE's statistics; and the tables the triggers keep (listing_posts,
 * listings, sitemap_parts, the search index, related_posts) stay equal to
 * what a scan of the posts gives, through inserts, publishing,
 * unpublishing, dates moved, edits, retagging, tags renamed and deletes,
 * with foreign keys on and off; and a database of schema 16 with posts
 * gets the same related posts from migration 17.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <sqlite3.h>

#include "blog_analytics_schema.h"
#include "blog_reader.h"
#include "blog_schema.h"
#include "blog_split.h"
#include "tap.h"


#define BLOG_STR(x)   BLOG_STR_(x)
#define BLOG_STR_(x)  #x


/*
 * What the triggers keep, against the same computed from the posts.  A
 * two-way difference puts each EXCEPT in a subquery of its own: SQLite
 * runs a compound left to right, so "A EXCEPT B UNION ALL B EXCEPT A" is
 * only what B has and A lacks.
 */
static const char *const  invariants[] = {

    "each listing numbers its posts 1..n, oldest first",
    "WITH want AS ("
    "  SELECT 0 AS tag_id, id AS post_id, row_number() OVER"
    "         (ORDER BY ifnull(published_at, 0), id) AS seq"
    "    FROM posts WHERE type = 'post' AND status = 'published'"
    "  UNION ALL"
    "  SELECT pt.tag_id, p.id, row_number() OVER (PARTITION BY pt.tag_id"
    "         ORDER BY ifnull(p.published_at, 0), p.id)"
    "    FROM post_tags pt JOIN posts p ON p.id = pt.post_id"
    "   WHERE p.type = 'post' AND p.status = 'published')"
    " SELECT count(*) FROM ("
    "  SELECT * FROM (SELECT * FROM want EXCEPT"
    "                 SELECT tag_id, post_id, seq FROM listing_posts)"
    "  UNION ALL"
    "  SELECT * FROM (SELECT tag_id, post_id, seq FROM listing_posts EXCEPT"
    "                 SELECT * FROM want))",

    "each listing's count",
    "SELECT count(*) FROM listings l WHERE posts !="
    " (SELECT count(*) FROM listing_posts WHERE tag_id = l.tag_id)"
    " OR (tag_id != 0 AND tag_id NOT IN (SELECT id FROM tags))",

    "each listing with posts has its row",
    "SELECT count(*) FROM (SELECT DISTINCT tag_id FROM listing_posts)"
    " WHERE tag_id NOT IN (SELECT tag_id FROM listings)",

    "the sitemap's files of posts and pages",
    "WITH want AS (SELECT id / 50000 AS part, count(*) AS urls FROM posts"
    "               WHERE status = 'published' GROUP BY 1),"
    "     have AS (SELECT part, urls FROM sitemap_parts"
    "               WHERE kind = 'posts' AND urls != 0)"
    " SELECT count(*) FROM ("
    "  SELECT * FROM (SELECT * FROM want EXCEPT SELECT * FROM have)"
    "  UNION ALL SELECT * FROM (SELECT * FROM have EXCEPT SELECT * FROM want))",

    "the search index finds the published posts and pages, only them",
    "SELECT (SELECT count(*) FROM search"
    "         WHERE search MATCH '\"post\" OR \"edited\" OR \"new\"')"
    "     - (SELECT count(*) FROM posts WHERE status = 'published')",

    "the sitemap's files of tags",
    "WITH want AS (SELECT tag_id / 50000 AS part, count(*) AS urls"
    "               FROM listings WHERE tag_id != 0 AND posts > 0"
    "              GROUP BY 1),"
    "     have AS (SELECT part, urls FROM sitemap_parts"
    "               WHERE kind = 'tags' AND urls != 0)"
    " SELECT count(*) FROM ("
    "  SELECT * FROM (SELECT * FROM want EXCEPT SELECT * FROM have)"
    "  UNION ALL SELECT * FROM (SELECT * FROM have EXCEPT SELECT * FROM want))",

    "no post waits to have its related posts ranked",
    "SELECT count(*) FROM related_todo",

    "related lists are of published posts only, deleted ones' gone",
    "SELECT count(*) FROM related_posts"
    " WHERE post_id NOT IN (SELECT post_id FROM listing_posts"
    "                        WHERE tag_id = 0)"
    "    OR related_id NOT IN (SELECT post_id FROM listing_posts"
    "                           WHERE tag_id = 0)"
};


static long long
query_int(sqlite3 *db, const char *sql)
{
    long long      n;
    sqlite3_stmt  *stmt;

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        printf("# %s\n", sqlite3_errmsg(db));
        return -1;
    }

    n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);

    return n;
}


static int
exec(sqlite3 *db, const char *sql)
{
    char  *err;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        printf("# %s: %s\n", sql, err);
        sqlite3_free(err);
        return -1;
    }

    return 0;
}


/*
 * Whether a plan line reads a table that grows with the site or sorts:
 * settings has a handful of rows, sitemap_parts one per 50,000 URLs, all
 * of them shown by the sitemap's index.
 */
static int
plan_grows(const char *detail)
{
    if (strstr(detail, "TEMP B-TREE") != NULL) {
        return 1;
    }

    if (strncmp(detail, "SCAN ", 5) != 0) {
        return 0;
    }

    /*
     * A MATCH reads the words' lists in the index ("INDEX 0:M..."); the
     * search's count reads its MATCH's rows through a subquery, up to its
     * LIMIT.
     */
    return strcmp(detail, "SCAN settings") != 0
           && strncmp(detail, "SCAN sitemap_parts", 18) != 0
           && strncmp(detail, "SCAN (subquery-", 15) != 0
           && !(strncmp(detail, "SCAN search VIRTUAL TABLE INDEX ", 32) == 0
                && strstr(detail, ":M") != NULL);
}


static void
check_plans(sqlite3 *db, const char *when)
{
    int            i, bad;
    char          *sql;
    const char    *detail;
    sqlite3_stmt  *stmt;

    for (i = 0; i < BLOG_STMT_N; i++) {
        sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", blog_reader_sql[i]);

        if (sql == NULL
            || sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        {
            ok(0, "statement %d prepares: %s", i, sqlite3_errmsg(db));
            sqlite3_free(sql);
            continue;
        }

        bad = 0;

        while (sqlite3_step(stmt) == SQLITE_ROW) {
            detail = (const char *) sqlite3_column_text(stmt, 3);

            if (detail != NULL && plan_grows(detail)) {
                printf("#   %s\n", detail);
                bad = 1;
            }
        }

        ok(!bad, "%s: statement %d neither scans nor sorts: %.60s", when, i,
           blog_reader_sql[i]);

        sqlite3_finalize(stmt);
        sqlite3_free(sql);
    }
}


static void
check_invariants(sqlite3 *db, const char *when)
{
    size_t  i;

    for (i = 0; i < sizeof(invariants) / sizeof(invariants[0]); i += 2) {
        is_int(query_int(db, invariants[i + 1]), 0, "%s: %s", when,
               invariants[i]);
    }

    /* FTS5 reads each row of search_source and finds it indexed as is */
    ok(exec(db, "INSERT INTO search (search, rank)"
                " VALUES ('integrity-check', 1)") == 0,
       "%s: the search index holds the text of search_source, no other",
       when);
}


/*
 * What BLOG_STMT_RELATED should choose, computed from posts and post_tags
 * alone: each tag's published posts numbered in (date, id) order by
 * row_number(), not by the seq the triggers keep; a post's neighbours are
 * those within BLOG_RELATED_NEAR of it under one of its tags, ranked by
 * the tags they share, then nearness in time, the newer, the greater id.
 */
static const char  related_want[] =
    "DROP TABLE IF EXISTS temp.related_listed;"
    "DROP TABLE IF EXISTS temp.related_want;"
    "CREATE TEMP TABLE related_listed ("
    "  tag_id INTEGER, n INTEGER, id INTEGER, at INTEGER,"
    "  PRIMARY KEY (tag_id, n));"
    "INSERT INTO related_listed"
    "  SELECT pt.tag_id, row_number() OVER (PARTITION BY pt.tag_id"
    "                  ORDER BY ifnull(p.published_at, 0), p.id),"
    "         p.id, ifnull(p.published_at, 0)"
    "    FROM post_tags pt JOIN posts p ON p.id = pt.post_id"
    "   WHERE p.type = 'post' AND p.status = 'published';"
    "CREATE TEMP TABLE related_want AS"
    " WITH near AS ("
    "  SELECT DISTINCT me.id AS post, o.id AS other, o.at AS at,"
    "         abs(o.at - me.at) AS far"
    "    FROM related_listed me JOIN related_listed o"
    "      ON o.tag_id = me.tag_id AND o.id <> me.id"
    "     AND o.n BETWEEN me.n - " BLOG_STR(BLOG_RELATED_NEAR)
    "                 AND me.n + " BLOG_STR(BLOG_RELATED_NEAR) "),"
    " ranked AS ("
    "  SELECT post, other, row_number() OVER (PARTITION BY post ORDER BY"
    "         (SELECT count(*) FROM post_tags a JOIN post_tags b"
    "           ON b.tag_id = a.tag_id AND b.post_id = other"
    "          WHERE a.post_id = post) DESC, far, at DESC, other DESC) AS r"
    "    FROM near)"
    " SELECT post, r, other FROM ranked"
    "  WHERE r <= " BLOG_STR(BLOG_RELATED) ";"
    "CREATE INDEX temp.related_want_by_post ON related_want (post, r);";


/* a statement's first column of every row, as "1 2 3" */
static char *
ids_of(sqlite3_stmt *stmt, sqlite3_int64 id)
{
    char  *s, *t;

    s = sqlite3_mprintf("%s", "");

    if (sqlite3_reset(stmt) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK)
    {
        sqlite3_free(s);
        return NULL;
    }

    while (s != NULL && sqlite3_step(stmt) == SQLITE_ROW) {
        t = sqlite3_mprintf("%s%s%lld", s, *s ? " " : "",
                            sqlite3_column_int64(stmt, 0));
        sqlite3_free(s);
        s = t;
    }

    return s;
}


/*
 * Every post's related posts, drafts and pages included (none for them),
 * against related_want.
 */
static void
check_related(sqlite3 *db, const char *when)
{
    int            wrong, shown;
    char          *got, *want;
    sqlite3_int64  id;
    sqlite3_stmt  *posts, *stmt, *ref;

    if (exec(db, related_want) != 0
        || sqlite3_prepare_v2(db, "SELECT id FROM posts ORDER BY id", -1,
                              &posts, NULL) != SQLITE_OK)
    {
        ok(0, "%s: related posts' reference: %s", when, sqlite3_errmsg(db));
        return;
    }

    stmt = NULL;
    ref = NULL;

    if (sqlite3_prepare_v2(db, blog_reader_sql[BLOG_STMT_RELATED], -1, &stmt,
                           NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "SELECT other FROM related_want"
                                  " WHERE post = ?1 ORDER BY r", -1, &ref,
                              NULL) != SQLITE_OK)
    {
        ok(0, "%s: related posts' statements: %s", when, sqlite3_errmsg(db));
        sqlite3_finalize(posts);
        sqlite3_finalize(stmt);
        return;
    }

    wrong = 0;
    shown = 0;

    while (sqlite3_step(posts) == SQLITE_ROW) {
        id = sqlite3_column_int64(posts, 0);
        got = ids_of(stmt, id);
        want = ids_of(ref, id);

        if (got == NULL || want == NULL || strcmp(got, want) != 0) {
            if (wrong++ < 5) {
                printf("#   post %lld: related \"%s\", want \"%s\"\n", id,
                       got ? got : "(error)", want ? want : "(error)");
            }

        } else if (*got) {
            shown++;
        }

        sqlite3_free(got);
        sqlite3_free(want);
    }

    is_int(wrong, 0, "%s: every post's related posts are its neighbours"
           " sharing the most tags, the nearest in time", when);
    ok(shown > 100, "%s: ... %d posts show some", when, shown);

    sqlite3_finalize(posts);
    sqlite3_finalize(stmt);
    sqlite3_finalize(ref);
}


/* Random writes of every kind the triggers follow, in one transaction. */
static int
shuffle(sqlite3 *db, unsigned seed, int rounds)
{
    int    i, id, tag;
    char  *sql;

    srand(seed);

    if (exec(db, "BEGIN") != 0) {
        return -1;
    }

    for (i = 0; i < rounds; i++) {
        id = 1 + rand() % 3000;
        tag = 1 + rand() % 50;

        switch (rand() % 12) {
        case 0:
            sql = sqlite3_mprintf("UPDATE posts SET status = 'published',"
                                  " updated_at = updated_at + 1"
                                  " WHERE id = %d", id);
            break;
        case 1:
            sql = sqlite3_mprintf("UPDATE posts SET status = '%s'"
                                  " WHERE id = %d",
                                  rand() % 2 ? "draft" : "scheduled", id);
            break;
        case 2:
            sql = sqlite3_mprintf("DELETE FROM posts WHERE id = %d", id);
            break;
        case 3:
            sql = sqlite3_mprintf("DELETE FROM post_tags WHERE post_id = %d"
                                  " AND tag_id IN (SELECT tag_id FROM"
                                  " post_tags WHERE post_id = %d LIMIT 1);"
                                  "INSERT OR IGNORE INTO post_tags"
                                  " SELECT %d, id FROM tags WHERE id = %d"
                                  " AND EXISTS (SELECT 1 FROM posts"
                                  " WHERE id = %d)", id, id, id, tag, id);
            break;
        case 4:
            sql = rand() % 4
                  ? sqlite3_mprintf("UPDATE posts SET published_at = %d,"
                                    " updated_at = updated_at + 5"
                                    " WHERE id = %d",
                                    1700000000 + rand() % 9000000, id)
                  : sqlite3_mprintf("UPDATE posts SET published_at = NULL"
                                    " WHERE id = %d", id);
            break;
        case 5:
            sql = sqlite3_mprintf("INSERT INTO posts (type, slug, title,"
                                  " body_md, body_html, status, published_at,"
                                  " created_at, updated_at)"
                                  " VALUES ('post', 'new-%u-%d', 'New', '',"
                                  " '', '%s', %d, 1, 1);"
                                  "INSERT INTO post_tags SELECT"
                                  " last_insert_rowid(), id FROM tags"
                                  " WHERE id = %d",
                                  seed, i, rand() % 3 ? "published" : "draft",
                                  1700000000 + rand() % 9000000, tag);
            break;
        case 6:
            sql = sqlite3_mprintf("UPDATE posts SET type = CASE type"
                                  " WHEN 'post' THEN 'page' ELSE 'post' END"
                                  " WHERE id = %d", id);
            break;
        case 7:
            sql = sqlite3_mprintf("UPDATE posts SET title = 'Edited',"
                                  " updated_at = updated_at + 100"
                                  " WHERE id = %d", id);
            break;
        case 8:
            sql = sqlite3_mprintf("UPDATE posts SET body_md = 'Body %d of"
                                  " <b>post</b> %d' WHERE id = %d",
                                  i, id, id);
            break;
        case 9:
            sql = sqlite3_mprintf("UPDATE tags SET name = 'Renamed %d'"
                                  " WHERE id = %d", i, tag);
            break;
        case 10:
            /* the cascade takes its posts' rows (the listings need it) */
            sql = sqlite3_mprintf("DELETE FROM tags WHERE id = %d AND"
                                  " (SELECT foreign_keys FROM"
                                  "  pragma_foreign_keys)", tag);
            break;
        default:
            sql = sqlite3_mprintf("DELETE FROM post_tags WHERE tag_id = %d;"
                                  "DELETE FROM tags WHERE id = %d", tag, tag);
            break;
        }

        if (sql == NULL || exec(db, sql) != 0) {
            sqlite3_free(sql);
            exec(db, "ROLLBACK");
            return -1;
        }

        sqlite3_free(sql);
    }

    return exec(db, "COMMIT");
}


/* 3,000 posts in random order of dates, 3 of 50 tags each, a few pages */
static const char  site[] =
    "INSERT INTO tags (slug, name)"
    " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
    "   WHERE i < 50)"
    " SELECT 'tag-' || i, 'Tag ' || i FROM n;"
    "INSERT INTO posts (type, slug, title, body_md, body_html, status,"
    "   published_at, created_at, updated_at)"
    " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
    "   WHERE i < 3000)"
    " SELECT CASE WHEN i % 97 = 0 THEN 'page' ELSE 'post' END,"
    "   'post-' || i, 'Post ' || i, '', '',"
    "   CASE WHEN i % 13 = 0 THEN 'draft' ELSE 'published' END,"
    "   1700000000 + (i * 7919) % 3000 * 600, 1, 1700000000 + i"
    " FROM n;"
    "INSERT INTO post_tags (post_id, tag_id)"
    " SELECT id, (id * 7) % 50 + 1 FROM posts UNION"
    " SELECT id, (id * 7 + 17) % 50 + 1 FROM posts UNION"
    " SELECT id, (id * 7 + 33) % 50 + 1 FROM posts;";


/*
 * A database of schema 16 with the same posts, migrated: migration 17
 * ranks every post's list as the page did, and its triggers then follow
 * writes.
 */
static void
check_migration(void)
{
    char                *err;
    sqlite3             *db;
    const blog_schema_t  schema16 = {
        "database", blog_data_schema.migrations, 16
    };

    if (sqlite3_open(":memory:", &db) != SQLITE_OK
        || blog_migrate(db, &schema16, &err) != SQLITE_OK
        || exec(db, site) != 0)
    {
        ok(0, "a database of schema 16: %s", db ? sqlite3_errmsg(db) : "");
        sqlite3_close(db);
        return;
    }

    ok(blog_migrate(db, &blog_data_schema, &err) == SQLITE_OK,
       "schema 16 with 3,000 posts migrated to %d%s%s", BLOG_SCHEMA_VERSION,
       err ? ": " : "", err ? err : "");
    sqlite3_free(err);

    check_invariants(db, "migrated from 16");
    check_related(db, "migrated from 16");

    ok(exec(db, "PRAGMA foreign_keys = ON") == 0
       && shuffle(db, 3, 400) == 0, "migrated: 400 random writes");
    check_invariants(db, "migrated, written");
    check_related(db, "migrated, written");

    sqlite3_close(db);
}


int
main(void)
{
    char             *err, analytics[64], wal[80];
    sqlite3          *db, *hot;
    blog_db_error_t   dberr;

    /* the module's reader attaches analytics.db for the view counts */
    snprintf(analytics, sizeof(analytics), "/tmp/reader-plans-%ld.db",
             (long) getpid());

    if (blog_db_open(&hot, analytics, &blog_analytics_schema,
                     BLOG_DB_CREATE | BLOG_DB_MIGRATE, 0, &dberr)
        != SQLITE_OK)
    {
        printf("Bail out! %s\n", dberr.msg);
        return 1;
    }

    sqlite3_close(hot);

    if (sqlite3_open(":memory:", &db) != SQLITE_OK
        || blog_migrate(db, &blog_data_schema, &err) != SQLITE_OK
        || blog_db_attach(db, analytics, "analytics") != SQLITE_OK)
    {
        printf("Bail out! %s\n", db ? sqlite3_errmsg(db) : "no memory");
        return 1;
    }

    ok(exec(db, site) == 0, "3,000 posts written");

    check_invariants(db, "written");
    check_related(db, "written");
    check_plans(db, "no statistics");

    ok(exec(db, "ANALYZE") == 0, "ANALYZE");
    check_plans(db, "with statistics");

    ok(shuffle(db, 1, 400) == 0, "400 random writes, foreign keys off");
    check_invariants(db, "foreign keys off");
    check_related(db, "foreign keys off");

    ok(exec(db, "PRAGMA foreign_keys = ON") == 0
       && shuffle(db, 2, 400) == 0, "400 random writes, foreign keys on");
    check_invariants(db, "foreign keys on");
    check_related(db, "foreign keys on");

    /* the index's count and newest post as a scan sees them */
    is_int(query_int(db, "SELECT posts FROM listings WHERE tag_id = 0"),
           query_int(db, "SELECT count(*) FROM posts"
                         " WHERE type = 'post' AND status = 'published'"),
           "the index's count");
    is_int(query_int(db, "SELECT post_id FROM listing_posts WHERE tag_id = 0"
                         " ORDER BY seq DESC LIMIT 1"),
           query_int(db, "SELECT id FROM posts"
                         " WHERE type = 'post' AND status = 'published'"
                         " ORDER BY published_at DESC, id DESC LIMIT 1"),
           "the index's newest post");

    sqlite3_close(db);

    check_migration();

    unlink(analytics);
    snprintf(wal, sizeof(wal), "%s-wal", analytics);
    unlink(wal);
    snprintf(wal, sizeof(wal), "%s-shm", analytics);
    unlink(wal);

    return tap_done();
}
