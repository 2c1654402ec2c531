/*
 * Hot databases ([backup] hot_databases): SQLite files next to data.db
 * that change on every page view or job (queue.db, analytics.db).  Copied
 * frame by frame they would cost a PUT per look; instead, every
 * hot_interval, each one that changed since its last copy (PRAGMA
 * data_version) is copied whole with VACUUM INTO, a consistent image, in
 * libuv's pool, and stored as PREFIX/hot/NAME/MMMMMMMMMMMMM.db
 * (jr_bucket.h); the copy it replaces is then deleted.  One more copy of
 * each that changed is made on shutdown.  A file that does not exist is
 * skipped until it does.  See docs/backup.md.
 */

#ifndef JR_BACKUP_HOT_H
#define JR_BACKUP_HOT_H

#include <stdio.h>

#include <uv.h>

#include "core/jr_config.h"

typedef struct jr_backup_hot_s  jr_backup_hot_t;

/*
 * Starts the timer.  Returns 0 with *out set (NULL when hot_databases is
 * off), or -1 after logging why.
 */
int jr_backup_hot_start(jr_backup_hot_t **out, uv_loop_t *loop,
    const jr_config_t *cf);

/*
 * Shutdown: the timer stops and a last copy of what changed is queued;
 * the loop runs until it is stored (or has failed).  Safe with NULL.
 */
void jr_backup_hot_stop(jr_backup_hot_t *h);

/* After the loop has ended. */
void jr_backup_hot_free(jr_backup_hot_t *h);

/* Prometheus lines: jobrunner_backup_hot_*. */
void jr_backup_hot_render(jr_backup_hot_t *h, FILE *out);

#endif /* JR_BACKUP_HOT_H */
