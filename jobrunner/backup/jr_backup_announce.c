/*
 * Announcements of stored segments; see jr_backup_announce.h.
 *
 * The loop queues messages; one pool work at a time takes what is queued
 * and publishes it, and when it is done the next batch goes.
 */

#include <stdlib.h>
#include <string.h>

#include "backup/jr_backup_announce.h"
#include "core/jr_log.h"


/* A replica whose announcements are this far behind lists instead. */
#define JR_BACKUP_ANNOUNCE_MAX  1000

typedef struct jr_backup_msg_s  jr_backup_msg_t;

struct jr_backup_msg_s {
    jr_backup_msg_t  *next;
    char              text[];
};

struct jr_backup_announce_s {
    uv_loop_t        *loop;
    jr_nats_t        *nats;
    char             *subject;
    jr_backup_msg_t  *queued;        /* the loop's, oldest first */
    jr_backup_msg_t  *queued_tail;
    unsigned          nqueued;
    jr_backup_msg_t  *batch;         /* the work's */
    uv_work_t         work;
    int               running;
    int               stopping;
    unsigned          failed;        /* in the last batch */
    char              error[256];
    uint64_t          announced;
    uint64_t          lost;
    char             *last;          /* the last message queued */
    uint64_t          last_ms;       /* when, by the loop's clock */
    uint64_t          repeated;
    int               due;           /* repeat at the next tick */
};


static int jr_backup_announce_queue(jr_backup_announce_t *a,
    const char *text, size_t len);
static void jr_backup_announce_next(jr_backup_announce_t *a);


jr_backup_announce_t *
jr_backup_announce_start(uv_loop_t *loop, jr_nats_t *nats,
    const char *subject)
{
    jr_backup_announce_t  *a;

    a = calloc(1, sizeof(jr_backup_announce_t));
    if (a == NULL || (a->subject = strdup(subject)) == NULL) {
        free(a);
        jr_log(JR_LOG_ERROR, "backup: out of memory");
        return NULL;
    }

    a->loop = loop;
    a->nats = nats;
    a->work.data = a;

    jr_log(JR_LOG_INFO, "backup: segments announced on \"%s\"", subject);

    return a;
}


static void
jr_backup_announce_free_list(jr_backup_msg_t *m)
{
    jr_backup_msg_t  *next;

    for ( /* void */ ; m; m = next) {
        next = m->next;
        free(m);
    }
}


void
jr_backup_announce(jr_backup_announce_t *a, const char *key, uint64_t size,
    const char *prev)
{
    int    len;
    char  *text;

    if (a == NULL || a->stopping) {
        return;
    }

    len = asprintf(&text, "%s %llu %s", key, (unsigned long long) size,
                   prev ? prev : "-");
    if (len < 0) {
        a->lost++;
        return;
    }

    /* kept even when not sent: repeated once NATS is up */
    free(a->last);
    a->last = text;
    a->last_ms = uv_now(a->loop);
    a->due = 0;

    /* while NATS is down no replica hears it: they list */
    if (!jr_nats_up(a->nats) || a->nqueued >= JR_BACKUP_ANNOUNCE_MAX
        || jr_backup_announce_queue(a, text, len) != 0)
    {
        a->lost++;
    }
}


/*
 * The loop, every second or so: the last announcement again once none
 * went out for every_ms.  A replica that applied it hears that it is
 * current, so it does not look at the bucket itself (which it does after
 * poll_max_ms without a word: one LIST each time, 360 an hour, billed);
 * one that missed it fetches it now.  Without [backup] heartbeat_ms under
 * the replicas' poll_max_ms, an idle replica would list all the same; and
 * there is nothing to repeat before the first segment stored since the
 * start.
 */
void
jr_backup_announce_again(jr_backup_announce_t *a, uint64_t every_ms)
{
    if (a == NULL || a->stopping || a->last == NULL
        || (!a->due && uv_now(a->loop) - a->last_ms < every_ms)
        || !jr_nats_up(a->nats))
    {
        return;
    }

    if (jr_backup_announce_queue(a, a->last, strlen(a->last)) == 0) {
        a->repeated++;
        a->due = 0;
    }
}


void
jr_backup_announce_resume(jr_backup_announce_t *a, const char *text)
{
    char  *copy;

    if (a == NULL || a->last != NULL || (copy = strdup(text)) == NULL) {
        return;
    }

    a->last = copy;
    a->last_ms = uv_now(a->loop);

    /* at once: a replica's poll_max_ms runs since the last it heard,
       before this start */
    a->due = 1;
}


const char *
jr_backup_announce_last(jr_backup_announce_t *a)
{
    return a ? a->last : NULL;
}


void
jr_backup_announce_forget(jr_backup_announce_t *a)
{
    if (a != NULL) {
        free(a->last);
        a->last = NULL;
        a->due = 0;
    }
}


/* The message queued for the pool; -1 when out of memory. */
static int
jr_backup_announce_queue(jr_backup_announce_t *a, const char *text,
    size_t len)
{
    jr_backup_msg_t  *m;

    m = malloc(sizeof(jr_backup_msg_t) + len + 1);
    if (m == NULL) {
        return -1;
    }

    memcpy(m->text, text, len + 1);
    m->next = NULL;

    if (a->queued_tail) {
        a->queued_tail->next = m;
    } else {
        a->queued = m;
    }

    a->queued_tail = m;
    a->nqueued++;
    a->last_ms = uv_now(a->loop);

    jr_backup_announce_next(a);

    return 0;
}


/* The pool: core NATS publishes, buffered by libnats and flushed. */
static void
jr_backup_announce_publish(uv_work_t *work)
{
    jr_backup_announce_t  *a = work->data;
    jr_backup_msg_t       *m;
    natsStatus             s;

    a->failed = 0;

    for (m = a->batch; m; m = m->next) {
        s = natsConnection_PublishString(jr_nats_conn(a->nats), a->subject,
                                         m->text);
        if (s != NATS_OK) {
            if (a->failed++ == 0) {
                jr_nats_strerror(s, 0, a->error, sizeof(a->error));
            }
        }
    }

    nats_ReleaseThreadMemory();
}


static void
jr_backup_announce_published(uv_work_t *work, int status)
{
    unsigned               n;
    jr_backup_msg_t       *m;
    jr_backup_announce_t  *a = work->data;

    (void) status;

    for (n = 0, m = a->batch; m; m = m->next) {
        n++;
    }

    a->running = 0;
    a->announced += n - a->failed;
    a->lost += a->failed;

    if (a->failed) {
        jr_log(JR_LOG_WARN, "backup: %u of %u announcements not sent: %s",
               a->failed, n, a->error);
    }

    jr_backup_announce_free_list(a->batch);
    a->batch = NULL;

    jr_backup_announce_next(a);
}


static void
jr_backup_announce_next(jr_backup_announce_t *a)
{
    if (a->running || a->queued == NULL || a->stopping) {
        return;
    }

    a->batch = a->queued;
    a->queued = NULL;
    a->queued_tail = NULL;
    a->nqueued = 0;

    if (uv_queue_work(a->loop, &a->work, jr_backup_announce_publish,
                      jr_backup_announce_published) != 0)
    {
        jr_backup_announce_free_list(a->batch);
        a->batch = NULL;
        a->lost++;
        return;
    }

    a->running = 1;
}


void
jr_backup_announce_stop(jr_backup_announce_t *a)
{
    if (a != NULL) {
        a->stopping = 1;
    }
}


void
jr_backup_announce_free(jr_backup_announce_t *a)
{
    if (a == NULL) {
        return;
    }

    jr_backup_announce_free_list(a->queued);
    jr_backup_announce_free_list(a->batch);
    free(a->last);
    free(a->subject);
    free(a);
}


void
jr_backup_announce_render(jr_backup_announce_t *a, FILE *out)
{
    if (a == NULL) {
        return;
    }

    fprintf(out, "# HELP jobrunner_backup_announced_total Stored segments "
            "announced to replicas on NATS.\n"
            "# TYPE jobrunner_backup_announced_total counter\n"
            "jobrunner_backup_announced_total %llu\n"
            "# HELP jobrunner_backup_announce_lost_total Stored segments not "
            "announced (NATS down or too far behind): replicas list.\n"
            "# TYPE jobrunner_backup_announce_lost_total counter\n"
            "jobrunner_backup_announce_lost_total %llu\n"
            "# HELP jobrunner_backup_announce_repeats_total The last "
            "announcement sent again after heartbeat_ms without one.\n"
            "# TYPE jobrunner_backup_announce_repeats_total counter\n"
            "jobrunner_backup_announce_repeats_total %llu\n",
            (unsigned long long) a->announced, (unsigned long long) a->lost,
            (unsigned long long) a->repeated);
}
