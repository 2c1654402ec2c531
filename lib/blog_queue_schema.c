/*
 * queue.db migrations.  Append new migrations at the end; never edit one
 * that has shipped.
 */

#include <stddef.h>

#include "blog_queue_schema.h"


static const char *const  blog_queue_migrations[BLOG_QUEUE_SCHEMA_VERSION] = {

    /*
     * 1: jobs and timers as data.db had them at its version 9, column for
     * column (see its migration 2), so that blog_split() copies rows as
     * they are, and the outbox row a job came from.
     */
    "CREATE TABLE jobs ("
    "  id          INTEGER PRIMARY KEY,"
    "  kind        TEXT NOT NULL,"
    "  dedupe_key  TEXT UNIQUE,"
    "  payload     TEXT NOT NULL DEFAULT '{}',"
    "  state       TEXT NOT NULL DEFAULT 'queued'"
    "                CHECK (state IN ('queued', 'leased', 'done', 'dead')),"
    "  attempts    INTEGER NOT NULL DEFAULT 0,"
    "  run_after   INTEGER NOT NULL,"
    "  lease_until INTEGER,"
    "  lease_owner TEXT,"
    "  last_error  TEXT,"
    "  created_at  INTEGER NOT NULL,"
    "  updated_at  INTEGER NOT NULL,"
    "  outbox_id   INTEGER UNIQUE"
    ");"
    "CREATE INDEX jobs_due ON jobs (state, run_after);"
    "CREATE TABLE timers ("
    "  name      TEXT PRIMARY KEY,"
    "  last_slot INTEGER NOT NULL"
    ") WITHOUT ROWID;"
};


const blog_schema_t  blog_queue_schema = {
    "queue database", blog_queue_migrations, BLOG_QUEUE_SCHEMA_VERSION
};
