/*
 * Configuration of event intake and analytics; see jr_events_conf.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "events/jr_events_conf.h"


typedef struct {
    const char  *name;
    size_t       offset;
    unsigned     min;
    unsigned     max;
} jr_events_num_t;

static const jr_events_num_t  jr_events_nums[] = {
    { "batch_size", offsetof(jr_events_conf_t, batch_size), 1, 1000000 },
    { "batch_interval_ms", offsetof(jr_events_conf_t, batch_interval_ms),
      1, 60000 },
    { "spool_scan_ms", offsetof(jr_events_conf_t, spool_scan_ms),
      10, 3600000 },
    { NULL, 0, 0, 0 }
};


void
jr_events_conf_init(jr_events_conf_t *ec)
{
    memset(ec, 0, sizeof(jr_events_conf_t));

    ec->socket_mode = 0666;
    ec->spool_scan_ms = 1000;
    ec->batch_size = 10000;
    ec->batch_interval_ms = 200;
}


void
jr_events_conf_free(jr_events_conf_t *ec)
{
    free(ec->socket);
    free(ec->spool_dir);
    free(ec->geoip_db);
    free(ec->geoip6_db);
    jr_events_conf_init(ec);
}


static int __attribute__((format(printf, 3, 4)))
jr_events_conf_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


int
jr_conf_number(const char *value, unsigned base, unsigned max,
    unsigned *n)
{
    unsigned long long  v;
    const char         *c;

    v = 0;

    for (c = value; *c; c++) {
        if (*c < '0' || *c >= (char) ('0' + base) || v > max) {
            return -1;
        }

        v = v * base + (unsigned) (*c - '0');
    }

    if (c == value || v > max) {
        return -1;
    }

    *n = (unsigned) v;

    return 0;
}


int
jr_events_conf_key(jr_events_conf_t *ec, const char *name, const char *value,
    char *err, size_t errlen)
{
    unsigned                n;
    const jr_events_num_t  *num;

    for (num = jr_events_nums; num->name; num++) {
        if (strcmp(name, num->name) != 0) {
            continue;
        }

        if (jr_conf_number(value, 10, num->max, &n) != 0
            || n < num->min)
        {
            return jr_events_conf_error(err, errlen, "invalid %s \"%s\" "
                                        "(expected %u..%u)", name, value,
                                        num->min, num->max);
        }

        *(unsigned *) ((char *) ec + num->offset) = n;
        return 0;
    }

    if (strcmp(name, "events_socket_mode") == 0) {
        if (value[0] != '0'
            || jr_conf_number(value, 8, 0777, &ec->socket_mode) != 0)
        {
            return jr_events_conf_error(err, errlen, "invalid %s \"%s\" "
                                        "(expected an octal mode such as "
                                        "0660)", name, value);
        }

        return 0;
    }

    if (strcmp(name, "metrics_listen") == 0) {
        if (jr_conf_listen(value, &ec->metrics) != 0) {
            return jr_events_conf_error(err, errlen, "invalid %s \"%s\" "
                                        "(expected ADDRESS:PORT, such as "
                                        "127.0.0.1:9420 or [::1]:9420)",
                                        name, value);
        }

        return 0;
    }

    return jr_events_conf_error(err, errlen, "unknown key \"%s\"", name);
}


int
jr_conf_listen(const char *value, struct sockaddr_storage *ss)
{
    char         host[64];
    size_t       len;
    unsigned     port;
    const char  *colon;

    colon = strrchr(value, ':');
    if (colon == NULL
        || jr_conf_number(colon + 1, 10, 65535, &port) != 0
        || port == 0)
    {
        return -1;
    }

    len = colon - value;

    if (len >= 2 && value[0] == '[' && value[len - 1] == ']') {
        if (len - 2 >= sizeof(host)) {
            return -1;
        }

        memcpy(host, value + 1, len - 2);
        host[len - 2] = '\0';

        return uv_ip6_addr(host, (int) port,
                           (struct sockaddr_in6 *) ss) == 0
               ? 0 : -1;
    }

    if (len == 0 || len >= sizeof(host)) {
        return -1;
    }

    memcpy(host, value, len);
    host[len] = '\0';

    return uv_ip4_addr(host, (int) port,
                       (struct sockaddr_in *) ss) == 0 ? 0 : -1;
}
