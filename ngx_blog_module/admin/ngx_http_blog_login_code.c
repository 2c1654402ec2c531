/*
 * Signing in with a code sent by e-mail ("blog_login_code on"):
 *
 *   GET  login/code          the form: user name or e-mail address
 *   POST login/code          asks for a code; the form to enter it
 *   POST login/code/verify   the code: a session, as a password gives
 *
 * The module does not make the code: it queues a "mail" job in data.db
 * with what was typed, and the jobrunner looks the user up, makes the
 * code, stores its hash in ttl.db (one_time_codes) and mails it
 * (jobrunner/jr_mail.c).  So the code is never stored in the clear, not
 * even in the queue, and asking for a known user and an unknown one does
 * exactly the same work here: the same page, the same time, the same
 * rate limits.  The job is in the same durable queue as every other, so
 * a request is never lost: if the jobrunner is down it is sent when it
 * starts (while the code would still be valid), and if the queue cannot
 * be written the page says the code could not be sent.
 *
 * This is the owner's way in while strangers make password sign-ins of
 * the name wait (ngx_http_blog_session.c), so strangers must not be able
 * to spoil it either:
 *
 *   - the browser that asks gets a random token in the cookie "blog_code"
 *     (ttl.db keeps its hash, purpose "signin-ask", with the name typed);
 *     a code is taken only from a browser that asked for that name, and
 *     wrong codes count against that browser alone: after
 *     blog_login_code_tries it must ask again.  Guessing from elsewhere
 *     costs the owner nothing, and neither do the password limits;
 *   - the user's newest code works in every browser that asked, so a code
 *     a stranger's asking sent to the owner replaces hers but is in her
 *     mailbox;
 *   - asking is limited per address (blog_login_code_limit, 429), and the
 *     mails per name typed: past that, asking still lets this browser use
 *     the newest code mailed, and says so, rather than being refused.
 *
 * A code is compared by its hash, in constant time, and deleted when
 * used, so it signs in once.
 */

#include "admin/ngx_http_blog_admin.h"
#include "blog_code.h"
#include "blog_secret.h"

#include <openssl/crypto.h>


/* RFC 5321's longest address; user names are shorter */
#define NGX_HTTP_BLOG_LOGIN_MAX  254

/* The cookie of a browser that asked for a code, and its ttl.db purpose */
#define NGX_HTTP_BLOG_CODE_COOKIE  "blog_code"
#define NGX_HTTP_BLOG_CODE_ASKED   "signin-ask"


static ngx_int_t ngx_http_blog_code_ask(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
static ngx_int_t ngx_http_blog_code_verify(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
static ngx_int_t ngx_http_blog_code_check(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t user, const char *code);
static ngx_int_t ngx_http_blog_code_form(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status, ngx_uint_t enter,
    const char *error, ngx_str_t *notice, ngx_str_t *login);
static ngx_int_t ngx_http_blog_code_login(const blog_field_t *f,
    ngx_str_t *login);


ngx_int_t
ngx_http_blog_login_code(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    ngx_str_t *rest)
{
    if (rest->len == 0) {
        if (r->method == NGX_HTTP_POST) {
            return ngx_http_blog_code_ask(r, ctx);
        }

        return ngx_http_blog_code_form(r, ctx, NGX_HTTP_OK, 0, NULL, NULL,
                                       NULL);
    }

    if (rest->len == 7 && ngx_strncmp(rest->data, "/verify", 7) == 0
        && r->method == NGX_HTTP_POST)
    {
        return ngx_http_blog_code_verify(r, ctx);
    }

    return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                                       "Not found",
                                       "The admin panel has no such page.");
}


/* A user name or an e-mail address: 1 to 254 bytes, no control bytes. */
static ngx_int_t
ngx_http_blog_code_login(const blog_field_t *f, ngx_str_t *login)
{
    size_t  i;

    if (f == NULL || f->len == 0 || f->len > NGX_HTTP_BLOG_LOGIN_MAX) {
        return NGX_DECLINED;
    }

    for (i = 0; i < f->len; i++) {
        if ((u_char) f->value[i] < 0x20 || f->value[i] == 0x7f) {
            return NGX_DECLINED;
        }
    }

    login->data = (u_char *) f->value;
    login->len = f->len;

    return NGX_OK;
}


/*
 * The sign-in page in one of its code forms: asking (enter = 0) or
 * entering the code, with a fresh form token either way.
 */
static ngx_int_t
ngx_http_blog_code_form(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    ngx_uint_t status, ngx_uint_t enter, const char *error, ngx_str_t *notice,
    ngx_str_t *login)
{
    ngx_array_t  *vars;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_http_blog_form_token_new(r, ctx, vars) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, enter ? "form_code" : "form_ask",
                                    "1") != NGX_OK
        || (error && ngx_http_blog_scope_cstr(r, vars, "error", error)
                     != NGX_OK)
        || (notice && ngx_http_blog_scope_str(r, vars, "sent", notice->data,
                                              notice->len) != NGX_OK)
        || (login && ngx_http_blog_scope_str(r, vars, "login", login->data,
                                             login->len) != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, status, BLOG_ATPL_LOGIN, vars);
}


/* POST login/code: the limits, the browser's token, a "mail" job. */
static ngx_int_t
ngx_http_blog_code_ask(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    u_char                          *p, msg[BLOG_TRY_AGAIN_LEN];
    u_char                           id[2 * 16 + 1];
    u_char                           token[BLOG_TOKEN_LEN + 1];
    u_char                           hash[BLOG_TOKEN_LEN + 1];
    time_t                           retry, now, minutes;
    ngx_int_t                        rc;
    ngx_str_t                        login, addr_key, user_key, notice, *addr;
    ngx_str_t                        asked;
    ngx_uint_t                       mail;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ctx->alcf;
    addr = &r->connection->addr_text;
    now = ngx_time();

    if (ctx->body.bad || ctx->body.multipart) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "Bad request", "The form could not be read.");
    }

    if (ngx_http_blog_form_token_check(r, ctx) != NGX_OK) {
        return ngx_http_blog_code_form(r, ctx, NGX_HTTP_FORBIDDEN, 0,
                   "The form expired. Please try again.", NULL, NULL);
    }

    if (ngx_http_blog_code_login(blog_form_get(&ctx->body.form, "login"),
                                 &login)
        != NGX_OK)
    {
        return ngx_http_blog_code_form(r, ctx, NGX_HTTP_BLOG_UNPROCESSABLE, 0,
                   "Enter your user name or e-mail address.", NULL, NULL);
    }

    /* per name as typed, case aside: the same for a known name as not */
    user_key.data = ngx_pnalloc(r->pool, sizeof("code-user:") + login.len);
    if (user_key.data == NULL
        || ngx_http_blog_client_key(r, "code-addr", &addr_key) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(user_key.data, "code-user:", sizeof("code-user:") - 1);
    ngx_strlow(p, login.data, login.len);
    user_key.len = sizeof("code-user:") - 1 + login.len;

    retry = 0;

    rc = ngx_http_blog_rate_check(r, alcf->ttl, &addr_key,
                                  &alcf->login_code_limit, &retry);

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog admin: sign-in code for \"%V\" refused: too many "
                      "asked for from this address", &login);

        ngx_http_blog_try_again(msg, "Too many sign-in codes asked for.",
                                retry, NULL);

        return ngx_http_blog_code_form(r, ctx, NGX_HTTP_TOO_MANY_REQUESTS, 0,
                                       (char *) msg, NULL, &login);
    }

    /* the name's mails: past the limit, none, but the asking goes on */
    if (rc == NGX_OK) {
        rc = ngx_http_blog_rate_check(r, alcf->ttl, &user_key,
                                      &alcf->login_code_limit, &retry);
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    mail = (rc == NGX_OK);

    /* this browser asked: its token's hash, with the name as typed */
    if (blog_random_hex((char *) token, BLOG_TOKEN_BYTES) != 0
        || blog_random_hex((char *) id, 16) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_blog_sha256_hex(token, BLOG_TOKEN_LEN, hash);
    asked.data = hash;
    asked.len = BLOG_TOKEN_LEN;

    if (ngx_http_blog_sql_exec(r, alcf->ttl,
            "INSERT INTO one_time_codes (code, purpose, subject, expires_at,"
            "  attempts, created_at) VALUES (?1, ?2, lower(?3), ?4, 0, ?5)",
            "tstii", &asked, NGX_HTTP_BLOG_CODE_ASKED, &login,
            (int64_t) (now + 2 * alcf->login_code_ttl), (int64_t) now)
        != SQLITE_OK
        || (mail
            && ngx_http_blog_sql_exec(r, alcf->data,
                   "INSERT INTO jobs (kind, dedupe_key, payload, run_after,"
                   "  created_at, updated_at)"
                   " VALUES ('mail', 'mail:signin:' || ?1,"
                   "  json_object('template', 'signin_code', 'login', ?2,"
                   "    'address', ?3, 'asked_at', ?4, 'ttl', ?5),"
                   "  ?4, ?4, ?4)",
                   "sttii", (char *) id, &login, addr, (int64_t) now,
                   (int64_t) alcf->login_code_ttl) != SQLITE_OK))
    {
        return ngx_http_blog_code_form(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                   0, "The code could not be sent just now. Please try "
                   "again in a moment, or sign in with your password.",
                   NULL, &login);
    }

    if (ngx_http_blog_rate_add(r, alcf->ttl, &addr_key,
                               &alcf->login_code_limit) != NGX_OK
        || (mail && ngx_http_blog_rate_add(r, alcf->ttl, &user_key,
                                           &alcf->login_code_limit)
                    != NGX_OK))
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog admin: a sign-in code request could not be "
                      "counted");
    }

    /* the code may come up to a ttl late, and lives a ttl */
    if (ngx_http_blog_set_cookie(r, NGX_HTTP_BLOG_CODE_COOKIE, token,
                                 &alcf->prefix, 2 * alcf->login_code_ttl)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    explicit_bzero(token, sizeof(token));

    minutes = alcf->login_code_ttl / 60;

    notice.data = ngx_pnalloc(r->pool, login.len + 512);
    if (notice.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (mail) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog admin: sign-in code asked for \"%V\" (job "
                      "mail:signin:%s)", &login, id);

        notice.len = ngx_sprintf(notice.data, "If \"%V\" is the name or "
                                 "e-mail address of an account here, a "
                                 "sign-in code is on its way to that "
                                 "account's e-mail address. It is valid for "
                                 "%T minute%s after it is sent.",
                                 &login, minutes, minutes == 1 ? "" : "s")
                     - notice.data;

    } else {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog admin: sign-in codes for \"%V\" asked for too "
                      "often: none mailed, the newest one works", &login);

        notice.len = ngx_sprintf(notice.data, "If \"%V\" is the name or "
                                 "e-mail address of an account here, "
                                 "sign-in codes have been sent to its e-mail "
                                 "address several times lately, so no new "
                                 "one is sent now. The newest of them works "
                                 "here, for %T minute%s after it was sent.",
                                 &login, minutes, minutes == 1 ? "" : "s")
                     - notice.data;
    }

    return ngx_http_blog_code_form(r, ctx, NGX_HTTP_OK, 1, NULL, &notice,
                                   &login);
}


/* POST login/code/verify: the asking browser, the code, then a session. */
static ngx_int_t
ngx_http_blog_code_verify(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    int                              rc;
    char                             code[BLOG_CODE_LEN + 1];
    u_char                           hash[BLOG_TOKEN_LEN + 1];
    int64_t                          user;
    ngx_int_t                        ok;
    ngx_str_t                        login, name, cookie, asked;
    ngx_uint_t                       known;
    sqlite3_stmt                    *stmt;
    const blog_field_t              *f;
    ngx_http_blog_login_keys_t       keys;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ctx->alcf;

    if (ctx->body.bad || ctx->body.multipart) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "Bad request", "The form could not be read.");
    }

    if (ngx_http_blog_code_login(blog_form_get(&ctx->body.form, "login"),
                                 &login)
        != NGX_OK)
    {
        return ngx_http_blog_code_form(r, ctx, NGX_HTTP_BLOG_UNPROCESSABLE, 0,
                   "Enter your user name or e-mail address.", NULL, NULL);
    }

    if (ngx_http_blog_form_token_check(r, ctx) != NGX_OK) {
        return ngx_http_blog_code_form(r, ctx, NGX_HTTP_FORBIDDEN, 1,
                   "The form expired. Please enter the code again.", NULL,
                   &login);
    }

    /* a browser that asked for a code for this name, and may still try */
    known = 0;
    asked.data = hash;
    asked.len = BLOG_TOKEN_LEN;

    if (ngx_http_blog_get_cookie(r, NGX_HTTP_BLOG_CODE_COOKIE, &cookie)
        == NGX_OK
        && ngx_http_blog_token_valid(&cookie))
    {
        ngx_http_blog_sha256_hex(cookie.data, BLOG_TOKEN_LEN, hash);

        stmt = ngx_http_blog_sql(r, alcf->ttl,
                   "SELECT 1 FROM one_time_codes WHERE code = ?1"
                   " AND purpose = ?2 AND subject = lower(?3)"
                   " AND expires_at > ?4", "tsti", &asked,
                   NGX_HTTP_BLOG_CODE_ASKED, &login, (int64_t) ngx_time());
        if (stmt == NULL) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        rc = sqlite3_step(stmt);
        known = (rc == SQLITE_ROW);
        sqlite3_finalize(stmt);

        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            ngx_http_blog_sql_error(r, alcf->ttl, rc, "one-time code");
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }
    }

    /* the name, so that a session by code clears its password limits */
    stmt = ngx_http_blog_sql(r, alcf->data,
               "SELECT id, name FROM users"
               " WHERE name = ?1 OR (email <> '' AND lower(email) = lower(?1))"
               " ORDER BY name = ?1 DESC LIMIT 1", "t", &login);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    user = 0;
    name = login;

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        user = sqlite3_column_int64(stmt, 0);
        rc = ngx_http_blog_column(r, stmt, 1, &name) == NGX_OK
             ? SQLITE_OK : SQLITE_NOMEM;

    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_OK) {
        ngx_http_blog_sql_error(r, alcf->data, rc, "user");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    f = blog_form_get(&ctx->body.form, "code");

    ok = NGX_DECLINED;

    /* what is not a code's shape is a wrong code too, and counts */
    if (known && user != 0) {
        ok = ngx_http_blog_code_check(r, ctx, user,
                 (f != NULL && blog_code_normalize(f->value, f->len, code)
                               == 0)
                 ? code : NULL);
        explicit_bzero(code, sizeof(code));
    }

    if (ok == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ok != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog admin: wrong or expired sign-in code for \"%V\"%s",
                      &login, known ? "" : " from a browser that did not ask "
                                           "for one");

        /* a wrong try counts against this browser's asking alone */
        if (known
            && (ngx_http_blog_sql_exec(r, alcf->ttl,
                    "UPDATE one_time_codes SET attempts = attempts + 1"
                    " WHERE code = ?1 AND purpose = ?2", "ts", &asked,
                    NGX_HTTP_BLOG_CODE_ASKED) != SQLITE_OK
                || ngx_http_blog_sql_exec(r, alcf->ttl,
                       "DELETE FROM one_time_codes WHERE code = ?1"
                       " AND purpose = ?2 AND attempts >= ?3", "tsi",
                       &asked, NGX_HTTP_BLOG_CODE_ASKED,
                       (int64_t) alcf->login_code_tries) != SQLITE_OK))
        {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        return ngx_http_blog_code_form(r, ctx, NGX_HTTP_FORBIDDEN, 1,
                   known && sqlite3_changes(alcf->ttl->db) == 0
                   ? "Wrong or expired code."
                   : "Wrong or expired code. This browser has no code to "
                     "try for this name any more: ask for a new one.",
                   NULL, &login);
    }

    if (ngx_http_blog_sql_exec(r, alcf->ttl,
            "DELETE FROM one_time_codes WHERE code = ?1 AND purpose = ?2",
            "ts", &asked, NGX_HTTP_BLOG_CODE_ASKED) != SQLITE_OK
        || ngx_http_blog_login_keys(r, &name, &keys) != NGX_OK)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    return ngx_http_blog_session_start(r, ctx, user, &name, &keys);
}


/*
 * The code (NULL: what was typed is no code) against the user's live
 * codes, hash to hash in constant time.  A match is deleted (whoever
 * deletes it first signs in: two requests with one code cannot both).
 * Returns NGX_OK for a match, NGX_DECLINED, or NGX_ERROR.
 */
static ngx_int_t
ngx_http_blog_code_check(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    int64_t user, const char *code)
{
    int                              rc;
    char                             hash[BLOG_CODE_HASH_LEN + 1];
    time_t                           now;
    ngx_str_t                        key;
    ngx_uint_t                       match;
    const unsigned char             *stored;
    sqlite3_stmt                    *stmt;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ctx->alcf;
    now = ngx_time();

    if (code == NULL) {
        ngx_memset(hash, 'x', BLOG_CODE_HASH_LEN);
        hash[BLOG_CODE_HASH_LEN] = '\0';

    } else if (blog_code_hash(BLOG_CODE_SIGNIN, user, code, hash) != 0) {
        return NGX_ERROR;
    }

    stmt = ngx_http_blog_sql(r, alcf->ttl,
               "SELECT code FROM one_time_codes"
               " WHERE purpose = ?1 AND subject = ?2 AND expires_at > ?3",
               "sii", BLOG_CODE_SIGNIN, user, (int64_t) now);
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    match = 0;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        stored = sqlite3_column_text(stmt, 0);

        if (stored != NULL
            && sqlite3_column_bytes(stmt, 0) == BLOG_CODE_HASH_LEN
            && CRYPTO_memcmp(stored, hash, BLOG_CODE_HASH_LEN) == 0)
        {
            match = 1;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, alcf->ttl, rc, "one-time code");
        return NGX_ERROR;
    }

    if (match) {
        key.data = (u_char *) hash;
        key.len = BLOG_CODE_HASH_LEN;

        if (ngx_http_blog_sql_exec(r, alcf->ttl,
                "DELETE FROM one_time_codes WHERE code = ?1", "t", &key)
            != SQLITE_OK)
        {
            return NGX_ERROR;
        }

        return sqlite3_changes(alcf->ttl->db) == 1 ? NGX_OK : NGX_DECLINED;
    }

    return NGX_DECLINED;
}
