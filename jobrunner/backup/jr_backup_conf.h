/*
 * The [backup] section: continuous replication of data.db to the bucket
 * of [s3] (jr_backup.c).
 *
 *     [backup]
 *     prefix            = blog/data.db
 *     local_dir         = /var/lib/blog/data.db-backup
 *     interval_ms       = 100
 *     heartbeat_ms      = 5000
 *     checkpoint_pages  = 1000
 *     snapshot_interval = 1d
 *     retention         = 7d
 *     lag_alert         = 10s
 *     hot_databases     = queue.db analytics.db
 *     hot_interval      = 60s
 */

#ifndef JR_BACKUP_CONF_H
#define JR_BACKUP_CONF_H

#include "core/jr_conf.h"

typedef struct {
    int         line;               /* of "[backup]"; 0: no backup */
    char       *prefix;             /* key prefix in the bucket, no "/" at
                                       either end */
    char       *local_dir;          /* NULL until finish: DATA_DB-backup */
    unsigned    interval_ms;        /* between looks at the WAL */
    unsigned    heartbeat_ms;       /* with [nats]: the last announcement
                                       again after this long without one */
    unsigned    checkpoint_pages;   /* WAL frames before a checkpoint */
    long        snapshot_interval;  /* seconds */
    long        retention;          /* seconds */
    long        lag_alert;          /* seconds */

    /*
     * Databases written on every page view or job, copied whole (a
     * consistent image) at most once per hot_interval when they changed,
     * rather than frame by frame: jr_backup_hot.c.
     */
    char       *hot_databases;      /* as written: paths, relative to
                                       data_db's folder, or "off" */
    long        hot_interval;       /* seconds */
    char      **hot_paths;          /* from hot_databases, by finish */
    unsigned    nhot;
} jr_backup_conf_t;

extern const jr_conf_section_t  jr_backup_conf_section;

/*
 * A key prefix in a bucket, for the keys of other sections too: segments
 * of [A-Za-z0-9._-] separated by single "/", none "." or "..", at most 512
 * bytes.
 */
extern const jr_conf_check_t  jr_backup_conf_prefix;

/*
 * The keys a [replica] shares with the [backup] of its primary, for the
 * table of type (jr_backup_conf_t, jr_replica_conf_t): where the replica
 * is in the bucket and how the local copy is kept.
 */
#define JR_BACKUP_CONF_KEYS(type)                                             \
    { "prefix", &jr_conf_string, JR_CONF_FIELD(type, prefix),                 \
      .data = &jr_backup_conf_prefix, .def = "data.db" },                     \
    { "local_dir", &jr_conf_path, JR_CONF_FIELD(type, local_dir) },           \
    { "checkpoint_pages", &jr_conf_number,                                    \
      JR_CONF_FIELD(type, checkpoint_pages),                                  \
      .min = 10, .max = 1000000, .def = "1000" },                             \
    { "lag_alert", &jr_conf_duration, JR_CONF_FIELD(type, lag_alert),         \
      .def = "10s" }

/*
 * For a finish hook: *dir, unless set, is data_db's path followed by
 * suffix ("-backup"), next to it.  0 or -1.
 */
int jr_backup_conf_local_dir(jr_conf_t *cf, char **dir, const char *suffix);

/* The file name of a hot database's path: its name in the bucket. */
const char *jr_backup_conf_hot_name(const char *path);

#endif /* JR_BACKUP_CONF_H */
