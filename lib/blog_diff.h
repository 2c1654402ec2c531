/*
 * Line diffs between two texts, for the revisions page of the admin
 * panel.  Pure C, no nginx types.
 */

#ifndef BLOG_DIFF_H
#define BLOG_DIFF_H

#include <stddef.h>

/*
 * Past this many line pairs (lines of a times lines of b, after the common
 * head and tail are taken off) the diff gives up finding the shortest edit
 * and shows the middle as removed, then added: 4 MB of work at most.
 */
#define BLOG_DIFF_MAX_CELLS  (1024 * 1024)

typedef struct {
    char         op;           /* ' ' both, '-' only in a, '+' only in b */
    const char  *line;         /* into a or b, without its '\n' */
    size_t       len;
} blog_diff_line_t;


/*
 * Diffs a[0..alen) against b[0..blen) line by line into *out (malloc'ed,
 * *n lines, in order).  Returns 0, or -1 when out of memory.
 */
int blog_diff_lines(const char *a, size_t alen, const char *b, size_t blen,
    blog_diff_line_t **out, size_t *n);

#endif /* BLOG_DIFF_H */
