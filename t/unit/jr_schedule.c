/*
 * Unit tests of jr_schedule.c: parsing, and the slots before and after a
 * given "now" in UTC and across Europe/Berlin's DST changes.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs/jr_schedule.h"
#include "tap.h"


/* "2026-05-01T12:34:56Z" as a time_t, whatever TZ is. */
static time_t
utc(const char *iso)
{
    struct tm  tm;

    memset(&tm, 0, sizeof(tm));

    if (strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL) {
        printf("# bad date %s\n", iso);
        exit(2);
    }

    return timegm(&tm);
}


static void
zone(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}


/* Checks prev and next of a schedule at now, as UTC times. */
static void
slots(const char *text, const char *now, const char *prev, const char *next)
{
    const char     *err;
    jr_schedule_t   s;

    if (jr_schedule_parse(&s, text, &err) != 0) {
        ok(0, "\"%s\" parses: %s", text, err);
        return;
    }

    is_int(jr_schedule_prev(&s, utc(now)), utc(prev),
           "\"%s\" at %s: prev %s", text, now, prev);
    is_int(jr_schedule_next(&s, utc(now)), utc(next),
           "\"%s\" at %s: next %s", text, now, next);
}


static void
bad(const char *text, const char *want)
{
    const char     *err;
    jr_schedule_t   s;

    is_int(jr_schedule_parse(&s, text, &err), -1, "\"%s\" refused", text);
    ok(strstr(err, want) != NULL, "\"%s\": message says %s", text, want);
}


static void
test_parse(void)
{
    const char     *err;
    jr_schedule_t   s;

    is_int(jr_schedule_parse(&s, "every 10m", &err), 0, "every 10m");
    is_int(s.kind, JR_SCHEDULE_EVERY, "every: kind");
    is_int(s.every, 600, "every 10m: 600 s");

    is_int(jr_schedule_parse(&s, "  Every\t2h ", &err), 0, "blanks, case");
    is_int(s.every, 7200, "every 2h: 7200 s");

    is_int(jr_schedule_parse(&s, "every 7d", &err), 0, "every 7d");
    is_int(jr_schedule_parse(&s, "every 1s", &err), 0, "every 1s");

    is_int(jr_schedule_parse(&s, "hourly :05", &err), 0, "hourly :05");
    is_int(s.minute, 5, "hourly: minute");

    is_int(jr_schedule_parse(&s, "daily 3:07", &err), 0, "daily 3:07");
    ok(s.kind == JR_SCHEDULE_DAILY && s.hour == 3 && s.minute == 7,
       "daily: hour and minute");

    is_int(jr_schedule_parse(&s, "weekly Sunday 04:00", &err), 0,
           "weekly Sunday");
    is_int(s.wday, 0, "weekly: Sunday is 0");
    is_int(jr_schedule_parse(&s, "weekly sat 23:59", &err), 0, "weekly sat");
    is_int(s.wday, 6, "weekly: sat is 6");
    is_int(jr_schedule_parse(&s, "biweekly sun 05:30", &err), 0,
           "biweekly sun");
    ok(s.kind == JR_SCHEDULE_BIWEEKLY && s.wday == 0 && s.hour == 5
       && s.minute == 30, "biweekly: kind, day, hour and minute");

    bad("", "expected \"every N");
    bad("every", "expected \"every N");
    bad("every 0m", "N from 1");
    bad("every 10", "unit s, m, h");
    bad("every 10x", "unit s, m, h");
    bad("every -1m", "N from 1");
    bad("every 8d", "at most a week");
    bad("every 10 m", "expected \"every N");
    bad("hourly 15", "hourly :MM");
    bad("hourly :60", "hourly :MM");
    bad("daily 24:00", "daily HH:MM");
    bad("daily 3:5", "daily HH:MM");
    bad("daily 03:00 extra", "expected \"every N");
    bad("biweekly sun", "expected \"every N");
    bad("biweekly fun 04:00", "biweekly DAY HH:MM");
    bad("biweekly sun 4:60", "from 00:00 to 23:59");
    bad("daily", "expected \"every N");
    bad("weekly fun 04:00", "DAY one of");
    bad("weekly sun", "expected \"every N");
    bad("weekly sun 4", "from 00:00 to 23:59");
    bad("monthly 03:00", "expected \"every N");
    bad("monthly 0 03:00", "D a day from 1 to 28");
    bad("monthly 29 03:00", "D a day from 1 to 28");
    bad("monthly 1 3", "monthly D HH:MM");
    is_int(jr_schedule_parse(&s, "monthly 1 07:00", &err), 0, "monthly 1");
    ok(s.kind == JR_SCHEDULE_MONTHLY && s.mday == 1 && s.hour == 7
       && s.minute == 0, "monthly: kind, day, hour and minute");
}


static void
test_utc(void)
{
    zone("UTC");

    /* 2026-05-01 is a Friday */
    slots("every 10m", "2026-05-01T12:34:56Z",
          "2026-05-01T12:30:00Z", "2026-05-01T12:40:00Z");
    slots("every 10m", "2026-05-01T12:30:00Z",
          "2026-05-01T12:30:00Z", "2026-05-01T12:40:00Z");
    slots("every 1d", "2026-05-01T12:34:56Z",
          "2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z");
    /* 1777638896 s; the grid of 7 s is from the epoch */
    slots("every 7s", "2026-05-01T12:34:56Z",
          "2026-05-01T12:34:51Z", "2026-05-01T12:34:58Z");

    slots("hourly :15", "2026-05-01T12:34:56Z",
          "2026-05-01T12:15:00Z", "2026-05-01T13:15:00Z");
    slots("hourly :15", "2026-05-01T12:10:00Z",
          "2026-05-01T11:15:00Z", "2026-05-01T12:15:00Z");

    slots("daily 03:00", "2026-05-01T12:34:56Z",
          "2026-05-01T03:00:00Z", "2026-05-02T03:00:00Z");
    slots("daily 03:00", "2026-05-01T02:00:00Z",
          "2026-04-30T03:00:00Z", "2026-05-01T03:00:00Z");
    slots("daily 03:00", "2026-05-01T03:00:00Z",
          "2026-05-01T03:00:00Z", "2026-05-02T03:00:00Z");
    slots("daily 03:00", "2026-12-31T23:00:00Z",
          "2026-12-31T03:00:00Z", "2027-01-01T03:00:00Z");
    slots("daily 00:00", "2028-03-01T00:00:01Z",
          "2028-03-01T00:00:00Z", "2028-03-02T00:00:00Z");

    slots("weekly sun 04:00", "2026-05-01T12:34:56Z",
          "2026-04-26T04:00:00Z", "2026-05-03T04:00:00Z");
    slots("weekly sun 04:00", "2026-05-03T04:00:00Z",
          "2026-05-03T04:00:00Z", "2026-05-10T04:00:00Z");
    slots("weekly sun 04:00", "2026-05-03T03:59:59Z",
          "2026-04-26T04:00:00Z", "2026-05-03T04:00:00Z");
    slots("weekly fri 12:00", "2026-05-01T12:34:56Z",
          "2026-05-01T12:00:00Z", "2026-05-08T12:00:00Z");

    /* 2026-04-26 is day 20569 since the epoch, week 2938: even */
    slots("biweekly sun 04:00", "2026-05-01T12:34:56Z",
          "2026-04-26T04:00:00Z", "2026-05-10T04:00:00Z");
    slots("biweekly sun 04:00", "2026-05-10T04:00:00Z",
          "2026-05-10T04:00:00Z", "2026-05-24T04:00:00Z");
    slots("biweekly sun 04:00", "2026-05-10T03:59:59Z",
          "2026-04-26T04:00:00Z", "2026-05-10T04:00:00Z");
    slots("biweekly sun 04:00", "2026-05-17T12:00:00Z",
          "2026-05-10T04:00:00Z", "2026-05-24T04:00:00Z");

    slots("monthly 1 07:00", "2026-05-01T12:34:56Z",
          "2026-05-01T07:00:00Z", "2026-06-01T07:00:00Z");
    slots("monthly 1 07:00", "2026-05-01T06:59:59Z",
          "2026-04-01T07:00:00Z", "2026-05-01T07:00:00Z");
    slots("monthly 28 07:00", "2026-12-30T00:00:00Z",
          "2026-12-28T07:00:00Z", "2027-01-28T07:00:00Z");
    slots("monthly 15 00:00", "2026-01-10T00:00:00Z",
          "2025-12-15T00:00:00Z", "2026-01-15T00:00:00Z");
}


static void
test_berlin(void)
{
    zone("Europe/Berlin");

    /* CET is UTC+1, CEST UTC+2; 2026-03-29 02:00 CET jumps to 03:00 CEST */
    slots("daily 03:00", "2026-03-28T12:00:00Z",
          "2026-03-28T02:00:00Z", "2026-03-29T01:00:00Z");
    slots("daily 03:00", "2026-03-29T01:30:00Z",
          "2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z");

    /* 02:30 does not exist that day: the slot moves on by the gap */
    slots("daily 02:30", "2026-03-29T00:00:00Z",
          "2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z");

    /* every stays on the UTC grid */
    slots("every 1h", "2026-03-29T00:30:00Z",
          "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z");

    /* 2026-10-25 03:00 CEST goes back to 02:00 CET: 02:xx happens twice */
    slots("hourly :00", "2026-10-25T00:30:00Z",
          "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z");
    slots("hourly :00", "2026-10-25T01:30:00Z",
          "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z");

    /* the repeated 02:30 is taken once: both sides agree on one instant */
    {
        const char     *err;
        time_t          a, b;
        jr_schedule_t   s;

        jr_schedule_parse(&s, "daily 02:30", &err);
        a = jr_schedule_next(&s, utc("2026-10-24T12:00:00Z"));
        b = jr_schedule_next(&s, a);
        ok(b - a >= 23 * 3600, "daily 02:30 on the repeated hour runs once "
           "(next after it is %ld s later)", (long) (b - a));
    }

    slots("weekly sun 03:00", "2026-03-27T12:00:00Z",
          "2026-03-22T02:00:00Z", "2026-03-29T01:00:00Z");
}


int
main(void)
{
    test_parse();
    test_utc();
    test_berlin();

    return tap_done();
}
