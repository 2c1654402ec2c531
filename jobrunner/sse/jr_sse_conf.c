/*
 * The [jobrunner] keys of the realtime hub; see jr_sse_conf.h.
 */

#include <string.h>

#include "sse/jr_sse_conf.h"


#define JR_SSE(member)  JR_CONF_FIELD(jr_sse_conf_t, member)


static const jr_conf_key_t  jr_sse_conf_keys[] = {
    { "sse_socket", &jr_conf_path, JR_SSE(socket) },
    { "sse_socket_mode", &jr_conf_mode, JR_SSE(socket_mode), .def = "0666" },
    { "sse_listen", &jr_conf_listen, JR_SSE(listen), .data = "127.0.0.1:9421" },
    { "sse_heartbeat_ms", &jr_conf_number, JR_SSE(heartbeat_ms),
      .min = 100, .max = 3600000, .def = "15000" },
    { "sse_retry_ms", &jr_conf_number, JR_SSE(retry_ms),
      .min = 100, .max = 3600000, .def = "3000" },
    { "sse_history", &jr_conf_number, JR_SSE(history),
      .max = 100000, .def = "32" },
    { "sse_history_bytes", &jr_conf_number, JR_SSE(history_bytes),
      .max = 1U << 30, .def = "8388608" },
    { "sse_max_pending", &jr_conf_number, JR_SSE(max_pending),
      .min = 1024, .max = 1U << 30, .def = "65536" },
    { "sse_max_subscribers", &jr_conf_number, JR_SSE(max_subscribers),
      .min = 1, .max = 10000000, .def = "100000" },
    { "sse_max_topics", &jr_conf_number, JR_SSE(max_topics),
      .max = 10000000, .def = "10000" },
    { "sse_topic_linger_ms", &jr_conf_number, JR_SSE(linger_ms),
      .max = 86400000, .def = "60000" },
    { NULL }
};

const jr_conf_section_t  jr_sse_conf_jobrunner = {
    .name = "jobrunner", .flags = JR_CONF_IMPLICIT, .keys = jr_sse_conf_keys
};


void
jr_sse_conf_init(jr_sse_conf_t *sc)
{
    memset(sc, 0, sizeof(jr_sse_conf_t));
    jr_conf_init(&jr_sse_conf_jobrunner, sc);
}
