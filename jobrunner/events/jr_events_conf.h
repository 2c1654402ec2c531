/*
 * The [jobrunner] keys of event intake and analytics:
 *
 *     events_socket          = /run/blog/events.sock
 *     events_socket_mode     = 0666
 *     spool_dir              = /var/spool/blog
 *     spool_scan_ms          = 1000
 *     batch_size             = 10000
 *     batch_interval_ms      = 200
 *     geoip_db               = /usr/share/GeoIP/GeoIP.dat
 *     geoip6_db              = /usr/share/GeoIP/GeoIPv6.dat
 *     current_interval_ms    = 5000      ; 0: no live current visitors
 *     metrics_listen         = 127.0.0.1:9420
 *     view_window            = 30m
 *     visitors_per_address   = 50
 *     visit_gap              = 30m
 *     raw_days               = 90
 *
 * The configuration engine (core/jr_conf.h) reads them into the struct.
 */

#ifndef JR_EVENTS_CONF_H
#define JR_EVENTS_CONF_H

#include <sys/socket.h>

#include "core/jr_conf.h"

typedef struct {
    char                     *socket;        /* NULL: no event intake */
    unsigned                  socket_mode;
    char                     *spool_dir;     /* NULL: no spool replay */
    unsigned                  spool_scan_ms;
    unsigned                  batch_size;
    unsigned                  batch_interval_ms;
    char                     *geoip_db;
    char                     *geoip6_db;
    unsigned                  current_interval_ms;
    struct sockaddr_storage   metrics;       /* family 0: no endpoint */
    long                      view_window;   /* seconds (jr_views.h) */
    unsigned                  visitors_per_address;
    long                      visit_gap;     /* seconds (jr_visits.h) */
    unsigned                  raw_days;      /* of visits and views rows */
} jr_events_conf_t;

extern const jr_conf_section_t  jr_events_conf_jobrunner;

#endif /* JR_EVENTS_CONF_H */
