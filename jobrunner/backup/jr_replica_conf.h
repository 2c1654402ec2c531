/*
 * The [replica] section: this node follows the replica of the primary's
 * data.db in the bucket of [s3] and keeps its own data_db current
 * (jr_follow.c, docs/replica.md).
 *
 *     [replica]
 *     prefix           = blog/data.db   ; the primary's [backup] prefix
 *     local_dir        = /var/lib/blog/data.db-replica
 *     poll_ms          = 200
 *     checkpoint_pages = 1000
 *     lag_alert        = 10s
 */

#ifndef JR_REPLICA_CONF_H
#define JR_REPLICA_CONF_H

#include <stddef.h>

typedef struct {
    int         line;               /* of "[replica]"; 0: not a replica */
    char       *prefix;             /* as [backup] prefix */
    char       *local_dir;          /* NULL until finish: DATA_DB-replica */
    unsigned    poll_ms;            /* between listings of the bucket */
    unsigned    checkpoint_pages;   /* frames of the local WAL before it
                                       is checkpointed and started anew */
    long        lag_alert;          /* seconds */
    int         seen[5];
} jr_replica_conf_t;

void jr_replica_conf_init(jr_replica_conf_t *rc);
void jr_replica_conf_free(jr_replica_conf_t *rc);

/* "[replica]": 0, or -1 when given twice. */
int jr_replica_conf_section(jr_replica_conf_t *rc, int line, char *err,
    size_t errlen);

/* A key of [replica]; paths relative to dir (dirlen bytes).  0 or -1. */
int jr_replica_conf_key(jr_replica_conf_t *rc, const char *name,
    const char *value, const char *dir, size_t dirlen, int line, char *err,
    size_t errlen);

/*
 * After the whole file, when [replica] was given: [s3] is needed, and
 * nothing that writes data.db may be configured: [backup] (has_backup),
 * [mirror] (has_mirror: its job queue is in data.db), a NATS consumer
 * (consumes), events counted locally (local_events: an events socket or
 * spool without [nats]).  local_dir defaults from data_db.  0, or -1 with
 * *line.
 */
int jr_replica_conf_finish(jr_replica_conf_t *rc, int has_s3, int has_backup,
    int has_mirror, int consumes, int local_events, const char *data_db,
    int *line, char *err, size_t errlen);

#endif /* JR_REPLICA_CONF_H */
