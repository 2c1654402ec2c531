/*
 * libFuzzer target: datagrams and spool files of access events
 * (blog_event.c), as the jobrunner reads them from anyone who can write
 * to its socket.  Beyond "no crash", it checks the decoder's promises:
 * every field of an accepted record lies inside it and within its limit,
 * and a record encoded again from what was decoded decodes the same.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_event.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const size_t  limits[BLOG_EVENT_NFIELDS] = {
    BLOG_EVENT_METHOD_MAX, BLOG_EVENT_PATH_MAX, BLOG_EVENT_REFERRER_MAX,
    BLOG_EVENT_AGENT_MAX, BLOG_EVENT_SLUG_MAX, BLOG_EVENT_REF_PATH_MAX,
    BLOG_EVENT_PARAM_MAX, BLOG_EVENT_PARAM_MAX, BLOG_EVENT_PARAM_MAX,
    BLOG_EVENT_PARAM_MAX, BLOG_EVENT_PARAM_MAX
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                   i;
    size_t                pos, len, len2;
    blog_event_t          ev, again;
    unsigned char         buf[BLOG_EVENT_MAX];
    char                  params[BLOG_EVENT_PARAMS * BLOG_EVENT_PARAM_MAX];
    const unsigned char  *rec;

    /* the whole input as a query string: values within their limit */
    memset(&ev, 0, sizeof(blog_event_t));
    blog_event_query(&ev, (const char *) data, size, params);

    for (i = BLOG_EVENT_UTM_SOURCE; i < BLOG_EVENT_NFIELDS; i++) {
        if (ev.field[i].len > BLOG_EVENT_PARAM_MAX) {
            abort();
        }
    }

    pos = 0;

    while (blog_event_next(data, size, &pos, &rec, &len) == 1) {
        if (rec < data || rec + len > data + size || pos > size) {
            abort();
        }

        if (blog_event_decode(&ev, rec, len) != BLOG_EVENT_OK) {
            continue;
        }

        for (i = 0; i < BLOG_EVENT_NFIELDS; i++) {
            if (ev.field[i].len > limits[i]
                || (ev.field[i].len
                    && ((const unsigned char *) ev.field[i].data < rec
                        || (const unsigned char *) ev.field[i].data
                           + ev.field[i].len > rec + len)))
            {
                abort();
            }
        }

        len2 = blog_event_encode(buf, &ev);

        if (blog_event_decode(&again, buf, len2) != BLOG_EVENT_OK
            || again.time_ms != ev.time_ms || again.status != ev.status
            || again.field[BLOG_EVENT_PATH].len != ev.field[BLOG_EVENT_PATH].len)
        {
            abort();
        }
    }

    return 0;
}
