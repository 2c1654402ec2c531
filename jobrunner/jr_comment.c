/*
 * The "comment" job: the event the module queues with every new reader's
 * comment (payload: comment_id, post_id, slug, status), in the same
 * transaction as the comment itself, so none is lost and none is told
 * twice.  For now it tells the owner through the log (info level); the
 * realtime push to readers hooks in here when the SSE hub exists.
 */

#include <stdlib.h>
#include <string.h>

#include "jr_jobs.h"
#include "jr_kinds.h"
#include "jr_log.h"


typedef struct {
    json_int_t   id;
    char        *slug;
    int          pending;
} jr_comment_t;


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

    jr_log(JR_LOG_INFO, "new comment %lld on \"%s\"%s", (long long) c->id,
           c->slug, c->pending ? ", awaiting moderation" : ", published");
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
    "comment",
    jr_comment_prepare,
    jr_comment_work,
    NULL,
    jr_comment_done,
    jr_comment_free
};
