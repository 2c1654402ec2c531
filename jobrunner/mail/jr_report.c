/*
 * The "report" job: the analytics of the last week or month e-mailed to
 * [report] to, through [mail] (docs/dashboard.md).  The timers
 * "report.weekly" and "report.monthly" enqueue it with their slot:
 *
 *     {"timer": "report.weekly", "slot": 1796540400}
 *
 * The period is the slot's: the seven UTC days before the slot's day, or
 * the month before the slot's month, so a run late (the jobrunner was
 * down) or again (a retry) reports the same days.  The numbers come from
 * the query engine (lib/blog_stats.h), as the dashboard's: the six top
 * figures with the change against the period before, the top pages and
 * the top sources.  In a pool thread analytics.db is opened read-only,
 * the queries run and the mail is sent with libcurl (jr_smtp.c); without
 * [mail] the text part is written to the log instead.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "blog_analytics_schema.h"
#include "blog_code.h"
#include "blog_db.h"
#include "blog_figures.h"
#include "blog_stats.h"
#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "core/jr_log.h"
#include "mail/jr_mail.h"
#include "mail/jr_smtp.h"


#define JR_REPORT_BUSY_MS  5000


typedef struct {
    int                   monthly;
    blog_range_t          range;
    char                 *title;

    blog_stats_sums_t     cur;
    blog_stats_sums_t     prev;
    blog_range_t          prev_range;
    jr_mail_row_t        *pages;
    size_t                npages;
    jr_mail_row_t        *sources;
    size_t                nsources;

    char                 *message;
    size_t                len;
    long                  reply;
} jr_report_t;


static int
jr_report_prepare(jr_work_t *w)
{
    int           rc;
    json_t       *timer, *slot;
    int64_t       day;
    jr_report_t  *rp;

    timer = json_object_get(w->payload, "timer");
    slot = json_object_get(w->payload, "slot");

    if (!json_is_string(timer) || !json_is_integer(slot)
        || json_integer_value(slot) < 86400)
    {
        jr_work_fail(w, 1, "payload needs the timer and its slot");
        return -1;
    }

    rp = calloc(1, sizeof(jr_report_t));
    if (rp == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    w->data = rp;
    rp->monthly = strcmp(json_string_value(timer), JR_REPORT_MONTHLY) == 0;
    day = json_integer_value(slot) / 86400;

    if (rp->monthly) {
        (void) blog_range_named(&rp->range, "last_month", 10, day);

    } else {
        rp->range.from = day - 7;
        rp->range.to = day - 1;
    }

    rp->title = jr_mail_blog_title(w->jobs->db, &rc);

    if (rp->title == NULL) {
        jr_work_fail(w, 0, "cannot read the blog's title: %s",
                     sqlite3_errstr(rc));
        return -1;
    }

    return 0;
}


/*
 * Runs q over the report's range; its rows' first dimension and sums into
 * *rows.  Returns 0, or -1 after jr_work_fail().
 */
static int
jr_report_query(jr_work_t *w, sqlite3 *db, blog_stats_query_t *q,
    blog_stats_result_t *res)
{
    int           rc;
    char          err[BLOG_STATS_ERROR_SIZE];
    jr_report_t  *rp;

    rp = w->data;
    q->range = rp->range;
    err[0] = '\0';

    rc = blog_stats_run(db, q, res, err);
    blog_stats_query_free(q);

    if (rc != BLOG_STATS_OK) {
        /* a range beyond the raw rows is no weather: retries cannot help */
        jr_work_fail(w, rc == BLOG_STATS_EQUERY || rc == BLOG_STATS_ERANGE,
                     "analytics: %s", err[0] ? err : "out of memory");
        return -1;
    }

    return 0;
}


/* The top of one dimension, by visitors. */
static int
jr_report_top(jr_work_t *w, sqlite3 *db, blog_stats_dim_e dim,
    jr_mail_row_t **rows, size_t *n)
{
    size_t                i;
    const char           *key;
    blog_stats_query_t    q;
    blog_stats_result_t   res;

    blog_stats_query_init(&q);
    q.metrics[q.nmetrics++] = BLOG_STATS_VISITORS;
    q.metrics[q.nmetrics++] = BLOG_STATS_PAGEVIEWS;
    q.dims[q.ndims++] = dim;
    q.limit = w->jobs->cf->report.top;

    memset(&res, 0, sizeof(res));

    if (jr_report_query(w, db, &q, &res) != 0) {
        return -1;
    }

    *rows = calloc(res.nrows ? res.nrows : 1, sizeof(jr_mail_row_t));

    for (i = 0; *rows != NULL && i < res.nrows; i++) {
        key = res.rows[i].dims[0] ? res.rows[i].dims[0] : "";

        (*rows)[i].key = strdup(key);
        if ((*rows)[i].key == NULL) {
            break;
        }

        (*rows)[i].visitors = res.rows[i].sums.visitors;
        (*rows)[i].views = res.rows[i].sums.views;
        *n = i + 1;
    }

    if (*rows == NULL || i < res.nrows) {
        blog_stats_result_free(&res);
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    blog_stats_result_free(&res);

    return 0;
}


static int
jr_report_numbers(jr_work_t *w, sqlite3 *db)
{
    size_t                m;
    jr_report_t          *rp;
    blog_stats_query_t    q;
    blog_stats_result_t   res;

    rp = w->data;

    blog_stats_query_init(&q);

    for (m = 0; m < BLOG_STATS_NMETRICS; m++) {
        q.metrics[q.nmetrics++] = m;
    }

    q.compare = 1;
    memset(&res, 0, sizeof(res));

    if (jr_report_query(w, db, &q, &res) != 0) {
        return -1;
    }

    blog_figure_sums(&res, &rp->cur, &rp->prev);
    rp->prev_range = res.prev_range;
    blog_stats_result_free(&res);

    if (jr_report_top(w, db, BLOG_STATS_PAGE, &rp->pages, &rp->npages) != 0
        || jr_report_top(w, db, BLOG_STATS_SOURCE, &rp->sources,
                         &rp->nsources) != 0)
    {
        return -1;
    }

    return 0;
}


/* The mail, from the numbers; 0 or -1 after jr_work_fail(). */
static int
jr_report_compose(jr_work_t *w)
{
    char                    id[64], boundary[64];
    char                    rnd[BLOG_CODE_LEN + 1], rnd2[BLOG_CODE_LEN + 1];
    char                    first[BLOG_RANGE_DATE_SIZE];
    char                    last[BLOG_RANGE_DATE_SIZE];
    char                    pfirst[BLOG_RANGE_DATE_SIZE];
    char                    plast[BLOG_RANGE_DATE_SIZE];
    size_t                  m;
    time_t                  now;
    jr_report_t            *rp;
    blog_figure_t           f[BLOG_STATS_NMETRICS];
    jr_mail_report_t        msg;
    const jr_config_t      *cf;

    rp = w->data;
    cf = w->jobs->cf;
    now = time(NULL);

    if (blog_code_new(rnd) != 0 || blog_code_new(rnd2) != 0) {
        jr_work_fail(w, 0, "no randomness from the kernel");
        return -1;
    }

    snprintf(id, sizeof(id), "%lld.%lld.%s", (long long) now,
             (long long) w->job.id, rnd);
    snprintf(boundary, sizeof(boundary), "=_report_%s", rnd2);

    blog_range_format(rp->range.from, first);
    blog_range_format(rp->range.to, last);
    blog_range_format(rp->prev_range.from, pfirst);
    blog_range_format(rp->prev_range.to, plast);

    memset(&msg, 0, sizeof(msg));

    for (m = 0; m < BLOG_STATS_NMETRICS; m++) {
        blog_figure(m, &rp->cur, &rp->prev, &f[m]);
        msg.labels[m] = blog_figure_labels[m];
        msg.values[m] = f[m].value;
        msg.changes[m] = f[m].change;
    }

    msg.nfigures = BLOG_STATS_NMETRICS;
    msg.from = cf->mail.from ? cf->mail.from : "jobrunner";
    msg.from_addr = cf->mail.from_addr ? cf->mail.from_addr : "localhost";
    msg.to = cf->report.to;
    msg.nto = cf->report.nto;
    msg.title = rp->title;
    msg.period = rp->monthly ? "Monthly" : "Weekly";
    msg.first = first;
    msg.last = last;
    msg.prev_first = pfirst;
    msg.prev_last = plast;
    msg.pages = rp->pages;
    msg.npages = rp->npages;
    msg.sources = rp->sources;
    msg.nsources = rp->nsources;
    msg.now = now;
    msg.message_id = id;
    msg.boundary = boundary;

    rp->message = jr_mail_report_message(&msg, &rp->len);

    if (rp->message == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    return 0;
}


/* The message to the addresses of [report] to, in one SMTP transaction. */
static void
jr_report_send(jr_work_t *w, jr_report_t *rp, const jr_config_t *cf)
{
    char       err[JR_WORK_ERRLEN];
    jr_smtp_t  smtp;

    if (jr_smtp_open(&smtp, &cf->mail) != 0) {
        jr_work_fail(w, 0, "cannot create a libcurl handle");
        return;
    }

    if (jr_smtp_send_all(&smtp, (const char *const *) cf->report.to,
                         cf->report.nto, rp->message, rp->len)
        != 0)
    {
        jr_smtp_error(&smtp, err, sizeof(err));
        jr_work_fail(w, jr_smtp_permanent(&smtp), "%s", err);
    }

    rp->reply = smtp.reply;

    jr_smtp_close(&smtp);
}


static void
jr_report_work_thread(jr_work_t *w)
{
    sqlite3            *db;
    jr_report_t        *rp;
    blog_db_error_t     dberr;
    const jr_config_t  *cf;

    rp = w->data;
    cf = w->jobs->cf;

    if (blog_db_open(&db, cf->analytics_db, &blog_analytics_schema,
                     BLOG_DB_QUERY_ONLY | BLOG_DB_ONE_THREAD,
                     JR_REPORT_BUSY_MS, &dberr)
        != SQLITE_OK)
    {
        jr_work_fail(w, 0, "analytics_db \"%s\": %s", cf->analytics_db,
                     dberr.msg);
        sqlite3_close(db);
        return;
    }

    if (jr_report_numbers(w, db) != 0 || jr_report_compose(w) != 0) {
        sqlite3_close(db);
        return;
    }

    sqlite3_close(db);

    if (cf->mail.smtp_url != NULL) {
        jr_report_send(w, rp, cf);
    }
}


/* libcrypto's per-thread state, freed as after a sign-in mail (jr_mail.c) */
static void
jr_report_work(jr_work_t *w)
{
    jr_report_work_thread(w);

    OPENSSL_thread_stop();
}


static void
jr_report_done(jr_work_t *w)
{
    char                first[BLOG_RANGE_DATE_SIZE];
    char                last[BLOG_RANGE_DATE_SIZE];
    char               *text, *end;
    jr_report_t        *rp;
    const jr_config_t  *cf;

    rp = w->data;
    cf = w->jobs->cf;

    if (rp == NULL || w->failed) {
        return;
    }

    blog_range_format(rp->range.from, first);
    blog_range_format(rp->range.to, last);

    if (cf->mail.smtp_url) {
        jr_log(JR_LOG_INFO, "report job %lld: %s report of %s to %s sent to "
               "%zu address%s through %s (SMTP %ld)", (long long) w->job.id,
               rp->monthly ? "monthly" : "weekly", first, last,
               cf->report.nto, cf->report.nto == 1 ? "" : "es",
               cf->mail.smtp_url, rp->reply);
        return;
    }

    /* the text part: from its blank line to the boundary after it */
    text = strstr(rp->message, "8bit\r\n\r\n");
    end = text ? strstr(text, "\r\n--=_report_") : NULL;

    jr_log(JR_LOG_NOTICE, "report job %lld: no [mail] smtp_url, so the %s "
           "report of %s to %s is written here instead of sent:\n%.*s",
           (long long) w->job.id, rp->monthly ? "monthly" : "weekly", first,
           last, text && end ? (int) (end - text - 8) : 0,
           text ? text + 8 : "");
}


static void
jr_report_rows_free(jr_mail_row_t *rows, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(rows[i].key);
    }

    free(rows);
}


static void
jr_report_free(jr_work_t *w)
{
    jr_report_t  *rp;

    rp = w->data;

    if (rp == NULL) {
        return;
    }

    jr_report_rows_free(rp->pages, rp->npages);
    jr_report_rows_free(rp->sources, rp->nsources);
    free(rp->message);
    free(rp->title);
    free(rp);
}


/* libcurl is set up once, by the "mail" kind's start hook */
const jr_kind_t  jr_report_kind = {
    .name = JR_TASK_REPORT,
    .shares = &jr_mail_kind,
    .prepare = jr_report_prepare,
    .work = jr_report_work,
    .done = jr_report_done,
    .free = jr_report_free
};
