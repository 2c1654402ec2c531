/*
 * Sign-in, sessions, CSRF tokens and rate limits, all kept in ttl.db.
 *
 * A session is 256 random bits (getrandom) sent as the HttpOnly,
 * SameSite=Strict cookie "blog_session" (Secure over TLS); ttl.db keeps
 * only its SHA-256, so a copy of the file signs no one in.  It ends
 * blog_session_timeout after sign-in, or blog_session_idle after its last
 * use, whichever comes first.  Each session has its own CSRF token, which
 * every form carries and every POST must return; the sign-in form, having
 * no session yet, pairs its token with a cookie instead ("double submit").
 * The Origin (or Referer) of a POST must be this host as a second line.
 *
 * Failed password sign-ins are limited three ways (blog_login_limit N T),
 * so that guessing is slow and no stranger can lock the owner out:
 *
 *   - N failures from one address for one name lock that pair for T after
 *     the last: the guesser's own address, not the owner's;
 *   - 4 N failures from one address, whatever the names, lock the address;
 *   - for a name from everywhere, the first 2 N failures in T cost nothing
 *     more (one address alone never slows the name down for others), and
 *     each one after doubles the wait before the next attempt may be
 *     checked: 1 s, 2 s, 4 s ... up to T, so that many addresses together
 *     still get only a trickle of guesses.  The wait ends T after the last
 *     failure.
 *
 * Even the right password is refused while its attempt is throttled, or
 * throttling would tell it apart.  The owner's way in meanwhile is the
 * e-mailed code (ngx_http_blog_login_code.c), which none of these limit;
 * signing in either way clears the three counts.  The argon2id check runs
 * in nginx's thread pool: it takes some 30 ms, which the event loop must
 * not spend.  An unknown name is checked against a dummy hash, so that the
 * answer takes as long as for a known one.
 *
 * Signing in with an e-mailed code shares the form tokens and the start of
 * a session with this file.
 */

#include "admin/ngx_http_blog_admin.h"
#include "blog_secret.h"

#include <openssl/crypto.h>


#define NGX_HTTP_BLOG_NAME_MAX      64
#define NGX_HTTP_BLOG_TOUCH_EVERY   60          /* s between idle updates */

/* blog_login_limit's count: per address, times; per name, free before
   the waits */
#define NGX_HTTP_BLOG_ADDR_TIMES    4
#define NGX_HTTP_BLOG_NAME_TIMES    2

/* an argon2id hash of a random password nobody knows */
#define NGX_HTTP_BLOG_DUMMY_HASH                                              \
    "$argon2id$v=19$m=19456,t=2,p=1$gnUP273H22Fvvt1VQw0vTg$"                  \
    "oqicUt3LH9lTEeJaSsTkgSXGvHm99fI+xKoWn6MPiJY"


static ngx_int_t ngx_http_blog_login_form(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status, const char *error,
    ngx_str_t *name);
static ngx_int_t ngx_http_blog_login_finish(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
#if (NGX_THREADS)
static void ngx_http_blog_verify_thread(void *data, ngx_log_t *log);
static void ngx_http_blog_verify_done(ngx_event_t *ev);
#endif


/*
 * Finds the session of the request's cookie, if any and alive, and its
 * user; moves its idle deadline.  ctx->user_id stays 0 without one.
 * Returns NGX_OK, or an HTTP status when the database fails.
 */
ngx_int_t
ngx_http_blog_session_load(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    int                              rc;
    time_t                           now, expires, ends;
    int64_t                          user;
    ngx_str_t                        cookie, sid, csrf;
    sqlite3_stmt                    *stmt;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ctx->alcf;

    if (ngx_http_blog_get_cookie(r, BLOG_SESSION_COOKIE, &cookie) != NGX_OK
        || !ngx_http_blog_token_valid(&cookie))
    {
        return NGX_OK;
    }

    ngx_http_blog_sha256_hex(cookie.data, cookie.len, ctx->sid);

    now = ngx_time();
    sid.data = ctx->sid;
    sid.len = BLOG_TOKEN_LEN;

    stmt = ngx_http_blog_sql(r, alcf->ttl,
               "SELECT user_id, csrf, expires_at, ends_at FROM sessions"
               " WHERE id = ?1 AND expires_at > ?2 AND ends_at > ?2",
               "ti", &sid, (int64_t) now);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = sqlite3_step(stmt);

    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);

        if (rc != SQLITE_DONE) {
            ngx_http_blog_sql_error(r, alcf->ttl, rc, "session");
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        return NGX_OK;
    }

    user = sqlite3_column_int64(stmt, 0);
    expires = (time_t) sqlite3_column_int64(stmt, 2);
    ends = (time_t) sqlite3_column_int64(stmt, 3);

    csrf.data = (u_char *) sqlite3_column_text(stmt, 1);
    csrf.len = sqlite3_column_bytes(stmt, 1);

    if (ngx_http_blog_token_valid(&csrf)) {
        ngx_memcpy(ctx->csrf, csrf.data, BLOG_TOKEN_LEN);
        ctx->csrf[BLOG_TOKEN_LEN] = '\0';
    }

    sqlite3_finalize(stmt);

    if (ctx->csrf[0] == '\0') {
        return NGX_OK;
    }

    ctx->user_id = user;

    if (ngx_http_blog_session_user(r, ctx) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* idle time counts from the last use, written at most once a minute */
    if (ctx->user_id
        && now + alcf->session_idle - expires >= NGX_HTTP_BLOG_TOUCH_EVERY
        && expires < ends)
    {
        (void) ngx_http_blog_sql_exec(r, alcf->ttl,
                   "UPDATE sessions SET expires_at = min(?2, ends_at)"
                   " WHERE id = ?1",
                   "ti", &sid, (int64_t) (now + alcf->session_idle));
    }

    return NGX_OK;
}


/*
 * For a reader's comment (ngx_http_blog_module.h): the session settings
 * are this location's, the users those of the data.db it comments on.
 */
ngx_int_t
ngx_http_blog_signed_in(ngx_http_request_t *r, int64_t *user)
{
    ngx_int_t                   rc;
    ngx_http_blog_admin_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_admin_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->alcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_admin_module);
    ngx_http_set_ctx(r, ctx, ngx_http_blog_admin_module);

    rc = ngx_http_blog_session_load(r, ctx);

    *user = ctx->user_id;

    return rc;
}


/*
 * $blog_admin_user: in a location with blog_admin_session, the name of the
 * user signed in with the request's session cookie, else empty (and so
 * not sent by proxy_set_header).  A request without the cookie costs no
 * database read.
 */
ngx_int_t
ngx_http_blog_admin_user_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                        cookie;
    ngx_http_blog_admin_ctx_t       *ctx;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    (void) data;

    v->not_found = 1;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_admin_module);

    if (alcf->session_db.data == NULL
        || ngx_http_blog_get_cookie(r, BLOG_SESSION_COOKIE, &cookie)
           != NGX_OK)
    {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_blog_admin_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_admin_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ctx->alcf = alcf;
        ngx_http_set_ctx(r, ctx, ngx_http_blog_admin_module);

        /* an unreadable database signs nobody in; the log says why */
        if (ngx_http_blog_conn_ready(alcf->data, r->connection->log)
            != NGX_OK
            || ngx_http_blog_conn_ready(alcf->ttl, r->connection->log)
               != NGX_OK
            || ngx_http_blog_session_load(r, ctx) != NGX_OK)
        {
            ctx->user_id = 0;
        }
    }

    if (ctx->user_id == 0 || ctx->user_name.len == 0) {
        return NGX_OK;
    }

    v->data = ctx->user_name.data;
    v->len = ctx->user_name.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * The name of ctx->user_id, or ctx->user_id back to 0 when the user was
 * deleted meanwhile.  NGX_ERROR when the database fails.
 */
ngx_int_t
ngx_http_blog_session_user(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
                             "SELECT name FROM users WHERE id = ?1", "i",
                             ctx->user_id);
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        rc = ngx_http_blog_column(r, stmt, 0, &ctx->user_name) == NGX_OK
             ? SQLITE_OK : SQLITE_NOMEM;

    } else if (rc == SQLITE_DONE) {
        ctx->user_id = 0;
        rc = SQLITE_OK;
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_OK) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "user");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A POST must come from a page of this host: the Origin header browsers
 * send says so, or else the Referer; a request with neither (an old
 * browser, a script) is left to the CSRF token alone.
 */
ngx_int_t
ngx_http_blog_origin_ok(ngx_http_request_t *r)
{
    ngx_str_t        *host, origin;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    host = r->headers_in.host ? &r->headers_in.host->value : NULL;

    origin.len = 0;
    origin.data = NULL;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == 6
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Origin", 6) == 0)
        {
            origin = h[i].value;
            break;
        }
    }

    if (origin.data == NULL && r->headers_in.referer) {
        origin = r->headers_in.referer->value;
    }

    if (origin.data == NULL) {
        return NGX_OK;
    }

    if (host == NULL) {
        return NGX_DECLINED;
    }

    return blog_origin_match((char *) origin.data, origin.len,
                             (char *) host->data, host->len)
           ? NGX_OK : NGX_DECLINED;
}


/*
 * NGX_OK when the POST carries the session's token and comes from this
 * site; NGX_DECLINED (logged) otherwise, for the caller to answer 403.
 */
ngx_int_t
ngx_http_blog_csrf_check(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    const blog_field_t  *f;

    f = ctx->body.bad ? NULL : ngx_http_blog_body_field(r, &ctx->body, "csrf");

    if (ngx_http_blog_origin_ok(r) != NGX_OK
        || f == NULL || f->len != BLOG_TOKEN_LEN
        || CRYPTO_memcmp(f->value, ctx->csrf, BLOG_TOKEN_LEN) != 0)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog admin: POST without a valid CSRF token or "
                      "origin refused");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* GET login: the form, with a fresh token paired with its cookie. */
ngx_int_t
ngx_http_blog_login_page(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    return ngx_http_blog_login_form(r, ctx, NGX_HTTP_OK, NULL, NULL);
}


static ngx_int_t
ngx_http_blog_login_form(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    ngx_uint_t status, const char *error, ngx_str_t *name)
{
    ngx_array_t  *vars;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_http_blog_form_token_new(r, ctx, vars) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "form_password", "1") != NGX_OK
        || (ctx->alcf->login_code
            && ngx_http_blog_scope_cstr(r, vars, "login_code", "1") != NGX_OK)
        || (error && ngx_http_blog_scope_cstr(r, vars, "error", error)
                     != NGX_OK)
        || (name && ngx_http_blog_scope_str(r, vars, "name", name->data,
                                            name->len) != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, status, BLOG_ATPL_LOGIN, vars);
}


/*
 * The forms of signing in have no session yet: a fresh token goes in the
 * page ("login_csrf") and in a cookie, and the POST must bring both.
 */
ngx_int_t
ngx_http_blog_form_token_new(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *vars)
{
    u_char  *token;

    token = ngx_pnalloc(r->pool, BLOG_TOKEN_LEN + 1);
    if (token == NULL
        || blog_random_hex((char *) token, BLOG_TOKEN_BYTES) != 0)
    {
        return NGX_ERROR;
    }

    if (ngx_http_blog_set_cookie(r, BLOG_CSRF_COOKIE, token,
                                 &ctx->alcf->prefix, 3600) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "login_csrf", (char *) token)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* NGX_OK when the form's token matches its cookie and the POST's origin. */
ngx_int_t
ngx_http_blog_form_token_check(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_str_t            cookie;
    const blog_field_t  *token;

    token = blog_form_get(&ctx->body.form, "csrf");

    if (ngx_http_blog_get_cookie(r, BLOG_CSRF_COOKIE, &cookie) != NGX_OK
        || !ngx_http_blog_token_valid(&cookie)
        || token == NULL || token->len != BLOG_TOKEN_LEN
        || CRYPTO_memcmp(token->value, cookie.data, BLOG_TOKEN_LEN) != 0
        || ngx_http_blog_origin_ok(r) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* The rate_limits keys of sign-in failures as name from this address. */
ngx_int_t
ngx_http_blog_login_keys(ngx_http_request_t *r, ngx_str_t *name,
    ngx_http_blog_login_keys_t *keys)
{
    ngx_str_t  client;

    if (ngx_http_blog_client_key(r, "login-addr", &keys->addr) != NGX_OK) {
        return NGX_ERROR;
    }

    client.data = keys->addr.data + sizeof("login-addr:") - 1;
    client.len = keys->addr.len - (sizeof("login-addr:") - 1);

    keys->pair.data = ngx_pnalloc(r->pool, sizeof("login-pair: ")
                                           + client.len + name->len);
    keys->name.data = ngx_pnalloc(r->pool, sizeof("login-name:")
                                           + name->len);
    if (keys->pair.data == NULL || keys->name.data == NULL) {
        return NGX_ERROR;
    }

    /* a client has no blank: the pair's key is unambiguous */
    keys->pair.len = ngx_sprintf(keys->pair.data, "login-pair:%V %V",
                                 &client, name)
                     - keys->pair.data;
    keys->name.len = ngx_sprintf(keys->name.data, "login-name:%V", name)
                     - keys->name.data;

    return NGX_OK;
}


/* POST login: checks the form and the limits, then the password. */
ngx_int_t
ngx_http_blog_login(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    int                              rc;
    u_char                           msg[BLOG_TRY_AGAIN_LEN];
    ngx_str_t                        cookie;
    sqlite3_stmt                    *stmt;
    ngx_http_blog_login_keys_t       keys;
    const blog_field_t              *name, *pw;
    ngx_http_blog_admin_loc_conf_t  *alcf;
#if (NGX_THREADS)
    ngx_thread_task_t               *task;
    ngx_http_blog_admin_main_conf_t *amcf;
#endif

    alcf = ctx->alcf;

    if (ctx->body.bad || ctx->body.multipart) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "Bad request", "The form could not be read.");
    }

    if (ngx_http_blog_form_token_check(r, ctx) != NGX_OK) {
        return ngx_http_blog_login_form(r, ctx, NGX_HTTP_FORBIDDEN,
                   "The sign-in form expired. Please try again.", NULL);
    }

    name = blog_form_get(&ctx->body.form, "name");
    pw = blog_form_get(&ctx->body.form, "password");

    if (name == NULL || pw == NULL || name->len == 0
        || name->len > NGX_HTTP_BLOG_NAME_MAX || pw->len > BLOG_PASSWORD_MAX)
    {
        return ngx_http_blog_login_form(r, ctx, NGX_HTTP_FORBIDDEN,
                   "Wrong name or password.", NULL);
    }

    ctx->login_name.len = name->len;
    ctx->login_name.data = (u_char *) name->value;
    ctx->login_password.len = pw->len;
    ctx->login_password.data = (u_char *) pw->value;

    if (ngx_http_blog_login_keys(r, &ctx->login_name, &keys) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_blog_lockout(r, ctx, &keys, &ctx->login_name, msg);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_blog_login_form(r, ctx, NGX_HTTP_TOO_MANY_REQUESTS,
                                        (char *) msg, &ctx->login_name);
    }

    stmt = ngx_http_blog_sql(r, alcf->data,
                             "SELECT id, password_hash FROM users"
                             " WHERE name = ?1", "t", &ctx->login_name);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        ctx->login_user = sqlite3_column_int64(stmt, 0);
        rc = ngx_http_blog_column(r, stmt, 1, &cookie) == NGX_OK
             ? SQLITE_OK : SQLITE_NOMEM;
        ctx->login_hash = cookie.data;

    } else if (rc == SQLITE_DONE) {
        ctx->login_hash = (u_char *) NGX_HTTP_BLOG_DUMMY_HASH;
        rc = SQLITE_OK;
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_OK) {
        ngx_http_blog_sql_error(r, alcf->data, rc, "user");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

#if (NGX_THREADS)
    amcf = ngx_http_get_module_main_conf(r, ngx_http_blog_admin_module);

    if (amcf->thread_pool) {
        task = ngx_thread_task_alloc(r->pool, 0);
        if (task == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        task->ctx = ctx;
        task->handler = ngx_http_blog_verify_thread;
        task->event.data = r;
        task->event.handler = ngx_http_blog_verify_done;

        if (ngx_thread_task_post(amcf->thread_pool, task) == NGX_OK) {
            r->main->blocked++;
            r->aio = 1;
            return NGX_DONE;
        }
    }
#endif

    /* no thread pool: the event loop pays for the check */
    ctx->login_ok = blog_password_verify((char *) ctx->login_hash,
                                         (char *) ctx->login_password.data,
                                         ctx->login_password.len);

    return ngx_http_blog_login_finish(r, ctx);
}


#if (NGX_THREADS)

static void
ngx_http_blog_verify_thread(void *data, ngx_log_t *log)
{
    ngx_http_blog_admin_ctx_t  *ctx = data;

    ctx->login_ok = blog_password_verify((char *) ctx->login_hash,
                                         (char *) ctx->login_password.data,
                                         ctx->login_password.len);
}


static void
ngx_http_blog_verify_done(ngx_event_t *ev)
{
    ngx_http_request_t         *r;
    ngx_connection_t           *c;
    ngx_http_blog_admin_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    r->main->blocked--;
    r->aio = 0;

    ctx = ngx_http_get_module_ctx(r, ngx_http_blog_admin_module);

    ngx_http_finalize_request(r, ngx_http_blog_login_finish(r, ctx));
    ngx_http_run_posted_requests(c);
}

#endif


/* After the password check: a new session, or a failure counted. */
static ngx_int_t
ngx_http_blog_login_finish(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_http_blog_login_keys_t  keys;

    explicit_bzero(ctx->login_password.data, ctx->login_password.len);

    if (ngx_http_blog_login_keys(r, &ctx->login_name, &keys) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->login_ok != 1 || ctx->login_user == 0) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog admin: failed sign-in as \"%V\"",
                      &ctx->login_name);

        if (ngx_http_blog_login_failed(r, ctx, &keys) != NGX_OK) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        return ngx_http_blog_login_form(r, ctx, NGX_HTTP_FORBIDDEN,
                                        "Wrong name or password.",
                                        &ctx->login_name);
    }

    return ngx_http_blog_session_start(r, ctx, ctx->login_user,
                                       &ctx->login_name, &keys);
}


/*
 * Whether a password sign-in as name from this address may be checked
 * now (see the top of this file): NGX_OK; NGX_DECLINED, logged, with the
 * text for the form in msg (BLOG_TRY_AGAIN_LEN bytes); or NGX_ERROR.
 */
ngx_int_t
ngx_http_blog_lockout(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    ngx_http_blog_login_keys_t *keys, ngx_str_t *name, u_char *msg)
{
    time_t                           retry;
    ngx_int_t                        rc;
    ngx_http_blog_limit_t            per_addr;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ctx->alcf;
    retry = 0;

    per_addr = alcf->login_limit;
    per_addr.count *= NGX_HTTP_BLOG_ADDR_TIMES;

    rc = ngx_http_blog_rate_check(r, alcf->ttl, &keys->pair,
                                  &alcf->login_limit, &retry);
    if (rc == NGX_OK) {
        rc = ngx_http_blog_rate_check(r, alcf->ttl, &keys->addr, &per_addr,
                                      &retry);
    }

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog admin: sign-in as \"%V\" refused: locked out "
                      "after too many failures from this address", name);

        ngx_http_blog_try_again(msg, "Too many failed sign-ins from here.",
                                retry, alcf->login_code
                                ? "or sign in with a code sent by e-mail"
                                : NULL);
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_blog_backoff_check(r, alcf->ttl, &keys->name,
                                     &alcf->login_limit,
                                     alcf->login_limit.count
                                     * NGX_HTTP_BLOG_NAME_TIMES, &retry);

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog admin: sign-in as \"%V\" refused: too many "
                      "failures for the name lately, %T s to wait", name,
                      retry);

        ngx_http_blog_try_again(msg, "Too many failed sign-ins for this "
                                "name lately.", retry, alcf->login_code
                                ? "or sign in with a code sent by e-mail"
                                : NULL);
    }

    return rc;
}


/* A failed password counts for the pair, the address and the name. */
ngx_int_t
ngx_http_blog_login_failed(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_login_keys_t *keys)
{
    ngx_http_blog_limit_t            per_addr;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ctx->alcf;

    per_addr = alcf->login_limit;
    per_addr.count *= NGX_HTTP_BLOG_ADDR_TIMES;

    if (ngx_http_blog_rate_add(r, alcf->ttl, &keys->pair, &alcf->login_limit)
        != NGX_OK
        || ngx_http_blog_rate_add(r, alcf->ttl, &keys->addr, &per_addr)
           != NGX_OK
        || ngx_http_blog_backoff_add(r, alcf->ttl, &keys->name,
                                     &alcf->login_limit)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * "<what> Try again in N minutes[, <or_else>]." in msg, BLOG_TRY_AGAIN_LEN
 * bytes; seconds when it is less than a minute.
 */
void
ngx_http_blog_try_again(u_char *msg, const char *what, time_t retry,
    const char *or_else)
{
    time_t       n;
    const char  *unit;

    if (retry < 60) {
        n = retry > 1 ? retry : 1;
        unit = "second";

    } else {
        n = (retry + 59) / 60;
        unit = "minute";
    }

    ngx_snprintf(msg, BLOG_TRY_AGAIN_LEN - 1, "%s Try again in %T %s%s%s%s.%Z",
                 what, n, unit, n == 1 ? "" : "s", or_else ? ", " : "",
                 or_else ? or_else : "");
    msg[BLOG_TRY_AGAIN_LEN - 1] = '\0';
}


/*
 * A signed-in user, by password or by an e-mailed code: a new session
 * (the one the browser had, if any, ends), the failures counted for the
 * user's name and this address forgotten, and a redirect to the panel.
 */
ngx_int_t
ngx_http_blog_session_start(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t user, ngx_str_t *name,
    ngx_http_blog_login_keys_t *keys)
{
    u_char                           sid[BLOG_TOKEN_LEN + 1];
    u_char                           hash[BLOG_TOKEN_LEN + 1];
    u_char                           csrf[BLOG_TOKEN_LEN + 1];
    time_t                           now;
    ngx_str_t                        cookie, old, root;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ctx->alcf;

    if (blog_random_hex((char *) sid, BLOG_TOKEN_BYTES) != 0
        || blog_random_hex((char *) csrf, BLOG_TOKEN_BYTES) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_blog_sha256_hex(sid, BLOG_TOKEN_LEN, hash);

    now = ngx_time();
    cookie.data = hash;
    cookie.len = BLOG_TOKEN_LEN;
    old.data = csrf;
    old.len = BLOG_TOKEN_LEN;

    if (ngx_http_blog_sql_exec(r, alcf->ttl,
            "INSERT INTO sessions (id, user_id, csrf, created_at, ends_at,"
            "  expires_at, address) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            "titiiit", &cookie, user, &old, (int64_t) now,
            (int64_t) (now + alcf->session_timeout),
            (int64_t) (now + alcf->session_idle),
            &r->connection->addr_text) != SQLITE_OK
        || ngx_http_blog_sql_exec(r, alcf->ttl,
               "DELETE FROM rate_limits WHERE key IN (?1, ?2, ?3)", "ttt",
               &keys->pair, &keys->addr, &keys->name) != SQLITE_OK)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* the session the browser had before, if any, ends: a new id */
    if (ngx_http_blog_get_cookie(r, BLOG_SESSION_COOKIE, &old) == NGX_OK
        && ngx_http_blog_token_valid(&old))
    {
        ngx_http_blog_sha256_hex(old.data, old.len, hash);
        cookie.data = hash;

        (void) ngx_http_blog_sql_exec(r, alcf->ttl,
                   "DELETE FROM sessions WHERE id = ?1", "t", &cookie);
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "blog admin: \"%V\" signed in", name);

    root.data = (u_char *) "/";
    root.len = 1;

    if (ngx_http_blog_set_cookie(r, BLOG_SESSION_COOKIE, sid, &root,
                                 alcf->session_timeout) != NGX_OK
        || ngx_http_blog_set_cookie(r, BLOG_CSRF_COOKIE, (u_char *) "",
                                    &alcf->prefix, 0) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_redirect(r, &alcf->prefix);
}


ngx_int_t
ngx_http_blog_logout(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_str_t  sid, root, login;

    sid.data = ctx->sid;
    sid.len = BLOG_TOKEN_LEN;

    if (ngx_http_blog_sql_exec(r, ctx->alcf->ttl,
                               "DELETE FROM sessions WHERE id = ?1", "t",
                               &sid) != SQLITE_OK)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    root.data = (u_char *) "/";
    root.len = 1;

    login.len = ctx->alcf->prefix.len + sizeof("login") - 1;
    login.data = ngx_pnalloc(r->pool, login.len);
    if (login.data == NULL
        || ngx_http_blog_set_cookie(r, BLOG_SESSION_COOKIE, (u_char *) "",
                                    &root, 0) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(login.data, "%Vlogin", &ctx->alcf->prefix);

    return ngx_http_blog_redirect(r, &login);
}
