/*
 * ttl.db migrations.  Append new migrations at the end (and their tables to
 * blog_ttl_tables); never edit one that has shipped.
 */

#include <stddef.h>

#include "blog_schema.h"
#include "blog_ttl_schema.h"


static const char *const blog_ttl_migrations[BLOG_TTL_SCHEMA_VERSION] = {

    /* 1: sessions, one-time codes, webhook ids.  Times are Unix seconds. */
    "CREATE TABLE sessions ("
    "  id         TEXT PRIMARY KEY,"
    "  user_id    INTEGER,"
    "  data       TEXT NOT NULL DEFAULT '',"
    "  expires_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX sessions_expiry ON sessions (expires_at);"

    "CREATE TABLE one_time_codes ("
    "  code       TEXT PRIMARY KEY,"
    "  purpose    TEXT NOT NULL,"
    "  subject    TEXT,"
    "  expires_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX one_time_codes_expiry ON one_time_codes (expires_at);"

    /* the Standard Webhooks replay guard: an id is refused until then */
    "CREATE TABLE webhook_ids ("
    "  id         TEXT PRIMARY KEY,"
    "  expires_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX webhook_ids_expiry ON webhook_ids (expires_at);",

    /*
     * 2: admin sign-in.  A session's id is the SHA-256 of its cookie, so
     * that the file does not hold working credentials; expires_at is the
     * idle deadline, moved on use but never past ends_at.  rate_limits
     * counts hits per key ("login-addr:ADDR", "login-user:NAME",
     * "comment:ADDR") in a window that ends at expires_at.
     */
    "ALTER TABLE sessions ADD COLUMN csrf TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE sessions ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN ends_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';"

    "CREATE TABLE rate_limits ("
    "  key        TEXT PRIMARY KEY,"
    "  hits       INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX rate_limits_expiry ON rate_limits (expires_at);",

    /*
     * 3: the jobrunner's secret salt of each day (Unix day, UTC) for
     * counting unique visitors without cookies; it expires when its day
     * ends, and the jobrunner deletes it then too.
     */
    "CREATE TABLE analytics_salts ("
    "  day        INTEGER PRIMARY KEY,"
    "  salt       BLOB NOT NULL,"
    "  expires_at INTEGER NOT NULL"
    ");",

    /*
     * 4: sign-in codes sent by e-mail (blog_code.h).  The jobrunner
     * writes one row per user it mails a code to, keyed by the code's
     * hash, with subject the user id; the module counts wrong codes
     * typed against it in attempts and deletes it when it is used or
     * has had too many.
     */
    "ALTER TABLE one_time_codes ADD COLUMN attempts INTEGER NOT NULL"
    "  DEFAULT 0;"
    "ALTER TABLE one_time_codes ADD COLUMN created_at INTEGER NOT NULL"
    "  DEFAULT 0;"
    "CREATE INDEX one_time_codes_subject ON one_time_codes (purpose, subject);"
};


const char *const  blog_ttl_tables[] = {
    "sessions",
    "one_time_codes",
    "webhook_ids",
    "rate_limits",
    "analytics_salts",
    NULL
};


const blog_schema_t  blog_ttl_schema = {
    "ttl database", blog_ttl_migrations, BLOG_TTL_SCHEMA_VERSION
};


int
blog_ttl_schema_migrate(sqlite3 *db, char **err)
{
    return blog_migrate(db, &blog_ttl_schema, err);
}
