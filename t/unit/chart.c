/*
 * Unit tests of blog_chart.c: the dashboard's SVG line chart.
 */

#include <stdlib.h>
#include <string.h>

#include "blog_chart.h"
#include "tap.h"


static const blog_chart_series_t  series[] = {
    { "visitors", "visitors" },
    { "views", "views" }
};


/* Renders the chart as a NUL-terminated string (free it). */
static char *
render(const blog_chart_point_t *points, size_t n, size_t nseries,
    const char *label)
{
    blog_chart_t  c;
    blog_buf_t    out;

    c.label = label;
    c.series = series;
    c.nseries = nseries;
    c.points = points;
    c.npoints = n;
    c.width = 648;
    c.height = 238;

    memset(&out, 0, sizeof(out));

    if (blog_chart_svg(&c, &out) != 0 || blog_buf_end(&out, "") != 0) {
        free(out.data);
        return NULL;
    }

    return out.data;
}


static size_t
count(const char *s, const char *what)
{
    size_t  n;

    for (n = 0; (s = strstr(s, what)) != NULL; s++) {
        n++;
    }

    return n;
}


int
main(void)
{
    char                *svg;
    blog_chart_point_t   pts[30];
    size_t               i;
    static char          labels[30][16];
    static const char    head[] = "<svg class=\"chart\" role=\"img\""
                             " aria-label=\"Visitors and views per day\""
                             " viewBox=\"0 0 648 238\"";

    is_int(blog_chart_step(1), 1, "step for 1");
    is_int(blog_chart_step(4), 1, "step for 4");
    is_int(blog_chart_step(5), 2, "step for 5");
    is_int(blog_chart_step(9), 5, "step for 9");
    is_int(blog_chart_step(20), 5, "step for 20");
    is_int(blog_chart_step(21), 10, "step for 21");
    is_int(blog_chart_step(1234), 500, "step for 1234");
    is_int(blog_chart_step(4000000), 1000000, "step for 4M");

    /* 30 days, visitors i, views 2i */
    for (i = 0; i < 30; i++) {
        snprintf(labels[i], sizeof(labels[i]), "12-%02zu", i + 1);
        pts[i].label = labels[i];
        pts[i].value[0] = (int64_t) i;
        pts[i].value[1] = (int64_t) (2 * i);
    }

    svg = render(pts, 30, 2, "Visitors and views per day");
    ok(svg != NULL, "30 points rendered");

    if (svg) {
        ok(strncmp(svg, head, strlen(head)) == 0, "role, label and viewBox");
        is_int(count(svg, "<title>"), 30, "a title per point");
        ok(strstr(svg, "<title>12-05: 4 visitors, 8 views</title>") != NULL,
           "a point's title has its values");
        is_int(count(svg, "<polyline"), 2, "a line per series");
        is_int(count(svg, "<circle class=\"views\""), 30, "a dot per point");
        /* max 58, step 20: ticks 0, 20, 40, 60 */
        is_int(count(svg, "text-anchor=\"end\""), 4, "four y ticks");
        ok(strstr(svg, ">60</text>") != NULL, "the top tick is 60");
        ok(strstr(svg, ">0</text>") != NULL, "the axis starts at 0");
        /* 30 points, at most 8 labels: every 4th */
        is_int(count(svg, "text-anchor=\"middle\""), 8, "eight x labels");
        /* first point at the left edge, at the bottom (value 0) */
        ok(strstr(svg, "points=\"48.0,210.0 ") != NULL,
           "first point at the plot's bottom left");
        /* last point of views, 58 of 60, at the right edge */
        ok(strstr(svg, " 636.0,16.7\"/>") != NULL,
           "last point at the right edge, 58 of 60 high");
        ok(strcmp(svg + strlen(svg) - 6, "</svg>") == 0, "closed");
        free(svg);
    }

    /* one point, all zero, hostile strings */
    pts[0].label = "<b>\"&'";
    pts[0].value[0] = 0;

    svg = render(pts, 1, 1, "a \"label\" <x>");
    ok(svg != NULL, "one point rendered");

    if (svg) {
        ok(strstr(svg, "aria-label=\"a &quot;label&quot; &lt;x&gt;\"")
           != NULL, "aria-label escaped");
        ok(strstr(svg, "<title>&lt;b&gt;&quot;&amp;&#39;: 0 visitors</title>")
           != NULL, "title escaped");
        ok(strstr(svg, "<b>") == NULL, "no markup from a label");
        ok(strstr(svg, "points=\"342.0,210.0\"") != NULL,
           "a single point in the middle, at the bottom");
        ok(strstr(svg, ">1</text>") != NULL, "an empty chart's axis goes to 1");
        free(svg);
    }

    svg = render(pts, 0, 1, "nothing");
    ok(svg != NULL && count(svg, "<title>") == 0, "no points: no titles");
    free(svg);

    return tap_done();
}
