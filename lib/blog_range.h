/*
 * Date ranges of the analytics: one parser for the Stats API, the panel's
 * dashboard and the e-mail reports, so "7d" means the same days in each.
 *
 * A range is UTC days since 1970 (the analytics tables' "day"), both ends
 * included.  Named ranges end today (the day "today" passed in), as the
 * dashboard shows them:
 *
 *   day, today     today                 yesterday   the day before
 *   7d, 28d, 30d, 91d  the last N days, today included
 *   month          this month            last_month  the month before
 *   6mo, 12mo      the last 6 or 12 months, this one included (from the
 *                  first day of the oldest)
 *   year           this calendar year    all         from the first day with
 *                                                    data (BLOG_RANGE_ALL)
 *
 * "last month" (with a space) is taken as "last_month".  A custom range is
 * two ISO dates "YYYY-MM-DD", from not after to.
 */

#ifndef BLOG_RANGE_H
#define BLOG_RANGE_H

#include <stddef.h>
#include <stdint.h>


/* "all": from this day, which the query engine moves to the first data */
#define BLOG_RANGE_ALL   0

/* "YYYY-MM-DD" and its NUL */
#define BLOG_RANGE_DATE_SIZE  11


typedef struct {
    int64_t  from;
    int64_t  to;
} blog_range_t;


/* A named range ending on today; -1 when name is none of them. */
int blog_range_named(blog_range_t *range, const char *name, size_t len,
    int64_t today);

/* [from, to] as ISO dates; -1 when either is not one or from > to. */
int blog_range_dates(blog_range_t *range, const char *from, size_t from_len,
    const char *to, size_t to_len);

/* "YYYY-MM-DD" (a real date, 1970 to 9999) as a day; -1 otherwise. */
int blog_range_day(const char *s, size_t len, int64_t *day);

/* day as "YYYY-MM-DD" with its NUL, in out[BLOG_RANGE_DATE_SIZE]. */
void blog_range_format(int64_t day, char *out);

/* The period before range, as long, ending the day before it starts. */
void blog_range_previous(const blog_range_t *range, blog_range_t *prev);

/* The first day of day's month, and of the month n months before it. */
int64_t blog_range_month_start(int64_t day, int n);

/* day's month counted from year 0 (year * 12 + month - 1). */
int64_t blog_range_month(int64_t day);

#endif /* BLOG_RANGE_H */
