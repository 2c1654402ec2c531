/*
 * What a URL may name: post and tag slugs, page numbers, and file paths
 * under a root.  Pure functions on byte ranges, shared by the module and
 * blogctl, and fuzzed on their own (t/fuzz).
 */

#ifndef BLOG_PATH_H
#define BLOG_PATH_H

#include <stddef.h>

/* Longer slugs are refused on import and never looked up. */
#define BLOG_SLUG_MAX  200

typedef enum {
    BLOG_PATH_OK = 0,
    BLOG_PATH_NOT_FOUND,        /* empty, or a folder: nothing to send */
    BLOG_PATH_BAD               /* a traversal attempt or a malformed path */
} blog_path_e;

/* Whether s[0..n) is a slug: [a-z0-9][a-z0-9-]*, at most BLOG_SLUG_MAX. */
int blog_slug_valid(const char *s, size_t n);

/* A page number as a path segment ("2"): 0 unless digits without a
 * leading zero, at most 9 of them. */
unsigned long blog_page_number(const char *s, size_t n);

/*
 * Checks a path relative to a root, as taken from a decoded URI: every
 * segment must be a plain name, so no "." or ".." segment, no dot-file,
 * no empty segment, no backslash and no NUL.  On BLOG_PATH_BAD, *why says
 * which rule the path broke.  Symlinks are the caller's to resolve.
 */
blog_path_e blog_path_check(const char *p, size_t len, const char **why);

#endif /* BLOG_PATH_H */
