/*
 * Announcements of the backup's segments on core NATS ([nats]
 * backup_subject), so that replicas fetch each one by name instead of
 * listing the bucket (jr_follow_nats.c).  After a segment is stored, its
 * key, size and the key of the segment before it in the same generation
 * ("-" when not known: the first since the start or of a generation) go
 * out as one message "KEY SIZE PREV".  A replica applies a segment whose
 * PREV is the last one it applied; anything else makes it list.
 *
 * Published in libuv's pool (a publish may wait for the socket), in the
 * order stored; nothing is sent while NATS is down (replicas poll then).
 */

#ifndef JR_BACKUP_ANNOUNCE_H
#define JR_BACKUP_ANNOUNCE_H

#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "nats/jr_nats.h"

typedef struct jr_backup_announce_s  jr_backup_announce_t;

/* NULL when out of memory (logged). */
jr_backup_announce_t *jr_backup_announce_start(uv_loop_t *loop,
    jr_nats_t *nats, const char *subject);

/* The loop: key (size bytes) was stored after prev (NULL: not known). */
void jr_backup_announce(jr_backup_announce_t *a, const char *key,
    uint64_t size, const char *prev);

/*
 * The loop: the last announcement sent again when none went out for
 * every_ms, so that an idle replica knows it is current without a LIST.
 * Safe with NULL.
 */
void jr_backup_announce_again(jr_backup_announce_t *a, uint64_t every_ms);

/*
 * The loop, at the start: text ("KEY SIZE PREV"), the last announcement
 * of the run before, which the backup's thread found still the newest
 * segment of the current generation (local_dir/announced), is repeated
 * at the next tick once NATS is up, then every heartbeat.  Ignored once
 * one was sent in this run.  Safe with NULL.
 */
void jr_backup_announce_resume(jr_backup_announce_t *a, const char *text);

/* The one repeated ("KEY SIZE PREV"), NULL: none.  Safe with NULL. */
const char *jr_backup_announce_last(jr_backup_announce_t *a);

/* Nothing to repeat (a new generation began).  Safe with NULL. */
void jr_backup_announce_forget(jr_backup_announce_t *a);

/* No more; a publish under way ends with the loop.  Safe with NULL. */
void jr_backup_announce_stop(jr_backup_announce_t *a);

/* After the loop has ended. */
void jr_backup_announce_free(jr_backup_announce_t *a);

/*
 * Prometheus lines: jobrunner_backup_announced_total, _lost_total and
 * _repeats_total.
 */
void jr_backup_announce_render(jr_backup_announce_t *a, FILE *out);

#endif /* JR_BACKUP_ANNOUNCE_H */
