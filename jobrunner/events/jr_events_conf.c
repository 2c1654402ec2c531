/*
 * The [jobrunner] keys of event intake and analytics; see jr_events_conf.h.
 */

#include "events/jr_events_conf.h"


#define JR_EVENTS(member)  JR_CONF_FIELD(jr_events_conf_t, member)


/*
 * the socket; the spool; the batches events are written in; countries;
 * what a view and a visit are; how long visits' rows are kept
 */
static const jr_conf_key_t  jr_events_conf_keys[] = {
    { "events_socket", &jr_conf_path, JR_EVENTS(socket) },
    { "events_socket_mode", &jr_conf_mode, JR_EVENTS(socket_mode),
      .def = "0666" },
    { "spool_dir", &jr_conf_path, JR_EVENTS(spool_dir) },
    { "spool_scan_ms", &jr_conf_number, JR_EVENTS(spool_scan_ms),
      .min = 10, .max = 3600000, .def = "1000" },
    { "batch_size", &jr_conf_number, JR_EVENTS(batch_size),
      .min = 1, .max = 1000000, .def = "10000" },
    { "batch_interval_ms", &jr_conf_number, JR_EVENTS(batch_interval_ms),
      .min = 1, .max = 60000, .def = "200" },
    { "geoip_db", &jr_conf_path, JR_EVENTS(geoip_db) },
    { "geoip6_db", &jr_conf_path, JR_EVENTS(geoip6_db) },
    { "current_interval_ms", &jr_conf_number,
      JR_EVENTS(current_interval_ms), .min = 0, .max = 3600000,
      .def = "5000" },
    { "metrics_listen", &jr_conf_listen, JR_EVENTS(metrics),
      .data = "127.0.0.1:9420 or [::1]:9420" },
    { "view_window", &jr_conf_duration, JR_EVENTS(view_window),
      .max = 86400, .def = "30m" },
    { "visitors_per_address", &jr_conf_number,
      JR_EVENTS(visitors_per_address), .min = 1, .max = 100000, .def = "50" },
    { "visit_gap", &jr_conf_duration, JR_EVENTS(visit_gap),
      .max = 86400, .def = "30m" },
    { "raw_days", &jr_conf_number, JR_EVENTS(raw_days),
      .min = 1, .max = 100000, .def = "90" },
    { NULL }
};

const jr_conf_section_t  jr_events_conf_jobrunner = {
    .name = "jobrunner", .flags = JR_CONF_IMPLICIT, .keys = jr_events_conf_keys
};
