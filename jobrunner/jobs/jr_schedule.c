/*
 * Timer schedules: parsing and slot arithmetic; see jr_schedule.h.
 */

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "jobs/jr_schedule.h"


#define JR_SCHEDULE_TOKENS  4


static const char *const  jr_schedule_days[7] = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday"
};

static const char  jr_schedule_expected[] =
    "expected \"every N[s|m|h|d]\", \"hourly :MM\", \"daily HH:MM\", "
    "\"weekly DAY HH:MM\", \"biweekly DAY HH:MM\" or \"monthly D HH:MM\"";


/* Splits text on blanks into at most max tokens; returns their number. */
static int
jr_schedule_tokens(const char *text, const char **tok, size_t *len, int max)
{
    int          n;
    const char  *p;

    n = 0;
    p = text;

    for ( ;; ) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }

        if (*p == '\0') {
            return n;
        }

        if (n == max) {
            return max + 1;
        }

        tok[n] = p;

        while (*p && *p != ' ' && *p != '\t') {
            p++;
        }

        len[n] = p - tok[n];
        n++;
    }
}


/* Digits only, at most 9 of them; -1 otherwise. */
static long
jr_schedule_number(const char *p, size_t len)
{
    long    v;
    size_t  i;

    if (len == 0 || len > 9) {
        return -1;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (!isdigit((unsigned char) p[i])) {
            return -1;
        }

        v = v * 10 + (p[i] - '0');
    }

    return v;
}


/* "H:MM" or "HH:MM", 00:00 to 23:59. */
static int
jr_schedule_clock(jr_schedule_t *s, const char *p, size_t len)
{
    const char  *colon;

    colon = memchr(p, ':', len);
    if (colon == NULL || p + len - colon != 3) {
        return -1;
    }

    s->hour = (int) jr_schedule_number(p, colon - p);
    s->minute = (int) jr_schedule_number(colon + 1, 2);

    if (colon - p > 2 || s->hour < 0 || s->hour > 23
        || s->minute < 0 || s->minute > 59)
    {
        return -1;
    }

    return 0;
}


long
jr_schedule_unit(int c)
{
    switch (c) {
    case 's':
        return 1;
    case 'm':
        return 60;
    case 'h':
        return 3600;
    case 'd':
        return 86400;
    default:
        return -1;
    }
}


static int
jr_schedule_every(jr_schedule_t *s, const char *p, size_t len)
{
    long  n, unit;

    if (len < 2) {
        return -1;
    }

    unit = jr_schedule_unit(p[len - 1]);
    if (unit < 0) {
        return -1;
    }

    n = jr_schedule_number(p, len - 1);

    if (n < 1 || n > JR_SCHEDULE_EVERY_MAX / unit) {
        return -1;
    }

    s->every = n * unit;

    return 0;
}


static int
jr_schedule_day(jr_schedule_t *s, const char *p, size_t len)
{
    int  i;

    for (i = 0; i < 7; i++) {
        if ((len == 3 || len == strlen(jr_schedule_days[i]))
            && strncasecmp(p, jr_schedule_days[i], len) == 0)
        {
            s->wday = i;
            return 0;
        }
    }

    return -1;
}


int
jr_schedule_parse(jr_schedule_t *s, const char *text, const char **err)
{
    int          n;
    size_t       len[JR_SCHEDULE_TOKENS];
    const char  *tok[JR_SCHEDULE_TOKENS];

    memset(s, 0, sizeof(jr_schedule_t));

    n = jr_schedule_tokens(text, tok, len, JR_SCHEDULE_TOKENS);

    *err = jr_schedule_expected;

#define jr_schedule_is(i, word)                                               \
    (len[i] == sizeof(word) - 1 && strncasecmp(tok[i], word, len[i]) == 0)

    if (n == 2 && jr_schedule_is(0, "every")) {
        s->kind = JR_SCHEDULE_EVERY;

        if (jr_schedule_every(s, tok[1], len[1]) != 0) {
            *err = "expected \"every N\" with N from 1 and a unit s, m, h "
                   "or d, at most a week";
            return -1;
        }

        return 0;
    }

    if (n == 2 && jr_schedule_is(0, "hourly")) {
        s->kind = JR_SCHEDULE_HOURLY;
        s->minute = (int) (len[1] == 3 && tok[1][0] == ':'
                           ? jr_schedule_number(tok[1] + 1, 2) : -1);

        if (s->minute < 0 || s->minute > 59) {
            *err = "expected \"hourly :MM\", MM from 00 to 59";
            return -1;
        }

        return 0;
    }

    if (n == 2 && jr_schedule_is(0, "daily")) {
        s->kind = JR_SCHEDULE_DAILY;

        if (jr_schedule_clock(s, tok[1], len[1]) != 0) {
            *err = "expected \"daily HH:MM\", from 00:00 to 23:59";
            return -1;
        }

        return 0;
    }

    if (n == 3
        && (jr_schedule_is(0, "weekly") || jr_schedule_is(0, "biweekly")))
    {
        s->kind = tok[0][0] == 'w' || tok[0][0] == 'W'
                  ? JR_SCHEDULE_WEEKLY : JR_SCHEDULE_BIWEEKLY;

        if (jr_schedule_day(s, tok[1], len[1]) != 0) {
            *err = "expected \"weekly DAY HH:MM\" or \"biweekly DAY HH:MM\", "
                   "DAY one of sun, mon, tue, wed, thu, fri, sat";
            return -1;
        }

        if (jr_schedule_clock(s, tok[2], len[2]) != 0) {
            *err = "expected \"weekly DAY HH:MM\" or \"biweekly DAY HH:MM\", "
                   "from 00:00 to 23:59";
            return -1;
        }

        return 0;
    }

    if (n == 3 && jr_schedule_is(0, "monthly")) {
        s->kind = JR_SCHEDULE_MONTHLY;
        s->mday = (int) jr_schedule_number(tok[1], len[1]);

        if (s->mday < 1 || s->mday > 28
            || jr_schedule_clock(s, tok[2], len[2]) != 0)
        {
            *err = "expected \"monthly D HH:MM\", D a day from 1 to 28 (that "
                   "every month has), from 00:00 to 23:59";
            return -1;
        }

        return 0;
    }

#undef jr_schedule_is

    return -1;
}


/*
 * The local time hour:minute on the day "days" after the day of base.
 * mktime() normalizes the day of month and, with tm_isdst -1, finds the
 * right offset for that date, so DST changes in between do not matter.
 */
static time_t
jr_schedule_at(const struct tm *base, int days, int hour, int minute)
{
    struct tm  tm;

    tm = *base;
    tm.tm_mday += days;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;

    return mktime(&tm);
}


/*
 * This hour's :MM.  Hours are stepped in seconds, not in wall-clock time,
 * so the repeated hour when DST ends has both of its slots.
 */
static time_t
jr_schedule_this_hour(const jr_schedule_t *s, time_t now)
{
    struct tm  tm;

    localtime_r(&now, &tm);

    return now - (tm.tm_min * 60 + tm.tm_sec) + s->minute * 60;
}


/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
static long
jr_schedule_civil(long y, long m, long d)
{
    long  era, yoe, doy, doe;

    /* March-based years put the leap day last (Howard Hinnant's method) */
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


/* The slot of a monthly schedule in the month months after base's. */
static time_t
jr_schedule_month(const jr_schedule_t *s, const struct tm *base, int months)
{
    struct tm  tm;

    tm = *base;
    tm.tm_mon += months;
    tm.tm_mday = s->mday;
    tm.tm_hour = s->hour;
    tm.tm_min = s->minute;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;

    return mktime(&tm);
}


/*
 * Whether the local date of t is in an even week: its days since
 * 1970-01-01 divided by 7.  Two weekly slots a week apart are 7 local days
 * apart whatever DST does, so their parities differ.
 */
static int
jr_schedule_even_week(time_t t)
{
    long       days;
    struct tm  tm;

    localtime_r(&t, &tm);

    days = jr_schedule_civil(tm.tm_year + 1900L, tm.tm_mon + 1L, tm.tm_mday);

    return ((days >= 0 ? days / 7 : (days - 6) / 7) & 1) == 0;
}


time_t
jr_schedule_prev(const jr_schedule_t *s, time_t now)
{
    int        back;
    time_t     t;
    struct tm  tm;

    switch (s->kind) {

    case JR_SCHEDULE_EVERY:
        return now - ((now % s->every) + s->every) % s->every;

    case JR_SCHEDULE_HOURLY:
        t = jr_schedule_this_hour(s, now);
        return t <= now ? t : t - 3600;

    case JR_SCHEDULE_DAILY:
        localtime_r(&now, &tm);
        t = jr_schedule_at(&tm, 0, s->hour, s->minute);
        return t <= now ? t : jr_schedule_at(&tm, -1, s->hour, s->minute);

    case JR_SCHEDULE_WEEKLY:
    case JR_SCHEDULE_BIWEEKLY:
        localtime_r(&now, &tm);
        back = (tm.tm_wday - s->wday + 7) % 7;
        t = jr_schedule_at(&tm, -back, s->hour, s->minute);
        if (t > now) {
            t = jr_schedule_at(&tm, -back - 7, s->hour, s->minute);
            back += 7;
        }

        return s->kind == JR_SCHEDULE_WEEKLY || jr_schedule_even_week(t)
               ? t : jr_schedule_at(&tm, -back - 7, s->hour, s->minute);

    case JR_SCHEDULE_MONTHLY:
        localtime_r(&now, &tm);
        t = jr_schedule_month(s, &tm, 0);
        return t <= now ? t : jr_schedule_month(s, &tm, -1);
    }

    return now;
}


time_t
jr_schedule_next(const jr_schedule_t *s, time_t now)
{
    int        ahead;
    time_t     t;
    struct tm  tm;

    switch (s->kind) {

    case JR_SCHEDULE_EVERY:
        return jr_schedule_prev(s, now) + s->every;

    case JR_SCHEDULE_HOURLY:
        t = jr_schedule_this_hour(s, now);
        return t > now ? t : t + 3600;

    case JR_SCHEDULE_DAILY:
        localtime_r(&now, &tm);
        t = jr_schedule_at(&tm, 0, s->hour, s->minute);
        return t > now ? t : jr_schedule_at(&tm, 1, s->hour, s->minute);

    case JR_SCHEDULE_WEEKLY:
    case JR_SCHEDULE_BIWEEKLY:
        localtime_r(&now, &tm);
        ahead = (s->wday - tm.tm_wday + 7) % 7;
        t = jr_schedule_at(&tm, ahead, s->hour, s->minute);
        if (t <= now) {
            t = jr_schedule_at(&tm, ahead + 7, s->hour, s->minute);
            ahead += 7;
        }

        return s->kind == JR_SCHEDULE_WEEKLY || jr_schedule_even_week(t)
               ? t : jr_schedule_at(&tm, ahead + 7, s->hour, s->minute);

    case JR_SCHEDULE_MONTHLY:
        localtime_r(&now, &tm);
        t = jr_schedule_month(s, &tm, 0);
        return t > now ? t : jr_schedule_month(s, &tm, 1);
    }

    return now;
}
