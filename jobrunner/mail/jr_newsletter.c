/*
 * The "newsletter" job: a post sent to every active subscriber, once.
 *
 * Publishing a post (the panel, blogctl, its scheduled time) makes its
 * newsletters row and this job in data.db's job_outbox, by the triggers
 * of data.db's migration 15, in the publishing transaction; the outbox
 * brings the job here.  Payload {"post": ID}, or {"post": ID, "test":
 * ADDRESS} for one test message to ADDRESS that records nothing.
 *
 * A run, in a pool thread on a connection of its own (data.db with
 * queue.db attached):
 *
 *   1. renders the newsletter once, from the theme's newsletter-mail.html
 *      and newsletter-mail.txt with absolute links, into its newsletters
 *      row (status 'sending'): one data.db commit per newsletter;
 *   2. makes one queue.db deliveries row per active subscriber and the
 *      newsletter_sends row saying so, in one queue.db transaction that
 *      reads data.db's subscribers and writes queue.db only, so it commits
 *      whole or not at all; a rerun finds newsletter_sends and makes none;
 *   3. sends, in the order of the rows, at most [mail] rate messages a
 *      second over one SMTP connection (per_connection messages each),
 *      each one:  queued --commit--> sending --SMTP--> sent, this one
 *      committed with the next row's "sending" (one commit a message);
 *      a 4xx puts it back to queued with a backoff (retry, doubled per
 *      attempt; failed after [mail] attempts); a server that does not
 *      answer at all puts it back uncounted and fails the run, which the
 *      queue retries with its own backoff; a 5xx
 *      for its recipient marks the subscriber bounced (data.db) and it
 *      bounced; a subscriber no longer active when her turn comes is
 *      skipped;
 *   4. stops after JR_NL_SLICE seconds, so that a shutdown waits for one
 *      message at most that long and other jobs get their turn: its
 *      commit queues the next run ("newsletter:POST:N") at the first time
 *      something is due, or, when every row has ended, writes the counts
 *      and status 'sent' to the newsletters row.
 *
 * Exactly once: a row is "sending" in queue.db (committed) before its
 * SMTP transaction starts, and "sent" after the server's 250 to the DATA,
 * committed with the next row's "sending", before that row's SMTP
 * transaction, or when the run stops.  Killed anywhere, the next run (the
 * lease runs out, or the continuation job) sends the rows still queued
 * and sends again the row found "sending", with the same Message-ID
 * (<nl-NEWSLETTER-SUBSCRIBER@domain>).  The one window for a second copy
 * is between the server's 250 and that commit; a row is never skipped.
 * docs/newsletter.md says so.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "blog_newsletter.h"
#include "blog_secret.h"
#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "core/jr_log.h"
#include "mail/jr_mail.h"
#include "mail/jr_newsletter.h"
#include "mail/jr_smtp.h"


/* Seconds of sending per run; the next run is a job of its own. */
#define JR_NL_SLICE        5

/* The longest wait for a retry: the queue's own ceiling (docs/jobs.md). */
#define JR_NL_BACKOFF_MAX  (6 * 3600)


typedef struct {
    int64_t         post;
    int64_t         id;             /* the newsletters row; 0: none */
    char           *test;           /* a test message's address, or NULL */
    unsigned        round;          /* of the continuation jobs */
    char           *status;

    /* the outcome, for commit() and done() */
    unsigned        finished:1;
    unsigned        nobody:1;       /* no subscriber, no [mail]: no send */
    time_t          next;           /* the next run, when not finished */
    unsigned        sent;           /* by this run */
    unsigned        bounced;
    unsigned        retried;
    unsigned        failed;
} jr_nl_t;


/* What a run works with in its thread. */
typedef struct {
    jr_work_t      *w;
    jr_nl_t        *nl;
    sqlite3        *db;
    jr_nl_site_t    site;
    jr_nl_letter_t  letter;
    jr_smtp_t       smtp;
    unsigned        smtp_open:1;
    struct timespec next_send;      /* the rate's next slot, monotonic */
} jr_nl_run_t;


/*
 * Without [mail] or a theme nothing can be sent: a dead job that says why,
 * unless there is nobody to send to (a blog that has no newsletter):
 * then the newsletter ends at once, sent to none, and the panel's dead
 * letters stay for what went wrong.  0 or -1.
 */
static int
jr_nl_can_send(jr_work_t *w)
{
    int            rc;
    jr_nl_t       *nl;
    const char    *why;
    sqlite3_stmt  *stmt;

    nl = w->data;

    why = (w->jobs->cf->mail.smtp_url == NULL)
          ? "no [mail] smtp_url: newsletters are not sent"
          : (w->jobs->cf->jobs.theme == NULL)
          ? "no theme in [jobrunner]: the newsletter's templates ("
            JR_NL_HTML ", " JR_NL_TEXT ") are there"
          : NULL;

    if (why == NULL) {
        return 0;
    }

    rc = sqlite3_prepare_v2(w->jobs->db, "SELECT EXISTS (SELECT 1 FROM"
                            " subscribers WHERE status = 'active')",
                            -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    if (rc == SQLITE_ROW && nl->test == NULL
        && sqlite3_column_int(stmt, 0) == 0)
    {
        sqlite3_finalize(stmt);
        nl->nobody = 1;
        nl->finished = 1;
        return 0;
    }

    sqlite3_finalize(stmt);

    jr_work_fail(w, 1, "%s", why);

    return -1;
}


static int
jr_nl_prepare(jr_work_t *w)
{
    int            rc;
    json_t        *post, *test, *round;
    jr_nl_t       *nl;
    sqlite3_stmt  *stmt;

    post = json_object_get(w->payload, "post");
    test = json_object_get(w->payload, "test");
    round = json_object_get(w->payload, "round");

    if (!json_is_integer(post)
        || (test != NULL && (!json_is_string(test)
                             || !blog_email_valid(json_string_value(test),
                                                  json_string_length(test))))
        || (round != NULL && !json_is_integer(round)))
    {
        jr_work_fail(w, 1, "payload needs post, and may have test (an "
                     "address) and round");
        return -1;
    }

    nl = calloc(1, sizeof(jr_nl_t));
    if (nl == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    w->data = nl;
    nl->post = json_integer_value(post);
    nl->round = round ? (unsigned) json_integer_value(round) : 0;

    if (test != NULL) {
        nl->test = strdup(json_string_value(test));
        if (nl->test == NULL) {
            jr_work_fail(w, 0, "out of memory");
            return -1;
        }

        return jr_nl_can_send(w);
    }

    rc = sqlite3_prepare_v2(w->jobs->db, "SELECT id, status FROM newsletters"
                            " WHERE post_id = ?1", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(stmt, 1, nl->post);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    if (rc == SQLITE_ROW) {
        nl->id = sqlite3_column_int64(stmt, 0);
        nl->status = strdup((const char *) sqlite3_column_text(stmt, 1));
        rc = nl->status ? SQLITE_DONE : SQLITE_NOMEM;
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        jr_work_fail(w, 0, "cannot read the newsletter: %s",
                     sqlite3_errstr(rc));
        return -1;
    }

    if (nl->id == 0) {
        jr_work_fail(w, 1, "post %lld has no newsletter", (long long) nl->post);
        return -1;
    }

    return jr_nl_can_send(w);
}


/* A statement run to its end; SQLITE_OK or an error code. */
static int
jr_nl_exec(sqlite3 *db, const char *sql, const char *types, ...)
{
    int            rc, i;
    va_list        ap;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    va_start(ap, types);

    for (i = 0; rc == SQLITE_OK && types[i]; i++) {
        rc = (types[i] == 'i')
             ? sqlite3_bind_int64(stmt, i + 1, va_arg(ap, int64_t))
             : sqlite3_bind_text(stmt, i + 1, va_arg(ap, const char *), -1,
                                 SQLITE_TRANSIENT);
    }

    va_end(ap);

    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            /* void */
        }
    }

    sqlite3_finalize(stmt);

    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}


/*
 * Step 1 and 2: the rendering, stored once (or read back), and the
 * deliveries, made once.  0 or -1.
 */
static int
jr_nl_begin(jr_nl_run_t *run)
{
    int            rc;
    time_t         now;
    jr_work_t     *w;
    sqlite3_stmt  *stmt;

    w = run->w;

    rc = sqlite3_prepare_v2(run->db, "SELECT subject, html, text"
                            " FROM main.newsletters WHERE id = ?1"
                            " AND html IS NOT NULL AND text IS NOT NULL",
                            -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(stmt, 1, run->nl->id);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    if (rc == SQLITE_ROW) {
        run->letter.subject = strdup((const char *) sqlite3_column_text(stmt, 0));
        run->letter.html = strdup((const char *) sqlite3_column_text(stmt, 1));
        run->letter.text = strdup((const char *) sqlite3_column_text(stmt, 2));
        rc = (run->letter.subject && run->letter.html && run->letter.text) ? SQLITE_OK
                                                      : SQLITE_NOMEM;
    }

    sqlite3_finalize(stmt);

    if (rc == SQLITE_DONE) {
        /* the subject is the title when it was published, kept as it was */
        if (jr_nl_render(run->w, run->db, &run->site, run->nl->post, &run->letter) != 0) {
            return -1;
        }

        now = time(NULL);

        rc = jr_nl_exec(run->db, "UPDATE main.newsletters SET html = ?2,"
                        "  text = ?3, status = 'sending', started_at = ?4"
                        " WHERE id = ?1", "issi", run->nl->id, run->letter.html,
                        run->letter.text, (int64_t) now);

        if (rc == SQLITE_OK) {
            free(run->letter.subject);
            run->letter.subject = NULL;

            rc = sqlite3_prepare_v2(run->db, "SELECT subject FROM"
                                    " main.newsletters WHERE id = ?1", -1,
                                    &stmt, NULL);
            if (rc == SQLITE_OK) {
                rc = sqlite3_bind_int64(stmt, 1, run->nl->id);
            }

            if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                run->letter.subject = strdup((const char *)
                                      sqlite3_column_text(stmt, 0));
                rc = run->letter.subject ? SQLITE_OK : SQLITE_NOMEM;
            }

            sqlite3_finalize(stmt);
        }
    }

    if (rc != SQLITE_OK) {
        jr_work_fail(w, 0, "cannot store the newsletter: %s",
                     sqlite3_errstr(rc));
        return -1;
    }

    /*
     * The deliveries and their marker in one transaction that writes
     * queue.db only (data.db's subscribers are read): it commits whole.
     */
    now = time(NULL);

    rc = sqlite3_exec(run->db, "BEGIN", NULL, NULL, NULL);

    if (rc == SQLITE_OK) {
        rc = jr_nl_exec(run->db,
                 "INSERT INTO queue.deliveries (newsletter_id, subscriber_id,"
                 "  next_try, updated_at)"
                 " SELECT ?1, id, ?2, ?2 FROM main.subscribers"
                 "  WHERE status = 'active'"
                 "    AND NOT EXISTS (SELECT 1 FROM queue.newsletter_sends"
                 "                    WHERE newsletter_id = ?1)"
                 "  ORDER BY id"
                 " ON CONFLICT (newsletter_id, subscriber_id) DO NOTHING",
                 "ii", run->nl->id, (int64_t) now);
    }

    if (rc == SQLITE_OK) {
        rc = jr_nl_exec(run->db,
                 "INSERT INTO queue.newsletter_sends (newsletter_id,"
                 "  recipients, created_at)"
                 " SELECT ?1, count(*), ?2 FROM queue.deliveries"
                 "  WHERE newsletter_id = ?1"
                 " ON CONFLICT (newsletter_id) DO NOTHING",
                 "ii", run->nl->id, (int64_t) now);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(run->db, "COMMIT", NULL, NULL, NULL);
    }

    if (rc != SQLITE_OK) {
        jr_work_fail(w, 0, "cannot make the deliveries: %s",
                     sqlite3_errmsg(run->db));
        sqlite3_exec(run->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }

    return 0;
}


/* Waits for the rate's next slot, then books the one after. */
static void
jr_nl_pace(jr_nl_run_t *run)
{
    long             step;
    struct timespec  now;

    step = 1000000000L / (long) run->w->jobs->cf->mail.rate;

    clock_gettime(CLOCK_MONOTONIC, &now);

    if (now.tv_sec < run->next_send.tv_sec
        || (now.tv_sec == run->next_send.tv_sec
            && now.tv_nsec < run->next_send.tv_nsec))
    {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
                               &run->next_send, NULL) == EINTR)
        {
            /* void */
        }

        now = run->next_send;
    }

    run->next_send.tv_sec = now.tv_sec + (now.tv_nsec + step) / 1000000000L;
    run->next_send.tv_nsec = (now.tv_nsec + step) % 1000000000L;
}


/*
 * One message to one address: 0 sent, -1 not (run->smtp says why).
 * mid is the Message-ID's left part, the same on every attempt.
 */
static int
jr_nl_send_one(jr_nl_run_t *run, const char *to, const char *unsubscribe,
    const char *mid)
{
    int                    rc;
    char                  *message;
    size_t                 len;
    jr_mail_letter_t       msg;
    const jr_mail_conf_t  *mc;

    mc = &run->w->jobs->cf->mail;

    msg.from = mc->from;
    msg.from_addr = mc->from_addr;
    msg.to = to;
    msg.subject = run->letter.subject;
    msg.text = run->letter.text;
    msg.html = run->letter.html;
    msg.mark = JR_NL_MARK;
    msg.unsubscribe = unsubscribe;
    msg.now = time(NULL);
    msg.message_id = mid;

    message = jr_mail_letter_message(&msg, &len);
    if (message == NULL) {
        run->smtp.rc = CURLE_OUT_OF_MEMORY;
        run->smtp.reply = 0;
        run->smtp.err[0] = '\0';
        return -1;
    }

    jr_nl_pace(run);

    rc = jr_smtp_send(&run->smtp, to, message, len);

    free(message);

    return rc;
}


/*
 * Whether a failure is about its recipient: a 5xx to RCPT TO, or to the
 * message's DATA.  A 5xx to MAIL FROM or AUTH, refused TLS, is about the
 * sender: nobody is bounced for it.
 */
static int
jr_nl_recipient_refused(const jr_smtp_t *s)
{
    return s->reply >= 500 && s->reply <= 599
           && (strstr(s->err, "RCPT") != NULL
               || s->rc == CURLE_WEIRD_SERVER_REPLY);
}


/*
 * Commits the transaction a "sent" left open, if any; rolls it back when
 * it cannot.  SQLITE_OK or the commit's error.
 */
static int
jr_nl_end(sqlite3 *db)
{
    int  rc;

    if (sqlite3_get_autocommit(db)) {
        return SQLITE_OK;
    }

    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

    if (rc != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }

    return rc;
}


/*
 * Step 3: the due rows, one by one, for the run's slice.  0, or -1 when
 * the run must stop (an error of the database, or one that every message
 * would meet: the server down, the sender refused).
 */
static int
jr_nl_deliver(jr_nl_run_t *run)
{
    int            rc, n, refused;
    char           token[BLOG_NL_TOKEN_MAX + 1], mid[64], err[JR_WORK_ERRLEN];
    char          *url, *email;
    size_t         size;
    time_t         now, start, wait;
    int64_t        id, sub, last;
    unsigned       attempts, shift;
    jr_work_t     *w;
    jr_nl_t       *nl;
    sqlite3_stmt  *stmt;
    const jr_mail_conf_t  *mc;

    w = run->w;
    nl = run->nl;
    mc = &w->jobs->cf->mail;
    start = time(NULL);
    last = 0;

    /*
     * The next due row after the last one taken, walked in rowid order
     * from there (NOT INDEXED keeps the rowid range): the due index would
     * read and sort every row still queued for each message, N^2 for a
     * send.  Past the end, one walk from the start finds the retries that
     * have come due since.
     */
    rc = sqlite3_prepare_v2(run->db,
             "SELECT d.id, d.subscriber_id, d.attempts, s.email, s.status"
             "  FROM queue.deliveries AS d NOT INDEXED"
             "  LEFT JOIN main.subscribers AS s ON s.id = d.subscriber_id"
             " WHERE d.id > ?3 AND d.newsletter_id = ?1"
             "   AND d.status IN ('queued', 'sending') AND d.next_try <= ?2"
             " ORDER BY d.id LIMIT 1", -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        jr_work_fail(w, 0, "cannot read the deliveries: %s",
                     sqlite3_errmsg(run->db));
        return -1;
    }

    for ( ;; ) {
        now = time(NULL);

        if (now - start >= JR_NL_SLICE) {
            break;
        }

        sqlite3_reset(stmt);
        rc = sqlite3_bind_int64(stmt, 1, nl->id)
             | sqlite3_bind_int64(stmt, 2, now)
             | sqlite3_bind_int64(stmt, 3, last);

        if (rc == SQLITE_OK) {
            rc = sqlite3_step(stmt);
        }

        if (rc == SQLITE_DONE && last != 0) {
            last = 0;
            continue;
        }

        if (rc == SQLITE_DONE) {
            break;
        }

        if (rc != SQLITE_ROW) {
            goto db_failed;
        }

        id = sqlite3_column_int64(stmt, 0);
        last = id;
        sub = sqlite3_column_int64(stmt, 1);
        attempts = (unsigned) sqlite3_column_int(stmt, 2);

        /* unsubscribed, bounced or deleted since the send began */
        if (sqlite3_column_type(stmt, 3) == SQLITE_NULL
            || strcmp((const char *) sqlite3_column_text(stmt, 4), "active")
               != 0)
        {
            sqlite3_reset(stmt);
            rc = jr_nl_exec(run->db, "UPDATE queue.deliveries"
                            " SET status = 'skipped', updated_at = ?2"
                            " WHERE id = ?1", "ii", id, (int64_t) now);
            if (rc != SQLITE_OK) {
                goto db_failed;
            }

            continue;
        }

        email = strdup((const char *) sqlite3_column_text(stmt, 3));
        sqlite3_reset(stmt);

        if (email == NULL) {
            rc = SQLITE_NOMEM;
            goto db_failed;
        }

        /*
         * Committed before the SMTP transaction (see the top of the file),
         * with the previous message's "sent" when that one is pending.
         */
        rc = jr_nl_exec(run->db, "UPDATE queue.deliveries"
                        " SET status = 'sending', attempts = attempts + 1,"
                        "   updated_at = ?2 WHERE id = ?1",
                        "ii", id, (int64_t) now);
        if (rc == SQLITE_OK) {
            rc = jr_nl_end(run->db);
        }

        if (rc != SQLITE_OK) {
            free(email);
            goto db_failed;
        }

        attempts++;

        n = blog_nl_unsubscribe_sign(run->site.key, sub, token,
                                     sizeof(token));
        size = strlen(run->site.base_url) + sizeof(JR_NL_UNSUBSCRIBE_ROUTE)
               + (n > 0 ? (size_t) n : 0);
        url = (n > 0) ? malloc(size) : NULL;

        if (url == NULL) {
            free(email);
            jr_work_fail(w, 0, "cannot make the unsubscribe link");
            sqlite3_finalize(stmt);
            return -1;
        }

        snprintf(url, size, "%s" JR_NL_UNSUBSCRIBE_ROUTE "%s",
                 run->site.base_url, token);
        snprintf(mid, sizeof(mid), "nl-%lld-%lld", (long long) nl->id,
                 (long long) sub);

        rc = jr_nl_send_one(run, email, url, mid);

        free(url);
        free(email);
        now = time(NULL);

        if (rc == 0) {
            /*
             * "sent" is committed with the next message's "sending", or
             * when the run stops: one commit a message, not two, and still
             * before the next SMTP transaction starts.  A kill -9 before
             * it leaves this row "sending", as between the 250 and its
             * own commit: the one window for a second copy.
             */
            rc = sqlite3_exec(run->db, "BEGIN", NULL, NULL, NULL);
            if (rc == SQLITE_OK) {
                rc = jr_nl_exec(run->db, "UPDATE queue.deliveries"
                                " SET status = 'sent', sent_at = ?2,"
                                "   updated_at = ?2, last_error = NULL"
                                " WHERE id = ?1", "ii", id, (int64_t) now);
            }

            if (rc != SQLITE_OK) {
                goto db_failed;
            }

            nl->sent++;
            continue;
        }

        jr_smtp_error(&run->smtp, err, sizeof(err));
        refused = jr_nl_recipient_refused(&run->smtp);

        /*
         * No answer at all: the server is down or unreachable, which is no
         * fault of this message: it waits, its attempt not counted, and
         * the job is retried with the queue's backoff.
         */
        if (run->smtp.reply == 0) {
            rc = jr_nl_exec(run->db, "UPDATE queue.deliveries"
                            " SET status = 'queued', attempts = attempts - 1,"
                            "   last_error = ?2, updated_at = ?3"
                            " WHERE id = ?1", "isi", id, err, (int64_t) now);
            if (rc != SQLITE_OK) {
                goto db_failed;
            }

            sqlite3_finalize(stmt);
            jr_work_fail(w, 0, "%s", err);
            return -1;
        }

        if (refused) {
            /* data.db first: a crash between resends, and meets the 5xx */
            rc = jr_nl_exec(run->db, "UPDATE main.subscribers"
                            " SET status = 'bounced', bounced_at = ?2,"
                            "   updated_at = ?2"
                            " WHERE id = ?1 AND status = 'active'",
                            "ii", sub, (int64_t) now);
            if (rc == SQLITE_OK) {
                rc = jr_nl_exec(run->db, "UPDATE queue.deliveries"
                                " SET status = 'bounced', last_error = ?2,"
                                "   updated_at = ?3 WHERE id = ?1",
                                "isi", id, err, (int64_t) now);
            }

            if (rc != SQLITE_OK) {
                goto db_failed;
            }

            nl->bounced++;
            continue;
        }

        if (jr_smtp_permanent(&run->smtp) || attempts < mc->attempts) {
            shift = attempts > 16 ? 16 : attempts - 1;
            wait = (time_t) mc->retry << shift;
            wait = wait > JR_NL_BACKOFF_MAX ? JR_NL_BACKOFF_MAX : wait;

            rc = jr_nl_exec(run->db, "UPDATE queue.deliveries"
                            " SET status = 'queued', next_try = ?2,"
                            "   last_error = ?3, updated_at = ?4"
                            " WHERE id = ?1", "iisi", id,
                            (int64_t) (now + wait), err, (int64_t) now);
            nl->retried++;

        } else {
            rc = jr_nl_exec(run->db, "UPDATE queue.deliveries"
                            " SET status = 'failed', last_error = ?2,"
                            "   updated_at = ?3 WHERE id = ?1",
                            "isi", id, err, (int64_t) now);
            nl->failed++;
        }

        if (rc != SQLITE_OK) {
            goto db_failed;
        }

        /* the sender refused, TLS, AUTH: every message would meet it */
        if (jr_smtp_permanent(&run->smtp)) {
            sqlite3_finalize(stmt);
            jr_work_fail(w, 1, "%s", err);
            return -1;
        }
    }

    sqlite3_finalize(stmt);

    rc = jr_nl_end(run->db);
    if (rc != SQLITE_OK) {
        jr_work_fail(w, 0, "deliveries: %s", sqlite3_errstr(rc));
        return -1;
    }

    return 0;

db_failed:

    jr_work_fail(w, 0, "deliveries: %s", sqlite3_errstr(rc));
    sqlite3_finalize(stmt);

    /* what the transaction holds is worth keeping: a "sent" above all */
    (void) jr_nl_end(run->db);

    return -1;
}


/* Step 4: whether anything is left, and when it is due. */
static int
jr_nl_left(jr_nl_run_t *run)
{
    int            rc;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(run->db, "SELECT count(*), min(next_try)"
                            " FROM queue.deliveries WHERE newsletter_id = ?1"
                            " AND status IN ('queued', 'sending')",
                            -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(stmt, 1, run->nl->id);
    }

    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        run->nl->finished = sqlite3_column_int(stmt, 0) == 0;
        run->nl->next = (time_t) sqlite3_column_int64(stmt, 1);
        rc = SQLITE_OK;
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_OK) {
        jr_work_fail(run->w, 0, "cannot count the deliveries: %s",
                     sqlite3_errstr(rc));
        return -1;
    }

    return 0;
}


/* A test message: rendered as the newsletter, sent to one address. */
static void
jr_nl_test(jr_nl_run_t *run)
{
    char  rnd[33], mid[64], err[JR_WORK_ERRLEN], *url;

    if (jr_nl_render(run->w, run->db, &run->site, run->nl->post, &run->letter) != 0) {
        return;
    }

    if (blog_random_hex(rnd, 16) != 0) {
        jr_work_fail(run->w, 0, "no randomness from the kernel");
        return;
    }

    snprintf(mid, sizeof(mid), "nl-test-%s", rnd);

    url = malloc(strlen(run->site.base_url) + sizeof(JR_NL_UNSUBSCRIBE_ROUTE)
                 + sizeof("test"));
    if (url == NULL) {
        jr_work_fail(run->w, 0, "out of memory");
        return;
    }

    /* a test reader has no subscription: the link says it is invalid */
    sprintf(url, "%s" JR_NL_UNSUBSCRIBE_ROUTE "test", run->site.base_url);

    if (jr_nl_send_one(run, run->nl->test, url, mid) != 0) {
        jr_smtp_error(&run->smtp, err, sizeof(err));
        jr_work_fail(run->w, jr_smtp_permanent(&run->smtp), "%s", err);

    } else {
        run->nl->sent = 1;
        run->nl->finished = 1;
    }

    free(url);
}


static void
jr_nl_work_thread(jr_work_t *w)
{
    char          err[JR_WORK_ERRLEN];
    jr_nl_t      *nl;
    jr_nl_run_t   run;

    nl = w->data;

    memset(&run, 0, sizeof(run));
    run.w = w;
    run.nl = nl;

    if (nl->nobody
        || (nl->status != NULL && (strcmp(nl->status, "sent") == 0
                                   || strcmp(nl->status, "cancelled") == 0)))
    {
        nl->finished = 1;
        return;
    }

    run.db = jr_nl_db_open(w->jobs->cf, err, sizeof(err));
    if (run.db == NULL) {
        jr_work_fail(w, 0, "%s", err);
        return;
    }

    if (jr_nl_site_read(run.db, &run.site, err, sizeof(err)) != 0) {
        jr_work_fail(w, 1, "%s", err);
        goto done;
    }

    if (jr_smtp_open(&run.smtp, &w->jobs->cf->mail) != 0) {
        jr_work_fail(w, 0, "cannot create a libcurl handle");
        goto done;
    }

    run.smtp_open = 1;

    if (nl->test != NULL) {
        jr_nl_test(&run);
        goto done;
    }

    if (jr_nl_begin(&run) == 0 && jr_nl_deliver(&run) == 0) {
        (void) jr_nl_left(&run);
    }

done:

    if (run.smtp_open) {
        jr_smtp_close(&run.smtp);
    }

    jr_nl_site_free(&run.site);
    jr_nl_letter_free(&run.letter);
    sqlite3_close(run.db);
}


/* libcrypto's per-thread state freed after each run: see jr_mail.c */
static void
jr_nl_work(jr_work_t *w)
{
    jr_nl_work_thread(w);

    OPENSSL_thread_stop();
}


/*
 * Loop, in the ack's transaction: the counts and 'sent' when every row
 * has ended, else the next run.  Both idempotent: a rerun after a crash
 * between the two files' commits writes the same.
 */
static int
jr_nl_commit(jr_work_t *w, sqlite3 *db)
{
    int       rc;
    char      key[96], payload[96];
    time_t    now;
    jr_nl_t  *nl;

    nl = w->data;

    if (nl->test != NULL || nl->id == 0) {
        return 0;
    }

    now = time(NULL);

    if (nl->finished) {
        rc = jr_nl_exec(db, "UPDATE main.newsletters SET status = 'sent',"
                 "  finished_at = ?2,"
                 "  recipients = (SELECT count(*) FROM queue.deliveries"
                 "                WHERE newsletter_id = ?1),"
                 "  sent = (SELECT count(*) FROM queue.deliveries"
                 "          WHERE newsletter_id = ?1 AND status = 'sent'),"
                 "  failed = (SELECT count(*) FROM queue.deliveries"
                 "            WHERE newsletter_id = ?1 AND status = 'failed'),"
                 "  bounced = (SELECT count(*) FROM queue.deliveries"
                 "             WHERE newsletter_id = ?1"
                 "               AND status = 'bounced')"
                 " WHERE id = ?1 AND status IN ('queued', 'sending')",
                 "ii", nl->id, (int64_t) now);

        if (rc != SQLITE_OK) {
            jr_work_fail(w, 0, "cannot record the newsletter as sent: %s",
                         sqlite3_errmsg(db));
            return -1;
        }

        return 0;
    }

    snprintf(key, sizeof(key), "newsletter:%lld:%u", (long long) nl->post,
             nl->round + 1);
    snprintf(payload, sizeof(payload), "{\"post\": %lld, \"round\": %u}",
             (long long) nl->post, nl->round + 1);

    if (jr_queue_enqueue(&w->jobs->queue, "newsletter", key, payload,
                         nl->next > now ? nl->next : now) < 0)
    {
        jr_work_fail(w, 0, "cannot queue the newsletter's next run");
        return -1;
    }

    return 0;
}


static void
jr_nl_done(jr_work_t *w)
{
    jr_nl_t  *nl;

    nl = w->data;

    if (nl == NULL || w->failed) {
        return;
    }

    if (nl->test != NULL) {
        jr_log(JR_LOG_INFO, "newsletter job %lld: test of post %lld sent to "
               "<%s>", (long long) w->job.id, (long long) nl->post, nl->test);
        return;
    }

    jr_log(JR_LOG_INFO, "newsletter %lld (post %lld): %u sent, %u bounced, "
           "%u to retry, %u failed this run; %s", (long long) nl->id,
           (long long) nl->post, nl->sent, nl->bounced, nl->retried,
           nl->failed, nl->finished ? "every message has ended"
                                    : "more to send");
}


static void
jr_nl_free(jr_work_t *w)
{
    jr_nl_t  *nl;

    nl = w->data;

    if (nl == NULL) {
        return;
    }

    free(nl->test);
    free(nl->status);
    free(nl);
}


const jr_kind_t  jr_newsletter_kind = {
    .name = "newsletter",
    .prepare = jr_nl_prepare,
    .work = jr_nl_work,
    .commit = jr_nl_commit,
    .done = jr_nl_done,
    .free = jr_nl_free
};
