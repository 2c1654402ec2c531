/*
 * The newsletter's pages on a blog location with "blog_newsletter on"
 * (docs/newsletter.md):
 *
 *   GET  subscribe              the form alone (the theme shows it on
 *                               every page too: works without JavaScript)
 *   POST subscribe              email, name: queues the confirmation mail
 *   GET  subscribe/confirm?t=T  a button to confirm (no change on a GET:
 *                               mail scanners follow links)
 *   POST subscribe/confirm      t=T: the address is stored, active
 *   GET  unsubscribe?t=T        a button to unsubscribe
 *   POST unsubscribe?t=T        unsubscribed: the button's POST, or the
 *                               mail client's RFC 8058 one-click POST
 *                               (body List-Unsubscribe=One-Click), with no
 *                               cookie and no form token: the signed link
 *                               is the authority
 *
 * Subscribing stores nothing: the module queues a "subscribe" job in
 * queue.db with what was typed and answers "check your inbox", and the
 * jobrunner mails a link signed with data.db's newsletter_key
 * (lib/blog_newsletter.h).  The module never looks the address up, so
 * its answer and its work are the same whether or not the address is a
 * subscriber's: no enumeration, by answer or by timing.  Limits: per
 * client (blog_newsletter_limit, 429), and per address
 * (blog_newsletter_address_limit): past that the answer is the same and
 * no mail is sent, so nobody can flood a stranger's mailbox.
 *
 * Confirming is single-use: the row's confirmed_at or unsubscribed_at at
 * or after the link's issue time means the link was used (or overtaken);
 * links expire after the jobrunner's [mail] confirm_ttl, written in them.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_body.h"
#include "ngx_http_blog_rate.h"
#include "ngx_http_blog_response.h"
#include "ngx_http_blog_scope.h"
#include "blog_form.h"
#include "blog_newsletter.h"
#include "blog_secret.h"


/* A subscriber's name, in characters. */
#define NGX_HTTP_BLOG_NL_NAME_MAX  100


typedef enum {
    NGX_HTTP_BLOG_NL_SUBSCRIBE = 0,
    NGX_HTTP_BLOG_NL_CONFIRM,
    NGX_HTTP_BLOG_NL_UNSUBSCRIBE
} ngx_http_blog_nl_page_e;


struct ngx_http_blog_newsletter_s {
    ngx_http_blog_loc_conf_t  *blcf;
    ngx_str_t                  path;
    ngx_http_blog_nl_page_e    page;
    ngx_http_blog_body_t       body;
};


ngx_str_t  ngx_http_blog_subscribe_route = ngx_string("subscribe");

static ngx_str_t  ngx_http_blog_nl_paths[] = {
    ngx_string("subscribe"),
    ngx_string("subscribe/confirm"),
    ngx_string("unsubscribe")
};


static void ngx_http_blog_nl_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_nl_subscribe(ngx_http_request_t *r,
    ngx_http_blog_newsletter_t *ctx);
static ngx_int_t ngx_http_blog_nl_confirm(ngx_http_request_t *r,
    ngx_http_blog_newsletter_t *ctx, ngx_uint_t post);
static ngx_int_t ngx_http_blog_nl_unsubscribe(ngx_http_request_t *r,
    ngx_http_blog_newsletter_t *ctx, ngx_uint_t post);
static ngx_int_t ngx_http_blog_nl_page(ngx_http_request_t *r,
    ngx_http_blog_newsletter_t *ctx, ngx_uint_t status, ngx_array_t *vars);


ngx_uint_t
ngx_http_blog_newsletter_page(ngx_http_blog_loc_conf_t *blcf,
    ngx_str_t *path)
{
    ngx_uint_t  i;

    if (!blcf->newsletter || blcf->theme->tpl[BLOG_TPL_NEWSLETTER] == NULL) {
        return 0;
    }

    for (i = 0; i < sizeof(ngx_http_blog_nl_paths) / sizeof(ngx_str_t); i++)
    {
        if (path->len == ngx_http_blog_nl_paths[i].len
            && ngx_strncmp(path->data, ngx_http_blog_nl_paths[i].data,
                           path->len) == 0)
        {
            return i + 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_blog_newsletter(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *path)
{
    ngx_int_t                    rc;
    ngx_uint_t                   page;
    ngx_http_blog_ctx_t         *bctx;
    ngx_http_blog_newsletter_t  *ctx;

    page = ngx_http_blog_newsletter_page(blcf, path);
    if (page == 0 || blcf->comment_conn == NULL) {
        return NGX_DECLINED;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    bctx = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_ctx_t));
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_newsletter_t));
    if (bctx == NULL || ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->blcf = blcf;
    ctx->path = *path;
    ctx->page = (ngx_http_blog_nl_page_e) (page - 1);
    bctx->newsletter = ctx;
    ngx_http_set_ctx(r, bctx, ngx_http_blog_module);

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_blog_body_read(r, ngx_http_blog_nl_body);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    switch (ctx->page) {

    case NGX_HTTP_BLOG_NL_CONFIRM:
        return ngx_http_blog_nl_confirm(r, ctx, 0);

    case NGX_HTTP_BLOG_NL_UNSUBSCRIBE:
        return ngx_http_blog_nl_unsubscribe(r, ctx, 0);

    default:
        return ngx_http_blog_nl_page(r, ctx, NGX_HTTP_OK, NULL);
    }
}


static void
ngx_http_blog_nl_body(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_blog_ctx_t         *bctx;
    ngx_http_blog_newsletter_t  *ctx;

    bctx = ngx_http_get_module_ctx(r, ngx_http_blog_module);
    ctx = bctx->newsletter;

    rc = ngx_http_blog_body_parse(r, &ctx->body);

    if (rc == NGX_OK) {
        switch (ctx->page) {

        case NGX_HTTP_BLOG_NL_CONFIRM:
            rc = ngx_http_blog_nl_confirm(r, ctx, 1);
            break;

        case NGX_HTTP_BLOG_NL_UNSUBSCRIBE:
            rc = ngx_http_blog_nl_unsubscribe(r, ctx, 1);
            break;

        default:
            rc = ngx_http_blog_nl_subscribe(r, ctx);
        }
    }

    ngx_http_finalize_request(r, rc);
}


/* A field of the form, "" when missing. */
static void
ngx_http_blog_nl_field(ngx_http_request_t *r, ngx_http_blog_newsletter_t *ctx,
    const char *name, ngx_str_t *s)
{
    const blog_field_t  *f;

    f = (r->method == NGX_HTTP_POST && !ctx->body.bad && !ctx->body.multipart)
        ? ngx_http_blog_body_field(r, &ctx->body, name) : NULL;

    s->data = (u_char *) (f ? f->value : "");
    s->len = f ? f->len : 0;
}


/* The page with a heading and a message; more vars may follow. */
static ngx_array_t *
ngx_http_blog_nl_vars(ngx_http_request_t *r, const char *heading,
    const char *message)
{
    ngx_array_t  *vars;

    vars = ngx_http_blog_scope_create(r);

    if (vars == NULL
        || ngx_http_blog_scope_cstr(r, vars, "nl_heading", heading) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "nl_message", message)
           != NGX_OK)
    {
        return NULL;
    }

    return vars;
}


static ngx_int_t
ngx_http_blog_nl_message(ngx_http_request_t *r,
    ngx_http_blog_newsletter_t *ctx, ngx_uint_t status, const char *heading,
    const char *message)
{
    ngx_array_t  *vars;

    vars = ngx_http_blog_nl_vars(r, heading, message);
    if (vars == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_nl_page(r, ctx, status, vars);
}


/* The subscription form again, with what was typed and why not. */
static ngx_int_t
ngx_http_blog_nl_form(ngx_http_request_t *r, ngx_http_blog_newsletter_t *ctx,
    ngx_uint_t status, const char *error)
{
    ngx_str_t     v;
    ngx_array_t  *vars;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_http_blog_scope_cstr(r, vars, "nl_error", error) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_blog_nl_field(r, ctx, "email", &v);
    if (ngx_http_blog_scope_str(r, vars, "nl_email", v.data, v.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_blog_nl_field(r, ctx, "name", &v);
    if (ngx_http_blog_scope_str(r, vars, "nl_name", v.data, v.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_nl_page(r, ctx, status, vars);
}


static ngx_int_t
ngx_http_blog_nl_subscribe(ngx_http_request_t *r,
    ngx_http_blog_newsletter_t *ctx)
{
    u_char                    *p, msg[160], id[33];
    time_t                     retry;
    int64_t                    now;
    ngx_int_t                  rc;
    ngx_str_t                  email, name, trap, key, addr_key;
    ngx_uint_t                 i, mail;
    ngx_http_blog_loc_conf_t  *blcf;

    blcf = ctx->blcf;

    if (ngx_http_blog_conn_ready(blcf->comment_conn, r->connection->log)
        != NGX_OK
        || ngx_http_blog_conn_ready(blcf->ttl, r->connection->log) != NGX_OK)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ctx->body.bad || ctx->body.multipart) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog newsletter: a subscription form that cannot be "
                      "read");
        return ngx_http_blog_nl_form(r, ctx, NGX_HTTP_BAD_REQUEST,
                                     "The form could not be read.");
    }

    ngx_http_blog_nl_field(r, ctx, "email", &email);
    ngx_http_blog_nl_field(r, ctx, "name", &name);
    ngx_http_blog_nl_field(r, ctx, "website", &trap);

    /* blanks around the address are a slip, not a different address */
    while (email.len && (email.data[0] == ' ' || email.data[0] == '\t')) {
        email.data++;
        email.len--;
    }

    while (email.len && (email.data[email.len - 1] == ' '
                         || email.data[email.len - 1] == '\t'))
    {
        email.len--;
    }

    if (!blog_utf8_valid((char *) email.data, email.len)
        || !blog_email_valid((char *) email.data, email.len))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog newsletter: refused: not an e-mail address");
        return ngx_http_blog_nl_form(r, ctx, NGX_HTTP_BLOG_UNPROCESSABLE,
                                     "Please give an e-mail address, such "
                                     "as ada@example.org.");
    }

    for (i = 0; i < name.len; i++) {
        if (name.data[i] < 0x20 || name.data[i] == 0x7f) {
            break;
        }
    }

    if (i < name.len || !blog_utf8_valid((char *) name.data, name.len)
        || blog_utf8_chars((char *) name.data, name.len)
           > NGX_HTTP_BLOG_NL_NAME_MAX
        || name.len > BLOG_NL_NAME_MAX)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog newsletter: refused: a name with control "
                      "characters or over %d characters",
                      NGX_HTTP_BLOG_NL_NAME_MAX);
        return ngx_http_blog_nl_form(r, ctx, NGX_HTTP_BLOG_UNPROCESSABLE,
                                     "The name must be one line of at most "
                                     "100 characters, or left empty.");
    }

    if (ngx_http_blog_client_key(r, "subscribe", &key) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* per address as typed, case aside: the same for a known one as not */
    addr_key.data = ngx_pnalloc(r->pool, sizeof("subscribe-addr:")
                                         + email.len);
    if (addr_key.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(addr_key.data, "subscribe-addr:",
                   sizeof("subscribe-addr:") - 1);
    ngx_strlow(p, email.data, email.len);
    addr_key.len = sizeof("subscribe-addr:") - 1 + email.len;

    retry = 0;

    rc = ngx_http_blog_rate_check(r, blcf->ttl, &key, &blcf->newsletter_limit,
                                  &retry);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog newsletter: subscription refused: too many from "
                      "this address");

        ngx_sprintf(msg, "Too many subscriptions were asked for from here. "
                    "Please try again in %T minute%s.%Z", (retry + 59) / 60,
                    (retry + 59) / 60 == 1 ? "" : "s");

        return ngx_http_blog_nl_form(r, ctx, NGX_HTTP_TOO_MANY_REQUESTS,
                                     (char *) msg);
    }

    /* the address's mails: past its limit none, and the same answer */
    rc = ngx_http_blog_rate_check(r, blcf->ttl, &addr_key,
                                  &blcf->newsletter_address_limit, &retry);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* a form-filling bot (the hidden field): the same answer, no mail */
    mail = (rc == NGX_OK && trap.len == 0);
    now = (int64_t) ngx_time();

    if (blog_random_hex((char *) id, 16) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (mail
        && ngx_http_blog_sql_exec(r, blcf->comment_conn,
               "INSERT INTO queue.jobs (kind, dedupe_key, payload, run_after,"
               "  created_at, updated_at)"
               " VALUES ('subscribe', 'subscribe:' || ?1,"
               "  json_object('email', ?2, 'name', ?3, 'asked_at', ?4),"
               "  ?4, ?4, ?4)",
               "stti", (char *) id, &email, &name, now) != SQLITE_OK)
    {
        return ngx_http_blog_nl_form(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     "The subscription could not be taken "
                                     "just now. Please send it again.");
    }

    if (ngx_http_blog_rate_add(r, blcf->ttl, &key, &blcf->newsletter_limit)
        != NGX_OK
        || (mail && ngx_http_blog_rate_add(r, blcf->ttl, &addr_key,
                                           &blcf->newsletter_address_limit)
                    != NGX_OK))
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog newsletter: a subscription could not be counted");
    }

    if (mail) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog newsletter: confirmation queued (job "
                      "subscribe:%s)", id);

    } else {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog newsletter: no confirmation sent: %s",
                      trap.len ? "the hidden field was filled in"
                               : "the address's limit is reached");
    }

    return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_OK, "Check your inbox",
               "If the address can receive mail, a link to confirm your "
               "subscription is on its way to it. Nothing is stored until "
               "you follow that link.");
}


/* data.db's newsletter_key, NUL-terminated in the request's pool. */
static ngx_int_t
ngx_http_blog_nl_key(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_str_t *key)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = ngx_http_blog_sql(r, blcf->comment_conn,
               "SELECT value FROM settings WHERE key = 'newsletter_key'", "");
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);

    if (rc != SQLITE_ROW
        || ngx_http_blog_column(r, stmt, 0, key) != NGX_OK
        || key->len < 32)
    {
        sqlite3_finalize(stmt);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog newsletter: no newsletter_key in the settings");
        return NGX_ERROR;
    }

    sqlite3_finalize(stmt);

    return NGX_OK;
}


/*
 * The link's token: the query's t, or the form's.  Opens it for purpose
 * into out.  NGX_OK; NGX_DECLINED for a token missing, malformed or not
 * ours (logged); NGX_ERROR.
 */
static ngx_int_t
ngx_http_blog_nl_token(ngx_http_request_t *r, ngx_http_blog_newsletter_t *ctx,
    const char *purpose, ngx_str_t *token, char *out, size_t size, int *len)
{
    ngx_str_t  key;

    if (ngx_http_arg(r, (u_char *) "t", 1, token) != NGX_OK) {
        ngx_http_blog_nl_field(r, ctx, "t", token);
    }

    if (ngx_http_blog_conn_ready(ctx->blcf->comment_conn, r->connection->log)
        != NGX_OK
        || ngx_http_blog_nl_key(r, ctx->blcf, &key) != NGX_OK)
    {
        return NGX_ERROR;
    }

    *len = blog_nl_open((char *) key.data, purpose, (char *) token->data,
                        token->len, out, size);

    if (*len < 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog newsletter: a %s link that is not valid",
                      purpose);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* A page with a button that POSTs the token back: nothing moves on GET. */
static ngx_int_t
ngx_http_blog_nl_button(ngx_http_request_t *r,
    ngx_http_blog_newsletter_t *ctx, const char *heading,
    const char *message, ngx_str_t *email, ngx_str_t *token,
    const char *button)
{
    u_char       *p;
    ngx_str_t     action;
    ngx_array_t  *vars;

    /* the form posts to this page, the token in a hidden field */
    action.len = ctx->blcf->prefix.len + ctx->path.len;
    action.data = ngx_pnalloc(r->pool, action.len);
    if (action.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(action.data, ctx->blcf->prefix.data,
                   ctx->blcf->prefix.len);
    ngx_memcpy(p, ctx->path.data, ctx->path.len);

    vars = ngx_http_blog_nl_vars(r, heading, message);

    if (vars == NULL
        || ngx_http_blog_scope_str(r, vars, "nl_email", email->data,
                                   email->len) != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "nl_token", token->data,
                                   token->len) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "nl_button", button) != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "nl_action", action.data,
                                   action.len) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_nl_page(r, ctx, NGX_HTTP_OK, vars);
}


static ngx_int_t
ngx_http_blog_nl_confirm(ngx_http_request_t *r,
    ngx_http_blog_newsletter_t *ctx, ngx_uint_t post)
{
    int                 rc, len;
    char                payload[BLOG_NL_TOKEN_MAX];
    int64_t             now;
    ngx_int_t           nrc;
    ngx_str_t           token, email, name;
    sqlite3_stmt       *stmt;
    blog_nl_confirm_t   c;

    nrc = ngx_http_blog_nl_token(r, ctx, BLOG_NL_CONFIRM, &token, payload,
                                 sizeof(payload), &len);
    if (nrc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (nrc == NGX_DECLINED
        || blog_nl_confirm_parse(payload, (size_t) len, &c) != 0)
    {
        return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "This link is not valid",
                   "Please copy the whole link from the mail, or subscribe "
                   "again.");
    }

    now = (int64_t) ngx_time();

    if (now > (int64_t) c.expires) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog newsletter: an expired confirmation link");
        return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_BLOG_GONE,
                   "This link has expired",
                   "Please subscribe again: a new link will be sent.");
    }

    email.data = (u_char *) c.email;
    email.len = c.email_len;
    name.data = (u_char *) c.name;
    name.len = c.name_len;

    if (!post) {
        return ngx_http_blog_nl_button(r, ctx, "Confirm your subscription",
                   "One more click and the new posts come to this address:",
                   &email, &token, "Confirm");
    }

    /*
     * Stored, or made active again, unless a confirmation or an
     * unsubscription came at or after this link was issued: then the link
     * is spent.  One statement, one commit.
     */
    stmt = ngx_http_blog_sql(r, ctx->blcf->comment_conn,
               "INSERT INTO subscribers (email, name, status, source,"
               "  created_at, confirmed_at, updated_at)"
               " VALUES (?1, ?2, 'active', 'form', ?3, ?3, ?3)"
               " ON CONFLICT (email) DO UPDATE SET status = 'active',"
               "   name = CASE WHEN excluded.name <> '' THEN excluded.name"
               "               ELSE name END,"
               "   confirmed_at = excluded.confirmed_at,"
               "   updated_at = excluded.updated_at"
               " WHERE ifnull(confirmed_at, 0) < ?4"
               "   AND ifnull(unsubscribed_at, 0) < ?4"
               " RETURNING id",
               "ttii", &email, &name, now, (int64_t) c.issued);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, ctx->blcf->comment_conn, rc,
                                "subscriber");
        return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "Not confirmed yet",
                   "The subscription could not be stored just now. Please "
                   "open the link again in a moment.");
    }

    if (rc == SQLITE_DONE) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog newsletter: a confirmation link used again");
        return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_BLOG_GONE,
                   "This link was already used",
                   "Each link confirms once. To subscribe again, use the "
                   "form.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog newsletter: a subscription confirmed");

    return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_OK, "You are subscribed",
               "Thank you. New posts will come to your inbox; each mail has "
               "a link to unsubscribe.");
}


static ngx_int_t
ngx_http_blog_nl_unsubscribe(ngx_http_request_t *r,
    ngx_http_blog_newsletter_t *ctx, ngx_uint_t post)
{
    int            rc, len;
    char           payload[32];
    int64_t        id, now;
    ngx_int_t      nrc;
    ngx_str_t      token, email;
    sqlite3_stmt  *stmt;

    nrc = ngx_http_blog_nl_token(r, ctx, BLOG_NL_UNSUBSCRIBE, &token, payload,
                                 sizeof(payload), &len);
    if (nrc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    id = (nrc == NGX_OK) ? ngx_atoof((u_char *) payload, len) : NGX_ERROR;

    if (id <= 0) {
        return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "This link is not valid",
                   "Please copy the whole link from the mail.");
    }

    if (!post) {
        stmt = ngx_http_blog_sql(r, ctx->blcf->comment_conn,
                   "SELECT email FROM subscribers WHERE id = ?1", "i", id);
        if (stmt == NULL) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        rc = sqlite3_step(stmt);

        if (rc == SQLITE_ROW
            && ngx_http_blog_column(r, stmt, 0, &email) != NGX_OK)
        {
            rc = SQLITE_NOMEM;
        }

        sqlite3_finalize(stmt);

        if (rc == SQLITE_DONE) {
            /* deleted by the owner since: nothing left to stop */
            return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_OK,
                       "You are unsubscribed",
                       "This address gets no more mail from this blog.");
        }

        if (rc != SQLITE_ROW) {
            ngx_http_blog_sql_error(r, ctx->blcf->comment_conn, rc,
                                    "subscriber");
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        return ngx_http_blog_nl_button(r, ctx, "Unsubscribe",
                   "Stop sending new posts to this address?", &email, &token,
                   "Unsubscribe");
    }

    now = (int64_t) ngx_time();

    rc = ngx_http_blog_sql_exec(r, ctx->blcf->comment_conn,
             "UPDATE subscribers SET status = 'unsubscribed',"
             "  unsubscribed_at = ?2, updated_at = ?2"
             " WHERE id = ?1 AND status IN ('active', 'pending')",
             "ii", id, now);

    if (rc != SQLITE_OK) {
        return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "Not unsubscribed yet",
                   "The database is busy. Please try again in a moment.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog newsletter: subscriber %L unsubscribed", id);

    return ngx_http_blog_nl_message(r, ctx, NGX_HTTP_OK,
               "You are unsubscribed",
               "This address gets no more mail from this blog.");
}


/* The theme's newsletter.html, uncached, with the page's variables. */
static ngx_int_t
ngx_http_blog_nl_page(ngx_http_request_t *r, ngx_http_blog_newsletter_t *ctx,
    ngx_uint_t status, ngx_array_t *vars)
{
    ngx_int_t              rc;
    ngx_http_blog_page_t  *page;

    if (vars == NULL) {
        vars = ngx_http_blog_scope_create(r);
        if (vars == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* the footer's form gives way to the page's */
    if (ngx_http_blog_scope_cstr(r, vars, "nl_page", "1") != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_blog_db_ready(ctx->blcf->db, r->connection->log) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    page = ngx_http_blog_page_alloc(&ctx->path);
    if (page == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_blog_render_with(r, ctx->blcf, &ctx->path, page,
                                   vars->elts, vars->nelts);

    if (rc != NGX_OK || ngx_http_blog_page_hold(r, page) != NGX_OK) {
        ngx_http_blog_page_release(page);
        return rc != NGX_OK ? rc : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_blog_page_release(page);

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    return ngx_http_blog_send_html(r, page->status == NGX_HTTP_OK
                                      ? status : page->status,
                                   page->body, page->len, 0);
}
