/*
 * The analytics' top figures as text, the same on the panel's dashboard
 * and in the e-mail reports: "1234", "2.35", "42%", "3m 05s", and the
 * change against the period before: "+12%", "-3%", "new", "no change",
 * and for the bounce rate, a percentage already, "+5 pts".
 */

#ifndef BLOG_FIGURES_H
#define BLOG_FIGURES_H

#include "blog_stats.h"


#define BLOG_FIGURE_LEN  32

typedef struct {
    char   value[BLOG_FIGURE_LEN];
    char   previous[BLOG_FIGURE_LEN];
    char   change[BLOG_FIGURE_LEN];
    int    trend;            /* 1 up, -1 down, 0 the same */
} blog_figure_t;

/* "Visitors", "Visits", "Views", "Views per visit", ... */
extern const char *const  blog_figure_labels[BLOG_STATS_NMETRICS];

/* Metric m of cur, of prev, and the change from prev to cur. */
void blog_figure(blog_stats_metric_e m, const blog_stats_sums_t *cur,
    const blog_stats_sums_t *prev, blog_figure_t *f);

/*
 * The sums of a result's first row (a query without dimensions) into
 * *cur, and of the period before into *prev; zeros where there are none.
 */
void blog_figure_sums(const blog_stats_result_t *res, blog_stats_sums_t *cur,
    blog_stats_sums_t *prev);

/* A value of metric m as text into buf (BLOG_FIGURE_LEN bytes). */
void blog_figure_format(blog_stats_metric_e m, double v, char *buf);

#endif /* BLOG_FIGURES_H */
