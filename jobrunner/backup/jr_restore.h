/*
 * "jobrunner restore": data.db rebuilt from the replica in the bucket
 * (jr_bucket.h), as of its latest state or of a point in time.
 *
 *   1. list PREFIX/; pick the newest generation with a complete snapshot
 *      at or before the target, and of it the newest such snapshot;
 *   2. download the snapshot into OUTPUT.tmp;
 *   3. replay the generation's WAL segments from the snapshot's index on,
 *      in order: frames checked (salts, running checksum), the pages of
 *      each transaction written at its commit, the file cut to its size;
 *      up to the last commit copied at or before the target (and at least
 *      up to the snapshot's bound);
 *   4. PRAGMA integrity_check; rename to OUTPUT.
 *
 * Runs in the foreground with blocking requests; needs no running
 * jobrunner.
 */

#ifndef JR_RESTORE_H
#define JR_RESTORE_H

#include <stdint.h>
#include <stdio.h>

#include "core/jr_config.h"
#include "backup/jr_bucket.h"
#include "s3/jr_s3.h"
#include "backup/jr_wal.h"


/* Where a restore ended: a replica (jr_follow.c) goes on from there. */
typedef struct {
    char            gen[JR_BUCKET_GEN_LEN + 1];
    uint32_t        index;       /* the primary's WAL ... */
    uint64_t        offset;      /* ... and the end of its last commit */
    uint64_t        ms;          /* M of the last segment replayed, 0 */
    jr_wal_chain_t  chain;       /* the WAL's running checksum there */
    int             has_chain;   /* 0: no commit replayed, offset is 0 */
} jr_restore_pos_t;

/*
 * Parses a target time: "2026-05-01T12:00:00Z" (UTC, optional fraction
 * of a second) or Unix seconds ("1777636800", "1777636800.250").  Returns
 * 0 with *ms, or -1.
 */
int jr_restore_time(const char *text, uint64_t *ms);

/*
 * The command (jr_restore_cmd.c): restores into output (refused if it
 * exists, unless force), and the hot databases next to it
 * (jr_restore_hot.h).  target_ms 0
 * is the latest.  Progress and errors go to out.  Returns the exit status:
 * 0, or 1.
 */
int jr_restore(const jr_config_t *cf, const char *output, uint64_t target_ms,
    int force, FILE *out);

/*
 * The work of jr_restore() with a client of one's own (performed, not
 * started: a thread or the command line): the latest state (target_ms 0)
 * under base in bucket into output, replaced if it exists.  Returns 0 with
 * *pos, or -1 with the reason on out.
 */
int jr_restore_from(jr_s3_t *s3, const char *bucket, const char *base,
    const char *output, uint64_t target_ms, FILE *out, jr_restore_pos_t *pos);

/* ms as "2026-05-01T12:00:00.000Z" in buf; returns buf. */
const char *jr_restore_iso(uint64_t ms, char *buf, size_t size);

/* PRAGMA integrity_check of the file at path: 0 if "ok", or -1. */
int jr_restore_check(const char *path, FILE *out);

#endif /* JR_RESTORE_H */
