/*
 * The [replica] section: this node follows the replica of the primary's
 * data.db in the bucket of [s3] and keeps its own data_db current
 * (jr_follow.c, docs/replica.md).
 *
 *     [replica]
 *     prefix           = blog/data.db   ; the primary's [backup] prefix
 *     local_dir        = /var/lib/blog/data.db-replica
 *     poll_ms          = 200
 *     poll_max_ms      = 60000
 *     watch_ms         = 500
 *     watch_max_ms     = 12000
 *     checkpoint_pages = 1000
 *     lag_alert        = 10s
 */

#ifndef JR_REPLICA_CONF_H
#define JR_REPLICA_CONF_H

#include "core/jr_conf.h"

typedef struct {
    int         line;               /* of "[replica]"; 0: not a replica */
    char       *prefix;             /* as [backup] prefix */
    char       *local_dir;          /* NULL until finish: DATA_DB-replica */
    unsigned    poll_ms;            /* between listings of the bucket */
    unsigned    poll_max_ms;        /* the same, idle: doubled up to it */
    unsigned    watch_ms;           /* idle: between reads of PREFIX/.wake;
                                       0: none, listings only */
    unsigned    watch_max_ms;       /* the same after a long quiet time:
                                       a quarter of it, up to this */
    unsigned    checkpoint_pages;   /* frames of the local WAL before it
                                       is checkpointed and started anew */
    long        lag_alert;          /* seconds */
} jr_replica_conf_t;

/*
 * Needs [s3], and nothing that writes data.db may be configured: [backup]
 * (the primary's), [mirror] (its job queue is in data.db), a NATS
 * consumer, events counted locally (an events socket or spool without
 * [nats]).
 */
extern const jr_conf_section_t  jr_replica_conf_section;

#endif /* JR_REPLICA_CONF_H */
