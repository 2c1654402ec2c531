/*
 * Unit tests of blog_search.c: readers' queries made into FTS5
 * expressions, run against a real FTS5 table so that each is accepted by
 * its parser, and snippets made into HTML.
 */

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "blog_search.h"
#include "tap.h"


static sqlite3  *db;


/* The expression of q, or "<refused: why>", and whether FTS5 parses it. */
static void
expr_is(const char *q, size_t len, const char *want)
{
    int            n;
    char           out[BLOG_SEARCH_EXPR_SIZE(2 * BLOG_SEARCH_QUERY_MAX)];
    char           got[sizeof(out) + 64];
    const char    *why;
    sqlite3_stmt  *stmt;

    n = blog_search_expr(q, len, out, &why);

    if (n < 0) {
        snprintf(got, sizeof(got), "<refused: %s>", why);

    } else {
        snprintf(got, sizeof(got), "%s", out);
        ok(n == (int) strlen(out), "query \"%.*s\": length returned",
           (int) len, q);
    }

    is_str(got, want, "query \"%.*s\"", (int) len > 60 ? 60 : (int) len, q);

    if (n <= 0) {
        return;
    }

    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1",
                           -1, &stmt, NULL) != SQLITE_OK
        || sqlite3_bind_text(stmt, 1, out, n, SQLITE_STATIC) != SQLITE_OK)
    {
        ok(0, "prepare: %s", sqlite3_errmsg(db));
        return;
    }

    ok(sqlite3_step(stmt) == SQLITE_ROW, "FTS5 takes %s: %s", out,
       sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
}


static void
snippet_is(const char *s, size_t len, const char *want)
{
    char    out[BLOG_SEARCH_SNIPPET_SIZE(64)];
    size_t  n;

    n = blog_search_snippet(s, len, out);
    out[n] = '\0';

    ok(n < sizeof(out), "snippet fits");
    is_str(out, want, "snippet \"%.*s\"", (int) len, s);
}


int
main(void)
{
    char    big[2 * BLOG_SEARCH_QUERY_MAX];
    size_t  i;

    if (sqlite3_open(":memory:", &db) != SQLITE_OK
        || sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5 (a, b);"
                            "INSERT INTO t VALUES ('near and or not', 'x');",
                        NULL, NULL, NULL) != SQLITE_OK)
    {
        printf("Bail out! %s\n", sqlite3_errmsg(db));
        return 1;
    }

#define EXPR(q, want)  expr_is(q, sizeof(q) - 1, want)

    EXPR("hello", "\"hello\" *");
    EXPR("hello world", "\"hello\" \"world\" *");
    EXPR("  hello \t\v world  ", "\"hello\" \"world\" *");
    EXPR("a", "\"a\"");
    EXPR("hello a", "\"hello\" \"a\"");
    EXPR("ab", "\"ab\" *");

    /* FTS5's syntax is words, or nothing */
    EXPR("NEAR(a b)", "\"NEAR a\" \"b\"");
    EXPR("\"quoted\"", "\"quoted\" *");
    EXPR("\"", "");
    EXPR("* - + ^ : ( ) \" '", "");
    EXPR("a AND OR b", "\"a\" \"AND\" \"OR\" \"b\"");
    EXPR("NOT x", "\"NOT\" \"x\"");
    EXPR("title:secret", "\"title secret\" *");
    EXPR("{title body}:x", "\"title\" \"body x\"");
    EXPR("-draft", "\"draft\" *");
    EXPR("pre*", "\"pre\" *");
    EXPR("x'); DROP TABLE posts; --", "\"x\" \"DROP\" \"TABLE\" \"posts\" *");
    EXPR("", "");

    /* letters of any script, as they are */
    EXPR("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
         "\"caf\xc3\xa9\" \"\xe6\x97\xa5\xe6\x9c\xac\" *");

    /* refused */
    expr_is("a\0b", 3, "<refused: search query has a NUL byte>");
    EXPR("caf\xe9", "<refused: search query is not valid UTF-8>");
    EXPR("\xc0\xaf", "<refused: search query is not valid UTF-8>");
    EXPR("\xed\xa0\x80", "<refused: search query is not valid UTF-8>");
    EXPR("\xf4\x90\x80\x80", "<refused: search query is not valid UTF-8>");
    EXPR("\xe6\x97", "<refused: search query is not valid UTF-8>");
    EXPR("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
         "<refused: search query has too many words>");
    EXPR("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 - - -",
         "\"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\" \"9\" \"10\""
         " \"11\" \"12\" \"13\" \"14\" \"15\" \"16\" *");

    memset(big, 'a', sizeof(big));
    expr_is(big, BLOG_SEARCH_QUERY_MAX + 1,
            "<refused: search query too long>");

    /* the worst case of BLOG_SEARCH_EXPR_SIZE: one-letter words */
    for (i = 0; i < BLOG_SEARCH_QUERY_MAX; i++) {
        big[i] = (i % 2) ? ' ' : 'a';
    }

    expr_is(big, 2 * BLOG_SEARCH_WORDS_MAX - 1,
            "\"a\" \"a\" \"a\" \"a\" \"a\" \"a\" \"a\" \"a\""
            " \"a\" \"a\" \"a\" \"a\" \"a\" \"a\" \"a\" \"a\"");

#define SNIPPET(s, want)  snippet_is(s, sizeof(s) - 1, want)

    SNIPPET("plain text", "plain text");
    SNIPPET("a \xff[word\xff] b", "a <mark>word</mark> b");
    SNIPPET("<script>alert('x' & \"y\")</script> \xff[alert\xff]",
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)"
            "&lt;/script&gt; <mark>alert</mark>");
    SNIPPET("<mark>fake</mark>", "&lt;mark&gt;fake&lt;/mark&gt;");
    SNIPPET("\xff[open", "<mark>open</mark>");
    SNIPPET("close\xff] \xff[\xff[twice\xff]\xff]",
            "close <mark>twice</mark>");
    SNIPPET("bad \xe9 \xff byte\xff", "bad \xef\xbf\xbd \xef\xbf\xbd"
            " byte\xef\xbf\xbd");
    SNIPPET("caf\xc3\xa9", "caf\xc3\xa9");

    sqlite3_close(db);

    return tap_done();
}
