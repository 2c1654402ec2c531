/*
 * The top figures as text (blog_figures.h).
 */

#include <stdio.h>
#include <stdint.h>
#include <inttypes.h>
#include <string.h>

#include "blog_figures.h"


const char *const  blog_figure_labels[BLOG_STATS_NMETRICS] = {
    "Visitors", "Visits", "Views", "Views per visit", "Bounce rate",
    "Visit duration"
};


void
blog_figure_format(blog_stats_metric_e m, double v, char *buf)
{
    int64_t  s;

    switch (m) {

    case BLOG_STATS_VIEWS_PER_VISIT:
        snprintf(buf, BLOG_FIGURE_LEN, "%.2f", v);
        break;

    case BLOG_STATS_BOUNCE_RATE:
        snprintf(buf, BLOG_FIGURE_LEN, "%.0f%%", v);
        break;

    case BLOG_STATS_VISIT_DURATION:
        s = (int64_t) (v + 0.5);

        if (s < 60) {
            snprintf(buf, BLOG_FIGURE_LEN, "%" PRId64 "s", s);

        } else {
            snprintf(buf, BLOG_FIGURE_LEN, "%" PRId64 "m %02" PRId64 "s",
                     s / 60, s % 60);
        }

        break;

    default:
        snprintf(buf, BLOG_FIGURE_LEN, "%.0f", v);
    }
}


/*
 * A relative change in percent, but in percentage points for the bounce
 * rate; from nothing, "new".
 */
void
blog_figure(blog_stats_metric_e m, const blog_stats_sums_t *cur,
    const blog_stats_sums_t *prev, blog_figure_t *f)
{
    double  c, p, d;

    c = blog_stats_metric(cur, m);
    p = blog_stats_metric(prev, m);

    blog_figure_format(m, c, f->value);
    blog_figure_format(m, p, f->previous);

    if (m == BLOG_STATS_BOUNCE_RATE) {
        d = c - p;
        snprintf(f->change, BLOG_FIGURE_LEN, "%s%.0f pts", d < 0 ? "-" : "+",
                 d < 0 ? -d : d);

    } else if (p == 0) {
        d = c;
        snprintf(f->change, BLOG_FIGURE_LEN, "%s", c ? "new" : "no change");

    } else {
        d = (c - p) * 100 / p;
        snprintf(f->change, BLOG_FIGURE_LEN, "%s%.0f%%", d < 0 ? "-" : "+",
                 d < 0 ? -d : d);
    }

    f->trend = d > 0 ? 1 : d < 0 ? -1 : 0;
}


void
blog_figure_sums(const blog_stats_result_t *res, blog_stats_sums_t *cur,
    blog_stats_sums_t *prev)
{
    memset(cur, 0, sizeof(blog_stats_sums_t));
    memset(prev, 0, sizeof(blog_stats_sums_t));

    if (res->nrows) {
        *cur = res->rows[0].sums;

        if (res->rows[0].has_prev) {
            *prev = res->rows[0].prev;
        }
    }
}
