/*
 * The [backup] section: continuous replication of data.db to the bucket
 * of [s3] (jr_backup.c).
 *
 *     [backup]
 *     prefix            = blog/data.db
 *     local_dir         = /var/lib/blog/data.db-backup
 *     interval_ms       = 100
 *     checkpoint_pages  = 1000
 *     snapshot_interval = 1d
 *     retention         = 7d
 *     lag_alert         = 10s
 */

#ifndef JR_BACKUP_CONF_H
#define JR_BACKUP_CONF_H

#include <stddef.h>

typedef struct {
    int         line;               /* of "[backup]"; 0: no backup */
    char       *prefix;             /* key prefix in the bucket, no "/" at
                                       either end */
    char       *local_dir;          /* NULL until finish: DATA_DB-backup */
    unsigned    interval_ms;        /* between looks at the WAL */
    unsigned    checkpoint_pages;   /* WAL frames before a checkpoint */
    long        snapshot_interval;  /* seconds */
    long        retention;          /* seconds */
    long        lag_alert;          /* seconds */
    int         seen[7];
} jr_backup_conf_t;

void jr_backup_conf_init(jr_backup_conf_t *bc);
void jr_backup_conf_free(jr_backup_conf_t *bc);

/* "[backup]": 0, or -1 when given twice. */
int jr_backup_conf_section(jr_backup_conf_t *bc, int line, char *err,
    size_t errlen);

/* A key of [backup]; paths relative to dir (dirlen bytes).  0 or -1. */
int jr_backup_conf_key(jr_backup_conf_t *bc, const char *name,
    const char *value, const char *dir, size_t dirlen, int line, char *err,
    size_t errlen);

/*
 * Whether value is a key prefix we take: segments of [A-Za-z0-9._-]
 * separated by single "/", none "." or "..", at most 512 bytes.  0 or -1.
 */
int jr_backup_conf_prefix(const char *value);

/*
 * After the whole file, when [backup] was given: [s3] is needed
 * (has_s3), local_dir defaults from data_db.  0, or -1 with *line.
 */
int jr_backup_conf_finish(jr_backup_conf_t *bc, int has_s3,
    const char *data_db, int *line, char *err, size_t errlen);

#endif /* JR_BACKUP_CONF_H */
