/*
 * Schedules of the jobrunner's timers, as written in jobrunner.conf:
 *
 *     every 30s | every 10m | every 2h | every 1d
 *     hourly :15
 *     daily 03:00
 *     weekly sun 04:00
 *     biweekly sun 04:00
 *     monthly 1 07:00
 *
 * A schedule is a series of slots (instants).  "every" slots are multiples
 * of the interval since the Unix epoch, so restarts do not shift them and
 * "every 1d" is midnight UTC; hourly, daily and weekly slots are in local
 * time (the TZ environment variable).  On a day that skips the local time
 * (DST starts) the slot moves forward by the gap; on a day that repeats it
 * (DST ends) it is taken once.  "biweekly" slots are the weekly ones of
 * even weeks: those whose local date, in days since 1970-01-01, divided by
 * 7 is even, so every second week whatever the day, and a restart does not
 * shift them.  "monthly" slots are on a day of the month from 1 to 28
 * (every month has it).
 *
 * Pure functions of (schedule, now): no clock, no state, so unit tests
 * give any "now" they like.
 */

#ifndef JR_SCHEDULE_H
#define JR_SCHEDULE_H

#include <time.h>

/* The longest "every" interval: a week.  Longer is "weekly". */
#define JR_SCHEDULE_EVERY_MAX  (7 * 86400L)

typedef enum {
    JR_SCHEDULE_EVERY = 0,
    JR_SCHEDULE_HOURLY,
    JR_SCHEDULE_DAILY,
    JR_SCHEDULE_WEEKLY,
    JR_SCHEDULE_BIWEEKLY,       /* the weekly slots of even weeks */
    JR_SCHEDULE_MONTHLY
} jr_schedule_kind_e;

typedef struct {
    jr_schedule_kind_e  kind;
    long                every;      /* seconds, JR_SCHEDULE_EVERY */
    int                 wday;       /* 0 = Sunday, JR_SCHEDULE_WEEKLY and
                                       JR_SCHEDULE_BIWEEKLY */
    int                 mday;       /* 1 to 28, JR_SCHEDULE_MONTHLY */
    int                 hour;
    int                 minute;
} jr_schedule_t;

/*
 * Parses text into s.  Returns 0, or -1 with *err pointing to a static
 * message that says what is expected.
 */
int jr_schedule_parse(jr_schedule_t *s, const char *text, const char **err);

/* The seconds of a duration's unit letter (s, m, h, d), or -1. */
long jr_schedule_unit(int c);

/* The latest slot at or before now. */
time_t jr_schedule_prev(const jr_schedule_t *s, time_t now);

/* The earliest slot after now. */
time_t jr_schedule_next(const jr_schedule_t *s, time_t now);

#endif /* JR_SCHEDULE_H */
