/*
 * "jobrunner restore" of the hot databases (jr_backup_hot.h): the newest
 * copy of each under PREFIX/hot/, at or before the target, downloaded
 * next to the restored data.db under its own name, checked with PRAGMA
 * integrity_check and renamed into place.  Planned before data.db is
 * restored, so that a file in the way stops the restore before anything
 * is written.
 */

#ifndef JR_RESTORE_HOT_H
#define JR_RESTORE_HOT_H

#include <stdint.h>
#include <stdio.h>

#include "s3/jr_s3.h"

typedef struct {
    char       *name;
    char       *key;       /* NULL: no copy at or before the target */
    uint64_t    ms;
    uint64_t    size;
    char       *dest;
} jr_restore_hot_db_t;

typedef struct {
    jr_restore_hot_db_t  *dbs;
    size_t                ndbs;
} jr_restore_hot_t;

/*
 * Lists the copies under base's hot/ and picks, for each database, the
 * newest at or before target_ms (0: the newest), to go into output's
 * folder.  A destination that exists is refused unless force.  0, or -1
 * with the reason on out.
 */
int jr_restore_hot_plan(jr_restore_hot_t *plan, jr_s3_t *s3,
    const char *base, const char *output, uint64_t target_ms, int force,
    FILE *out);

/* Downloads, checks and renames each one planned; 0, or -1. */
int jr_restore_hot_run(jr_restore_hot_t *plan, jr_s3_t *s3,
    uint64_t target_ms, FILE *out);

void jr_restore_hot_free(jr_restore_hot_t *plan);

#endif /* JR_RESTORE_HOT_H */
