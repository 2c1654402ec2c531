/*
 * The layout of a replica of data.db in the bucket, shared by continuous
 * backup (jr_backup.c) and restore (jr_restore.c).  Under [backup] prefix:
 *
 *   PREFIX/GEN/wal/IIIIIIII-OOOOOOOOOOOO-MMMMMMMMMMMMM.wal
 *       a segment: the WAL bytes of index I (the I-th WAL of the
 *       generation, counting restarts) from offset O, ending at a commit;
 *       the one at offset 0 starts with the WAL header.  M: when they were
 *       copied from the WAL, Unix milliseconds (what point-in-time restore
 *       goes by).
 *   PREFIX/GEN/snapshots/IIIIIIII-SSSSSSSSSSSSS.db
 *       a copy of the database file started at S while index I was
 *       current: replaying index I from offset 0 on, at least up to the
 *       bound below, gives a consistent database.
 *   PREFIX/GEN/snapshots/IIIIIIII-SSSSSSSSSSSSS-BBBBBBBB-EEEEEEEEEEEE-
 *       DDDDDDDDDDDDD.ok
 *       the snapshot is complete (at D), and its bound is offset E of index
 *       B; a .db without its .ok is not used.
 *
 *   PREFIX/.wake
 *       the key of a segment stored after a second without one
 *       (jr_backup.c): replicas that found nothing for a while read it
 *       instead of listing (jr_follow_wal.c).  "." sorts before every
 *       generation, so a look for keys after the last segment never
 *       returns it.
 *
 *   PREFIX/hot/NAME/MMMMMMMMMMMMM.db
 *       a hot database (jr_backup_hot.c): a consistent copy of the file
 *       NAME, a sibling of data.db, made at M.  "hot/" sorts after every
 *       generation (they begin with a year), so a look for keys after the
 *       last segment stops at it.
 *
 * GEN, a generation, is "YYYYMMDDTHHMMSSZ-xxxxxxxx": its start, UTC, and
 * 32 random bits; a new one begins whenever the chain of WAL segments
 * cannot be continued.  Fixed-width hex and decimal fields make the
 * bucket's lexical order the replay order.
 */

#ifndef JR_BUCKET_H
#define JR_BUCKET_H

#include <stddef.h>
#include <stdint.h>

#define JR_BUCKET_GEN_LEN   25          /* 16 + 1 + 8 */

typedef enum {
    JR_BUCKET_SEGMENT = 1,
    JR_BUCKET_SNAPSHOT,
    JR_BUCKET_SNAPSHOT_OK
} jr_bucket_kind_e;

typedef struct {
    jr_bucket_kind_e  kind;
    char               gen[JR_BUCKET_GEN_LEN + 1];
    uint32_t           index;
    uint64_t           offset;       /* segment */
    uint64_t           ms;           /* segment: copied; snapshot: started */
    uint32_t           bound_index;  /* .ok */
    uint64_t           bound_offset;
    uint64_t           done_ms;
} jr_bucket_name_t;

/* A new generation's name for the time ms, with random bits; 0 or -1. */
int jr_bucket_gen(char *out, uint64_t ms);

/*
 * Parses a key under prefix ("PREFIX/GEN/..."); returns 0, or -1 for a
 * key that is not one of ours (left alone by retention).
 */
int jr_bucket_parse(const char *prefix, const char *key,
    jr_bucket_name_t *n);

/*
 * Whether key (or a text that begins with it) is under prefix and of the
 * generation gen: "PREFIX/GEN/...".  1 or 0.
 */
int jr_bucket_of_gen(const char *prefix, const char *key, const char *gen);

/* The file name of a segment, "IIIIIIII-OOOOOOOOOOOO-MMMMMMMMMMMMM.wal". */
void jr_bucket_segment_name(char *out, size_t size, uint32_t index,
    uint64_t offset, uint64_t ms);

/*
 * What a replica that found nothing for a while waits for: the primary
 * writes the wake object when a segment is stored JR_BUCKET_WAKE_MS or
 * more after the one before it (or first since its start), and a replica
 * reads it instead of listing only once it has found nothing for
 * JR_BUCKET_WATCH_MS, so that the first segment it could miss is always
 * one written there.  The difference covers a PUT's and a LIST's time.
 */
#define JR_BUCKET_WAKE_MS    1000
#define JR_BUCKET_WATCH_MS   2000

/* "PREFIX/.wake": malloc'ed, or NULL. */
char *jr_bucket_wake_key(const char *prefix);

/* "PREFIX/hot/", the hot databases' folder: malloc'ed, or NULL. */
char *jr_bucket_hot_prefix(const char *prefix);

/* A hot database's key for a copy made at ms: malloc'ed, or NULL. */
char *jr_bucket_hot_key(const char *prefix, const char *name, uint64_t ms);

/*
 * Parses a key under "PREFIX/hot/": NAME into name (size bytes) and the
 * time of the copy; 0, or -1 for any other key.
 */
int jr_bucket_hot_parse(const char *prefix, const char *key, char *name,
    size_t size, uint64_t *ms);

/* Unix time in milliseconds. */
uint64_t jr_bucket_now_ms(void);

#endif /* JR_BUCKET_H */
