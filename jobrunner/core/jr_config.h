/*
 * The jobrunner's configuration file: INI syntax, read with inih.
 *
 *     [jobrunner]
 *     data_db         = data.db
 *     analytics_db    = analytics.db  (default: beside data_db)
 *     queue_db        = queue.db      (default: beside data_db)
 *     log             = jobrunner.log
 *     log_level       = info
 *     pid             = jobrunner.pid
 *     threadpool_size = 4
 *
 * Relative paths are taken relative to the configuration file's directory.
 * Errors are reported as "FILE:LINE: message", or "FILE: message" when no
 * line is to blame (a missing key, an unreadable file).
 *
 * The sections are read by the configuration engine (jr_conf.h); each
 * subsystem declares its own in its jr_*_conf.c, and jr_config.c lists
 * them, in the order they are finished.
 */

#ifndef JR_CONFIG_H
#define JR_CONFIG_H

#include <stddef.h>

#include "backup/jr_backup_conf.h"
#include "events/jr_events_conf.h"
#include "jobs/jr_jobs_conf.h"
#include "mail/jr_mail_conf.h"
#include "backup/jr_mirror_conf.h"
#include "nats/jr_nats_conf.h"
#include "backup/jr_replica_conf.h"
#include "mail/jr_report_conf.h"
#include "s3/jr_s3_conf.h"
#include "sse/jr_sse_conf.h"

#define JR_CONFIG_DEFAULT_FILE      "conf/jobrunner.conf"

/* Long enough for a file name, a line number and a quoted value. */
#define JR_CONFIG_ERRLEN            1024

typedef struct {
    char      *data_db;          /* required */
    char      *analytics_db;     /* page-view aggregates: blog_split.h */
    char      *queue_db;         /* jobs and timers: blog_split.h */
    char      *log;              /* NULL: stderr */
    char      *pid;              /* NULL: no pid file */
    int        log_level;        /* a jr_log_level_t */
    unsigned   threadpool_size;
    jr_jobs_conf_t  jobs;        /* queue, thumbnails, timers: jr_jobs_conf.h */
    jr_events_conf_t  events;    /* event intake, analytics: jr_events_conf.h */
    jr_s3_conf_t      s3;        /* the bucket: jr_s3_conf.h */
    jr_backup_conf_t  backup;    /* replication of data_db: jr_backup_conf.h */
    jr_mirror_conf_t  mirror;    /* media and backup mirrors: jr_mirror_conf.h */
    jr_sse_conf_t  sse;          /* the realtime hub: jr_sse_conf.h */
    jr_mail_conf_t    mail;      /* the SMTP server: jr_mail_conf.h */
    jr_report_conf_t  report;    /* analytics e-mailed: jr_report_conf.h */
    jr_nats_conf_t    nats;      /* events through JetStream: jr_nats_conf.h */
    jr_replica_conf_t replica;   /* following a primary: jr_replica_conf.h */
} jr_config_t;

/*
 * Parses len bytes of text as the configuration file named file; file gives
 * the directory that relative paths are resolved against and the name in
 * messages.  Returns 0 with *cf filled (release it with jr_config_free), or
 * -1 with the message in err and *cf empty.
 */
int jr_config_parse(jr_config_t *cf, const char *file, const char *text,
    size_t len, char *err, size_t errlen);

/* Reads the file, then as jr_config_parse(). */
int jr_config_load(jr_config_t *cf, const char *file, char *err,
    size_t errlen);

void jr_config_free(jr_config_t *cf);

#endif /* JR_CONFIG_H */
