/*
 * The Stats API's answer as CSV (blog_stats.h): RFC 4180 with a header
 * line, for a spreadsheet.  Values are the visitors' own (referrers,
 * campaigns, paths), so a cell that a spreadsheet would take for a formula
 * (starting with = + - @, or a TAB or CR that hides one) gets a leading
 * "'" as OWASP's CSV injection advice has it.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "blog_stats.h"


static int blog_stats_csv_cell(blog_buf_t *out, const char *s, size_t len,
    int first);
static int blog_stats_csv_number(blog_buf_t *out, blog_stats_metric_e m,
    double v);


int
blog_stats_csv(const blog_stats_query_t *q, const blog_stats_result_t *res,
    blog_buf_t *out)
{
    char                     name[64];
    size_t                   i, j, n;
    const char              *s;
    const blog_stats_row_t  *r;

    n = 0;

    for (j = 0; j < q->ndims; j++) {
        s = blog_stats_dim_names[q->dims[j]];

        if (blog_stats_csv_cell(out, s, strlen(s), n++ == 0) != 0) {
            return -1;
        }
    }

    for (j = 0; j < q->nmetrics; j++) {
        s = blog_stats_metric_names[q->metrics[j]];

        if (blog_stats_csv_cell(out, s, strlen(s), n++ == 0) != 0) {
            return -1;
        }
    }

    for (j = 0; q->compare && j < q->nmetrics; j++) {
        snprintf(name, sizeof(name), "previous %s",
                 blog_stats_metric_names[q->metrics[j]]);

        if (blog_stats_csv_cell(out, name, strlen(name), 0) != 0) {
            return -1;
        }
    }

    if (blog_buf_lit(out, "\r\n") != 0) {
        return -1;
    }

    for (i = 0; i < res->nrows; i++) {
        r = &res->rows[i];

        for (j = 0; j < q->ndims; j++) {
            if (blog_stats_csv_cell(out, r->dims[j], strlen(r->dims[j]),
                                    j == 0)
                != 0)
            {
                return -1;
            }
        }

        for (j = 0; j < q->nmetrics; j++) {
            if (((q->ndims || j) && blog_buf_lit(out, ",") != 0)
                || blog_stats_csv_number(out, q->metrics[j],
                       blog_stats_metric(&r->sums, q->metrics[j])) != 0)
            {
                return -1;
            }
        }

        for (j = 0; q->compare && j < q->nmetrics; j++) {
            if (blog_buf_lit(out, ",") != 0
                || blog_stats_csv_number(out, q->metrics[j],
                       blog_stats_metric(&r->prev, q->metrics[j])) != 0)
            {
                return -1;
            }
        }

        if (blog_buf_lit(out, "\r\n") != 0) {
            return -1;
        }
    }

    return 0;
}


/* As the JSON has them: counts and seconds whole, views per visit .2f. */
static int
blog_stats_csv_number(blog_buf_t *out, blog_stats_metric_e m, double v)
{
    char  num[48];

    if (m == BLOG_STATS_VIEWS_PER_VISIT) {
        snprintf(num, sizeof(num), "%.2f", v);
    } else {
        snprintf(num, sizeof(num), "%.0f", round(v));
    }

    return blog_buf_append(out, num, strlen(num));
}


static int
blog_stats_csv_cell(blog_buf_t *out, const char *s, size_t len, int first)
{
    int          quote, guard;
    const char  *p, *q;

    if (!first && blog_buf_lit(out, ",") != 0) {
        return -1;
    }

    guard = len > 0 && strchr("=+-@\t\r", s[0]) != NULL;
    quote = guard || strpbrk(s, ",\"\r\n") != NULL;

    if ((quote && blog_buf_lit(out, "\"") != 0)
        || (guard && blog_buf_lit(out, "'") != 0))
    {
        return -1;
    }

    /* "" for each " */
    for (p = s; (q = memchr(p, '"', s + len - p)) != NULL; p = q + 1) {
        if (blog_buf_append(out, p, q - p + 1) != 0
            || blog_buf_lit(out, "\"") != 0)
        {
            return -1;
        }
    }

    if (blog_buf_append(out, p, s + len - p) != 0) {
        return -1;
    }

    return quote && blog_buf_lit(out, "\"") != 0 ? -1 : 0;
}
