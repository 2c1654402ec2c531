/*
 * analytics.db migrations.  Append new migrations at the end; never edit one
 * that has shipped.
 */

#include <stddef.h>

#include "blog_analytics_schema.h"


static const char *const
    blog_analytics_migrations[BLOG_ANALYTICS_SCHEMA_VERSION] =
{
    /*
     * 1: the analytics tables as data.db had them at its version 9, column
     * for column, so that blog_split() copies rows as they are.  See data.db
     * migrations 4 to 7 (lib/blog_schema.c) for what each holds.
     */
    "CREATE TABLE analytics_daily ("
    "  day       INTEGER PRIMARY KEY,"
    "  views     INTEGER NOT NULL DEFAULT 0,"
    "  visitors  INTEGER NOT NULL DEFAULT 0,"
    "  bot_views INTEGER NOT NULL DEFAULT 0,"
    "  requests  INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE analytics_counts ("
    "  dim TEXT NOT NULL CHECK (dim IN ('path', 'post', 'referrer',"
    "        'country', 'browser', 'os', 'status', 'bot')),"
    "  day INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  n   INTEGER NOT NULL,"
    "  PRIMARY KEY (dim, day, key)"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_spools ("
    "  file   TEXT PRIMARY KEY,"
    "  offset INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_visitor_hashes ("
    "  day    INTEGER NOT NULL,"
    "  seq    INTEGER NOT NULL,"
    "  hashes BLOB NOT NULL,"
    "  PRIMARY KEY (day, seq)"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_path_totals ("
    "  path  TEXT PRIMARY KEY,"
    "  views INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_nats ("
    "  stream  TEXT PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  seq     INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_nodes ("
    "  node   TEXT PRIMARY KEY,"
    "  file   INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL"
    ") WITHOUT ROWID;"
};


const blog_schema_t  blog_analytics_schema = {
    "analytics database", blog_analytics_migrations,
    BLOG_ANALYTICS_SCHEMA_VERSION
};
