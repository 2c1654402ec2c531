/*
 * Date ranges of the analytics (blog_range.h).  Days are converted to and
 * from civil dates with the proleptic Gregorian arithmetic of Howard
 * Hinnant's days_from_civil, without the C library's time zone.
 */

#include <string.h>

#include "blog_range.h"


static int64_t blog_range_from_civil(int64_t y, int m, int d);
static void blog_range_to_civil(int64_t day, int64_t *y, int *m, int *d);


typedef struct {
    const char  *name;
    int          kind;
    int          n;
} blog_range_name_t;

enum { DAYS_BACK, LAST_DAYS, MONTHS, YEAR, ALL };

static const blog_range_name_t  blog_range_names[] = {
    { "day",        DAYS_BACK, 0 },
    { "today",      DAYS_BACK, 0 },
    { "yesterday",  DAYS_BACK, 1 },
    { "7d",         LAST_DAYS, 7 },
    { "28d",        LAST_DAYS, 28 },
    { "30d",        LAST_DAYS, 30 },
    { "91d",        LAST_DAYS, 91 },
    { "month",      MONTHS,    0 },
    { "last_month", MONTHS,    -1 },
    { "last month", MONTHS,    -1 },
    { "6mo",        MONTHS,    6 },
    { "12mo",       MONTHS,    12 },
    { "year",       YEAR,      0 },
    { "all",        ALL,       0 },
    { NULL, 0, 0 }
};


int
blog_range_named(blog_range_t *range, const char *name, size_t len,
    int64_t today)
{
    int                       m, d;
    int64_t                   y;
    const blog_range_name_t  *n;

    for (n = blog_range_names; n->name; n++) {
        if (strlen(n->name) == len && memcmp(n->name, name, len) == 0) {
            break;
        }
    }

    switch (n->name ? n->kind : -1) {

    case DAYS_BACK:
        range->from = today - n->n;
        range->to = range->from;
        return 0;

    case LAST_DAYS:
        range->from = today - n->n + 1;
        range->to = today;
        return 0;

    case MONTHS:
        if (n->n == -1) {
            range->from = blog_range_month_start(today, 1);
            range->to = blog_range_month_start(today, 0) - 1;

        } else {
            range->from = blog_range_month_start(today,
                                                 n->n ? n->n - 1 : 0);
            range->to = today;
        }

        return 0;

    case YEAR:
        blog_range_to_civil(today, &y, &m, &d);
        range->from = blog_range_from_civil(y, 1, 1);
        range->to = today;
        return 0;

    case ALL:
        range->from = BLOG_RANGE_ALL;
        range->to = today;
        return 0;
    }

    return -1;
}


int
blog_range_dates(blog_range_t *range, const char *from, size_t from_len,
    const char *to, size_t to_len)
{
    if (blog_range_day(from, from_len, &range->from) != 0
        || blog_range_day(to, to_len, &range->to) != 0
        || range->from > range->to)
    {
        return -1;
    }

    return 0;
}


int
blog_range_day(const char *s, size_t len, int64_t *day)
{
    int     y, m, d, i, mdays;
    int     v[8];
    static const int  days_in[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                    30, 31 };

    if (len != 10 || s[4] != '-' || s[7] != '-') {
        return -1;
    }

    for (i = 0; i < 8; i++) {
        char c = s[i < 4 ? i : (i < 6 ? i + 1 : i + 2)];

        if (c < '0' || c > '9') {
            return -1;
        }

        v[i] = c - '0';
    }

    y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    m = v[4] * 10 + v[5];
    d = v[6] * 10 + v[7];

    if (y < 1970 || m < 1 || m > 12 || d < 1) {
        return -1;
    }

    mdays = days_in[m - 1]
            + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));

    if (d > mdays) {
        return -1;
    }

    *day = blog_range_from_civil(y, m, d);

    return 0;
}


void
blog_range_format(int64_t day, char *out)
{
    int      m, d, i;
    int64_t  y;

    blog_range_to_civil(day, &y, &m, &d);

    if (y < 0 || y > 9999) {
        memcpy(out, "0000-00-00", BLOG_RANGE_DATE_SIZE);
        return;
    }

    for (i = 3; i >= 0; i--) {
        out[i] = (char) ('0' + y % 10);
        y /= 10;
    }

    out[4] = '-';
    out[5] = (char) ('0' + m / 10);
    out[6] = (char) ('0' + m % 10);
    out[7] = '-';
    out[8] = (char) ('0' + d / 10);
    out[9] = (char) ('0' + d % 10);
    out[10] = '\0';
}


void
blog_range_previous(const blog_range_t *range, blog_range_t *prev)
{
    int64_t  len;

    len = range->to - range->from + 1;
    prev->to = range->from - 1;
    prev->from = range->from - len;
}


int64_t
blog_range_month_start(int64_t day, int n)
{
    int      m, d;
    int64_t  y, months;

    blog_range_to_civil(day, &y, &m, &d);

    months = y * 12 + (m - 1) - n;

    return blog_range_from_civil(months / 12, (int) (months % 12) + 1, 1);
}


int64_t
blog_range_month(int64_t day)
{
    int      m, d;
    int64_t  y;

    blog_range_to_civil(day, &y, &m, &d);

    return y * 12 + m - 1;
}


/* Days since 1970-01-01 of y-m-d (m 1 to 12), for y >= 0. */
static int64_t
blog_range_from_civil(int64_t y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


static void
blog_range_to_civil(int64_t day, int64_t *y, int *m, int *d)
{
    int64_t  z, era, doe, yoe, doy, mp;

    z = day + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}
