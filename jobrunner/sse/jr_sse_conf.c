/*
 * Configuration of the realtime hub; see jr_sse_conf.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/jr_events_conf.h"
#include "sse/jr_sse_conf.h"


typedef struct {
    const char  *name;
    size_t       offset;
    unsigned     min;
    unsigned     max;
} jr_sse_num_t;

static const jr_sse_num_t  jr_sse_nums[] = {
    { "sse_heartbeat_ms", offsetof(jr_sse_conf_t, heartbeat_ms),
      100, 3600000 },
    { "sse_retry_ms", offsetof(jr_sse_conf_t, retry_ms), 100, 3600000 },
    { "sse_history", offsetof(jr_sse_conf_t, history), 0, 100000 },
    { "sse_history_bytes", offsetof(jr_sse_conf_t, history_bytes),
      0, 1U << 30 },
    { "sse_max_pending", offsetof(jr_sse_conf_t, max_pending),
      1024, 1U << 30 },
    { "sse_max_subscribers", offsetof(jr_sse_conf_t, max_subscribers),
      1, 10000000 },
    { "sse_max_topics", offsetof(jr_sse_conf_t, max_topics), 0, 10000000 },
    { "sse_topic_linger_ms", offsetof(jr_sse_conf_t, linger_ms),
      0, 86400000 },
    { NULL, 0, 0, 0 }
};


void
jr_sse_conf_init(jr_sse_conf_t *sc)
{
    memset(sc, 0, sizeof(jr_sse_conf_t));

    sc->socket_mode = 0666;
    sc->heartbeat_ms = 15000;
    sc->retry_ms = 3000;
    sc->history = 32;
    sc->history_bytes = 8 * 1024 * 1024;
    sc->max_pending = 64 * 1024;
    sc->max_subscribers = 100000;
    sc->max_topics = 10000;
    sc->linger_ms = 60000;
}


void
jr_sse_conf_free(jr_sse_conf_t *sc)
{
    free(sc->socket);
    jr_sse_conf_init(sc);
}


int
jr_sse_conf_key(jr_sse_conf_t *sc, const char *name, const char *value,
    char *err, size_t errlen)
{
    unsigned            n;
    const jr_sse_num_t  *num;

    for (num = jr_sse_nums; num->name; num++) {
        if (strcmp(name, num->name) != 0) {
            continue;
        }

        if (jr_conf_number(value, 10, num->max, &n) != 0 || n < num->min) {
            snprintf(err, errlen, "invalid %s \"%s\" (expected %u..%u)",
                     name, value, num->min, num->max);
            return -1;
        }

        *(unsigned *) ((char *) sc + num->offset) = n;
        return 0;
    }

    if (strcmp(name, "sse_socket_mode") == 0) {
        if (value[0] != '0'
            || jr_conf_number(value, 8, 0777, &sc->socket_mode) != 0)
        {
            snprintf(err, errlen, "invalid %s \"%s\" (expected an octal "
                     "mode such as 0660)", name, value);
            return -1;
        }

        return 0;
    }

    if (strcmp(name, "sse_listen") == 0) {
        if (jr_conf_listen(value, &sc->listen) != 0) {
            snprintf(err, errlen, "invalid %s \"%s\" (expected "
                     "ADDRESS:PORT, such as 127.0.0.1:9421)", name, value);
            return -1;
        }

        return 0;
    }

    snprintf(err, errlen, "unknown key \"%s\"", name);

    return -1;
}
