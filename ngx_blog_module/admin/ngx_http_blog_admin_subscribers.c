/*
 * The newsletter's subscribers in the panel (data.db's subscribers, its
 * migration 15):
 *
 *   subscribers[?q=TEXT&status=S]  newest first, searched in addresses and
 *                                  names, with the counts by status
 *   subscribers/import             POST: a CSV file of "email,name" rows
 *   subscribers/export.csv         every subscriber, as CSV (RFC 4180)
 *
 * An import adds the addresses it does not have: as "pending", each sent
 * a confirmation mail (the jobrunner's "subscribe" job, the same as the
 * blog's form), or, when the owner says they consented already, "active"
 * at once.  An address already there keeps its status: an import never
 * subscribes again someone who unsubscribed or bounced; consent only
 * makes a pending one active.  Every row is checked as the form checks
 * it; the refused ones are listed with their line.
 */

#include "admin/ngx_http_blog_admin.h"
#include "blog_csv.h"
#include "blog_newsletter.h"


#define NGX_HTTP_BLOG_SUBSCRIBERS_SHOWN  500

/* An import's rows at most: each is a write in the worker's loop. */
#define NGX_HTTP_BLOG_IMPORT_ROWS_MAX    20000

/* The refused rows an import lists; the others are only counted. */
#define NGX_HTTP_BLOG_IMPORT_REASONS     20

#define NGX_HTTP_BLOG_SEARCH_MAX         200


static const char  *ngx_http_blog_sub_status[] = {
    "pending", "active", "unsubscribed", "bounced", NULL
};


typedef struct {
    ngx_uint_t                added;
    ngx_uint_t                activated;
    ngx_uint_t                kept;
    ngx_uint_t                refused;
    ngx_uint_t                consent;
    ngx_array_t              *reasons;      /* scope items: line, why */
} ngx_http_blog_import_t;


static ngx_int_t ngx_http_blog_subscribers_list(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status,
    ngx_http_blog_import_t *im, const char *error);
static ngx_int_t ngx_http_blog_subscribers_counts(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *vars);
static ngx_int_t ngx_http_blog_subscribers_import(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
static ngx_int_t ngx_http_blog_subscribers_export(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);


ngx_int_t
ngx_http_blog_admin_subscribers(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest)
{
    if (rest->len == 0 && r->method != NGX_HTTP_POST) {
        return ngx_http_blog_subscribers_list(r, ctx, NGX_HTTP_OK, NULL,
                                              NULL);
    }

    if (rest->len == 6 && ngx_strncmp(rest->data, "import", 6) == 0
        && r->method == NGX_HTTP_POST)
    {
        return ngx_http_blog_subscribers_import(r, ctx);
    }

    if (rest->len == 10 && ngx_strncmp(rest->data, "export.csv", 10) == 0
        && r->method != NGX_HTTP_POST)
    {
        return ngx_http_blog_subscribers_export(r, ctx);
    }

    return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
               "Not found", "The admin panel has no such page.");
}


/*
 * The query's q and status, decoded as a form is; status one of the
 * known ones or "".
 */
static ngx_int_t
ngx_http_blog_subscribers_args(ngx_http_request_t *r, ngx_str_t *q,
    const char **status)
{
    ngx_uint_t           i;
    blog_form_t          form;
    const blog_field_t  *f;

    ngx_str_null(q);
    *status = "";

    if (r->args.len == 0) {
        return NGX_OK;
    }

    /* a query that is no form searches for nothing: the whole list */
    if (blog_form_parse(&form, (char *) r->args.data, r->args.len)
        != BLOG_FORM_OK)
    {
        return NGX_OK;
    }

    f = blog_form_get(&form, "q");

    if (f && f->len > 0 && f->len <= NGX_HTTP_BLOG_SEARCH_MAX) {
        q->data = ngx_pnalloc(r->pool, f->len);
        if (q->data == NULL) {
            blog_form_free(&form);
            return NGX_ERROR;
        }

        ngx_memcpy(q->data, f->value, f->len);
        q->len = f->len;
    }

    f = blog_form_get(&form, "status");

    for (i = 0; f && ngx_http_blog_sub_status[i]; i++) {
        if (ngx_strcmp(f->value, ngx_http_blog_sub_status[i]) == 0) {
            *status = ngx_http_blog_sub_status[i];
        }
    }

    blog_form_free(&form);

    return NGX_OK;
}


/* "%TEXT%" for LIKE ... ESCAPE '\': the search's own % and _ literal. */
static ngx_int_t
ngx_http_blog_like(ngx_http_request_t *r, ngx_str_t *q, ngx_str_t *like)
{
    u_char      *p;
    ngx_uint_t   i;

    p = ngx_pnalloc(r->pool, 2 * q->len + 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    like->data = p;
    *p++ = '%';

    for (i = 0; i < q->len; i++) {
        if (q->data[i] == '%' || q->data[i] == '_' || q->data[i] == '\\') {
            *p++ = '\\';
        }

        *p++ = q->data[i];
    }

    *p++ = '%';
    like->len = p - like->data;

    return NGX_OK;
}


static const ngx_http_blog_admin_col_t  ngx_http_blog_subscribers_cols[] = {
    { "id", NGX_HTTP_BLOG_ACOL_INT },
    { "email", NGX_HTTP_BLOG_ACOL_TEXT },
    { "name", NGX_HTTP_BLOG_ACOL_TEXT },
    { "status", NGX_HTTP_BLOG_ACOL_TEXT },
    { "source", NGX_HTTP_BLOG_ACOL_TEXT },
    { "created", NGX_HTTP_BLOG_ACOL_TIME },
    { "confirmed", NGX_HTTP_BLOG_ACOL_TIME },
    { NULL, NGX_HTTP_BLOG_ACOL_END }
};

static const ngx_http_blog_admin_list_t  ngx_http_blog_subscribers_rows = {
    "subscribers", ngx_http_blog_subscribers_cols, NULL,
    NGX_HTTP_BLOG_SUBSCRIBERS_SHOWN
};


static ngx_int_t
ngx_http_blog_subscribers_list(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status,
    ngx_http_blog_import_t *im, const char *error)
{
    u_char        *p;
    ngx_int_t      rc;
    ngx_str_t      q, like;
    const char    *only;
    ngx_array_t   *vars;
    sqlite3_stmt  *stmt;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_http_blog_subscribers_args(r, &q, &only) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_blog_like(r, &q, &like) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT id, email, name, status, source, created_at,"
               "  confirmed_at FROM subscribers"
               " WHERE (?1 = '' OR status = ?1)"
               "  AND (?2 = '%%' OR email LIKE ?2 ESCAPE '\\'"
               "       OR name LIKE ?2 ESCAPE '\\')"
               " ORDER BY id DESC LIMIT ?3",
               "sti", only, &like,
               (int64_t) NGX_HTTP_BLOG_SUBSCRIBERS_SHOWN + 1);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_blog_admin_list(r, ctx, stmt, &ngx_http_blog_subscribers_rows,
                                  vars);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_blog_subscribers_counts(r, ctx, vars) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    p = ngx_pnalloc(r->pool, sizeof("is_unsubscribed"));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(p, "is_%s%Z", only[0] ? only : "all");

    if (ngx_http_blog_scope_cstr(r, vars, "title", "Subscribers") != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, (char *) p, "1") != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "status", only) != NGX_OK
        || (q.len && ngx_http_blog_scope_str(r, vars, "q", q.data, q.len)
                     != NGX_OK)

        || (error && ngx_http_blog_scope_cstr(r, vars, "error", error)
                     != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (im && (ngx_http_blog_scope_cstr(r, vars, "imported", "1") != NGX_OK
               || ngx_http_blog_scope_int(r, vars, "im_added", im->added)
                  != NGX_OK
               || ngx_http_blog_scope_int(r, vars, "im_activated",
                                          im->activated) != NGX_OK
               || ngx_http_blog_scope_int(r, vars, "im_kept", im->kept)
                  != NGX_OK
               || ngx_http_blog_scope_int(r, vars, "im_refused", im->refused)
                  != NGX_OK
               || ngx_http_blog_scope_cstr(r, vars, im->consent
                                           ? "im_consent" : "im_confirm", "1")
                  != NGX_OK
               || ngx_http_blog_scope_list(vars, "im_reasons", im->reasons)
                  != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, status, BLOG_ATPL_SUBSCRIBERS,
                                    vars);
}


/* "count_pending" ... "count_bounced" and "count_all". */
static ngx_int_t
ngx_http_blog_subscribers_counts(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *vars)
{
    int            rc;
    int64_t        n[5];
    ngx_uint_t     i;
    const char    *s;
    sqlite3_stmt  *stmt;

    static const char  *names[] = {
        "count_pending", "count_active", "count_unsubscribed",
        "count_bounced", "count_all"
    };

    ngx_memzero(n, sizeof(n));

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT status, count(*) FROM subscribers GROUP BY status", "");
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        s = (const char *) sqlite3_column_text(stmt, 0);

        for (i = 0; s && ngx_http_blog_sub_status[i]; i++) {
            if (ngx_strcmp(s, ngx_http_blog_sub_status[i]) == 0) {
                n[i] = sqlite3_column_int64(stmt, 1);
                n[4] += n[i];
            }
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "subscriber counts");
        return NGX_ERROR;
    }

    /* the scope keeps the names, not copies */
    for (i = 0; i < 5; i++) {
        if (ngx_http_blog_scope_int(r, vars, names[i], n[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* A refused row into im->reasons, the first few only. */
static ngx_int_t
ngx_http_blog_import_refuse(ngx_http_request_t *r, ngx_http_blog_import_t *im,
    ngx_uint_t line, const char *why)
{
    ngx_array_t  *item;

    if (im->refused++ >= NGX_HTTP_BLOG_IMPORT_REASONS) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: subscriber import: line %ui refused: %s",
                  line, why);

    item = ngx_http_blog_scope_item(r->pool, im->reasons, 2);
    if (item == NULL
        || ngx_http_blog_scope_int(r, item, "line", line) != NGX_OK
        || ngx_http_blog_scope_cstr(r, item, "why", why) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* A field without the blanks around it. */
static void
ngx_http_blog_import_trim(ngx_str_t *s)
{
    while (s->len && (s->data[0] == ' ' || s->data[0] == '\t')) {
        s->data++;
        s->len--;
    }

    while (s->len && (s->data[s->len - 1] == ' '
                      || s->data[s->len - 1] == '\t'))
    {
        s->len--;
    }
}


/*
 * One row: its address and name checked, then added, made active, or
 * kept as it is.  NGX_OK, NGX_DECLINED (refused, with why), NGX_ERROR
 * (the database: the import is rolled back).
 */
static ngx_int_t
ngx_http_blog_import_row(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_import_t *im,
    ngx_str_t *email, ngx_str_t *name, const char **why)
{
    int                    rc;
    size_t                 i;
    int64_t                now;
    ngx_str_t              status;
    sqlite3_stmt          *stmt;
    ngx_http_blog_conn_t  *data;

    data = ctx->alcf->data;
    now = (int64_t) ngx_time();

    if (!blog_email_valid((char *) email->data, email->len)) {
        *why = "not an e-mail address";
        return NGX_DECLINED;
    }

    if (name->len > BLOG_NL_NAME_MAX
        || !blog_utf8_valid((char *) name->data, name->len))
    {
        *why = "the name is too long or not UTF-8";
        return NGX_DECLINED;
    }

    for (i = 0; i < name->len; i++) {
        if (name->data[i] < ' ' || name->data[i] == 0x7f) {
            *why = "the name has a control character";
            return NGX_DECLINED;
        }
    }

    stmt = ngx_http_blog_sql(r, data, "SELECT status FROM subscribers"
                             " WHERE email = ?1", "t", email);
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);
    ngx_str_null(&status);

    if (rc == SQLITE_ROW && ngx_http_blog_column(r, stmt, 0, &status)
                            != NGX_OK)
    {
        rc = SQLITE_NOMEM;
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, data, rc, "subscriber import");
        return NGX_ERROR;
    }

    if (rc == SQLITE_ROW) {
        if (!im->consent || status.len != 7
            || ngx_strncmp(status.data, "pending", 7) != 0)
        {
            im->kept++;
            return NGX_OK;
        }

        rc = ngx_http_blog_sql_exec(r, data,
                 "UPDATE subscribers SET status = 'active',"
                 "  confirmed_at = ?2, updated_at = ?2"
                 " WHERE email = ?1 AND status = 'pending'",
                 "ti", email, now);
        im->activated++;
        return rc == SQLITE_OK ? NGX_OK : NGX_ERROR;
    }

    /* a pending one is confirmed when its link is followed */
    rc = ngx_http_blog_sql_exec(r, data,
             "INSERT INTO subscribers (email, name, status, source,"
             "  created_at, confirmed_at, updated_at)"
             " VALUES (?1, ?2, ?3, 'import', ?4,"
             "  CASE WHEN ?3 = 'active' THEN ?4 END, ?4)",
             "ttsi", email, name, im->consent ? "active" : "pending", now);

    /* the confirmation mail, as the blog's form asks for one */
    if (rc == SQLITE_OK && !im->consent) {
        rc = ngx_http_blog_sql_exec(r, data,
                 "INSERT INTO jobs (kind, payload, run_after, created_at,"
                 "  updated_at)"
                 " VALUES ('subscribe', json_object('email', ?1,"
                 "  'name', ?2, 'asked_at', ?3), ?3, ?3, ?3)",
                 "tti", email, name, now);
    }

    im->added++;

    return rc == SQLITE_OK ? NGX_OK : NGX_ERROR;
}


/* POST subscribers/import: multipart, file (CSV) and consent=yes. */
static ngx_int_t
ngx_http_blog_subscribers_import(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    int                     n;
    char                   *out;
    size_t                  i, pos, start;
    ngx_int_t               rc;
    ngx_str_t               email, name;
    ngx_uint_t              line, rows;
    const char             *why;
    blog_part_t            *file;
    blog_csv_field_t        f[2];
    const blog_field_t     *consent;
    ngx_http_blog_conn_t   *data;
    ngx_http_blog_import_t  im;

    data = ctx->alcf->data;
    file = ngx_http_blog_body_file(&ctx->body, "file");

    if (file == NULL || file->len == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog admin: subscriber import without a file");
        return ngx_http_blog_subscribers_list(r, ctx,
                   NGX_HTTP_BLOG_UNPROCESSABLE, NULL,
                   "Choose a CSV file of e-mail addresses and names to "
                   "import.");
    }

    ngx_memzero(&im, sizeof(ngx_http_blog_import_t));

    consent = ngx_http_blog_body_field(r, &ctx->body, "consent");
    im.consent = (consent && ngx_strcmp(consent->value, "yes") == 0);

    im.reasons = ngx_array_create(r->pool, 4, sizeof(blog_tpl_ctx_t));
    out = ngx_pnalloc(r->pool, file->len);

    if (im.reasons == NULL || out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_blog_sql_begin(r, data) != SQLITE_OK) {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Not done",
                   "The database is busy. Try again.");
    }

    pos = 0;
    line = 1;
    rows = 0;

    for ( ;; ) {
        start = pos;
        n = blog_csv_record(file->data, file->len, &pos, out, f, 2);

        if (n == 0) {
            break;
        }

        rc = NGX_OK;

        if (n < 0) {
            rc = ngx_http_blog_import_refuse(r, &im, line, "not CSV (a "
                                             "quote not closed, or text "
                                             "after one)");
            goto next;
        }

        email.data = (u_char *) out + f[0].off;
        email.len = f[0].len;
        ngx_http_blog_import_trim(&email);

        ngx_str_null(&name);

        if (n > 1) {
            name.data = (u_char *) out + f[1].off;
            name.len = f[1].len;
            ngx_http_blog_import_trim(&name);
        }

        /* blank lines, and a first line of column names */
        if ((n == 1 && email.len == 0)
            || (start == 0 && email.len == 5
                && ngx_strncasecmp(email.data, (u_char *) "email", 5) == 0))
        {
            goto next;
        }

        if (n > 2) {
            rc = ngx_http_blog_import_refuse(r, &im, line, "more than two "
                                             "columns (email,name)");
            goto next;
        }

        if (++rows > NGX_HTTP_BLOG_IMPORT_ROWS_MAX) {
            rc = ngx_http_blog_import_refuse(r, &im, line, "over the 20000 "
                                             "rows of one import: import "
                                             "the rest in another file");
            goto next;
        }

        rc = ngx_http_blog_import_row(r, ctx, &im, &email, &name, &why);

        if (rc == NGX_DECLINED) {
            rc = ngx_http_blog_import_refuse(r, &im, line, why);
        }

    next:

        if (rc == NGX_ERROR) {
            ngx_http_blog_sql_rollback(data);
            return ngx_http_blog_admin_message(r, ctx,
                       NGX_HTTP_SERVICE_UNAVAILABLE, "Not done",
                       "The database did not take the import (it may be "
                       "busy); nothing of it was saved. Try again.");
        }

        /* the record's lines, quoted line breaks too */
        for (i = start; i < pos; i++) {
            line += (file->data[i] == '\n');
        }
    }

    if (ngx_http_blog_sql_commit(r, data) != SQLITE_OK) {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Not done",
                   "The database did not take the import (it may be busy); "
                   "nothing of it was saved. Try again.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: \"%V\" imported subscribers (%s): %ui added, "
                  "%ui made active, %ui already there, %ui refused",
                  &ctx->user_name, im.consent ? "consented" : "to confirm",
                  im.added, im.activated, im.kept, im.refused);

    return ngx_http_blog_subscribers_list(r, ctx, NGX_HTTP_OK, &im, NULL);
}


/* An ISO 8601 time, or nothing for NULL. */
static int
ngx_http_blog_csv_time(blog_buf_t *b, sqlite3_stmt *stmt, int col)
{
    u_char    t[sizeof("2026-12-06T03:25:00Z")];
    ngx_tm_t  tm;

    if (sqlite3_column_type(stmt, col) == SQLITE_NULL) {
        return 0;
    }

    ngx_gmtime((time_t) sqlite3_column_int64(stmt, col), &tm);
    ngx_sprintf(t, "%4d-%02d-%02dT%02d:%02d:%02dZ", tm.ngx_tm_year,
                tm.ngx_tm_mon, tm.ngx_tm_mday, tm.ngx_tm_hour, tm.ngx_tm_min,
                tm.ngx_tm_sec);

    return blog_buf_append(b, (char *) t, sizeof(t) - 1);
}


/* A text column as a CSV field. */
static int
ngx_http_blog_csv_text(blog_buf_t *b, sqlite3_stmt *stmt, int col,
    u_char **tmp, size_t *size)
{
    size_t       len;
    const char  *s;

    s = (const char *) sqlite3_column_text(stmt, col);
    len = (size_t) sqlite3_column_bytes(stmt, col);

    if (s == NULL) {
        return 0;
    }

    if (BLOG_CSV_FIELD_MAX(len) > *size) {
        free(*tmp);
        *size = BLOG_CSV_FIELD_MAX(len);
        *tmp = malloc(*size);

        if (*tmp == NULL) {
            return -1;
        }
    }

    return blog_buf_append(b, (char *) *tmp,
                           blog_csv_field(s, len, (char *) *tmp));
}


/* GET subscribers/export.csv: every subscriber, oldest first. */
static ngx_int_t
ngx_http_blog_subscribers_export(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    int                  rc, failed, col;
    u_char              *tmp;
    size_t               size;
    blog_buf_t           out;
    sqlite3_stmt        *stmt;
    ngx_pool_cleanup_t  *cln;

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT email, name, status, source, created_at,"
               "  confirmed_at, unsubscribed_at, bounced_at"
               " FROM subscribers ORDER BY id", "");
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ngx_memzero(&out, sizeof(blog_buf_t));
    tmp = NULL;
    size = 0;

    failed = blog_buf_lit(&out, "email,name,status,source,created,"
                          "confirmed,unsubscribed,bounced\r\n");

    while (!failed && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (col = 0; col < 4 && !failed; col++) {
            failed = ngx_http_blog_csv_text(&out, stmt, col, &tmp, &size)
                     || blog_buf_lit(&out, ",");
        }

        for (col = 4; col < 8 && !failed; col++) {
            failed = ngx_http_blog_csv_time(&out, stmt, col)
                     || blog_buf_append(&out, col < 7 ? "," : "\r\n",
                                        col < 7 ? 1 : 2);
        }
    }

    sqlite3_finalize(stmt);
    free(tmp);

    if (failed) {
        free(out.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != SQLITE_DONE) {
        free(out.data);
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "subscriber export");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        free(out.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = free;
    cln->data = out.data;

    if (ngx_http_blog_security_headers(r, NULL) != NGX_OK
        || ngx_http_blog_header(r, "Content-Disposition",
                                "attachment; filename=\"subscribers.csv\"")
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: \"%V\" exported the subscribers",
                  &ctx->user_name);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = out.len;
    ngx_str_set(&r->headers_out.content_type, "text/csv");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    ngx_str_set(&r->headers_out.charset, "utf-8");

    return ngx_http_blog_send_body(r, (u_char *) out.data, out.len);
}
