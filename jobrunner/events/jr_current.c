/*
 * Current visitors on the realtime hub (jr_current.h).
 *
 * A timer rather than a count after each batch: visitors also leave the
 * window while no event comes, and the number must then go down.  The
 * count is one query over two days of visits (the day index); at the
 * default interval of 5 s it costs the loop little even on a busy site.
 */

#include <stdlib.h>
#include <sys/time.h>

#include <jansson.h>

#include "events/jr_current.h"
#include "core/jr_log.h"
#include "sse/jr_sse.h"
#include "blog_current.h"


struct jr_current_s {
    uv_timer_t   timer;
    sqlite3     *db;
    int64_t      last;          /* published, or -1 */
    unsigned     closing:1;
};


static void jr_current_tick(uv_timer_t *timer);


int
jr_current_start(jr_current_t **out, uv_loop_t *loop, sqlite3 *db,
    unsigned interval_ms)
{
    jr_current_t  *cur;

    *out = NULL;

    if (interval_ms == 0) {
        return 0;
    }

    cur = calloc(1, sizeof(jr_current_t));
    if (cur == NULL) {
        jr_log(JR_LOG_ERROR, "current visitors: out of memory");
        return -1;
    }

    cur->db = db;
    cur->last = -1;

    if (uv_timer_init(loop, &cur->timer) != 0) {
        jr_log(JR_LOG_ERROR, "current visitors: cannot make a timer");
        free(cur);
        return -1;
    }

    cur->timer.data = cur;
    *out = cur;

    if (uv_timer_start(&cur->timer, jr_current_tick, 0, interval_ms) != 0) {
        jr_log(JR_LOG_ERROR, "current visitors: cannot start the timer");
        return -1;
    }

    return 0;
}


static void
jr_current_tick(uv_timer_t *timer)
{
    int             rc;
    int64_t         n;
    json_t         *obj;
    jr_current_t   *cur;
    struct timeval  tv;

    cur = timer->data;

    if (!jr_sse_running()) {
        return;
    }

    gettimeofday(&tv, NULL);

    rc = blog_current_visitors(cur->db,
                               (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000,
                               &n);

    if (rc != SQLITE_OK) {
        /* busy now and then while a batch commits: the next tick will do */
        jr_log(rc == SQLITE_BUSY ? JR_LOG_DEBUG : JR_LOG_ERROR,
               "current visitors: %s", sqlite3_errmsg(cur->db));
        return;
    }

    if (n == cur->last) {
        return;
    }

    obj = json_pack("{s:I}", "visitors", (json_int_t) n);
    if (obj == NULL) {
        return;
    }

    if (jr_sse_publish_json(BLOG_CURRENT_TOPIC, BLOG_CURRENT_EVENT, obj)
        == 0)
    {
        cur->last = n;
    }

    json_decref(obj);
}


void
jr_current_stop(jr_current_t *cur)
{
    if (cur == NULL || cur->closing) {
        return;
    }

    cur->closing = 1;
    uv_close((uv_handle_t *) &cur->timer, NULL);
}


void
jr_current_free(jr_current_t *cur)
{
    free(cur);
}
