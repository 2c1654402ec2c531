/*
 * Replica mode's parts: the loop's half (jr_follow.c: start, stop,
 * metrics, alerts, the thread's log lines written) and the thread's
 * (jr_follow_wal.c: the bucket, the local WAL, its log lines queued in
 * logs[]).  See jr_follow.h.
 */

#ifndef JR_FOLLOW_INT_H
#define JR_FOLLOW_INT_H

#include <stdint.h>

#include <nats/nats.h>
#include <sqlite3.h>
#include <uv.h>

#include "backup/jr_follow.h"
#include "backup/jr_restore.h"
#include "s3/jr_s3.h"
#include "backup/jr_wal.h"
#include "nats/jr_nats.h"

#define JR_FOLLOW_LOGS      32
#define JR_FOLLOW_LOGLEN    512

/* A segment announced by the primary (jr_follow_nats.c). */
typedef struct jr_follow_ann_s  jr_follow_ann_t;

struct jr_follow_ann_s {
    jr_follow_ann_t  *next;
    uint64_t          size;
    char             *prev;        /* NULL: not known */
    char              key[];
};

#define JR_FOLLOW_ANN_MAX   10000  /* queued; past it, a LIST instead */

/* The local WAL: data.db-wal as this node writes it. */
typedef struct {
    jr_wal_chain_t   chain;
    int              valid;      /* has a header */
    uint64_t         end;        /* bytes up to the last commit */
    uint32_t         frames;     /* frames up to the last commit */
    uint32_t         seq;        /* the next header's checkpoint sequence */
} jr_follow_wal_t;

struct jr_follow_s {
    const jr_config_t         *cf;
    const jr_replica_conf_t   *rc;
    uv_loop_t                 *loop;

    /* the thread's (and, before it starts, jr_follow_start's) */
    jr_s3_t                   *s3;          /* performed, never started */
    sqlite3                   *db;
    int                        wal_fd;
    int                        shm_fd;      /* open until jr_follow_free */
    char                      *wal_path;
    char                      *shm_path;
    char                      *state_path;
    char                      *restore_path;
    uint32_t                   page_size;   /* data.db's */
    jr_restore_pos_t           pos;         /* the primary's, applied */
    jr_follow_wal_t            wal;
    uint32_t                   published;   /* frames readers were shown */
    int                        resync;      /* state and WAL to be read */
    int                        written;     /* by another: to restore */
    uint64_t                   gen_checked; /* ms, last look for a newer
                                               generation */
    char                      *seen;        /* the last segment key seen
                                               at or before the position;
                                               NULL: not known */
    char                      *woken;       /* PREFIX/.wake's content last
                                               acted on; NULL: none */
    unsigned char             *out;         /* frames not yet appended */
    size_t                     out_len;
    size_t                     out_size;

    uv_thread_t                thread;
    int                        started;
    uv_async_t                 async;
    uv_timer_t                 timer;
    int                        handles;     /* initialized, to close */
    int                        alerting;    /* loop: "replica.lag" raised */

    /* the loop's: the subscription to the primary's announcements */
    jr_nats_t                 *nats;
    natsSubscription          *sub;
    uv_work_t                  sub_req;
    int                        sub_busy;
    char                       sub_err[256];

    /* under mu */
    uv_mutex_t                 mu;
    uv_cond_t                  cond;
    int                        stopping;
    char                       logs[JR_FOLLOW_LOGS][JR_FOLLOW_LOGLEN];
    int                        log_levels[JR_FOLLOW_LOGS];
    unsigned                   nlogs;
    unsigned                   logs_lost;
    char                       gen[JR_BUCKET_GEN_LEN + 1];
    uint32_t                   index;
    uint64_t                   offset;
    uint64_t                   copied_ms;   /* M of the last segment */
    uint64_t                   delay_ms;    /* its publication - M */
    uint64_t                   ok_ms;       /* last poll that succeeded */
    uint64_t                   segments;
    uint64_t                   transactions;
    uint64_t                   checkpoints;
    uint64_t                   restores;
    uint64_t                   errors;
    jr_follow_ann_t           *ann;         /* announced, oldest first */
    jr_follow_ann_t           *ann_tail;
    unsigned                   nann;
    int                        ann_live;    /* subscribed and connected */
    int                        ann_lost;    /* one was dropped: list */
    uint64_t                   ann_applied; /* segments fetched by name */
    uint64_t                   ann_polls;   /* lists while announced to */
    uint64_t                   ann_current; /* heard of one applied before:
                                               the primary's repeats */
};

/* Writes the queued lines; on the loop, or before the thread starts. */
void jr_follow_flush_logs(jr_follow_t *f);

/*
 * Before the thread starts: data.db restored if missing or of no saved
 * position, opened, the local WAL read.  0 or -1 (logged).
 */
int jr_follow_open(jr_follow_t *f);

/* The thread's body. */
void jr_follow_thread(void *arg);

/* Frees a list of announcements. */
void jr_follow_ann_free(jr_follow_ann_t *a);

#endif /* JR_FOLLOW_INT_H */
