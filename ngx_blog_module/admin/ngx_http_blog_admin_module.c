/*
 * ngx_http_blog_admin_module: directives, configuration, worker start and
 * exit, and the admin location's content handler, which reads the request
 * body, loads the session and sends each path to its page.
 *
 *   location /admin/ {
 *       blog_admin /var/lib/blog/data.db;    # the file a "blog" serves
 *   }
 *
 * Paths under the admin location:
 *
 *   login, logout                 sign-in form, sign-out (POST)
 *   login/code[/verify]           sign-in by an e-mailed code (if on)
 *   "" , posts[?type=page]        posts (or pages), newest first
 *   posts/new, posts/ID           create, edit; POST saves or previews
 *   posts/ID/delete               (POST)
 *   posts/ID/revisions[?rev=N]    revisions, a diff against the previous
 *   posts/ID/rollback             (POST rev=N)
 *   preview                       (POST) rendered Markdown, for the editor
 *   media                         uploads; POST multipart uploads one
 *   comments[?status=...]         moderation queue
 *   comments/ID                   (POST action=approve|spam|delete|trust)
 *   redirects                     the redirects; POST adds one
 *   redirects/ID                  (POST action=save|delete)
 *   jobs                          the jobrunner's queue and dead letters
 *   analytics                     views, visitors, referrers: 30 days
 *   subscribers[?q=&status=]      the newsletter's subscribers, counts
 *   subscribers/import            (POST a CSV file: email,name)
 *   subscribers/export.csv        every subscriber, as CSV
 *   newsletters                   the sends, each with its counts
 *   newsletters/ID                one send's live progress, dead letters
 *                                 (POST action=retry [delivery=N])
 *   static/...                    the theme's admin/static/ files
 */

#include "admin/ngx_http_blog_admin.h"
#include "blog_template.h"


static ngx_int_t ngx_http_blog_admin_handler(ngx_http_request_t *r);
static void ngx_http_blog_admin_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_admin_route(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);

static char *ngx_http_blog_admin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_blog_admin_session(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_http_blog_admin_theme_t *ngx_http_blog_admin_theme(ngx_conf_t *cf,
    ngx_str_t *theme);
static void ngx_http_blog_admin_theme_cleanup(void *data);

static ngx_int_t ngx_http_blog_admin_variables(ngx_conf_t *cf);
static void *ngx_http_blog_admin_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_blog_admin_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_blog_admin_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_blog_admin_postconf(ngx_conf_t *cf);
static ngx_int_t ngx_http_blog_admin_init_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_http_blog_code_tries_bounds = {
    ngx_conf_check_num_bounds, 1, 10
};


static ngx_command_t  ngx_http_blog_admin_commands[] = {

    { ngx_string("blog_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_admin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_admin_session"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_admin_session,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_upload_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_admin_loc_conf_t, upload_max),
      NULL },

    { ngx_string("blog_session_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_admin_loc_conf_t, session_timeout),
      NULL },

    { ngx_string("blog_session_idle"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_admin_loc_conf_t, session_idle),
      NULL },

    { ngx_string("blog_login_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_blog_conf_set_limit_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_admin_loc_conf_t, login_limit),
      NULL },

    { ngx_string("blog_login_code"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_admin_loc_conf_t, login_code),
      NULL },

    { ngx_string("blog_login_code_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_admin_loc_conf_t, login_code_ttl),
      NULL },

    { ngx_string("blog_login_code_tries"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_admin_loc_conf_t, login_code_tries),
      &ngx_http_blog_code_tries_bounds },

    { ngx_string("blog_login_code_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_blog_conf_set_limit_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_admin_loc_conf_t, login_code_limit),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_blog_admin_module_ctx = {
    ngx_http_blog_admin_variables,         /* preconfiguration */
    ngx_http_blog_admin_postconf,          /* postconfiguration */

    ngx_http_blog_admin_create_main_conf,  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_blog_admin_create_loc_conf,   /* create location configuration */
    ngx_http_blog_admin_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_blog_admin_module = {
    NGX_MODULE_V1,
    &ngx_http_blog_admin_module_ctx,       /* module context */
    ngx_http_blog_admin_commands,          /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_blog_admin_init_process,      /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* The panel's templates, in ngx_http_blog_atpl_e order, under admin/. */
static char  *ngx_http_blog_admin_tpl_files[BLOG_ATPL_N] = {
    "login.html", "posts.html", "edit.html", "revisions.html",
    "comments.html", "media.html", "jobs.html", "message.html",
    "analytics.html", "redirects.html", "subscribers.html",
    "newsletters.html", "newsletter.html"
};


static ngx_int_t
ngx_http_blog_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        rel;
    ngx_http_blog_admin_ctx_t       *ctx;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_admin_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_admin_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->alcf = alcf;
    ngx_http_set_ctx(r, ctx, ngx_http_blog_admin_module);

    if (r->uri.len >= alcf->prefix.len
        && ngx_strncmp(r->uri.data, alcf->prefix.data, alcf->prefix.len) == 0)
    {
        ctx->path.len = r->uri.len - alcf->prefix.len;
        ctx->path.data = r->uri.data + alcf->prefix.len;
    }

    /* the panel's own CSS and JS need no session */
    if (ctx->path.len > 7 && ngx_strncmp(ctx->path.data, "static/", 7) == 0
        && (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)))
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        rel.len = ctx->path.len - 7;
        rel.data = ctx->path.data + 7;

        return ngx_http_blog_send_file(r, &alcf->theme->static_root, &rel);
    }

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_blog_admin_dispatch(r, ctx);
    }

    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    return ngx_http_blog_body_read(r, ngx_http_blog_admin_body);
}


static void
ngx_http_blog_admin_body(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_blog_admin_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_blog_admin_module);

    rc = ngx_http_blog_body_parse(r, &ctx->body);

    if (rc == NGX_OK) {
        rc = ngx_http_blog_admin_dispatch(r, ctx);
    }

    /* a sign-in waits for its password check in a thread */
    if (rc == NGX_DONE) {
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * Every page but the sign-in form needs a session; every POST but the
 * sign-in (which has its own token) needs the session's CSRF token.
 * Returns an HTTP status, NGX_DONE, or what the page's handler returns.
 */
ngx_int_t
ngx_http_blog_admin_dispatch(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_int_t   rc;
    ngx_str_t  *path, login, rest;

    path = &ctx->path;

    if (ngx_http_blog_conn_ready(ctx->alcf->data, r->connection->log)
        != NGX_OK
        || ngx_http_blog_conn_ready(ctx->alcf->ttl, r->connection->log)
           != NGX_OK)
    {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Database unavailable",
                   "The blog's database cannot be opened; the error log "
                   "says why.");
    }

    if (path->len == 5 && ngx_strncmp(path->data, "login", 5) == 0) {
        return (r->method == NGX_HTTP_POST) ? ngx_http_blog_login(r, ctx)
                                            : ngx_http_blog_login_page(r, ctx);
    }

    /* login/code, login/code/verify: signing in by an e-mailed code */
    if (path->len >= 10 && ngx_strncmp(path->data, "login/code", 10) == 0
        && ctx->alcf->login_code)
    {
        rest.data = path->data + 10;
        rest.len = path->len - 10;
        return ngx_http_blog_login_code(r, ctx, &rest);
    }

    rc = ngx_http_blog_session_load(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ctx->user_id == 0) {
        if (r->method == NGX_HTTP_POST) {
            return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_FORBIDDEN,
                       "Signed out",
                       "Your session has ended. Sign in again; what you "
                       "sent was not saved.");
        }

        login.len = ctx->alcf->prefix.len + sizeof("login") - 1;
        login.data = ngx_pnalloc(r->pool, login.len);
        if (login.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_sprintf(login.data, "%Vlogin", &ctx->alcf->prefix);

        return ngx_http_blog_redirect(r, &login);
    }

    if (r->method == NGX_HTTP_POST && ngx_http_blog_csrf_check(r, ctx)
                                      != NGX_OK)
    {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_FORBIDDEN,
                   "Form expired",
                   "This form is not from your current session (or not from "
                   "this site). Go back, reload the page and send it again.");
    }

    return ngx_http_blog_admin_route(r, ctx);
}


static ngx_int_t
ngx_http_blog_admin_route(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_str_t  *path, rest;

    path = &ctx->path;

#define ngx_http_blog_is(s)                                                   \
    (path->len == sizeof(s) - 1                                               \
     && ngx_strncmp(path->data, s, sizeof(s) - 1) == 0)

#define ngx_http_blog_under(s)                                                \
    (path->len > sizeof(s) - 1                                                \
     && ngx_strncmp(path->data, s, sizeof(s) - 1) == 0)

    if (ngx_http_blog_is("logout") && r->method == NGX_HTTP_POST) {
        return ngx_http_blog_logout(r, ctx);
    }

    if (path->len == 0 || ngx_http_blog_is("posts")
        || ngx_http_blog_under("posts/"))
    {
        rest.data = path->data + ngx_min(path->len, sizeof("posts/") - 1);
        rest.len = path->len - (rest.data - path->data);
        return ngx_http_blog_admin_posts(r, ctx, &rest);
    }

    if (ngx_http_blog_is("preview") && r->method == NGX_HTTP_POST) {
        return ngx_http_blog_admin_preview(r, ctx);
    }

    if (ngx_http_blog_is("media")) {
        return ngx_http_blog_admin_media(r, ctx);
    }

    if (ngx_http_blog_is("comments") || ngx_http_blog_under("comments/")) {
        rest.data = path->data + ngx_min(path->len, sizeof("comments/") - 1);
        rest.len = path->len - (rest.data - path->data);
        return ngx_http_blog_admin_comments(r, ctx, &rest);
    }

    if (ngx_http_blog_is("redirects") || ngx_http_blog_under("redirects/")) {
        rest.data = path->data + ngx_min(path->len, sizeof("redirects/") - 1);
        rest.len = path->len - (rest.data - path->data);
        return ngx_http_blog_admin_redirects(r, ctx, &rest);
    }

    if (ngx_http_blog_is("subscribers")
        || ngx_http_blog_under("subscribers/"))
    {
        rest.data = path->data
                    + ngx_min(path->len, sizeof("subscribers/") - 1);
        rest.len = path->len - (rest.data - path->data);
        return ngx_http_blog_admin_subscribers(r, ctx, &rest);
    }

    if (ngx_http_blog_is("newsletters")
        || ngx_http_blog_under("newsletters/"))
    {
        rest.data = path->data
                    + ngx_min(path->len, sizeof("newsletters/") - 1);
        rest.len = path->len - (rest.data - path->data);
        return ngx_http_blog_admin_newsletters(r, ctx, &rest);
    }

    if (ngx_http_blog_is("jobs")) {
        return ngx_http_blog_admin_jobs(r, ctx);
    }

    if (ngx_http_blog_is("analytics")) {
        return ngx_http_blog_admin_analytics(r, ctx);
    }

#undef ngx_http_blog_is
#undef ngx_http_blog_under

    return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                                       "Not found",
                                       "The admin panel has no such page.");
}


/* blog_admin path/to/data.db; -- the admin panel of that database */

static char *
ngx_http_blog_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_admin_loc_conf_t *alcf = conf;

    ngx_str_t                        *value, path;
    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_blog_admin_main_conf_t  *amcf;
    ngx_http_blog_admin_loc_conf_t  **admp;

    if (alcf->db_path.data) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

#if (NGX_PCRE)
    if (clcf->regex) {
        return "cannot be used in a regex location";
    }
#endif

    if (clcf->named || clcf->exact_match || clcf->name.len == 0
        || clcf->name.data[clcf->name.len - 1] != '/')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_admin\" needs a "
                           "prefix location that ends with \"/\", such as "
                           "\"location /admin/\", not \"%V\"", &clcf->name);
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;
    path = value[1];

    if (path.len == 0) {
        return "needs a database path";
    }

    if (ngx_conf_full_name(cf->cycle, &path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    alcf->db_path = path;
    alcf->prefix = clcf->name;
    alcf->data = ngx_http_blog_conn_add(cf, &path, 0);
    if (alcf->data == NULL) {
        return NGX_CONF_ERROR;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_blog_admin_module);

    admp = ngx_array_push(&amcf->admins);
    if (admp == NULL) {
        return NGX_CONF_ERROR;
    }

    *admp = alcf;

#if (NGX_THREADS)
    /* argon2 runs in nginx's default thread pool, not in the event loop */
    amcf->thread_pool = ngx_thread_pool_add(cf, NULL);
    if (amcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }
#endif

    clcf->handler = ngx_http_blog_admin_handler;

    return NGX_CONF_OK;
}


/*
 * blog_admin_session path/to/data.db; -- $blog_admin_user in this location
 * names the admin signed in with the request's session cookie, for a
 * proxied service that trusts nginx (the realtime hub's alerts)
 */

static char *
ngx_http_blog_admin_session(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_admin_loc_conf_t *alcf = conf;

    ngx_str_t  *value, path;

    if (alcf->session_db.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (path.len == 0) {
        return "needs a database path";
    }

    if (ngx_conf_full_name(cf->cycle, &path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    alcf->session_db = path;
    alcf->data = ngx_http_blog_conn_add(cf, &path, 0);

    return alcf->data ? NGX_CONF_OK : NGX_CONF_ERROR;
}


/*
 * For the event streams' cap (ngx_http_blog_module.h): whether the
 * location being merged has blog_admin_session, as the hub's has.  Set
 * when the directive is read, so the order of the merges does not matter.
 */
ngx_uint_t
ngx_http_blog_admin_session_conf(ngx_conf_t *cf)
{
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_blog_admin_module);

    return alcf->session_db.data != NULL;
}


static ngx_int_t
ngx_http_blog_admin_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var;

    var = ngx_http_add_variable(cf, &(ngx_str_t) ngx_string("blog_admin_user"),
                                NGX_HTTP_VAR_NOCACHEABLE);
    if (var == NULL) {
        return NGX_ERROR;
    }

    var->get_handler = ngx_http_blog_admin_user_variable;

    return NGX_OK;
}


/* The admin/ folder of a blog's theme, compiled once per theme. */
static ngx_http_blog_admin_theme_t *
ngx_http_blog_admin_theme(ngx_conf_t *cf, ngx_str_t *theme)
{
    char                              err[512], *real;
    ngx_uint_t                        i;
    ngx_str_t                         path;
    ngx_pool_cleanup_t               *cln;
    ngx_http_blog_admin_theme_t      *at, **atp;
    ngx_http_blog_admin_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_blog_admin_module);
    atp = amcf->themes.elts;

    path.len = theme->len + sizeof("/admin") - 1;
    path.data = ngx_pnalloc(cf->pool, path.len + sizeof("/static"));
    if (path.data == NULL) {
        return NULL;
    }

    ngx_sprintf(path.data, "%V/admin%Z", theme);

    for (i = 0; i < amcf->themes.nelts; i++) {
        if (atp[i]->path.len == path.len
            && ngx_strncmp(atp[i]->path.data, path.data, path.len) == 0)
        {
            return atp[i];
        }
    }

    at = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_admin_theme_t));
    atp = ngx_array_push(&amcf->themes);
    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (at == NULL || atp == NULL || cln == NULL) {
        return NULL;
    }

    at->path = path;
    *atp = at;

    cln->handler = ngx_http_blog_admin_theme_cleanup;
    cln->data = at;

    for (i = 0; i < BLOG_ATPL_N; i++) {
        at->tpl[i] = blog_tpl_load((char *) path.data,
                                   ngx_http_blog_admin_tpl_files[i],
                                   err, sizeof(err));
        if (at->tpl[i] == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "admin theme: %s", err);
            return NULL;
        }
    }

    /* static/ is resolved once; requests compare their paths with it */
    ngx_sprintf(path.data + path.len, "/static%Z");

    real = realpath((char *) path.data, NULL);
    if (real == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno, "admin theme: "
                           "\"%s\" cannot be used", path.data);
        return NULL;
    }

    at->static_root.len = ngx_strlen(real);
    at->static_root.data = ngx_pnalloc(cf->pool, at->static_root.len + 1);
    if (at->static_root.data == NULL) {
        free(real);
        return NULL;
    }

    ngx_memcpy(at->static_root.data, real, at->static_root.len + 1);
    free(real);

    path.data[path.len] = '\0';

    return at;
}


static void
ngx_http_blog_admin_theme_cleanup(void *data)
{
    ngx_http_blog_admin_theme_t  *at = data;

    ngx_uint_t  i;

    for (i = 0; i < BLOG_ATPL_N; i++) {
        blog_tpl_free(at->tpl[i]);
    }
}


static void *
ngx_http_blog_admin_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_blog_admin_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_admin_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&amcf->themes, cf->pool, 2,
                       sizeof(ngx_http_blog_admin_theme_t *)) != NGX_OK
        || ngx_array_init(&amcf->admins, cf->pool, 2,
                          sizeof(ngx_http_blog_admin_loc_conf_t *)) != NGX_OK)
    {
        return NULL;
    }

    return amcf;
}


static void *
ngx_http_blog_admin_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_admin_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     alcf->db_path = { 0, NULL };
     *     alcf->session_db = { 0, NULL };
     *     alcf->prefix = { 0, NULL };
     *     alcf->blog = NULL;
     *     alcf->theme = NULL;
     *     alcf->data = NULL;
     *     alcf->ttl = NULL;
     */

    alcf->upload_max = NGX_CONF_UNSET_SIZE;
    alcf->session_timeout = NGX_CONF_UNSET;
    alcf->session_idle = NGX_CONF_UNSET;
    alcf->login_limit.count = NGX_CONF_UNSET_UINT;
    alcf->login_code = NGX_CONF_UNSET;
    alcf->login_code_ttl = NGX_CONF_UNSET;
    alcf->login_code_tries = NGX_CONF_UNSET;
    alcf->login_code_limit.count = NGX_CONF_UNSET_UINT;

    return alcf;
}


static char *
ngx_http_blog_admin_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_blog_admin_loc_conf_t *prev = parent;
    ngx_http_blog_admin_loc_conf_t *conf = child;

    size_t                     body;
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_blog_loc_conf_t  *blcf;

    ngx_conf_merge_size_value(conf->upload_max, prev->upload_max,
                              10 * 1024 * 1024);
    ngx_conf_merge_sec_value(conf->session_timeout, prev->session_timeout,
                             12 * 60 * 60);
    ngx_conf_merge_sec_value(conf->session_idle, prev->session_idle, 60 * 60);

    if (conf->login_limit.count == NGX_CONF_UNSET_UINT) {
        conf->login_limit = prev->login_limit;
    }

    if (conf->login_limit.count == NGX_CONF_UNSET_UINT) {
        conf->login_limit.count = 5;
        conf->login_limit.window = 15 * 60;
    }

    ngx_conf_merge_value(conf->login_code, prev->login_code, 0);
    ngx_conf_merge_sec_value(conf->login_code_ttl, prev->login_code_ttl,
                             10 * 60);
    ngx_conf_merge_value(conf->login_code_tries, prev->login_code_tries, 5);

    /* a code lives long enough to arrive, not long enough to be guessed */
    if (conf->login_code_ttl < 60 || conf->login_code_ttl > 3600) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_login_code_ttl\" "
                           "must be from 1m to 1h");
        return NGX_CONF_ERROR;
    }

    if (conf->login_code_limit.count == NGX_CONF_UNSET_UINT) {
        conf->login_code_limit = prev->login_code_limit;
    }

    if (conf->login_code_limit.count == NGX_CONF_UNSET_UINT) {
        conf->login_code_limit.count = 3;
        conf->login_code_limit.window = 15 * 60;
    }

    if (conf->session_idle > conf->session_timeout) {
        conf->session_idle = conf->session_timeout;
    }

    /*
     * The blog module's configuration of this location is merged already
     * (it comes first in the .so): ttl.db is its "blog_ttl_db", and where
     * readers comment, a comment is trusted when its author is signed in
     * to the panel (ngx_http_blog_signed_in), whose users are in the
     * comments' data.db.
     */
    blcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_blog_module);

    conf->ttl = blcf->ttl;

    if (blcf->comment_conn) {
        conf->data = blcf->comment_conn;
    }

    if (conf->session_db.data && conf->ttl == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_admin_session\" "
                           "needs \"blog_ttl_db\", where the sessions are");
        return NGX_CONF_ERROR;
    }

    if (conf->db_path.data == NULL) {
        return NGX_CONF_OK;
    }

    if (conf->ttl == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_admin\" in "
                           "location \"%V\" needs \"blog_ttl_db\" for its "
                           "sessions", &conf->prefix);
        return NGX_CONF_ERROR;
    }

    /* an upload is read whole: let nginx accept one, plus the form */
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    body = conf->upload_max + 64 * 1024;

    if (clcf->client_max_body_size != 0
        && clcf->client_max_body_size < (off_t) body)
    {
        clcf->client_max_body_size = body;
    }

    return NGX_CONF_OK;
}


/*
 * Every location is merged now: each panel finds the "blog" location
 * that serves its database, whose theme, media folder and routes it uses.
 */
static ngx_int_t
ngx_http_blog_admin_postconf(ngx_conf_t *cf)
{
    ngx_uint_t                         i, k;
    ngx_http_blog_loc_conf_t         **locs;
    ngx_http_blog_main_conf_t         *bmcf;
    ngx_http_blog_admin_loc_conf_t   **adm;
    ngx_http_blog_admin_main_conf_t   *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_blog_admin_module);
    bmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_blog_module);

    adm = amcf->admins.elts;
    locs = bmcf->locations.elts;

    for (i = 0; i < amcf->admins.nelts; i++) {
        for (k = 0; k < bmcf->locations.nelts; k++) {
            if (locs[k]->db->path.len == adm[i]->db_path.len
                && ngx_strncmp(locs[k]->db->path.data, adm[i]->db_path.data,
                               adm[i]->db_path.len) == 0)
            {
                break;
            }
        }

        if (k == bmcf->locations.nelts) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_admin %V\" in "
                               "location \"%V\": no \"blog\" location "
                               "serves this database", &adm[i]->db_path,
                               &adm[i]->prefix);
            return NGX_ERROR;
        }

        adm[i]->blog = locs[k];
        adm[i]->theme = ngx_http_blog_admin_theme(cf, &locs[k]->theme->path);
        if (adm[i]->theme == NULL) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_blog_admin_init_process(ngx_cycle_t *cycle)
{
    ngx_http_blog_admin_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_blog_admin_module);
    if (amcf == NULL || amcf->admins.nelts == 0) {
        return NGX_OK;
    }

#if (NGX_THREADS)
    amcf->thread_pool = ngx_thread_pool_get(cycle, &(ngx_str_t)
                                            ngx_string("default"));
#endif

    /* one worker publishes scheduled posts; the others need not wake */
    if (ngx_worker != 0) {
        return NGX_OK;
    }

    amcf->publish.handler = ngx_http_blog_publish_timer;
    amcf->publish.data = amcf;
    amcf->publish.log = cycle->log;
    amcf->publish.cancelable = 1;

    ngx_add_timer(&amcf->publish, 1000);

    return NGX_OK;
}
