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
    ") WITHOUT ROWID;",

    /*
     * 2: the newsletter's messages (docs/newsletter.md).  The ids are
     * data.db's (newsletters, subscribers): no foreign keys across files.
     *
     * newsletter_sends: one row per newsletter whose deliveries were
     * made, in the same transaction as they were, so that a second run of
     * the job after a crash makes none again (and a reader who subscribes
     * during a send gets the next newsletter, not half of this one).
     *   newsletter_id  data.db's newsletters.id
     *   recipients     deliveries made
     *   created_at     when
     *
     * deliveries: one message of a newsletter to one subscriber.
     *   status      queued: to send at next_try;
     *               sending: marked, and committed, just before the SMTP
     *                 transaction; a row found so after a crash is sent
     *                 again, with the same Message-ID (the one window of
     *                 a second copy: the server accepted the message and
     *                 the process died before "sent" was committed);
     *               sent: the server accepted it (250 after DATA);
     *               failed: a 4xx or network error on each of the
     *                 attempts allowed, or a message that could not be
     *                 made; the send's dead letters;
     *               bounced: a 5xx for the recipient (the subscriber is
     *                 marked bounced in data.db);
     *               skipped: the subscriber unsubscribed or bounced
     *                 before their turn
     *   attempts    SMTP transactions tried
     *   next_try    when a queued row may be tried (Unix time)
     *   last_error  libcurl's error and the server's last reply
     *   sent_at     when the server accepted it
     *   updated_at  the row's last change
     */
    "CREATE TABLE newsletter_sends ("
    "  newsletter_id INTEGER PRIMARY KEY,"
    "  recipients    INTEGER NOT NULL,"
    "  created_at    INTEGER NOT NULL"
    ");"
    "CREATE TABLE deliveries ("
    "  id            INTEGER PRIMARY KEY,"
    "  newsletter_id INTEGER NOT NULL,"
    "  subscriber_id INTEGER NOT NULL,"
    "  status        TEXT NOT NULL DEFAULT 'queued'"
    "                  CHECK (status IN ('queued', 'sending', 'sent',"
    "                                    'failed', 'bounced', 'skipped')),"
    "  attempts      INTEGER NOT NULL DEFAULT 0,"
    "  next_try      INTEGER NOT NULL,"
    "  last_error    TEXT,"
    "  sent_at       INTEGER,"
    "  updated_at    INTEGER NOT NULL,"
    "  UNIQUE (newsletter_id, subscriber_id)"
    ");"
    "CREATE INDEX deliveries_due ON deliveries"
    "  (newsletter_id, status, next_try);"
};


const blog_schema_t  blog_queue_schema = {
    "queue database", blog_queue_migrations, BLOG_QUEUE_SCHEMA_VERSION
};
