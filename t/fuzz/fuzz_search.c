/*
 * libFuzzer target: readers' search queries and snippets (blog_search.c).
 * Beyond "no crash" in buffers of exactly the size the header promises,
 * it checks the promises the module relies on: an expression is quoted
 * words that FTS5 accepts, and a snippet is text with no markup but
 * paired <mark> and </mark>.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "blog_search.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static sqlite3_stmt  *match;


static void
check_expr(const char *q, size_t size)
{
    int          n;
    char        *out, *p;
    unsigned     quoted;
    const char  *why;

    out = malloc(BLOG_SEARCH_EXPR_SIZE(size));
    if (out == NULL) {
        return;
    }

    n = blog_search_expr(q, size, out, &why);

    if (n > 0) {
        if ((size_t) n != strlen(out)) {
            abort();
        }

        /* "word word" "word" *: quotes pair up, nothing else is syntax */
        quoted = 0;

        for (p = out; *p; p++) {
            if (*p == '"') {
                quoted = !quoted;

            } else if (!quoted && *p != ' ' && !(*p == '*' && p[1] == '\0')) {
                abort();
            }
        }

        if (quoted) {
            abort();
        }

        if (match == NULL) {
            sqlite3  *db;

            if (sqlite3_open(":memory:", &db) != SQLITE_OK
                || sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5 (a)",
                                NULL, NULL, NULL) != SQLITE_OK
                || sqlite3_prepare_v2(db, "SELECT * FROM t WHERE t MATCH ?1",
                                      -1, &match, NULL) != SQLITE_OK)
            {
                abort();
            }
        }

        sqlite3_bind_text(match, 1, out, n, SQLITE_STATIC);

        if (sqlite3_step(match) != SQLITE_DONE) {
            abort();
        }

        sqlite3_reset(match);
    }

    free(out);
}


static void
check_snippet(const char *s, size_t size)
{
    int      open;
    char    *out;
    size_t   n, i;

    out = malloc(BLOG_SEARCH_SNIPPET_SIZE(size));
    if (out == NULL) {
        return;
    }

    n = blog_search_snippet(s, size, out);
    open = 0;

    for (i = 0; i < n; i++) {
        if (out[i] == '"' || out[i] == '\'' || out[i] == '>'
            || (unsigned char) out[i] == 0xff)
        {
            abort();
        }

        if (out[i] != '<') {
            continue;
        }

        if (n - i >= 6 && memcmp(out + i, "<mark>", 6) == 0 && !open) {
            open = 1;
            i += 5;

        } else if (n - i >= 7 && memcmp(out + i, "</mark>", 7) == 0 && open) {
            open = 0;
            i += 6;

        } else {
            abort();
        }
    }

    if (open) {
        abort();
    }

    free(out);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_expr((const char *) data, size);
    check_snippet((const char *) data, size);

    return 0;
}
