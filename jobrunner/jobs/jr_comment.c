/*
 * The "comment" job: the event the module queues with every new reader's
 * comment, and again when the panel approves one (payload: comment_id,
 * post_id, slug, status, name, html, created_at), in the same transaction
 * as the comment's change, so none is lost.  It tells the owner through
 * the log (info level), and pushes an approved comment to the readers of
 * its post: topic "comments.SLUG", event "comment".
 *
 * A job run again after a crash pushes the comment again; the page's
 * script keeps one copy per comment id.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "core/jr_log.h"
#include "sse/jr_sse.h"


typedef struct {
    json_int_t   id;
    char        *slug;
    int          pending;
    int          approval;      /* queued by the panel's approval */
} jr_comment_t;


static void jr_comment_push(jr_work_t *w, jr_comment_t *c);


static int
jr_comment_prepare(jr_work_t *w)
{
    json_t        *id, *slug, *status;
    jr_comment_t  *c;

    id = json_object_get(w->payload, "comment_id");
    slug = json_object_get(w->payload, "slug");
    status = json_object_get(w->payload, "status");

    if (!json_is_integer(id) || !json_is_string(slug)
        || !json_is_string(status))
    {
        jr_work_fail(w, 1, "payload needs comment_id, slug and status");
        return -1;
    }

    c = calloc(1, sizeof(jr_comment_t));
    if (c == NULL || (c->slug = strdup(json_string_value(slug))) == NULL) {
        free(c);
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    c->id = json_integer_value(id);
    c->pending = strcmp(json_string_value(status), "pending") == 0;
    c->approval = json_is_true(json_object_get(w->payload, "moderated"));
    w->data = c;

    return 0;
}


static void
jr_comment_work(jr_work_t *w)
{
    /* nothing for a pool thread: the notice is written on the loop */
    (void) w;
}


static void
jr_comment_done(jr_work_t *w)
{
    jr_comment_t  *c;

    c = w->data;

    if (c == NULL || w->failed) {
        return;
    }

    if (c->approval) {
        jr_log(JR_LOG_INFO, "comment %lld on \"%s\" approved",
               (long long) c->id, c->slug);
    } else {
        jr_log(JR_LOG_INFO, "new comment %lld on \"%s\"%s",
               (long long) c->id, c->slug,
               c->pending ? ", awaiting moderation" : ", published");
    }

    if (!c->pending) {
        jr_comment_push(w, c);
    }
}


/*
 * The comment as the theme shows it: id, author, HTML (cmark's safe
 * output, as on the page), and its time in the page's formats.
 */
static void
jr_comment_push(jr_work_t *w, jr_comment_t *c)
{
    char          topic[sizeof("comments.") + 256], date[32], iso[32];
    time_t        t;
    json_t       *name, *html, *created, *obj;
    struct tm     tm;

    if (!jr_sse_running()) {
        return;
    }

    name = json_object_get(w->payload, "name");
    html = json_object_get(w->payload, "html");
    created = json_object_get(w->payload, "created_at");

    if (!json_is_string(name) || !json_is_string(html)
        || !json_is_integer(created))
    {
        jr_log(JR_LOG_WARN, "comment %lld: no name, html and created_at to "
               "push", (long long) c->id);
        return;
    }

    t = (time_t) json_integer_value(created);
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%B %-d, %Y", &tm);
    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);

    obj = json_pack("{s:I, s:s, s:O, s:O, s:s, s:s}",
                    "id", c->id, "post", c->slug, "name", name, "html", html,
                    "created_date", date, "created_iso", iso);
    if (obj == NULL) {
        return;
    }

    snprintf(topic, sizeof(topic), "comments.%s", c->slug);

    (void) jr_sse_publish_json(topic, "comment", obj);
    json_decref(obj);
}


static void
jr_comment_free(jr_work_t *w)
{
    jr_comment_t  *c;

    c = w->data;

    if (c != NULL) {
        free(c->slug);
        free(c);
    }
}


const jr_kind_t  jr_comment_kind = {
    .name = "comment",
    .prepare = jr_comment_prepare,
    .work = jr_comment_work,
    .done = jr_comment_done,
    .free = jr_comment_free
};
