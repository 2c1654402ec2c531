/*
 * A replica hears of the primary's segments on NATS ([nats]
 * backup_subject, jr_backup_announce.h) and its thread fetches each one
 * by name (jr_follow_wal.c) instead of listing the bucket.
 *
 * The subscription is made in the pool once NATS is up (libnats makes it
 * again after a reconnect); its handler runs on a libnats thread and
 * queues the announcement for the follower's thread under mu.  While NATS
 * is down, ann_live is 0 and the thread polls as without NATS.
 */

#include <stdlib.h>
#include <string.h>

#include "backup/jr_follow_int.h"
#include "core/jr_log.h"


static void jr_follow_nats_event(void *data, unsigned events);
static void jr_follow_nats_sub(uv_work_t *req);
static void jr_follow_nats_subscribed(uv_work_t *req, int status);
static void jr_follow_nats_on_msg(natsConnection *nc, natsSubscription *sub,
    natsMsg *msg, void *closure);


int
jr_follow_nats(jr_follow_t *f, jr_nats_t *nats)
{
    if (f == NULL || nats == NULL) {
        return 0;
    }

    f->nats = nats;
    f->sub_req.data = f;

    return jr_nats_listen(nats, jr_follow_nats_event, f);
}


static void
jr_follow_nats_live(jr_follow_t *f)
{
    uv_mutex_lock(&f->mu);
    f->ann_live = f->sub != NULL && jr_nats_up(f->nats);
    uv_cond_signal(&f->cond);
    uv_mutex_unlock(&f->mu);
}


/* The loop: the connection's news. */
static void
jr_follow_nats_event(void *data, unsigned events)
{
    int           rc;
    jr_follow_t  *f = data;

    (void) events;

    if (f->sub != NULL || f->sub_busy) {
        jr_follow_nats_live(f);
        return;
    }

    if (!jr_nats_up(f->nats) || !f->started) {
        return;
    }

    rc = uv_queue_work(f->loop, &f->sub_req, jr_follow_nats_sub,
                       jr_follow_nats_subscribed);
    if (rc != 0) {
        jr_log(JR_LOG_WARN, "replica: cannot queue the NATS subscription: "
               "%s; polling the bucket", uv_strerror(rc));
        return;
    }

    f->sub_busy = 1;
}


/* The pool: a subscription is a round trip with the server. */
static void
jr_follow_nats_sub(uv_work_t *req)
{
    jr_follow_t  *f = req->data;
    natsStatus    s;

    s = natsConnection_Subscribe(&f->sub, jr_nats_conn(f->nats),
                                 f->cf->nats.backup_subject,
                                 jr_follow_nats_on_msg, f);
    if (s != NATS_OK) {
        jr_nats_strerror(s, 0, f->sub_err, sizeof(f->sub_err));
        f->sub = NULL;
    }

    nats_ReleaseThreadMemory();
}


static void
jr_follow_nats_subscribed(uv_work_t *req, int status)
{
    int           stopping;
    jr_follow_t  *f = req->data;

    (void) status;

    f->sub_busy = 0;

    uv_mutex_lock(&f->mu);
    stopping = f->stopping;
    uv_mutex_unlock(&f->mu);

    if (stopping) {
        jr_follow_nats_stop(f);
        return;
    }

    if (f->sub == NULL) {
        jr_log(JR_LOG_WARN, "replica: cannot subscribe to \"%s\": %s; "
               "polling the bucket, again at the next reconnect",
               f->cf->nats.backup_subject, f->sub_err);
        return;
    }

    jr_log(JR_LOG_INFO, "replica: segments announced on \"%s\" are fetched "
           "by name", f->cf->nats.backup_subject);

    jr_follow_nats_live(f);
}


/* The loop, at the end: the handler may still run once, and finds
   "stopping" set; f lives until libnats's threads are gone. */
void
jr_follow_nats_stop(jr_follow_t *f)
{
    if (f == NULL || f->sub == NULL || f->sub_busy) {
        return;
    }

    (void) natsSubscription_Unsubscribe(f->sub);
    natsSubscription_Destroy(f->sub);
    f->sub = NULL;
}


/* "KEY SIZE PREV", PREV "-" when not known; NULL if not that. */
static jr_follow_ann_t *
jr_follow_nats_parse(const char *data, int len)
{
    char             *text, *key, *size, *prev, *end, *save;
    jr_follow_ann_t  *a;

    if (len <= 0 || len > 4096 || memchr(data, '\0', len) != NULL) {
        return NULL;
    }

    text = strndup(data, len);
    if (text == NULL) {
        return NULL;
    }

    a = NULL;
    key = strtok_r(text, " ", &save);
    size = strtok_r(NULL, " ", &save);
    prev = strtok_r(NULL, " ", &save);

    if (key && size && prev && strtok_r(NULL, " ", &save) == NULL) {
        a = malloc(sizeof(jr_follow_ann_t) + strlen(key) + 1);
    }

    if (a != NULL) {
        strcpy(a->key, key);
        a->next = NULL;
        a->size = strtoull(size, &end, 10);
        a->prev = strcmp(prev, "-") == 0 ? NULL : strdup(prev);

        if (*end != '\0' || (a->prev == NULL && strcmp(prev, "-") != 0)) {
            free(a->prev);
            free(a);
            a = NULL;
        }
    }

    free(text);

    return a;
}


/* A libnats thread. */
static void
jr_follow_nats_on_msg(natsConnection *nc, natsSubscription *sub,
    natsMsg *msg, void *closure)
{
    jr_follow_t      *f = closure;
    jr_follow_ann_t  *a;

    (void) nc;
    (void) sub;

    a = jr_follow_nats_parse(natsMsg_GetData(msg),
                             natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);

    uv_mutex_lock(&f->mu);

    if (f->stopping) {
        uv_mutex_unlock(&f->mu);
        jr_follow_ann_free(a);
        return;
    }

    /* one not understood, or not kept, is one missed: the thread lists */
    if (a == NULL || f->nann >= JR_FOLLOW_ANN_MAX) {
        f->ann_lost = 1;
        jr_follow_ann_free(a);

    } else {
        if (f->ann_tail) {
            f->ann_tail->next = a;
        } else {
            f->ann = a;
        }

        f->ann_tail = a;
        f->nann++;
    }

    uv_cond_signal(&f->cond);
    uv_mutex_unlock(&f->mu);
}


void
jr_follow_ann_free(jr_follow_ann_t *a)
{
    jr_follow_ann_t  *next;

    for ( /* void */ ; a; a = next) {
        next = a->next;
        free(a->prev);
        free(a);
    }
}
