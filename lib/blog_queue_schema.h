/*
 * The queue.db schema: the jobrunner's job queue and timers, and anything
 * else written per job or per request rather than per content change.
 *
 * A file of its own, beside data.db, so that a job's bookkeeping (lease,
 * renew, done) and a login code's mail never commit to data.db, whose
 * data_version the module's page cache follows and whose WAL [backup] and
 * the replicas ship.  The tables were data.db's (migration 2) until
 * data.db's migration 10 moved them here (blog_split.h).
 *
 * A job that must exist exactly when some content does (an upload's
 * thumbnails, a comment's notification) is written to data.db's
 * job_outbox in the content's transaction; the jobrunner moves it here
 * (docs/jobs.md).  jobs.outbox_id is the outbox row it came from: moving
 * the same row twice, after a crash between the two commits, inserts
 * nothing the second time.
 */

#ifndef BLOG_QUEUE_SCHEMA_H
#define BLOG_QUEUE_SCHEMA_H

#include "blog_schema.h"

/* The queue.db schema version this build reads and writes. */
#define BLOG_QUEUE_SCHEMA_VERSION  2

extern const blog_schema_t  blog_queue_schema;

#endif /* BLOG_QUEUE_SCHEMA_H */
