/*
 * Moving analytics and the job queue out of data.db (its migration 12)
 * into analytics.db and queue.db, the files beside it.
 *
 * A migration of data.db cannot write another file in its transaction, so
 * the program that migrates data.db (the jobrunner at start, blogctl)
 * calls blog_split() first.  Under one write lock of data.db, so that no
 * one adds a row meanwhile, it copies the rows of every table below into
 * the new files and commits there, then runs migration 12, which drops
 * them from data.db, and commits that.  Killed anywhere, it runs again
 * from the start: the copy is INSERT OR REPLACE by primary key, so rows
 * copied before are written again as data.db still has them, and none
 * twice.
 */

#ifndef BLOG_SPLIT_H
#define BLOG_SPLIT_H

#include <stddef.h>

#include "blog_db.h"


/* The data.db version whose migration drops the tables below. */
#define BLOG_SPLIT_VERSION  12

/*
 * X(file, table, columns): the tables data.db had before version 12 that
 * migration 12 moves, the attached name of the file they go to and their
 * columns.  Fixed: migration 12 drops exactly these.
 */
#define BLOG_SPLIT_TABLES(X)                                                  \
    X("analytics", "analytics_daily",                                         \
      "day, views, visitors, bot_views, requests")                            \
    X("analytics", "analytics_counts", "dim, day, key, n")                    \
    X("analytics", "analytics_spools", "file, offset")                        \
    X("analytics", "analytics_visitor_hashes", "day, seq, hashes")            \
    X("analytics", "analytics_path_totals", "path, views")                    \
    X("analytics", "analytics_nats", "stream, created, seq")                  \
    X("analytics", "analytics_nodes", "node, file, offset")                   \
    X("queue", "jobs",                                                        \
      "id, kind, dedupe_key, payload, state, attempts, run_after,"            \
      " lease_until, lease_owner, last_error, created_at, updated_at")        \
    X("queue", "timers", "name, last_slot")

#define BLOG_SPLIT_DROP(file, table, columns)  "DROP TABLE " table ";"

/* migration 12's first part */
#define BLOG_SPLIT_DROPPED  BLOG_SPLIT_TABLES(BLOG_SPLIT_DROP)


/*
 * Creates or migrates analytics.db and queue.db, and when data.db (which
 * may be missing: then there is nothing to move) is older than
 * BLOG_SPLIT_VERSION, brings it to the version before, moves the rows and
 * migrates it to BLOG_SPLIT_VERSION as above.  Returns SQLITE_OK, or an
 * SQLite code with err filled in (err->what names the step and file).
 */
int blog_split(const char *data_path, const char *analytics_path,
    const char *queue_path, int busy_timeout, blog_db_error_t *err);

/*
 * Creates path if missing and migrates it to schema's version: the hot
 * files, whose rows the jobrunner can do without on a replica.
 */
int blog_db_create(const char *path, const blog_schema_t *schema,
    int busy_timeout, blog_db_error_t *err);

/*
 * The path of the file called name in data_path's directory, into buf of
 * size bytes.  Returns 0, or -1 when it does not fit.
 */
int blog_db_sibling(char *buf, size_t size, const char *data_path,
    const char *name);

/*
 * ATTACH path AS name on db.  Returns SQLITE_OK or SQLite's code (the
 * message in sqlite3_errmsg(db)).
 */
int blog_db_attach(sqlite3 *db, const char *path, const char *name);

#endif /* BLOG_SPLIT_H */
