/*
 * The publisher; see jr_nats_publish.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jr_log.h"
#include "nats/jr_nats_publish.h"


#define JR_PUB_FILES        16        /* files per work item at most */
#define JR_PUB_BACKOFF_MIN  250       /* ms after a failure, doubling */
#define JR_PUB_BACKOFF_MAX  8000


struct jr_nats_pub_s {
    uv_loop_t               *loop;
    jr_nats_t               *nats;
    jr_outbox_t             *outbox;
    const jr_nats_conf_t    *conf;
    char                     subject[256];
    uv_work_t                req;
    uv_timer_t               retry;
    unsigned                 backoff;      /* ms */
    int                      busy;
    int                      stopped;
    int                      stopping;     /* read by the work: atomic */
    int                      failing;      /* the last work failed */
    int                      stream;       /* the stream is known to exist */
    int                      recheck;      /* look for it again: loop's */

    /* the work item's: files in, results out */
    jr_outbox_file_t         batch[JR_PUB_FILES];
    size_t                   nbatch;
    size_t                   done;         /* files published and deleted */
    int64_t                  sent;         /* in the next one, on failure */
    int                      failed;
    char                     err[512];
    uint64_t                 w_messages;
    uint64_t                 w_duplicates;
    uint64_t                 w_bytes;
    uint64_t                 w_cut;

    /* totals, for the metrics */
    uint64_t                 messages;
    uint64_t                 duplicates;
    uint64_t                 bytes;
    uint64_t                 failures;
    uint64_t                 cut;
};


static void jr_nats_pub_work(uv_work_t *req);
static void jr_nats_pub_run(jr_nats_pub_t *p);
static int jr_nats_pub_file(jr_nats_pub_t *p, const jr_outbox_file_t *f);
static void jr_nats_pub_done(uv_work_t *req, int status);
static void jr_nats_pub_retry_cb(uv_timer_t *timer);
static void jr_nats_pub_event(void *data, unsigned events);
static void jr_nats_pub_closed(uv_handle_t *handle);


jr_nats_pub_t *
jr_nats_pub_start(uv_loop_t *loop, jr_nats_t *nats, jr_outbox_t *outbox,
    const jr_nats_conf_t *conf)
{
    jr_nats_pub_t  *p;

    p = calloc(1, sizeof(jr_nats_pub_t));
    if (p == NULL) {
        jr_log(JR_LOG_ERROR, "nats: out of memory");
        return NULL;
    }

    p->loop = loop;
    p->nats = nats;
    p->outbox = outbox;
    p->conf = conf;
    p->req.data = p;
    p->retry.data = p;
    p->backoff = JR_PUB_BACKOFF_MIN;

    snprintf(p->subject, sizeof(p->subject), "%s.%s", conf->subject,
             conf->node);

    if (uv_timer_init(loop, &p->retry) != 0) {
        jr_log(JR_LOG_ERROR, "nats: cannot make a timer");
        free(p);
        return NULL;
    }

    if (jr_nats_listen(nats, jr_nats_pub_event, p) != 0) {
        /* p goes with its timer, when the caller's loop closes */
        p->stopped = 1;
        uv_close((uv_handle_t *) &p->retry, jr_nats_pub_closed);
        return NULL;
    }

    return p;
}


static void
jr_nats_pub_closed(uv_handle_t *handle)
{
    free(handle->data);
}


static void
jr_nats_pub_event(void *data, unsigned events)
{
    jr_nats_pub_t  *p = data;

    if (!(events & JR_NATS_UP) || p->stopped) {
        return;
    }

    /* a server that lost its store has no stream: look again */
    p->recheck = 1;
    p->backoff = JR_PUB_BACKOFF_MIN;
    (void) uv_timer_stop(&p->retry);

    jr_nats_pub_kick(p);
}


void
jr_nats_pub_kick(jr_nats_pub_t *p)
{
    int                rc;
    size_t             n;
    jr_outbox_file_t  *files;

    if (p == NULL || p->busy || p->stopped || !jr_nats_up(p->nats)
        || uv_is_active((uv_handle_t *) &p->retry))
    {
        return;
    }

    files = jr_outbox_files(p->outbox, &n);
    if (n == 0) {
        return;
    }

    /* the work owns "stream" while it runs: changed between works only */
    if (p->recheck) {
        p->recheck = 0;
        p->stream = 0;
    }

    p->nbatch = n < JR_PUB_FILES ? n : JR_PUB_FILES;
    memcpy(p->batch, files, p->nbatch * sizeof(jr_outbox_file_t));

    p->done = 0;
    p->sent = 0;
    p->failed = 0;
    p->w_messages = 0;
    p->w_duplicates = 0;
    p->w_bytes = 0;
    p->w_cut = 0;

    rc = uv_queue_work(p->loop, &p->req, jr_nats_pub_work, jr_nats_pub_done);
    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "nats: cannot queue a publish: %s",
               uv_strerror(rc));
        (void) uv_timer_start(&p->retry, jr_nats_pub_retry_cb, p->backoff, 0);
        return;
    }

    p->busy = 1;
}


/* The thread pool: each publish waits for its acknowledgment. */
static void
jr_nats_pub_work(uv_work_t *req)
{
    jr_nats_pub_run(req->data);

    nats_ReleaseThreadMemory();
}


static void
jr_nats_pub_run(jr_nats_pub_t *p)
{
    size_t  i;

    if (!p->stream) {
        if (jr_nats_stream(p->nats, p->err, sizeof(p->err)) != 0) {
            p->failed = 1;
            return;
        }

        p->stream = 1;
    }

    for (i = 0; i < p->nbatch; i++) {
        if (jr_nats_pub_file(p, &p->batch[i]) != 0) {
            p->failed = 1;
            return;
        }

        p->done++;

        /* a shutdown waits for one file at most */
        if (__atomic_load_n(&p->stopping, __ATOMIC_ACQUIRE)) {
            return;
        }
    }
}


static int
jr_nats_pub_file(jr_nats_pub_t *p, const jr_outbox_file_t *f)
{
    int             fd;
    char            path[PATH_MAX], id[JR_NATS_NAME_MAX + 48];
    size_t          off, end, size;
    jsPubAck       *pa;
    jsErrCode       jerr;
    natsStatus      s;
    struct stat     st;
    jsPubOptions    po;
    unsigned char  *map;

    if (jr_outbox_path(p->outbox, f, path) != 0) {
        snprintf(p->err, sizeof(p->err), "outbox path too long");
        return -1;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1 || fstat(fd, &st) != 0) {
        snprintf(p->err, sizeof(p->err), "cannot open outbox file %llu: "
                 "%s", (unsigned long long) f->seq, strerror(errno));
        if (fd != -1) {
            close(fd);
        }
        return -1;
    }

    size = (size_t) st.st_size;
    off = (size_t) (f->sent > f->start ? f->sent : f->start);
    map = NULL;

    if (size > off) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            snprintf(p->err, sizeof(p->err), "cannot map outbox file "
                     "%llu: %s", (unsigned long long) f->seq,
                     strerror(errno));
            close(fd);
            return -1;
        }
    }

    close(fd);

    while (off < size) {
        end = jr_outbox_chunk(map, size, off);

        /* a frame cut by a crash mid-write ends the file */
        if (end == off) {
            p->w_cut++;
            break;
        }

        snprintf(id, sizeof(id), "%s.%llu.%llu", p->conf->node,
                 (unsigned long long) f->seq, (unsigned long long) off);

        jsPubOptions_Init(&po);
        po.MsgId = id;
        po.ExpectStream = p->conf->stream;

        pa = NULL;
        jerr = 0;

        s = js_Publish(&pa, jr_nats_js(p->nats), p->subject, map + off,
                       (int) (end - off), &po, &jerr);

        if (s != NATS_OK) {
            jr_nats_strerror(s, jerr, p->err, sizeof(p->err));

            if (s == NATS_NO_RESPONDERS || jerr == JSStreamNotFoundErr) {
                p->stream = 0;
            }

            p->sent = (int64_t) off;
            munmap(map, size);
            return -1;
        }

        p->w_messages++;
        p->w_bytes += end - off;
        p->w_duplicates += pa->Duplicate;
        jsPubAck_Destroy(pa);

        off = end;
    }

    if (map) {
        munmap(map, size);
    }

    p->sent = (int64_t) off;

    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(p->err, sizeof(p->err), "cannot delete outbox file %llu: "
                 "%s", (unsigned long long) f->seq, strerror(errno));
        return -1;
    }

    return 0;
}


static void
jr_nats_pub_done(uv_work_t *req, int status)
{
    size_t          n;
    jr_nats_pub_t  *p = req->data;

    (void) status;

    p->busy = 0;

    p->messages += p->w_messages;
    p->duplicates += p->w_duplicates;
    p->bytes += p->w_bytes;
    p->cut += p->w_cut;

    /* sent is where the failed file stopped: of no other file */
    jr_outbox_done(p->outbox, p->done, p->failed ? p->sent : 0);

    if (p->w_cut) {
        jr_log(JR_LOG_WARN, "nats: %llu outbox files ended in a cut frame, "
               "skipped", (unsigned long long) p->w_cut);
    }

    if (p->failed) {
        p->failures++;

        if (!p->failing) {
            (void) jr_outbox_files(p->outbox, &n);
            jr_log(JR_LOG_WARN, "nats: cannot publish: %s; %zu files wait "
                   "in the outbox", p->err, n);
            p->failing = 1;
        }

        if (!p->stopped) {
            (void) uv_timer_start(&p->retry, jr_nats_pub_retry_cb, p->backoff,
                                  0);
            p->backoff = p->backoff * 2 < JR_PUB_BACKOFF_MAX
                         ? p->backoff * 2 : JR_PUB_BACKOFF_MAX;
        }

        return;
    }

    if (p->failing) {
        jr_log(JR_LOG_INFO, "nats: publishing again");
        p->failing = 0;
    }

    p->backoff = JR_PUB_BACKOFF_MIN;

    jr_nats_pub_kick(p);
}


static void
jr_nats_pub_retry_cb(uv_timer_t *timer)
{
    jr_nats_pub_kick(timer->data);
}


void
jr_nats_pub_stop(jr_nats_pub_t *p)
{
    if (p == NULL || p->stopped) {
        return;
    }

    p->stopped = 1;
    __atomic_store_n(&p->stopping, 1, __ATOMIC_RELEASE);

    uv_close((uv_handle_t *) &p->retry, NULL);
}


void
jr_nats_pub_free(jr_nats_pub_t *p)
{
    free(p);
}


void
jr_nats_pub_render(jr_nats_pub_t *p, FILE *out)
{
    const jr_outbox_stats_t  *os;

    os = jr_outbox_stats(p->outbox);

    fprintf(out,
            "# HELP jobrunner_nats_published_total Messages of events "
            "acknowledged by JetStream.\n"
            "# TYPE jobrunner_nats_published_total counter\n"
            "jobrunner_nats_published_total %llu\n"
            "# HELP jobrunner_nats_published_bytes_total Bytes of those "
            "messages.\n"
            "# TYPE jobrunner_nats_published_bytes_total counter\n"
            "jobrunner_nats_published_bytes_total %llu\n"
            "# HELP jobrunner_nats_duplicates_total Messages published again "
            "(after a crash or a lost ack) that JetStream dropped as "
            "copies.\n"
            "# TYPE jobrunner_nats_duplicates_total counter\n"
            "jobrunner_nats_duplicates_total %llu\n"
            "# HELP jobrunner_nats_publish_failures_total Publishing rounds "
            "that stopped on an error.\n"
            "# TYPE jobrunner_nats_publish_failures_total counter\n"
            "jobrunner_nats_publish_failures_total %llu\n"
            "# HELP jobrunner_outbox_files Outbox files waiting for "
            "JetStream.\n"
            "# TYPE jobrunner_outbox_files gauge\n"
            "jobrunner_outbox_files %llu\n"
            "# HELP jobrunner_outbox_bytes Their bytes not yet "
            "acknowledged.\n"
            "# TYPE jobrunner_outbox_bytes gauge\n"
            "jobrunner_outbox_bytes %llu\n"
            "# HELP jobrunner_outbox_dropped_total Event frames lost: a "
            "failed write to the outbox, a frame cut by a crash.\n"
            "# TYPE jobrunner_outbox_dropped_total counter\n"
            "jobrunner_outbox_dropped_total %llu\n",
            (unsigned long long) p->messages,
            (unsigned long long) p->bytes,
            (unsigned long long) p->duplicates,
            (unsigned long long) p->failures,
            (unsigned long long) os->files,
            (unsigned long long) os->bytes + jr_outbox_pending(p->outbox),
            (unsigned long long) (os->dropped + p->cut));
}
