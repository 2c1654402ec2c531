/*
 * The dictionary of analytics.db (analytics_strings, migration 4): the
 * paths and referrers of the views' rows as integer ids, cached in
 * memory so that a view's row costs no lookup once its strings are known.
 *
 * Ids are found or given inside the caller's transaction; a batch that is
 * discarded may have given ids that its rollback took back, so the cache
 * is then emptied.  It is also emptied when it holds JR_STRINGS_MAX
 * strings: hostile referrers can make as many as they like, the cache
 * stays small and the strings in use come back at their next view.
 *
 * A string's last_day (analytics.db migration 6) is the last day of a
 * view that used it; the retention deletes the strings whose last_day is
 * before every view left (jr_rollup.c).  A cached string is touched on
 * the first view of a later day, so one the retention deleted meanwhile
 * is found gone then and added again.  A view of its cached day or before
 * trusts the cache: views are taken only for the days the retention
 * keeps (jr_analytics.c), whose strings it keeps too.
 */

#ifndef JR_STRINGS_H
#define JR_STRINGS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>


typedef struct jr_strings_s  jr_strings_t;

/* Prepares the statements on db.  Returns the handle, or NULL (logged). */
jr_strings_t *jr_strings_open(sqlite3 *db);

/*
 * The id of the len bytes at data ('' is 0), added to the dictionary if
 * new, used by a view of day (UTC days since 1970): its last_day is then
 * at least day.  Returns 0, or -1 after logging why.
 */
int jr_strings_id(jr_strings_t *s, const char *data, size_t len,
    int64_t day, int64_t *id);

/*
 * The string of id, if the cache holds it: 1 with *data and *len (valid
 * until the next call of jr_strings_id() or jr_strings_discard()), or 0.
 */
int jr_strings_value(jr_strings_t *s, int64_t id, const char **data,
    size_t *len);

/* The caller's transaction was rolled back: forgets every id. */
void jr_strings_discard(jr_strings_t *s);

void jr_strings_close(jr_strings_t *s);

#endif /* JR_STRINGS_H */
