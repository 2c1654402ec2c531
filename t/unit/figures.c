/*
 * Unit tests of blog_figures.c: the top figures and their change as text.
 */

#include <string.h>

#include "blog_figures.h"
#include "tap.h"


int
main(void)
{
    char               buf[BLOG_FIGURE_LEN];
    blog_figure_t      f;
    blog_stats_sums_t  cur, prev, none;

    memset(&none, 0, sizeof(none));

    /* 4 visitors, 4 visits, 7 views, 2 bounces, 180 s; before 1 of each */
    cur = (blog_stats_sums_t) { 4, 4, 7, 2, 180000 };
    prev = (blog_stats_sums_t) { 1, 1, 1, 1, 0 };

    blog_figure(BLOG_STATS_VISITORS, &cur, &prev, &f);
    is_str(f.value, "4", "visitors");
    is_str(f.change, "+300%", "visitors' change");
    is_int(f.trend, 1, "up");

    blog_figure(BLOG_STATS_VIEWS_PER_VISIT, &cur, &prev, &f);
    is_str(f.value, "1.75", "views per visit");
    is_str(f.previous, "1.00", "... before");

    blog_figure(BLOG_STATS_BOUNCE_RATE, &cur, &prev, &f);
    is_str(f.value, "50%", "bounce rate");
    is_str(f.change, "-50 pts", "bounce rate's change in points");
    is_int(f.trend, -1, "down");

    blog_figure(BLOG_STATS_VISIT_DURATION, &cur, &prev, &f);
    is_str(f.value, "45s", "duration under a minute");
    is_str(f.change, "new", "from nothing: new");

    blog_figure(BLOG_STATS_PAGEVIEWS, &none, &none, &f);
    is_str(f.change, "no change", "nothing, then nothing");
    is_int(f.trend, 0, "the same");

    blog_figure(BLOG_STATS_VISITS, &prev, &cur, &f);
    is_str(f.change, "-75%", "a fall");

    blog_figure_format(BLOG_STATS_VISIT_DURATION, 185.4, buf);
    is_str(buf, "3m 05s", "minutes and seconds");
    blog_figure_format(BLOG_STATS_VISIT_DURATION, 59.6, buf);
    is_str(buf, "1m 00s", "rounded up to a minute");
    blog_figure_format(BLOG_STATS_PAGEVIEWS, 1234567, buf);
    is_str(buf, "1234567", "a count");

    /* a result's first row and the period before, or zeros */
    {
        blog_stats_sums_t    got, got_prev;
        blog_stats_row_t     row;
        blog_stats_result_t  res;

        memset(&row, 0, sizeof(row));
        memset(&res, 0, sizeof(res));
        row.sums = cur;
        res.rows = &row;
        res.nrows = 1;

        blog_figure_sums(&res, &got, &got_prev);
        is_int((int) got.views, 7, "a row's sums");
        is_int((int) got_prev.views, 0, "no period before: zeros");

        row.has_prev = 1;
        row.prev = prev;
        blog_figure_sums(&res, &got, &got_prev);
        is_int((int) got_prev.visits, 1, "the period before's");

        res.nrows = 0;
        blog_figure_sums(&res, &got, &got_prev);
        is_int((int) (got.views + got_prev.visits), 0, "no row: zeros");
    }

    return tap_done();
}
