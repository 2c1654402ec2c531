/*
 * The dashboard's SVG line chart (blog_chart.h).
 *
 * Coordinates are in viewBox units with one decimal; the SVG scales to
 * its box.  What must hold without the admin stylesheet is in attributes
 * (lines not filled, the hover columns invisible); colours are the
 * stylesheet's, by the series' classes.
 */

#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <string.h>

#include "blog_chart.h"


/* Room for the axes' labels: the y ticks' left, the x labels' below. */
#define BLOG_CHART_LEFT    48.0
#define BLOG_CHART_RIGHT   12.0
#define BLOG_CHART_TOP     10.0
#define BLOG_CHART_BOTTOM  28.0

/* At most this many x labels, so that they do not run into each other. */
#define BLOG_CHART_XLABELS 8


typedef struct {
    const blog_chart_t  *chart;
    double               plot_w;
    double               plot_h;
    int64_t              top;       /* the y axis's highest tick */
} blog_chart_geo_t;


static int blog_chart_fmt(blog_buf_t *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int blog_chart_axes(const blog_chart_geo_t *g, blog_buf_t *out);
static int blog_chart_lines(const blog_chart_geo_t *g, blog_buf_t *out);
static int blog_chart_points(const blog_chart_geo_t *g, blog_buf_t *out);
static double blog_chart_x(const blog_chart_geo_t *g, size_t i);
static double blog_chart_y(const blog_chart_geo_t *g, int64_t v);


int64_t
blog_chart_step(int64_t max)
{
    int       i;
    int64_t   mag;
    static const int64_t  mult[] = { 1, 2, 5 };

    for (mag = 1; mag <= INT64_MAX / 10; mag *= 10) {
        for (i = 0; i < 3; i++) {
            if (max <= 4 * mult[i] * mag) {
                return mult[i] * mag;
            }
        }
    }

    return mag;
}


int
blog_chart_svg(const blog_chart_t *chart, blog_buf_t *out)
{
    size_t            i, s;
    int64_t           max, step;
    blog_chart_geo_t  g;

    max = 0;

    for (i = 0; i < chart->npoints; i++) {
        for (s = 0; s < chart->nseries; s++) {
            if (chart->points[i].value[s] > max) {
                max = chart->points[i].value[s];
            }
        }
    }

    step = blog_chart_step(max > 0 ? max : 1);

    g.chart = chart;
    g.plot_w = chart->width - BLOG_CHART_LEFT - BLOG_CHART_RIGHT;
    g.plot_h = chart->height - BLOG_CHART_TOP - BLOG_CHART_BOTTOM;
    g.top = (max + step - 1) / step * step;

    if (g.top == 0) {
        g.top = step;
    }

    if (blog_buf_lit(out, "<svg class=\"chart\" role=\"img\" aria-label=\"")
           != 0
        || blog_buf_append_escaped(out, chart->label, strlen(chart->label))
           != 0
        || blog_chart_fmt(out, "\" viewBox=\"0 0 %u %u\" width=\"100%%\">",
                          chart->width, chart->height) != 0
        || blog_chart_axes(&g, out) != 0
        || blog_chart_lines(&g, out) != 0
        || blog_chart_points(&g, out) != 0)
    {
        return -1;
    }

    return blog_buf_lit(out, "</svg>");
}


/* The y ticks with their grid lines and labels; the x labels. */
static int
blog_chart_axes(const blog_chart_geo_t *g, blog_buf_t *out)
{
    size_t               i, every;
    double               y, right;
    int64_t              v, step;
    const blog_chart_t  *c;

    c = g->chart;
    step = blog_chart_step(g->top);
    right = c->width - BLOG_CHART_RIGHT;

    if (blog_buf_lit(out, "<g class=\"axis y\">") != 0) {
        return -1;
    }

    for (v = 0; v <= g->top; v += step) {
        y = blog_chart_y(g, v);

        if (blog_chart_fmt(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
                           " y2=\"%.1f\" stroke=\"#ccc\"/>"
                           "<text x=\"%.1f\" y=\"%.1f\""
                           " text-anchor=\"end\">%" PRId64 "</text>",
                           BLOG_CHART_LEFT, y, right, y,
                           BLOG_CHART_LEFT - 6, y + 4, v) != 0)
        {
            return -1;
        }
    }

    if (blog_buf_lit(out, "</g><g class=\"axis x\">") != 0) {
        return -1;
    }

    every = (c->npoints + BLOG_CHART_XLABELS - 1) / BLOG_CHART_XLABELS;

    for (i = 0; i < c->npoints; i += every) {
        if (blog_chart_fmt(out, "<text x=\"%.1f\" y=\"%.1f\""
                           " text-anchor=\"middle\">",
                           blog_chart_x(g, i), c->height - 8.0) != 0
            || blog_buf_append_escaped(out, c->points[i].label,
                                       strlen(c->points[i].label)) != 0
            || blog_buf_lit(out, "</text>") != 0)
        {
            return -1;
        }
    }

    return blog_buf_lit(out, "</g>");
}


static int
blog_chart_lines(const blog_chart_geo_t *g, blog_buf_t *out)
{
    size_t               i, s;
    const blog_chart_t  *c;

    c = g->chart;

    for (s = 0; s < c->nseries; s++) {
        if (blog_buf_lit(out, "<polyline class=\"line ") != 0
            || blog_buf_append_escaped(out, c->series[s].cls,
                                       strlen(c->series[s].cls)) != 0
            || blog_buf_lit(out, "\" fill=\"none\" points=\"") != 0)
        {
            return -1;
        }

        for (i = 0; i < c->npoints; i++) {
            if (blog_chart_fmt(out, "%s%.1f,%.1f", i ? " " : "",
                               blog_chart_x(g, i),
                               blog_chart_y(g, c->points[i].value[s]))
                != 0)
            {
                return -1;
            }
        }

        if (blog_buf_lit(out, "\"/>") != 0) {
            return -1;
        }
    }

    return 0;
}


/*
 * Each point: a column as wide as its share of the x axis, invisible but
 * hovered, and a dot per series, under a <title> with the point's values.
 */
static int
blog_chart_points(const blog_chart_geo_t *g, blog_buf_t *out)
{
    size_t               i, s;
    double               w, x;
    const blog_chart_t  *c;

    c = g->chart;
    w = c->npoints > 1 ? g->plot_w / (c->npoints - 1) : g->plot_w;

    for (i = 0; i < c->npoints; i++) {
        x = blog_chart_x(g, i);

        if (blog_buf_lit(out, "<g class=\"point\"><title>") != 0
            || blog_buf_append_escaped(out, c->points[i].label,
                                       strlen(c->points[i].label)) != 0)
        {
            return -1;
        }

        for (s = 0; s < c->nseries; s++) {
            if (blog_chart_fmt(out, "%s %" PRId64 " ", s ? "," : ":",
                               c->points[i].value[s]) != 0
                || blog_buf_append_escaped(out, c->series[s].name,
                                           strlen(c->series[s].name)) != 0)
            {
                return -1;
            }
        }

        if (blog_chart_fmt(out, "</title><rect x=\"%.1f\" y=\"%.1f\""
                           " width=\"%.1f\" height=\"%.1f\" opacity=\"0\"/>",
                           x - w / 2, BLOG_CHART_TOP, w, g->plot_h) != 0)
        {
            return -1;
        }

        for (s = 0; s < c->nseries; s++) {
            if (blog_buf_lit(out, "<circle class=\"") != 0
                || blog_buf_append_escaped(out, c->series[s].cls,
                                           strlen(c->series[s].cls)) != 0
                || blog_chart_fmt(out, "\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>",
                                  x, blog_chart_y(g, c->points[i].value[s]))
                   != 0)
            {
                return -1;
            }
        }

        if (blog_buf_lit(out, "</g>") != 0) {
            return -1;
        }
    }

    return 0;
}


/* A single point stands in the middle; more are spread edge to edge. */
static double
blog_chart_x(const blog_chart_geo_t *g, size_t i)
{
    if (g->chart->npoints < 2) {
        return BLOG_CHART_LEFT + g->plot_w / 2;
    }

    return BLOG_CHART_LEFT + g->plot_w * i / (g->chart->npoints - 1);
}


static double
blog_chart_y(const blog_chart_geo_t *g, int64_t v)
{
    return BLOG_CHART_TOP + g->plot_h - g->plot_h * v / g->top;
}


static int
blog_chart_fmt(blog_buf_t *out, const char *fmt, ...)
{
    int      n;
    char     buf[256];
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    /* every format here is a few numbers: never near the buffer's size */
    if (n < 0 || (size_t) n >= sizeof(buf)) {
        return -1;
    }

    return blog_buf_append(out, buf, n);
}
