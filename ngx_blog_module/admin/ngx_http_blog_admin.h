/*
 * ngx_http_blog_admin_module: the admin panel (CMS), sign-in and readers'
 * comments.  A second nginx module in the same .so as ngx_http_blog_module,
 * whose configuration and per-worker data.db record it reads.
 *
 * Types shared by the admin files: configuration, the per-worker writable
 * connections, the request context, and the view helpers that turn rows
 * into template scopes.
 */

#ifndef NGX_HTTP_BLOG_ADMIN_H
#define NGX_HTTP_BLOG_ADMIN_H

#include "ngx_http_blog_module.h"
#include "blog_form.h"
#include "blog_header.h"
#include "blog_multipart.h"


/* A session id and a CSRF token: 256 random bits (BLOG_TOKEN_LEN hex). */
#define BLOG_TOKEN_BYTES       32

#define BLOG_SESSION_COOKIE    "blog_session"
#define BLOG_CSRF_COOKIE       "blog_csrf"

/* A reader's commenter token (ngx_http_blog_comments.c), for a year. */
#define BLOG_COMMENTER_COOKIE  "blog_commenter"
#define BLOG_COMMENTER_AGE     (365 * 86400)

/* 422: a form that was read but not accepted (nginx 1.22 has no name). */
#define NGX_HTTP_BLOG_UNPROCESSABLE  422

/* Room for "Too many ... Try again in N minutes, or ..." */
#define BLOG_TRY_AGAIN_LEN     256

/* A multipart upload has the file and a few fields. */
#define BLOG_MAX_PARTS         8


/*
 * A worker's writable connection to data.db or ttl.db, opened on first use
 * and shared by every location that names the same file.  Reads of the
 * panel go through it too, so that they see its own writes; the readers'
 * pages keep ngx_http_blog_db_t, which notices these commits through
 * PRAGMA data_version like any other writer's.
 */
typedef struct {
    ngx_str_t                 path;
    sqlite3                  *db;
    ngx_msec_t                retry_at;
    unsigned                  ttl:1;         /* create and migrate ttl.db */
} ngx_http_blog_conn_t;


typedef enum {
    BLOG_ATPL_LOGIN = 0,
    BLOG_ATPL_POSTS,
    BLOG_ATPL_EDIT,
    BLOG_ATPL_REVISIONS,
    BLOG_ATPL_COMMENTS,
    BLOG_ATPL_MEDIA,
    BLOG_ATPL_JOBS,
    BLOG_ATPL_MESSAGE,
    BLOG_ATPL_ANALYTICS,
    BLOG_ATPL_N
} ngx_http_blog_atpl_e;

/* The admin/ folder of a theme: templates and static/ assets. */
typedef struct {
    ngx_str_t                 path;
    blog_tpl_t               *tpl[BLOG_ATPL_N];
    ngx_str_t                 static_root;
} ngx_http_blog_admin_theme_t;


typedef struct {
    ngx_array_t               conns;         /* ngx_http_blog_conn_t * */
    ngx_array_t               themes;        /* ngx_http_blog_admin_theme_t * */
    ngx_array_t               admins;        /* admin loc confs */
    ngx_event_t               publish;       /* the scheduled-post timer */
    void                     *thread_pool;   /* ngx_thread_pool_t * */
} ngx_http_blog_admin_main_conf_t;

/* At most count hits per key in window seconds. */
typedef struct {
    ngx_uint_t                count;
    time_t                    window;
} ngx_http_blog_limit_t;

typedef struct {
    ngx_str_t                 db_path;       /* "blog_admin" */
    ngx_str_t                 session_db;    /* "blog_admin_session" */
    ngx_str_t                 prefix;        /* the admin location */
    ngx_http_blog_loc_conf_t *blog;          /* the location serving it */
    ngx_http_blog_admin_theme_t *theme;

    ngx_http_blog_conn_t     *data;          /* writable data.db */
    ngx_http_blog_conn_t     *ttl;           /* "blog_ttl_db" */

    ngx_flag_t                comments;
    size_t                    upload_max;
    time_t                    session_timeout;
    time_t                    session_idle;
    ngx_http_blog_limit_t     login_limit;   /* failures, then locked */
    ngx_http_blog_limit_t     comment_limit;

    ngx_flag_t                login_code;    /* e-mailed sign-in codes */
    time_t                    login_code_ttl;
    ngx_int_t                 login_code_tries;
    ngx_http_blog_limit_t     login_code_limit;  /* codes asked for */
} ngx_http_blog_admin_loc_conf_t;


/*
 * The rate_limits keys of failed password sign-ins (blog_login_limit):
 * "login-pair:ADDR NAME" for this address and name, "login-addr:ADDR" for
 * the address whatever the names, "login-name:NAME" for the name from
 * everywhere, which slows down rather than locks.
 */
typedef struct {
    ngx_str_t                 pair;
    ngx_str_t                 addr;
    ngx_str_t                 name;
} ngx_http_blog_login_keys_t;


/* One admin or comment request. */
typedef struct {
    ngx_http_blog_admin_loc_conf_t  *alcf;
    ngx_str_t                 path;          /* under the admin location */
    ngx_str_t                 body;          /* the request body, whole */
    blog_form_t               form;          /* urlencoded bodies */
    blog_part_t               parts[BLOG_MAX_PARTS];
    size_t                    nparts;        /* multipart bodies */

    int64_t                   user_id;       /* signed in, or 0 */
    ngx_str_t                 user_name;
    u_char                    sid[BLOG_TOKEN_LEN + 1];   /* SHA-256 hex */
    u_char                    csrf[BLOG_TOKEN_LEN + 1];

    /* sign-in: the password check runs in a thread */
    int64_t                   login_user;
    ngx_str_t                 login_name;
    ngx_int_t                 login_ok;
    u_char                   *login_hash;
    ngx_str_t                 login_password;

    unsigned                  multipart:1;
    unsigned                  form_bad:1;
} ngx_http_blog_admin_ctx_t;


extern ngx_module_t  ngx_http_blog_admin_module;


/* ngx_http_blog_admin_module.c */
ngx_int_t ngx_http_blog_admin_dispatch(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
ngx_int_t ngx_http_blog_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler);
ngx_int_t ngx_http_blog_parse_body(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
const blog_field_t *ngx_http_blog_field(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, const char *name);

/* ngx_http_blog_admin_db.c */
ngx_int_t ngx_http_blog_conn_ready(ngx_http_blog_conn_t *c, ngx_log_t *log);
void ngx_http_blog_conn_close(ngx_http_blog_conn_t *c);
sqlite3_stmt *ngx_http_blog_sql(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    const char *sql, const char *types, ...);
int ngx_http_blog_sql_exec(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    const char *sql, const char *types, ...);
int ngx_http_blog_sql_begin(ngx_http_request_t *r, ngx_http_blog_conn_t *c);
int ngx_http_blog_sql_commit(ngx_http_request_t *r, ngx_http_blog_conn_t *c);
void ngx_http_blog_sql_rollback(ngx_http_blog_conn_t *c);
void ngx_http_blog_sql_error(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    int rc, const char *what);
ngx_int_t ngx_http_blog_column(ngx_http_request_t *r, sqlite3_stmt *stmt,
    int col, ngx_str_t *s);

/* ngx_http_blog_session.c */
ngx_int_t ngx_http_blog_session_load(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
ngx_int_t ngx_http_blog_csrf_check(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
ngx_int_t ngx_http_blog_login_page(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
ngx_int_t ngx_http_blog_login(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
ngx_int_t ngx_http_blog_logout(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
ngx_int_t ngx_http_blog_origin_ok(ngx_http_request_t *r);
ngx_int_t ngx_http_blog_rate_check(ngx_http_request_t *r,
    ngx_http_blog_conn_t *ttl, ngx_str_t *key, ngx_http_blog_limit_t *limit,
    time_t *retry);
ngx_int_t ngx_http_blog_rate_add(ngx_http_request_t *r,
    ngx_http_blog_conn_t *ttl, ngx_str_t *key, ngx_http_blog_limit_t *limit);
ngx_int_t ngx_http_blog_backoff_check(ngx_http_request_t *r,
    ngx_http_blog_conn_t *ttl, ngx_str_t *key, ngx_http_blog_limit_t *limit,
    time_t *retry);
ngx_int_t ngx_http_blog_backoff_add(ngx_http_request_t *r,
    ngx_http_blog_conn_t *ttl, ngx_str_t *key, ngx_http_blog_limit_t *limit);
ngx_int_t ngx_http_blog_get_cookie(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_blog_set_cookie(ngx_http_request_t *r, const char *name,
    u_char *value, ngx_str_t *path, time_t max_age);
ngx_int_t ngx_http_blog_token_valid(ngx_str_t *s);
void ngx_http_blog_sha256_hex(u_char *data, size_t len, u_char *out);
ngx_int_t ngx_http_blog_session_user(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
ngx_int_t ngx_http_blog_admin_user_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_blog_form_token_new(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *vars);
ngx_int_t ngx_http_blog_form_token_check(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
ngx_int_t ngx_http_blog_login_keys(ngx_http_request_t *r, ngx_str_t *name,
    ngx_http_blog_login_keys_t *keys);
ngx_int_t ngx_http_blog_lockout(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_login_keys_t *keys,
    ngx_str_t *name, u_char *msg);
ngx_int_t ngx_http_blog_login_failed(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_login_keys_t *keys);
void ngx_http_blog_try_again(u_char *msg, const char *what, time_t retry,
    const char *or_else);
ngx_int_t ngx_http_blog_session_start(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t user, ngx_str_t *name,
    ngx_http_blog_login_keys_t *keys);

/* ngx_http_blog_login_code.c */
ngx_int_t ngx_http_blog_login_code(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest);

/* ngx_http_blog_admin_posts.c */
ngx_int_t ngx_http_blog_admin_posts(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest);
ngx_int_t ngx_http_blog_admin_preview(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
void ngx_http_blog_publish_timer(ngx_event_t *ev);
const char *ngx_http_blog_done_notice(ngx_http_request_t *r);
ngx_int_t ngx_http_blog_go(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, const char *fmt, int64_t id,
    const char *done);

/* ngx_http_blog_admin_media.c */
ngx_int_t ngx_http_blog_admin_media(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);

/* ngx_http_blog_admin_comments.c */
ngx_int_t ngx_http_blog_admin_comments(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest);

/* ngx_http_blog_admin_jobs.c */
ngx_int_t ngx_http_blog_admin_jobs(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);

/* ngx_http_blog_admin_analytics.c */
ngx_int_t ngx_http_blog_admin_analytics(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);

/* ngx_http_blog_admin_view.c */
ngx_array_t *ngx_http_blog_view(ngx_http_request_t *r);
ngx_int_t ngx_http_blog_view_str(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const u_char *data, size_t len);
ngx_int_t ngx_http_blog_view_cstr(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const char *s);
ngx_int_t ngx_http_blog_view_int(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, int64_t n);
ngx_int_t ngx_http_blog_view_time(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, time_t t);
ngx_int_t ngx_http_blog_view_trusted(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const u_char *data, size_t len);
ngx_int_t ngx_http_blog_view_column(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, sqlite3_stmt *stmt, int col);
ngx_int_t ngx_http_blog_admin_page(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status,
    ngx_http_blog_atpl_e tpl, ngx_array_t *vars);
ngx_int_t ngx_http_blog_admin_message(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status, const char *title,
    const char *text);
ngx_int_t ngx_http_blog_redirect(ngx_http_request_t *r, ngx_str_t *location);
ngx_int_t ngx_http_blog_send_html(ngx_http_request_t *r, ngx_uint_t status,
    u_char *data, size_t len, ngx_uint_t owned);
ngx_int_t ngx_http_blog_security_headers(ngx_http_request_t *r);

/* ngx_http_blog_comments.c */
ngx_int_t ngx_http_blog_comments_enabled(ngx_http_request_t *r);

#endif /* NGX_HTTP_BLOG_ADMIN_H */
