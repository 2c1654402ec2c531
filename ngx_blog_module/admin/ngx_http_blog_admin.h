/*
 * ngx_http_blog_admin_module: the admin panel (CMS) and sign-in.  A second
 * nginx module in the same .so as ngx_http_blog_module, whose
 * configuration it reads.
 *
 * Types shared by the admin files: configuration, the request context,
 * and the panel's pages.  What the panel shares with the readers' side is
 * declared apart: request bodies (ngx_http_blog_body.h), the writable
 * connections (ngx_http_blog_conn.h), rate limits (ngx_http_blog_rate.h),
 * token cookies (ngx_http_blog_cookie.h), template scopes
 * (ngx_http_blog_scope.h), answers to forms (ngx_http_blog_response.h).
 */

#ifndef NGX_HTTP_BLOG_ADMIN_H
#define NGX_HTTP_BLOG_ADMIN_H

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_body.h"
#include "ngx_http_blog_cookie.h"
#include "ngx_http_blog_response.h"
#include "ngx_http_blog_scope.h"


#define BLOG_SESSION_COOKIE    "blog_session"
#define BLOG_CSRF_COOKIE       "blog_csrf"

/* Room for "Too many ... Try again in N minutes, or ..." */
#define BLOG_TRY_AGAIN_LEN     256


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
    BLOG_ATPL_REDIRECTS,
    BLOG_ATPL_SUBSCRIBERS,
    BLOG_ATPL_NEWSLETTERS,
    BLOG_ATPL_NEWSLETTER,
    BLOG_ATPL_N
} ngx_http_blog_atpl_e;

/* The admin/ folder of a theme: templates and static/ assets. */
typedef struct {
    ngx_str_t                 path;
    blog_tpl_t               *tpl[BLOG_ATPL_N];
    ngx_str_t                 static_root;
} ngx_http_blog_admin_theme_t;


typedef struct {
    ngx_array_t               themes;        /* ngx_http_blog_admin_theme_t * */
    ngx_array_t               admins;        /* admin loc confs */
    ngx_event_t               publish;       /* the scheduled-post timer */
    void                     *thread_pool;   /* ngx_thread_pool_t * */
} ngx_http_blog_admin_main_conf_t;

typedef struct {
    ngx_str_t                 db_path;       /* "blog_admin" */
    ngx_str_t                 session_db;    /* "blog_admin_session" */
    ngx_str_t                 prefix;        /* the admin location */
    ngx_http_blog_loc_conf_t *blog;          /* the location serving it */
    ngx_http_blog_admin_theme_t *theme;

    ngx_http_blog_conn_t     *data;          /* writable data.db */
    ngx_http_blog_conn_t     *ttl;           /* the blog's "blog_ttl_db" */

    size_t                    upload_max;
    time_t                    session_timeout;
    time_t                    session_idle;
    ngx_http_blog_limit_t     login_limit;   /* failures, then locked */

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


/* One admin request. */
typedef struct {
    ngx_http_blog_admin_loc_conf_t  *alcf;
    ngx_str_t                 path;          /* under the admin location */
    ngx_http_blog_body_t      body;          /* of a POST */

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
} ngx_http_blog_admin_ctx_t;


extern ngx_module_t  ngx_http_blog_admin_module;


/* ngx_http_blog_admin_module.c */
ngx_int_t ngx_http_blog_admin_dispatch(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);

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
ngx_int_t ngx_http_blog_go(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, const char *fmt, int64_t id,
    const char *done);

/* ngx_http_blog_admin_media.c */
ngx_int_t ngx_http_blog_admin_media(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);

/* ngx_http_blog_admin_comments.c */
ngx_int_t ngx_http_blog_admin_comments(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest);

/* ngx_http_blog_admin_redirects.c */
ngx_int_t ngx_http_blog_admin_redirects(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest);

/* ngx_http_blog_admin_subscribers.c */
ngx_int_t ngx_http_blog_admin_subscribers(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest);

/* ngx_http_blog_admin_newsletters.c */
ngx_int_t ngx_http_blog_admin_newsletters(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest);

/* ngx_http_blog_admin_jobs.c */
ngx_int_t ngx_http_blog_admin_jobs(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);

/* ngx_http_blog_admin_analytics.c */
ngx_int_t ngx_http_blog_admin_analytics(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);

/* ngx_http_blog_admin_list.c */

/* How a column of a list's SELECT is shown in its row's item. */
typedef enum {
    NGX_HTTP_BLOG_ACOL_END = 0,     /* ends the table */
    NGX_HTTP_BLOG_ACOL_TEXT,        /* escaped text */
    NGX_HTTP_BLOG_ACOL_INT,
    NGX_HTTP_BLOG_ACOL_TIME,        /* Unix seconds, shown as a date */
    NGX_HTTP_BLOG_ACOL_TRUSTED,     /* HTML we rendered: shown raw */
    NGX_HTTP_BLOG_ACOL_COUNT,       /* an integer, not set when 0 */
    NGX_HTTP_BLOG_ACOL_FLAG,        /* "1" when not 0, else not set */
    NGX_HTTP_BLOG_ACOL_SKIP         /* read by the row hook only */
} ngx_http_blog_admin_col_e;

typedef struct {
    const char                 *name;
    ngx_http_blog_admin_col_e   kind;
} ngx_http_blog_admin_col_t;

/* What a row shows beyond its columns (a URL made of two of them...). */
typedef ngx_int_t (*ngx_http_blog_admin_row_pt)(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *item, sqlite3_stmt *stmt);

typedef struct {
    const char                       *name;  /* the list's, and the log's */
    const ngx_http_blog_admin_col_t  *cols;  /* in the SELECT's order */
    ngx_http_blog_admin_row_pt        row;   /* or NULL */
    ngx_uint_t                        max;   /* rows shown, 0: all */
} ngx_http_blog_admin_list_t;

/*
 * Steps stmt (finalized here) and sets list->name in vars to its rows;
 * past list->max of them (the SELECT asks for one more), "more" is set to
 * list->max.
 * NGX_OK, NGX_HTTP_SERVICE_UNAVAILABLE when SQLite failed (logged) or
 * NGX_HTTP_INTERNAL_SERVER_ERROR.
 */
ngx_int_t ngx_http_blog_admin_list(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, sqlite3_stmt *stmt,
    const ngx_http_blog_admin_list_t *list, ngx_array_t *vars);

/* Sets name in item to the blog's address of path under route. */
ngx_int_t ngx_http_blog_admin_link(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *item, const char *name,
    ngx_str_t *route, const u_char *path, size_t len);

/* A row's id, as in "comments/12" or a form's id=12: > 0, or 0 if not. */
int64_t ngx_http_blog_admin_id(u_char *text, size_t len);

/* ngx_http_blog_admin_view.c */
ngx_int_t ngx_http_blog_admin_page(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status,
    ngx_http_blog_atpl_e tpl, ngx_array_t *vars);
ngx_int_t ngx_http_blog_admin_message(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status, const char *title,
    const char *text);

#endif /* NGX_HTTP_BLOG_ADMIN_H */
