/*
 * Continuous backup of data.db to the bucket of [s3] ([backup]): what
 * Litestream does, inside the jobrunner.
 *
 * A thread of its own copies each committed WAL frame of data.db-wal into
 * segment files in local_dir/pending (fsynced), within interval_ms of the
 * commit, and checkpoints the database itself every checkpoint_pages
 * frames.  It holds a read transaction on data.db at all times, so no
 * other connection's checkpoint can copy frames it has not seen into the
 * database, nor restart the WAL more than once between two of its looks;
 * its own checkpoints first take the write lock and copy the last frames,
 * so none is lost at a restart.  When the chain of frames cannot be
 * continued (the jobrunner was stopped while others restarted the WAL, or
 * a restart overwrote frames not yet copied) a new generation begins, with
 * a new snapshot.  See docs/backup.md.
 *
 * On the loop, the segments are uploaded in order (the S3 client on the
 * loop), deleted locally once stored; snapshots (the database file, read
 * in the pool, multipart) are taken at each new generation and every
 * snapshot_interval; old snapshots and segments are deleted after
 * retention; a lag over lag_alert raises the "backup.lag" alert.
 *
 * The hot databases (hot_databases, jr_backup_hot.h) are copied whole
 * instead; they start, stop and render with the backup.
 */

#ifndef JR_BACKUP_H
#define JR_BACKUP_H

#include <stdio.h>

#include <uv.h>

#include "core/jr_config.h"
#include "nats/jr_nats.h"
#include "s3/jr_s3.h"

typedef struct jr_backup_s  jr_backup_t;

/*
 * Starts replication of cf->data_db with the client s3; with nats (or
 * NULL), each segment stored is announced to replicas
 * (jr_backup_announce.h).  Returns 0 with *out set, or -1 after logging
 * why (*out is set too, for jr_backup_stop/free).
 */
int jr_backup_start(jr_backup_t **out, uv_loop_t *loop,
    const jr_config_t *cf, jr_s3_t *s3, jr_nats_t *nats);

/*
 * Shutdown, before the S3 client closes: the thread copies what is
 * committed one last time (to local_dir; it is uploaded at the next
 * start) and ends; the handles close.  Safe twice, and with NULL.
 */
void jr_backup_stop(jr_backup_t *b);

/*
 * After the loop has ended and data.db's connection is closed: it closes
 * a descriptor of data.db (see jr_backup_start).
 */
void jr_backup_free(jr_backup_t *b);

/* Prometheus lines: jobrunner_backup_*. */
void jr_backup_render(jr_backup_t *b, FILE *out);

#endif /* JR_BACKUP_H */
