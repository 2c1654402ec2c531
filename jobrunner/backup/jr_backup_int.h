/*
 * The insides of continuous backup, shared by its two halves:
 * jr_backup_wal.c, the thread that copies the WAL and checkpoints, and
 * jr_backup.c, the loop side that uploads, snapshots and prunes.
 *
 * What both touch lives under mu; the thread wakes the loop with async,
 * the loop wakes the thread with cond.
 */

#ifndef JR_BACKUP_INT_H
#define JR_BACKUP_INT_H

#include <sqlite3.h>
#include <uv.h>

#include "backup/jr_backup.h"
#include "backup/jr_backup_announce.h"
#include "backup/jr_backup_hot.h"
#include "backup/jr_bucket.h"
#include "backup/jr_wal.h"


#define JR_BACKUP_LOGS        32
#define JR_BACKUP_LOGLEN      400
#define JR_BACKUP_MEM_MAX     (64 << 20)    /* segments kept in memory */

/* A segment copied from the WAL and not yet stored in the bucket. */
typedef struct jr_backup_seg_s  jr_backup_seg_t;

struct jr_backup_seg_s {
    jr_backup_seg_t   *next;
    char               gen[JR_BUCKET_GEN_LEN + 1];
    char               file[64];       /* jr_bucket_segment_name() */
    uint32_t           index;
    uint64_t           offset;
    uint64_t           ms;             /* copied */
    uint64_t           since_ms;       /* its frames were committed after */
    unsigned char     *data;           /* NULL: on disk only */
    size_t             len;
    unsigned           absorbed;       /* the segments after it in the list
                                          whose frames its data holds too:
                                          stored as one (jr_backup_serve) */
};

/* Where the copy of the WAL stands; kept in local_dir/state. */
typedef struct {
    char               gen[JR_BUCKET_GEN_LEN + 1];
    uint32_t           index;          /* of the WAL in the generation */
    uint64_t           offset;         /* copied up to; 0: nothing yet */
    int                have_hdr;       /* hdr is this index's header */
    unsigned char      hdr[JR_WAL_HDR];
    jr_wal_chain_t     chain;          /* after the frame at offset */
    int                sealed;         /* all of this index is copied: our
                                          checkpoint ended it */
    uint64_t           snapshot_ms;    /* last complete snapshot; 0: none */
} jr_backup_pos_t;

struct jr_backup_s {
    const jr_backup_conf_t  *bc;
    char                    *db_path;
    char                    *wal_path;
    char                    *pending_dir;
    char                    *state_path;
    char                    *ann_path;     /* local_dir/announced */
    uv_loop_t               *loop;
    jr_s3_t                 *s3;
    int                      db_fd;        /* data.db, for snapshots; open
                                              for the jobrunner's life */
    jr_backup_hot_t         *hot;          /* hot_databases; NULL: none */
    jr_backup_announce_t    *announce;     /* with [nats]; NULL: none */
    char                    *announced;    /* the last key announced */
    uint64_t                 stored_ms;    /* the last segment stored; 0:
                                              none since the start */
    char                    *wake_body;    /* PREFIX/.wake's, on its way */
    char                    *wake_next;    /* to write after it */

    /* the thread's own */
    uv_thread_t              thread;
    int                      thread_started;
    sqlite3                 *rd;           /* holds the read transaction */
    sqlite3                 *wr;           /* takes the write lock */
    sqlite3_stmt            *touch;        /* starts rd's read */
    int                      wal_fd;
    unsigned char           *buf;
    size_t                   buf_size;
    jr_backup_pos_t          pos;
    uint64_t                 ckpt_offset;  /* where the last checkpoint was */
    uint32_t                 ckpt_index;
    uint64_t                 cycle_ms;     /* start of this look */
    uint64_t                 prev_cycle_ms;
    size_t                   mem;          /* bytes of segments in memory */
    int                      lost;         /* a pending segment vanished */

    /* shared, under mu */
    uv_mutex_t               mu;
    uv_cond_t                cond;
    uv_async_t               async;
    int                      stop;
    int                      kick;         /* look at the WAL now */
    int                      serve;        /* hand the next segment */
    jr_backup_seg_t         *pending;      /* oldest first */
    jr_backup_seg_t         *pending_tail;
    unsigned                 npending;
    int                      want;         /* the loop wants the head */
    jr_backup_seg_t         *handed;       /* the head, given to the loop */
    int                      uploaded;     /* the handed one is stored */
    uint64_t                 cycles_started;
    uint64_t                 cycles_done;
    char                     gen[JR_BUCKET_GEN_LEN + 1];
    uint32_t                 index;        /* current, for snapshots */
    uint64_t                 offset;
    uint64_t                 snapshot_ms;  /* of this generation */
    int                      new_generation;
    int                      gen_began;    /* the current generation began
                                              in this run */
    uint64_t                 generations;
    uint64_t                 checkpoints;
    char                     logs[JR_BACKUP_LOGS][JR_BACKUP_LOGLEN];
    int                      log_levels[JR_BACKUP_LOGS];
    unsigned                 nlogs;
    unsigned                 logs_lost;
    int                      failed;       /* the thread could not go on */
    char                    *ann_text;     /* the last segment stored, as
                                              announced; for the thread to
                                              save (jr_backup_wal.c) */
    char                    *ann_resume;   /* the saved one, valid at the
                                              start: for the loop to repeat */

    /* the loop's */
    int                      stopping;
    int                      async_init;
    int                      timer_init;
    uv_timer_t               timer;
    jr_backup_seg_t         *uploading;
    uint64_t                 upload_started;   /* ms */
    uint64_t                 retry_at;     /* ms; 0: now */
    unsigned                 upload_fails;
    char                     last_error[256];
    int                      lagging;      /* the alert is raised */
    double                   lag;          /* seconds */

    int                      snap_running;
    int                      snap_phase;   /* 1 uploading, 2 bound, 3 .ok */
    char                     snap_gen[JR_BUCKET_GEN_LEN + 1];
    uint32_t                 snap_index;
    uint64_t                 snap_ms;
    uint64_t                 snap_cycle;   /* wait for cycles_done > it */
    uint64_t                 snap_size;
    uint64_t                 snap_retry_at;
    char                    *snap_ok_key;  /* the last .ok marker's */

    int                      ret_running;
    uint64_t                 ret_next_ms;
    char                   **ret_keys;     /* to delete */
    size_t                   ret_nkeys;
    size_t                   ret_done;

    /* counters for /metrics */
    uint64_t                 segments;
    uint64_t                 bytes;
    uint64_t                 failures;
    uint64_t                 snapshots;
    uint64_t                 deleted;
};


/* The thread (jr_backup_wal.c). */
void jr_backup_thread(void *arg);

/* Queues a log line for the loop to write (the thread never logs). */
void jr_backup_tlog(jr_backup_t *b, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads a pending segment's bytes from local_dir; 0 or -1.  Thread. */
int jr_backup_load(jr_backup_t *b, jr_backup_seg_t *seg);

void jr_backup_seg_free(jr_backup_seg_t *seg);

#endif /* JR_BACKUP_INT_H */
