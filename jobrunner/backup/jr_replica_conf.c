/*
 * The [replica] section; see jr_replica_conf.h.
 */

#include "backup/jr_backup_conf.h"
#include "backup/jr_replica_conf.h"
#include "nats/jr_nats_conf.h"


static const jr_conf_key_t  jr_replica_conf_keys[] = {
    JR_BACKUP_CONF_KEYS(jr_replica_conf_t),
    { "poll_ms", &jr_conf_number, JR_CONF_FIELD(jr_replica_conf_t, poll_ms),
      .min = 10, .max = 60000, .def = "200" },
    /* 1 min: an idle replica sends 60 LISTs an hour; it watches .wake */
    { "poll_max_ms", &jr_conf_number,
      JR_CONF_FIELD(jr_replica_conf_t, poll_max_ms),
      .min = 10, .max = 3600000, .def = "60000" },
    /* the wait between reads of .wake right after a quiet time begins */
    { "watch_ms", &jr_conf_number,
      JR_CONF_FIELD(jr_replica_conf_t, watch_ms),
      .min = 0, .max = 60000, .def = "500" },
    /* a quiet hour: 240 GETs of .wake and 60 LISTs, one request per 12 s;
       the first write after it is seen within 12 s */
    { "watch_max_ms", &jr_conf_number,
      JR_CONF_FIELD(jr_replica_conf_t, watch_max_ms),
      .min = 0, .max = 3600000, .def = "12000" },
    { NULL }
};

/* What writes data.db beyond the sections that exclude [replica]. */
static int
jr_replica_conf_finish(jr_conf_t *cf, void *conf)
{
    jr_replica_conf_t     *rc = conf;
    const jr_nats_conf_t  *nats = jr_conf_get(cf, "nats");

    if (nats && (nats->role & JR_NATS_CONSUME)) {
        return jr_conf_error(cf, "[replica] with a NATS consumer: analytics "
                             "are written on the primary (set [nats] role = "
                             "publisher)");
    }

    if (nats == NULL
        && (jr_conf_value(cf, "jobrunner", "events_socket")
            || jr_conf_value(cf, "jobrunner", "spool_dir")))
    {
        return jr_conf_error(cf, "[replica] with an events socket or spool "
                             "but no [nats]: a replica's events go to the "
                             "primary through NATS (docs/events.md)");
    }

    if (rc->poll_max_ms < rc->poll_ms) {
        return jr_conf_error(cf, "[replica] poll_max_ms %u is less than "
                             "poll_ms %u", rc->poll_max_ms, rc->poll_ms);
    }

    if (rc->watch_ms && rc->watch_max_ms < rc->watch_ms) {
        return jr_conf_error(cf, "[replica] watch_max_ms %u is less than "
                             "watch_ms %u", rc->watch_max_ms, rc->watch_ms);
    }

    return jr_backup_conf_local_dir(cf, &rc->local_dir, "-replica");
}


/* a replica's data.db is written by its follower only */
static const jr_conf_link_t  jr_replica_conf_links[] = {
    { "s3", JR_CONF_NEEDS, "[replica] needs an [s3] section: the bucket the "
      "primary replicates to" },
    { "backup", JR_CONF_EXCLUDES, "[replica] and [backup] exclude each "
      "other: the primary backs data.db up, its replicas follow it" },
    { "mirror", JR_CONF_EXCLUDES, "[replica] and [mirror] exclude each "
      "other: mirrors run on the primary (their jobs are in data.db)" },
    { NULL, 0, NULL }
};


const jr_conf_section_t  jr_replica_conf_section = {
    .name = "replica", .line = offsetof(jr_replica_conf_t, line),
    .keys = jr_replica_conf_keys, .links = jr_replica_conf_links,
    .finish = jr_replica_conf_finish
};
