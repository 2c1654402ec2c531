/*
 * A longest-common-subsequence line diff.  Revisions differ in a few
 * lines, so the common head and tail are taken off first and the table is
 * built only for the middle; a middle too large for BLOG_DIFF_MAX_CELLS is
 * shown as replaced whole rather than costing the worker its time.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_diff.h"


typedef struct {
    const char  *p;
    size_t       len;
} blog_line_t;


/* Splits s into lines; a final line without '\n' counts, "" has none. */
static blog_line_t *
blog_split(const char *s, size_t len, size_t *n)
{
    size_t        i, count;
    const char   *p, *end, *nl;
    blog_line_t  *lines;

    count = 0;
    for (i = 0; i < len; i++) {
        count += (s[i] == '\n');
    }

    lines = malloc((count + 1) * sizeof(blog_line_t));
    if (lines == NULL) {
        return NULL;
    }

    *n = 0;
    end = s + len;

    for (p = s; p < end; p = nl + 1) {
        nl = memchr(p, '\n', end - p);
        if (nl == NULL) {
            nl = end;
        }

        lines[*n].p = p;
        lines[*n].len = nl - p;
        (*n)++;
    }

    return lines;
}


static int
blog_line_eq(const blog_line_t *x, const blog_line_t *y)
{
    return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}


static void
blog_emit(blog_diff_line_t *out, size_t *n, char op, const blog_line_t *l)
{
    out[*n].op = op;
    out[*n].line = l->p;
    out[*n].len = l->len;
    (*n)++;
}


int
blog_diff_lines(const char *a, size_t alen, const char *b, size_t blen,
    blog_diff_line_t **out, size_t *n)
{
    size_t             na, nb, head, tail, ma, mb, i, k;
    uint32_t          *t;
    blog_line_t       *la, *lb;
    blog_diff_line_t  *d;

    *out = NULL;
    *n = 0;
    t = NULL;
    d = NULL;

    la = blog_split(a, alen, &na);
    lb = blog_split(b, blen, &nb);
    if (la == NULL || lb == NULL) {
        goto failed;
    }

    d = malloc((na + nb + 1) * sizeof(blog_diff_line_t));
    if (d == NULL) {
        goto failed;
    }

    for (head = 0; head < na && head < nb
                   && blog_line_eq(&la[head], &lb[head]); head++)
    {
        /* void */
    }

    for (tail = 0; tail < na - head && tail < nb - head
                   && blog_line_eq(&la[na - 1 - tail], &lb[nb - 1 - tail]);
         tail++)
    {
        /* void */
    }

    ma = na - head - tail;
    mb = nb - head - tail;

    for (i = 0; i < head; i++) {
        blog_emit(d, n, ' ', &la[i]);
    }

    if (ma == 0 || mb == 0 || ma * mb > BLOG_DIFF_MAX_CELLS
        || ma > BLOG_DIFF_MAX_CELLS || mb > BLOG_DIFF_MAX_CELLS)
    {
        for (i = 0; i < ma; i++) {
            blog_emit(d, n, '-', &la[head + i]);
        }

        for (k = 0; k < mb; k++) {
            blog_emit(d, n, '+', &lb[head + k]);
        }

    } else {
        /* t[i][k]: the LCS length of the middles from line i and k on */
        t = calloc((ma + 1) * (mb + 1), sizeof(uint32_t));
        if (t == NULL) {
            goto failed;
        }

#define T(i, k)  t[(i) * (mb + 1) + (k)]

        for (i = ma; i-- > 0; /* void */ ) {
            for (k = mb; k-- > 0; /* void */ ) {
                if (blog_line_eq(&la[head + i], &lb[head + k])) {
                    T(i, k) = T(i + 1, k + 1) + 1;

                } else {
                    T(i, k) = T(i + 1, k) > T(i, k + 1) ? T(i + 1, k)
                                                        : T(i, k + 1);
                }
            }
        }

        i = 0;
        k = 0;

        while (i < ma || k < mb) {
            if (i < ma && k < mb
                && blog_line_eq(&la[head + i], &lb[head + k]))
            {
                blog_emit(d, n, ' ', &la[head + i]);
                i++;
                k++;

            } else if (i < ma && (k == mb || T(i + 1, k) >= T(i, k + 1))) {
                /* removals first, as diff(1) shows them */
                blog_emit(d, n, '-', &la[head + i]);
                i++;

            } else {
                blog_emit(d, n, '+', &lb[head + k]);
                k++;
            }
        }

#undef T
    }

    for (i = na - tail; i < na; i++) {
        blog_emit(d, n, ' ', &la[i]);
    }

    free(t);
    free(la);
    free(lb);

    *out = d;

    return 0;

failed:

    free(t);
    free(d);
    free(la);
    free(lb);
    *n = 0;

    return -1;
}
