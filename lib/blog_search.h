/*
 * Full-text search: a reader's query made into an FTS5 expression that
 * cannot be anything but words to find, and the snippets of the results
 * made into HTML.  Pure functions on byte ranges, unit-tested
 * (t/unit/search.c) and fuzzed (t/fuzz/fuzz_search.c).
 */

#ifndef BLOG_SEARCH_H
#define BLOG_SEARCH_H

#include <stddef.h>

/* A longer query, or one of more words, is refused (the module's 400). */
#define BLOG_SEARCH_QUERY_MAX  256
#define BLOG_SEARCH_WORDS_MAX  16

/* What blog_search_expr() may write for a query of len bytes, NUL too. */
#define BLOG_SEARCH_EXPR_SIZE(len)  (2 * (len) + 4)

/*
 * The marks snippet() is asked to put around matched words: 0xff occurs
 * in no UTF-8 text, so no text of a post can pass for them.
 */
#define BLOG_SEARCH_MARK_OPEN   "\xff["
#define BLOG_SEARCH_MARK_CLOSE  "\xff]"

/* What blog_search_snippet() may write for a snippet of len bytes. */
#define BLOG_SEARCH_SNIPPET_SIZE(len)  (6 * (len) + sizeof("</mark>"))

/*
 * Writes the FTS5 expression of the query q[0..len) into out, NUL
 * terminated, and returns its length: each word (a run between spaces)
 * becomes a quoted phrase of its letters and digits, so FTS5's syntax
 * (NEAR, AND, OR, NOT, quotes, column filters, ^, *) is only ever text;
 * the last word also matches as a prefix.  Returns 0 when no word has a
 * letter or digit (nothing to look for), or -1 with *why for a query
 * refused: longer than BLOG_SEARCH_QUERY_MAX, more words than
 * BLOG_SEARCH_WORDS_MAX, a NUL byte, or invalid UTF-8.  out must hold
 * BLOG_SEARCH_EXPR_SIZE(len) bytes.
 */
int blog_search_expr(const char *q, size_t len, char *out, const char **why);

/*
 * Writes the snippet s[0..len) as HTML into out and returns its length:
 * every character escaped as the templates escape text, the marks made
 * into <mark> and </mark>, always paired; a byte of invalid UTF-8 becomes
 * U+FFFD.  out must hold BLOG_SEARCH_SNIPPET_SIZE(len) bytes.
 */
size_t blog_search_snippet(const char *s, size_t len, char *out);

#endif /* BLOG_SEARCH_H */
