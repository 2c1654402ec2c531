/*
 * The analytics dashboard's line chart: an SVG drawn on the server from a
 * few series of counts over labelled points (days, hours or months), so
 * that the page needs no script.  Pure C, no nginx types.
 *
 * The SVG has axes (a y axis with round ticks from 0, x labels spread
 * over the points), one polyline per series and one mark per point with
 * a <title> that browsers show on hover ("2026-12-01: 12 visitors, 30
 * views").  It is role="img" with an aria-label; the page gives the same
 * numbers as a table for screen readers and text browsers.  Every string
 * that goes in (labels, names) is HTML-escaped, so the result can be
 * output as trusted markup.
 */

#ifndef BLOG_CHART_H
#define BLOG_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "blog_template.h"


#define BLOG_CHART_SERIES_MAX  2

/* A series: its name in titles ("visitors") and its CSS class. */
typedef struct {
    const char   *name;
    const char   *cls;
} blog_chart_series_t;

typedef struct {
    const char   *label;     /* the x axis's label and the title's */
    int64_t       value[BLOG_CHART_SERIES_MAX];
} blog_chart_point_t;

typedef struct {
    const char                 *label;      /* aria-label */
    const blog_chart_series_t  *series;
    size_t                      nseries;    /* 1 to BLOG_CHART_SERIES_MAX */
    const blog_chart_point_t   *points;
    size_t                      npoints;
    unsigned                    width;      /* viewBox units */
    unsigned                    height;
} blog_chart_t;


/*
 * The step of the y axis's ticks for values up to max: 1, 2 or 5 times a
 * power of ten, so that at most 4 steps reach max.
 */
int64_t blog_chart_step(int64_t max);

/* Appends the SVG to out.  Returns 0, or -1 when out of memory. */
int blog_chart_svg(const blog_chart_t *chart, blog_buf_t *out);

#endif /* BLOG_CHART_H */
