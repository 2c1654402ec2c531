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
 *     metrics_listen         = 127.0.0.1:9420
 *
 * jr_config.c reads the file, resolves the paths and calls in here for
 * the other keys; messages go to err without "FILE:LINE: ".
 */

#ifndef JR_EVENTS_CONF_H
#define JR_EVENTS_CONF_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct {
    char                     *socket;        /* NULL: no event intake */
    unsigned                  socket_mode;
    char                     *spool_dir;     /* NULL: no spool replay */
    unsigned                  spool_scan_ms;
    unsigned                  batch_size;
    unsigned                  batch_interval_ms;
    char                     *geoip_db;
    char                     *geoip6_db;
    struct sockaddr_storage   metrics;       /* family 0: no endpoint */
} jr_events_conf_t;

void jr_events_conf_init(jr_events_conf_t *ec);
void jr_events_conf_free(jr_events_conf_t *ec);

/* A key other than a path.  Returns 0, or -1 with the reason in err. */
int jr_events_conf_key(jr_events_conf_t *ec, const char *name,
    const char *value, char *err, size_t errlen);

/*
 * Helpers for the keys of other parts too.  jr_conf_number(): digits only
 * in the base (8 or 10), so no sign, blank or wrap-around slips through;
 * at most max.  jr_conf_listen(): "127.0.0.1:9420" or "[::1]:9420", port
 * 1..65535.  Both return 0, or -1 when the value is not one.
 */
int jr_conf_number(const char *value, unsigned base, unsigned max,
    unsigned *n);
int jr_conf_listen(const char *value, struct sockaddr_storage *ss);

#endif /* JR_EVENTS_CONF_H */
