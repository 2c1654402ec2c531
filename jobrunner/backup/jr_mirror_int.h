/*
 * The mirror's insides, shared by jr_mirror.c (the job kinds, counters,
 * logs on the loop) and jr_mirror_sync.c (the runs, in a pool thread).
 */

#ifndef JR_MIRROR_INT_H
#define JR_MIRROR_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "backup/jr_mirror.h"


#define JR_MIRROR_ERRLEN  512

/* A file of the last run with its ETag: not read again while unchanged. */
typedef struct {
    char       *rel;
    uint64_t    size;
    int64_t     mtime_ns;
    ino_t       ino;
    char        etag[48];           /* as S3 makes it: jr_s3_etag_fd() */
    char        md5[33];            /* of the whole file */
} jr_mirror_file_t;

/* What one run did, from the pool thread to the loop. */
typedef struct {
    int         timer;              /* JR_MIRROR_* */
    uint64_t    sent;               /* files uploaded */
    uint64_t    sent_bytes;
    uint64_t    copied;             /* server-side copies */
    uint64_t    skipped;            /* unchanged */
    uint64_t    deleted;
    uint64_t    hashed;             /* files read to compute their ETag */
    uint64_t    unreadable;         /* files that could not be read */
    char        first_unreadable[256];
    char        kept[320];          /* why deletions were not done */
    char        error[JR_MIRROR_ERRLEN];
} jr_mirror_run_t;

struct jr_mirror_s {
    const jr_config_t       *cf;
    const jr_mirror_conf_t  *mc;
    jr_s3_t                 *src;         /* [s3]'s bucket */
    jr_s3_t                 *dst;         /* the mirror's bucket */
    uv_mutex_t               lock;        /* one run at a time */

    /* the pool threads', under lock */
    jr_mirror_file_t        *files;       /* sorted by rel */
    size_t                   nfiles;

    /* the loop's */
    uint64_t                 runs[JR_MIRROR_TIMERS][2];   /* ok, failed */
    uint64_t                 sent;
    uint64_t                 sent_bytes;
    uint64_t                 copied[JR_MIRROR_TIMERS];
    uint64_t                 skipped[JR_MIRROR_TIMERS];
    uint64_t                 deleted[JR_MIRROR_TIMERS];
    time_t                   last_run[JR_MIRROR_TIMERS];
    time_t                   last_success[JR_MIRROR_TIMERS];
};


/* The tiers' folder names: "live", "daily", "1-week", "2-week". */
extern const char *const  jr_mirror_tiers[JR_MIRROR_TIMERS];

/*
 * Pool thread, under m->lock: one run of the live copy, or of a tier.
 * 0, or -1 with run->error.
 */
int jr_mirror_run_live(jr_mirror_t *m, jr_mirror_run_t *run);
int jr_mirror_run_tier(jr_mirror_t *m, int tier, jr_mirror_run_t *run);

/* Frees the files of a run. */
void jr_mirror_files_free(jr_mirror_file_t *files, size_t n);

#endif /* JR_MIRROR_INT_H */
