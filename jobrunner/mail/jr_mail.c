/*
 * The "mail" job: a sign-in code, asked for on the admin panel's sign-in
 * page (ngx_http_blog_login_code.c), which queues the job in data.db
 * with what the user typed:
 *
 *     {"template": "signin_code", "login": "admin", "address": "192.0.2.1",
 *      "asked_at": 1777636800, "ttl": 600}
 *
 * On the loop the user is looked up by name or e-mail address; an unknown
 * one, or one without an address, is done with nothing sent (the module
 * answered the same either way).  In a pool thread the code is made, its
 * hash stored in ttl.db (replacing the user's earlier code: the newest
 * mail is the one that works), and the mail sent through the [mail]
 * server with libcurl, whose easy interface blocks, hence the thread.
 *
 * The code is never stored in the clear: made here, it lives in memory
 * until the mail is sent.  A failed send voids it again, and the retry
 * makes a new one.  So a retry (or a rerun after a crash between the send
 * and the ack) can send a second mail, whose code replaces the first; it
 * never sends one that does not work.  A request older than its code's
 * lifetime is not sent any more: it ends dead, so a jobrunner that was
 * down shows in the panel's Jobs page.
 *
 * Without [mail] the code goes to the log at notice level instead, for a
 * development setup such as "make run".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "blog_code.h"
#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "jobs/jr_ttl.h"
#include "core/jr_log.h"
#include "mail/jr_mail.h"
#include "mail/jr_smtp.h"


#define JR_MAIL_LOGIN_MAX    254
#define JR_MAIL_ADDRESS_MAX  64
#define JR_MAIL_TTL_MIN      60
#define JR_MAIL_TTL_MAX      3600


typedef struct {
    int64_t      user;          /* 0: nothing to send */
    const char  *why_not;       /* then why, for the log */
    char        *name;
    char        *to;
    char        *title;
    char        *address;
    time_t       asked_at;
    long         ttl;
    char         code[BLOG_CODE_SHOWN_LEN + 1];
    char        *message;
    size_t       len;
    long         reply;         /* the server's last SMTP reply code */
} jr_mail_t;


/* curl_global_init() done: one curl_global_cleanup() is due */
static unsigned  jr_mail_curl;


/* Where the codes go, logged; with a server, libcurl set up on the loop. */
static int
jr_mail_start(jr_jobs_t *jobs, void **ctx)
{
    CURLcode               rc;
    const jr_mail_conf_t  *mc;

    (void) ctx;

    mc = &jobs->cf->mail;

    if (mc->smtp_url == NULL) {
        jr_log(JR_LOG_INFO, "mail: no [mail] smtp_url: sign-in codes are "
               "written to this log, not sent");
        return 0;
    }

    jr_log(JR_LOG_INFO, "mail: sign-in codes are sent through %s as %s%s%s",
           mc->smtp_url, mc->from_addr, mc->dkim ? ", DKIM-signed with " : "",
           mc->dkim ? jr_dkim_algorithm(mc->dkim) : "");

    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        jr_log(JR_LOG_ERROR, "cannot initialize libcurl: %s",
               curl_easy_strerror(rc));
        return -1;
    }

    jr_mail_curl = 1;

    return 0;
}


static void
jr_mail_stop(void *ctx)
{
    (void) ctx;

    if (jr_mail_curl) {
        curl_global_cleanup();
        jr_mail_curl = 0;
    }
}


static char *
jr_mail_column(sqlite3_stmt *stmt, int col)
{
    const char  *s;

    s = (const char *) sqlite3_column_text(stmt, col);

    return strdup(s ? s : "");
}


/* The user typed, by name first, and the blog's title; 0 or -1. */
static int
jr_mail_user(jr_work_t *w, jr_mail_t *m, const char *login)
{
    int            rc;
    sqlite3       *db;
    sqlite3_stmt  *stmt;

    db = w->jobs->db;

    rc = sqlite3_prepare_v2(db,
             "SELECT id, name, email FROM users"
             " WHERE name = ?1 OR (email <> '' AND lower(email) = lower(?1))"
             " ORDER BY name = ?1 DESC LIMIT 1", -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        jr_work_fail(w, 0, "cannot look the user up: %s", sqlite3_errmsg(db));
        return -1;
    }

    rc = sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    if (rc == SQLITE_ROW) {
        m->user = sqlite3_column_int64(stmt, 0);
        m->name = jr_mail_column(stmt, 1);
        m->to = jr_mail_column(stmt, 2);
        rc = (m->name && m->to) ? SQLITE_DONE : SQLITE_NOMEM;

    } else if (rc == SQLITE_DONE) {
        m->why_not = "no user has that name or e-mail address";
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        jr_work_fail(w, 0, "cannot look the user up: %s", sqlite3_errstr(rc));
        return -1;
    }

    if (m->user == 0) {
        return 0;
    }

    if (m->to[0] == '\0') {
        m->user = 0;
        m->why_not = "the user has no e-mail address";
        return 0;
    }

    if (!blog_email_valid(m->to, strlen(m->to))) {
        jr_work_fail(w, 1, "user \"%s\" has an e-mail address that cannot "
                     "be mailed to", m->name);
        return -1;
    }

    m->title = jr_mail_blog_title(db, &rc);

    if (m->title == NULL) {
        jr_work_fail(w, 0, "cannot read the blog's title: %s",
                     sqlite3_errstr(rc));
        return -1;
    }

    return 0;
}


char *
jr_mail_blog_title(sqlite3 *db, int *rc)
{
    char          *title;
    sqlite3_stmt  *stmt;

    *rc = sqlite3_prepare_v2(db, "SELECT value FROM settings"
                             " WHERE key = 'title'", -1, &stmt, NULL);
    if (*rc == SQLITE_OK) {
        *rc = sqlite3_step(stmt);
    }

    title = (*rc == SQLITE_ROW) ? jr_mail_column(stmt, 0)
            : (*rc == SQLITE_DONE) ? strdup("") : NULL;

    sqlite3_finalize(stmt);

    if (title == NULL && (*rc == SQLITE_ROW || *rc == SQLITE_DONE)) {
        *rc = SQLITE_NOMEM;
    }

    return title;
}


static int
jr_mail_prepare(jr_work_t *w)
{
    char           when[32];
    time_t         now;
    json_t        *tpl, *login, *address, *asked, *ttl;
    jr_mail_t     *m;
    struct tm      tm;

    tpl = json_object_get(w->payload, "template");
    login = json_object_get(w->payload, "login");
    address = json_object_get(w->payload, "address");
    asked = json_object_get(w->payload, "asked_at");
    ttl = json_object_get(w->payload, "ttl");

    if (!json_is_string(tpl)
        || strcmp(json_string_value(tpl), "signin_code") != 0)
    {
        jr_work_fail(w, 1, "unknown mail template (expected "
                     "\"signin_code\")");
        return -1;
    }

    if (!json_is_string(login) || json_string_length(login) == 0
        || json_string_length(login) > JR_MAIL_LOGIN_MAX
        || !json_is_string(address)
        || json_string_length(address) > JR_MAIL_ADDRESS_MAX
        || !json_is_integer(asked) || !json_is_integer(ttl)
        || json_integer_value(ttl) < JR_MAIL_TTL_MIN
        || json_integer_value(ttl) > JR_MAIL_TTL_MAX)
    {
        jr_work_fail(w, 1, "payload needs login, address, asked_at and ttl "
                     "(%d to %d s)", JR_MAIL_TTL_MIN, JR_MAIL_TTL_MAX);
        return -1;
    }

    if (w->jobs->cf->jobs.ttl_db == NULL) {
        jr_work_fail(w, 1, "no ttl_db in [jobrunner]: sign-in codes are "
                     "kept there");
        return -1;
    }

    now = time(NULL);

    if (now >= json_integer_value(asked) + json_integer_value(ttl)) {
        now = (time_t) json_integer_value(asked);
        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);

        jr_work_fail(w, 1, "the sign-in code asked for at %s expired before "
                     "it could be sent%s", when,
                     w->job.attempts > 1 ? " (the log has the earlier "
                                           "attempts' errors)" : "");
        return -1;
    }

    m = calloc(1, sizeof(jr_mail_t));
    if (m == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    w->data = m;
    m->asked_at = (time_t) json_integer_value(asked);
    m->ttl = (long) json_integer_value(ttl);
    m->address = strdup(json_string_value(address));

    if (m->address == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    return jr_mail_user(w, m, json_string_value(login));
}


/* The user's code is now this one; or none (code NULL).  0 or -1. */
static int
jr_mail_store(jr_work_t *w, sqlite3 *db, const char *hash, time_t now)
{
    int            rc;
    jr_mail_t     *m;
    sqlite3_stmt  *stmt;

    m = w->data;

    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db, "DELETE FROM one_time_codes"
                                " WHERE purpose = ?1 AND subject = ?2",
                                -1, &stmt, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_bind_text(stmt, 1, BLOG_CODE_SIGNIN, -1,
                                   SQLITE_STATIC)
                 | sqlite3_bind_int64(stmt, 2, m->user);
            rc = (rc == SQLITE_OK) ? sqlite3_step(stmt) : rc;
            rc = (rc == SQLITE_DONE) ? SQLITE_OK : rc;
            sqlite3_finalize(stmt);
        }
    }

    if (rc == SQLITE_OK && hash != NULL) {
        rc = sqlite3_prepare_v2(db, "INSERT INTO one_time_codes (code,"
                                " purpose, subject, expires_at, attempts,"
                                " created_at) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                                -1, &stmt, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_bind_text(stmt, 1, hash, -1, SQLITE_STATIC)
                 | sqlite3_bind_text(stmt, 2, BLOG_CODE_SIGNIN, -1,
                                     SQLITE_STATIC)
                 | sqlite3_bind_int64(stmt, 3, m->user)
                 | sqlite3_bind_int64(stmt, 4, now + m->ttl)
                 | sqlite3_bind_int64(stmt, 5, now);
            rc = (rc == SQLITE_OK) ? sqlite3_step(stmt) : rc;
            rc = (rc == SQLITE_DONE) ? SQLITE_OK : rc;
            sqlite3_finalize(stmt);
        }
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }

    if (rc != SQLITE_OK) {
        jr_work_fail(w, 0, "cannot store the sign-in code in ttl.db: %s",
                     sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }

    return 0;
}


static void
jr_mail_send(jr_work_t *w)
{
    char        err[JR_WORK_ERRLEN];
    jr_mail_t  *m;
    jr_smtp_t   smtp;

    m = w->data;

    if (jr_smtp_open(&smtp, &w->jobs->cf->mail) != 0) {
        jr_work_fail(w, 0, "cannot create a libcurl handle");
        return;
    }

    if (jr_smtp_send(&smtp, m->to, m->message, m->len) != 0) {
        jr_smtp_error(&smtp, err, sizeof(err));
        jr_work_fail(w, jr_smtp_permanent(&smtp), "%s", err);
    }

    m->reply = smtp.reply;

    jr_smtp_close(&smtp);
}


static void jr_mail_work_thread(jr_work_t *w);


/*
 * libcrypto keeps per-thread state (its error queue, the random generators
 * TLS draws from) that it frees only when a thread exits, and libuv's pool
 * threads outlive libcrypto's own cleanup at exit: leaked then.  Freed
 * after each mail instead; the next one sets it up again, cheaply.
 */
static void
jr_mail_work(jr_work_t *w)
{
    jr_mail_work_thread(w);

    OPENSSL_thread_stop();
}


static void
jr_mail_work_thread(jr_work_t *w)
{
    char                   code[BLOG_CODE_LEN + 1], rnd[BLOG_CODE_LEN + 1];
    char                   hash[BLOG_CODE_HASH_LEN + 1], dberr[512], id[64];
    time_t                 now;
    sqlite3               *db;
    jr_mail_t             *m;
    jr_mail_signin_t       msg;
    const jr_mail_conf_t  *mc;

    m = w->data;
    mc = &w->jobs->cf->mail;

    if (m->user == 0) {
        return;
    }

    /* the Message-ID's random part is a second code, never the first */
    if (blog_code_new(code) != 0 || blog_code_new(rnd) != 0) {
        jr_work_fail(w, 0, "no randomness from the kernel");
        return;
    }

    if (blog_code_hash(BLOG_CODE_SIGNIN, m->user, code, hash) != 0) {
        explicit_bzero(code, sizeof(code));
        jr_work_fail(w, 0, "cannot hash the code: libcrypto failed");
        return;
    }

    blog_code_show(code, m->code);
    explicit_bzero(code, sizeof(code));

    db = jr_ttl_open(w->jobs->cf->jobs.ttl_db, dberr, sizeof(dberr));
    if (db == NULL) {
        jr_work_fail(w, 0, "%s", dberr);
        return;
    }

    now = time(NULL);

    if (jr_mail_store(w, db, hash, now) != 0 || mc->smtp_url == NULL) {
        /* without [mail], done() writes the code to the log */
        sqlite3_close(db);
        return;
    }

    snprintf(id, sizeof(id), "%lld.%lld.%s", (long long) now,
             (long long) w->job.id, rnd);

    msg.from = mc->from;
    msg.from_addr = mc->from_addr;
    msg.to = m->to;
    msg.name = m->name;
    msg.title = m->title;
    msg.code = m->code;
    msg.address = m->address;
    msg.asked_at = m->asked_at;
    msg.ttl = m->ttl;
    msg.now = now;
    msg.message_id = id;

    m->message = jr_mail_signin_message(&msg, &m->len);

    if (m->message == NULL) {
        jr_work_fail(w, 0, "out of memory");

    } else {
        jr_mail_send(w);
    }

    /* a code that did not go out must not work: the retry makes another */
    if (w->failed) {
        (void) jr_mail_store(w, db, NULL, now);
    }

    sqlite3_close(db);
}


static void
jr_mail_done(jr_work_t *w)
{
    jr_mail_t             *m;
    const jr_mail_conf_t  *mc;

    m = w->data;
    mc = &w->jobs->cf->mail;

    if (m == NULL || w->failed) {
        return;
    }

    if (m->user == 0) {
        jr_log(JR_LOG_INFO, "mail job %lld: no sign-in code sent: %s",
               (long long) w->job.id, m->why_not);
        return;
    }

    if (mc->smtp_url == NULL) {
        jr_log(JR_LOG_NOTICE, "mail job %lld: sign-in code for \"%s\" <%s>: "
               "%s (valid %ld min; no [mail] smtp_url, so it is written here "
               "instead of sent)", (long long) w->job.id, m->name, m->to,
               m->code, m->ttl / 60);
        return;
    }

    jr_log(JR_LOG_INFO, "mail job %lld: sign-in code for \"%s\" sent to <%s> "
           "through %s (SMTP %ld, attempt %u)", (long long) w->job.id,
           m->name, m->to, mc->smtp_url, m->reply, w->job.attempts);
}


static void
jr_mail_free(jr_work_t *w)
{
    jr_mail_t  *m;

    m = w->data;

    if (m == NULL) {
        return;
    }

    if (m->message != NULL) {
        explicit_bzero(m->message, m->len);
        free(m->message);
    }

    explicit_bzero(m->code, sizeof(m->code));

    free(m->name);
    free(m->to);
    free(m->title);
    free(m->address);
    free(m);
}


const jr_kind_t  jr_mail_kind = {
    .name = "mail",
    .start = jr_mail_start,
    .stop = jr_mail_stop,
    .prepare = jr_mail_prepare,
    .work = jr_mail_work,
    .done = jr_mail_done,
    .free = jr_mail_free
};
