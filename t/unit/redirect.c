/*
 * Unit tests of blog_redirect.c: what a redirect's "from" and "to" may be,
 * and a post's aliases written twice changing nothing.
 */

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "blog_redirect.h"
#include "blog_schema.h"
#include "tap.h"


static void
from_is(const char *in, const char *want)
{
    char         out[BLOG_REDIRECT_FROM_MAX];
    size_t       n;
    const char  *why;

    n = blog_redirect_from(in, strlen(in), out, &why);

    if (want == NULL) {
        ok(n == 0 && why != NULL, "from \"%s\" refused (%s)", in,
           why ? why : "no reason");
        return;
    }

    ok(n == strlen(want) && memcmp(out, want, n) == 0,
       "from \"%s\" is \"%s\" (got \"%.*s\")", in, want, (int) n, out);
}


static void
to_is(const char *to, size_t len, int want)
{
    char         shown[64];
    size_t       i;
    const char  *why;
    int          got;

    /* control bytes shown as '.', or the TAP line would break */
    for (i = 0; i < len && i < sizeof(shown) - 1; i++) {
        shown[i] = ((unsigned char) to[i] < 0x20) ? '.' : to[i];
    }

    shown[i] = '\0';

    got = blog_redirect_to_valid(to, len, &why);

    ok(got == want && (got || why != NULL), "to \"%s\" %s%s%s", shown,
       want ? "taken" : "refused", got ? "" : ": ", got ? "" : why);
}


static int
count(sqlite3 *db, const char *sql)
{
    int            n;
    sqlite3_stmt  *stmt;

    n = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW)
    {
        n = sqlite3_column_int(stmt, 0);
    }

    sqlite3_finalize(stmt);

    return n;
}


int
main(void)
{
    char          *err;
    sqlite3       *db;
    blog_stmts_t   cache;

    cache.n = 0;

    from_is("/old/post/", "/old/post");
    from_is("/old/post///", "/old/post");
    from_is("/", "/");
    from_is("//", "/");
    from_is("/caf%C3%a9", "/caf\xc3\xa9");
    from_is("/a%2Fb", "/a/b");
    from_is("/2019/01/02/hello-world/", "/2019/01/02/hello-world");
    from_is("", NULL);
    from_is("old", NULL);
    from_is("/a//b", NULL);
    from_is("/a/../etc/passwd", NULL);
    from_is("/a/./b", NULL);
    from_is("/a/%2e%2e/b", NULL);
    from_is("/?p=123", "/?p=123");
    from_is("/blog/?page_id=2", "/blog?page_id=2");
    from_is("/a%41?q=%41", "/aA?q=%41");
    from_is("/a?", NULL);
    from_is("/a?p=1 2", NULL);
    from_is("/a?p=1#x", NULL);
    from_is("/a#x", NULL);
    from_is("/a%0d%0aSet-Cookie:x", NULL);
    from_is("/a%00", NULL);
    from_is("/a%zz", NULL);
    from_is("/a%4", NULL);
    from_is("/a\\b", NULL);

    to_is("/new", 4, 1);
    to_is("/", 1, 1);
    to_is("https://example.com/x?y=1#z", 27, 1);
    to_is("HTTP://example.com", 18, 1);
    to_is("", 0, 0);
    to_is("javascript:alert(1)", 19, 0);
    to_is("JavaScript://%0aalert(1)", 24, 0);
    to_is("data:text/html,x", 16, 0);
    to_is("//evil.example/", 15, 0);
    to_is("/\\evil.example/", 15, 0);
    to_is("/a\r\nSet-Cookie: x=1", 19, 0);
    to_is("/a\nb", 4, 0);
    to_is("/a b", 4, 0);
    to_is("/a\0b", 4, 0);
    to_is("/caf\xc3\xa9", 6, 0);
    to_is("https://", 8, 0);
    to_is("https:///path", 13, 0);
    to_is("ftp://example.com/", 18, 0);
    to_is("new", 3, 0);

    ok(blog_redirect_status_valid(301) && blog_redirect_status_valid(302)
       && blog_redirect_status_valid(308) && blog_redirect_status_valid(410),
       "301, 302, 308, 410 taken");
    ok(!blog_redirect_status_valid(303) && !blog_redirect_status_valid(200)
       && !blog_redirect_status_valid(307) && !blog_redirect_status_valid(0),
       "303, 200, 307, 0 refused");

    /* aliases: written twice, the rows do not change; dropped ones go */
    err = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK
        || blog_migrate(db, &blog_data_schema, &err) != SQLITE_OK
        || sqlite3_exec(db,
               "INSERT INTO posts (id, slug, title, body_md, body_html,"
               "  status, created_at, updated_at)"
               " VALUES (7, 'p', 'P', '', '', 'published', 1, 1);"
               "INSERT INTO redirects (kind, from_path, to_url, status,"
               "  origin, created_at, updated_at)"
               " VALUES ('path', '/taken', '/elsewhere', 302, 'panel', 1, 1)",
               NULL, NULL, &err) != SQLITE_OK)
    {
        printf("Bail out! %s\n", err ? err : sqlite3_errmsg(db));
        return 1;
    }

    is_int(blog_redirect_aliases(db, NULL, 7, "/a\n/b\n/taken\n", 100),
           SQLITE_OK, "aliases written");
    is_int(count(db, "SELECT count(*) FROM redirects WHERE post_id = 7"
                     " AND origin = 'alias' AND status = 301"), 3,
           "three aliases, one took over a panel redirect");

    /* a bulk writer's cache: the statements of one call serve the next */
    is_int(blog_redirect_aliases(db, &cache, 7, "/a\n/b\n/taken\n", 200),
           SQLITE_OK, "the same aliases again");
    is_int(count(db, "SELECT count(*) FROM redirects WHERE updated_at = 200"),
           0, "written again: no row changed");
    is_int(blog_redirect_aliases(db, &cache, 7, "/b\n", 300), SQLITE_OK,
           "one alias left");
    is_int(count(db, "SELECT count(*) FROM redirects WHERE post_id = 7"), 1,
           "the dropped aliases are deleted");
    is_int(cache.n, 2, "its two statements kept");
    blog_stmts_free(&cache);
    is_int(blog_redirect_aliases(db, NULL, 7, "", 300), SQLITE_OK,
           "no aliases");
    is_int(count(db, "SELECT count(*) FROM redirects"), 0, "none left");

    sqlite3_close(db);

    return tap_done();
}
