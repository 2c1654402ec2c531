/*
 * The analytics.db schema: the jobrunner's aggregates of readers' page
 * views (jobrunner/events/, jobrunner/nats/jr_nats_consume.c), read by the
 * module's analytics page, the panel and the view count of a post.
 *
 * A file of its own, beside data.db, so that counting a view never
 * commits to data.db: the module's page cache follows data.db's
 * data_version, and [backup] and the replicas follow its WAL.  The tables
 * were data.db's (migrations 4 to 7) until data.db's migration 10 moved
 * them here (blog_split.h).
 */

#ifndef BLOG_ANALYTICS_SCHEMA_H
#define BLOG_ANALYTICS_SCHEMA_H

#include "blog_schema.h"

/* The analytics.db schema version this build reads and writes. */
#define BLOG_ANALYTICS_SCHEMA_VERSION  11

extern const blog_schema_t  blog_analytics_schema;

#endif /* BLOG_ANALYTICS_SCHEMA_H */
