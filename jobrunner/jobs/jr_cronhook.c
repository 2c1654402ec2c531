/*
 * The "cronhook" job: a POST to a [cronhook.NAME] url, signed per Standard
 * Webhooks (blog_webhook.c) with every configured secret, so a receiver
 * that knows either the new or the old one of a rotation accepts it.
 *
 * The body and the webhook-id are those of the timer slot and stay the
 * same on every retry; webhook-timestamp is the time of the attempt, as
 * the spec asks.  libcurl's easy interface blocks, so it runs in a pool
 * thread, with the hook's timeout.  A 2xx answer is success, and so is
 * 409: the module answers it to an id it has already seen, which means an
 * earlier attempt got through and only its answer was lost.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "blog_webhook.h"
#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "core/jr_log.h"


#define JR_CRONHOOK_SIGS  (JR_CRONHOOK_SECRETS_MAX * (BLOG_WEBHOOK_SIG_LEN + 1))


typedef struct {
    const jr_cronhook_conf_t  *hook;
    char                      *id;
    char                      *body;
    long                       status;
} jr_cronhook_t;


/* curl_global_init() done: one curl_global_cleanup() is due */
static unsigned  jr_cronhook_curl;


/* With cronhooks: libcurl set up on the loop, for the pool threads. */
static int
jr_cronhook_start(jr_jobs_t *jobs, void **ctx)
{
    CURLcode  rc;

    (void) ctx;

    if (jobs->cf->jobs.ncronhooks == 0) {
        return 0;
    }

    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        jr_log(JR_LOG_ERROR, "cannot initialize libcurl: %s",
               curl_easy_strerror(rc));
        return -1;
    }

    jr_cronhook_curl = 1;

    return 0;
}


static void
jr_cronhook_stop(void *ctx)
{
    (void) ctx;

    if (jr_cronhook_curl) {
        curl_global_cleanup();
        jr_cronhook_curl = 0;
    }
}


/*
 * A cronhook timer's job: the hook, the slot and one webhook-id per slot,
 * kept by every retry, as the spec asks.
 */
static json_t *
jr_cronhook_timer_payload(const jr_timer_conf_t *timer, time_t slot)
{
    size_t          i;
    char            id[4 + 32 + 1];
    unsigned char   rnd[16];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NULL;
    }

    memcpy(id, "msg_", 4);

    for (i = 0; i < sizeof(rnd); i++) {
        snprintf(id + 4 + 2 * i, 3, "%02x", rnd[i]);
    }

    return json_pack("{s:s, s:s, s:I, s:s}", "timer", timer->name,
                     "hook", timer->name + sizeof("cronhook.") - 1,
                     "slot", (json_int_t) slot, "msg_id", id);
}


static int
jr_cronhook_prepare(jr_work_t *w)
{
    size_t                 i;
    json_t                *body;
    const char            *name, *id;
    jr_cronhook_t         *c;
    const jr_jobs_conf_t  *jc;
    char                   type[96], when[32];
    time_t                 slot;
    struct tm              tm;

    jc = &w->jobs->cf->jobs;

    name = json_string_value(json_object_get(w->payload, "hook"));
    id = json_string_value(json_object_get(w->payload, "msg_id"));
    slot = (time_t) json_integer_value(json_object_get(w->payload, "slot"));

    if (name == NULL || id == NULL) {
        jr_work_fail(w, 1, "payload has no \"hook\" or \"msg_id\"");
        return -1;
    }

    for (i = 0; i < jc->ncronhooks; i++) {
        if (strcmp(jc->cronhooks[i].name, name) == 0) {
            break;
        }
    }

    if (i == jc->ncronhooks) {
        jr_work_fail(w, 1, "no [cronhook.%s] in the configuration any more",
                     name);
        return -1;
    }

    c = calloc(1, sizeof(jr_cronhook_t));
    if (c == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    w->data = c;
    c->hook = &jc->cronhooks[i];

    /* the event is the slot, so its body is the same on every attempt */
    gmtime_r(&slot, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(type, sizeof(type), "cronhook.%s", name);

    body = json_pack("{s:s, s:s, s:{s:s, s:I}}", "type", type,
                     "timestamp", when, "data", "hook", name,
                     "slot", (json_int_t) slot);

    c->body = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    c->id = strdup(id);
    json_decref(body);

    if (c->body == NULL || c->id == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    return 0;
}


/* The answer's body is not ours to read. */
static size_t
jr_cronhook_discard(char *data, size_t size, size_t n, void *user)
{
    (void) data;
    (void) user;

    return size * n;
}


static void
jr_cronhook_work(jr_work_t *w)
{
    int                 rc;
    char                ts[24], sigs[JR_CRONHOOK_SIGS], *p;
    char                header[64 + JR_CRONHOOK_SIGS];
    CURL               *curl;
    size_t              i, len;
    jr_cronhook_t      *c;
    struct curl_slist  *headers, *h;

    c = w->data;

    snprintf(ts, sizeof(ts), "%lld", (long long) time(NULL));

    p = sigs;
    len = strlen(c->body);

    for (i = 0; i < c->hook->nkeys; i++) {
        if (i) {
            *p++ = ' ';
        }

        if (blog_webhook_sign(&c->hook->keys[i], c->id, strlen(c->id), ts,
                              strlen(ts), c->body, len, p) != 0)
        {
            jr_work_fail(w, 0, "cannot sign: libcrypto failed");
            return;
        }

        p += BLOG_WEBHOOK_SIG_LEN;
    }

    *p = '\0';

    curl = curl_easy_init();
    if (curl == NULL) {
        jr_work_fail(w, 0, "cannot create a libcurl handle");
        return;
    }

    headers = curl_slist_append(NULL, "Content-Type: application/json");

    snprintf(header, sizeof(header), "webhook-id: %s", c->id);
    h = headers ? curl_slist_append(headers, header) : NULL;

    snprintf(header, sizeof(header), "webhook-timestamp: %s", ts);
    h = h ? curl_slist_append(h, header) : NULL;

    snprintf(header, sizeof(header), "webhook-signature: %s", sigs);
    h = h ? curl_slist_append(h, header) : NULL;

    /* no "Expect: 100-continue" round trip for a small body */
    h = h ? curl_slist_append(h, "Expect:") : NULL;

    if (h == NULL) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        jr_work_fail(w, 0, "out of memory");
        return;
    }

    /* signals are the loop's: libcurl must not use them in a thread */
    rc = curl_easy_setopt(curl, CURLOPT_URL, c->hook->url)
         | curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L)
         | curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long) c->hook->timeout)
         | curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers)
         | curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->body)
         | curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long) len)
         | curl_easy_setopt(curl, CURLOPT_USERAGENT, "ngx_blog-jobrunner")
         | curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L)
         | curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https")
         | curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, jr_cronhook_discard);

    if (rc == CURLE_OK) {
        rc = curl_easy_perform(curl);
    }

    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c->status);
    }

    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    if (rc != CURLE_OK) {
        jr_work_fail(w, 0, "%s: %s", c->hook->url, curl_easy_strerror(rc));
        return;
    }

    if ((c->status < 200 || c->status > 299) && c->status != 409) {
        jr_work_fail(w, 0, "%s answered %ld", c->hook->url, c->status);
    }
}


static void
jr_cronhook_done(jr_work_t *w)
{
    jr_cronhook_t  *c;

    c = w->data;

    if (c == NULL || w->failed) {
        return;
    }

    jr_log(JR_LOG_INFO, "cronhook %s: %s answered %ld%s (%s, attempt %u)",
           c->hook->name, c->hook->url, c->status,
           c->status == 409 ? ", already delivered" : "", c->id,
           w->job.attempts);
}


static void
jr_cronhook_free(jr_work_t *w)
{
    jr_cronhook_t  *c;

    c = w->data;

    if (c == NULL) {
        return;
    }

    free(c->id);
    free(c->body);
    free(c);
}


const jr_kind_t  jr_cronhook_kind = {
    .name = JR_TASK_CRONHOOK,
    .start = jr_cronhook_start,
    .stop = jr_cronhook_stop,
    .timer_payload = jr_cronhook_timer_payload,
    .prepare = jr_cronhook_prepare,
    .work = jr_cronhook_work,
    .done = jr_cronhook_done,
    .free = jr_cronhook_free
};
