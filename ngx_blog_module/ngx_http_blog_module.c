/*
 * ngx_http_blog_module: directives, configuration, worker start and exit,
 * and the content handler that sends each request to a file, a page or,
 * for a POST, the comments.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_response.h"


static ngx_int_t ngx_http_blog_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_send_page(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *path);
static ngx_int_t ngx_http_blog_send_redirect(ngx_http_request_t *r,
    ngx_http_blog_page_t *page);
static ngx_int_t ngx_http_blog_page_key(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *path, ngx_str_t *key);
static ngx_int_t ngx_http_blog_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static char *ngx_http_blog(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_blog_theme(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_blog_media_root(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_blog_route(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_blog_base_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_blog_ttl_db(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_blog_realpath(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *real);
static ngx_uint_t ngx_http_blog_theme_lacks(ngx_conf_t *cf, ngx_str_t *dir,
    char *file);
static void ngx_http_blog_theme_cleanup(void *data);

static ngx_int_t ngx_http_blog_add_variables(ngx_conf_t *cf);
static void *ngx_http_blog_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_blog_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_blog_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_blog_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_blog_init_process(ngx_cycle_t *cycle);
static void ngx_http_blog_exit_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_http_blog_per_page_bounds = {
    ngx_conf_check_num_bounds, 1, 1000
};

static ngx_conf_num_bounds_t  ngx_http_blog_gzip_level_bounds = {
    ngx_conf_check_num_bounds, 1, 9
};

static ngx_conf_num_bounds_t  ngx_http_blog_brotli_quality_bounds = {
    ngx_conf_check_num_bounds, 0, 11
};


static ngx_command_t  ngx_http_blog_commands[] = {

    { ngx_string("blog"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_theme"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_theme,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_media_root"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_media_root,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_route"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_blog_route,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_posts_per_page"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, per_page),
      &ngx_http_blog_per_page_bounds },

    { ngx_string("blog_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, cache),
      NULL },

    { ngx_string("blog_views_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, views_max_age),
      NULL },

    { ngx_string("blog_cache_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, cache_size),
      NULL },

    { ngx_string("blog_compress"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, compress),
      NULL },

    { ngx_string("blog_compress_parts_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, parts_size),
      NULL },

    { ngx_string("blog_gzip_level"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, compress_level[BLOG_CODING_GZIP]),
      &ngx_http_blog_gzip_level_bounds },

    { ngx_string("blog_brotli_quality"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, compress_level[BLOG_CODING_BR]),
      &ngx_http_blog_brotli_quality_bounds },

    { ngx_string("blog_base_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_base_url,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_busy_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_blog_main_conf_t, busy_timeout),
      NULL },

    { ngx_string("blog_image_sizes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, image_sizes),
      NULL },

    { ngx_string("blog_live_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, live_url),
      NULL },

    { ngx_string("blog_ttl_db"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_ttl_db,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_comments"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, comments),
      NULL },

    { ngx_string("blog_comment_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_blog_conf_set_limit_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, comment_limit),
      NULL },

    { ngx_string("blog_newsletter"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, newsletter),
      NULL },

    { ngx_string("blog_newsletter_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_blog_conf_set_limit_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, newsletter_limit),
      NULL },

    { ngx_string("blog_newsletter_address_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_blog_conf_set_limit_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_loc_conf_t, newsletter_address_limit),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_blog_module_ctx = {
    ngx_http_blog_add_variables,           /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_blog_create_main_conf,        /* create main configuration */
    ngx_http_blog_init_main_conf,          /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_blog_create_loc_conf,         /* create location configuration */
    ngx_http_blog_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_blog_module = {
    NGX_MODULE_V1,
    &ngx_http_blog_module_ctx,             /* module context */
    ngx_http_blog_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_blog_search_init_module,      /* init module */
    ngx_http_blog_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_blog_exit_process,            /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* The route names of "blog_route", in ngx_http_blog_route_e order. */
static ngx_str_t  ngx_http_blog_route_names[BLOG_ROUTE_N] = {
    ngx_string("post"),
    ngx_string("tag"),
    ngx_string("page"),
    ngx_string("feed"),
    ngx_string("sitemap"),
    ngx_string("media"),
    ngx_string("static"),
    ngx_string("search"),
    ngx_string("opensearch")
};

static ngx_str_t  ngx_http_blog_route_defaults[BLOG_ROUTE_N] = {
    ngx_string("posts/"),
    ngx_string("tags/"),
    ngx_string("page/"),
    ngx_string("feed.xml"),
    ngx_string("sitemap.xml"),
    ngx_string("media/"),
    ngx_string("static/"),
    ngx_string("search"),
    ngx_string("opensearch.xml")
};

/* The theme's files, in ngx_http_blog_tpl_e order. */
static char  *ngx_http_blog_tpl_files[BLOG_TPL_N] = {
    "index.html", "post.html", "page.html", "tag.html", "404.html",
    "feed.xml", "sitemap.xml", "sitemap-index.xml", "robots.txt",
    "search.html", "opensearch.xml", "newsletter.html"
};

/*
 * The theme's icons, served at the top of the location from its static/
 * folder as well: browsers ask for them there without being told.
 */
static ngx_str_t  ngx_http_blog_icons[] = {
    ngx_string("favicon.ico"),
    ngx_string("apple-touch-icon.png"),
    ngx_null_string
};

static ngx_str_t  ngx_http_blog_content_types[] = {
    ngx_string("text/html"),
    ngx_string("application/atom+xml"),
    ngx_string("application/xml"),
    ngx_string("text/plain"),
    ngx_string("application/opensearchdescription+xml")
};

static ngx_http_variable_t  ngx_http_blog_vars[] = {

    { ngx_string("blog_cache_status"), NULL, ngx_http_blog_variable,
      offsetof(ngx_http_blog_ctx_t, cache_status), NGX_HTTP_VAR_NOCACHEABLE,
      0 },

    { ngx_string("blog_slug"), NULL, ngx_http_blog_variable,
      offsetof(ngx_http_blog_ctx_t, slug), NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};

static ngx_str_t  ngx_http_blog_cache_hit = ngx_string("HIT");
static ngx_str_t  ngx_http_blog_cache_miss = ngx_string("MISS");
static ngx_str_t  ngx_http_blog_cache_bypass = ngx_string("BYPASS");


static ngx_int_t
ngx_http_blog_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  path, rel, *route;
    ngx_http_blog_loc_conf_t  *blcf;

    blcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_module);

    /* an internal redirect may bring a URI from outside the location */
    if (r->uri.len < blcf->prefix.len
        || ngx_strncmp(r->uri.data, blcf->prefix.data, blcf->prefix.len) != 0)
    {
        path.len = 1;
        path.data = (u_char *) "/";

    } else {
        path.len = r->uri.len - blcf->prefix.len;
        path.data = r->uri.data + blcf->prefix.len;
    }

    /* the newsletter's pages take a POST too, and tokens in the query */
    rc = ngx_http_blog_newsletter(r, blcf, &path);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* a reader's comment is the one other POST a blog takes */
    if (r->method == NGX_HTTP_POST) {
        rc = ngx_http_blog_comment_post(r, blcf, &path);
        return (rc == NGX_DECLINED) ? NGX_HTTP_NOT_ALLOWED : rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    route = &blcf->route[BLOG_ROUTE_MEDIA];
    if (path.len >= route->len
        && ngx_strncmp(path.data, route->data, route->len) == 0)
    {
        rel.len = path.len - route->len;
        rel.data = path.data + route->len;
        return ngx_http_blog_send_file(r, &blcf->media_root, &rel);
    }

    route = &blcf->route[BLOG_ROUTE_STATIC];
    if (path.len >= route->len
        && ngx_strncmp(path.data, route->data, route->len) == 0)
    {
        rel.len = path.len - route->len;
        rel.data = path.data + route->len;
        return ngx_http_blog_send_file(r, &blcf->static_root, &rel);
    }

    for (route = ngx_http_blog_icons; route->len; route++) {
        if (path.len == route->len
            && ngx_strncmp(path.data, route->data, route->len) == 0)
        {
            return ngx_http_blog_send_file(r, &blcf->static_root, &path);
        }
    }

    return ngx_http_blog_send_page(r, blcf, &path);
}


static ngx_int_t
ngx_http_blog_send_page(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_str_t *path)
{
    u_char                 *body;
    size_t                  len;
    ngx_int_t               rc;
    ngx_str_t               key, tag, *route;
    ngx_table_elt_t        *etag;
    ngx_http_blog_ctx_t    *ctx;
    ngx_http_blog_page_t   *page, moved;
    ngx_http_blog_cache_t  *cache;
    ngx_http_blog_coded_t  *coded;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_blog_module);

    if (ngx_http_blog_db_ready(blcf->db, r->connection->log) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /*
     * The index with a query may be an old permalink ("/?p=123"): asked
     * before the cache, which keys pages without their query.
     */
    if (path->len == 0 && r->args.len) {
        ngx_memzero(&moved, sizeof(ngx_http_blog_page_t));

        rc = ngx_http_blog_render_query(r, blcf, &moved);
        if (rc != NGX_DECLINED) {
            return rc == NGX_OK ? ngx_http_blog_send_redirect(r, &moved) : rc;
        }
    }

    if (ngx_http_blog_page_key(r, blcf, path, &key) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (blcf->cache && blcf->page_cache == NULL) {
        blcf->page_cache = ngx_http_blog_cache_create(blcf->cache_size);
        if (blcf->page_cache == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    page = NULL;
    ctx->cache_status = ngx_http_blog_cache_bypass;

    /*
     * Search results are not cached: each query is a page of its own,
     * most are asked once, and they would push out the pages read often.
     */
    route = &blcf->route[BLOG_ROUTE_SEARCH];
    cache = (path->len == route->len
             && ngx_strncmp(path->data, route->data, route->len) == 0)
            ? NULL : blcf->page_cache;

    if (cache) {
        page = ngx_http_blog_cache_lookup(cache, &key, blcf->db->generation);
        ctx->cache_status = page ? ngx_http_blog_cache_hit
                                 : ngx_http_blog_cache_miss;
    }

    if (page == NULL) {
        page = ngx_http_blog_page_alloc(&key);
        if (page == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = ngx_http_blog_render(r, blcf, path, page);
        if (rc != NGX_OK) {
            ngx_http_blog_page_release(page);
            return rc;
        }

        if (page->location.len) {
            rc = ngx_http_blog_send_redirect(r, page);
            ngx_http_blog_page_release(page);
            return rc;
        }

        /* a 404 for every made-up URL would push real pages out */
        if (cache && page->status == NGX_HTTP_OK) {
            (void) ngx_http_blog_cache_insert(cache, page);
        }

        rc = ngx_http_blog_page_hold(r, page);
        ngx_http_blog_page_release(page);

    } else {
        rc = ngx_http_blog_page_hold(r, page);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a post was served: its slug goes into the access event */
    route = &blcf->route[BLOG_ROUTE_POST];

    if (page->status == NGX_HTTP_OK && path->len > route->len
        && ngx_strncmp(path->data, route->data, route->len) == 0)
    {
        ctx->slug.data = path->data + route->len;
        ctx->slug.len = path->len - route->len;
    }

    body = page->body;
    len = page->len;
    tag.data = page->etag;
    tag.len = ngx_strlen(page->etag);

    if (blcf->compress) {
        if (ngx_http_blog_compress(r, blcf, page, &coded) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (coded) {
            body = coded->data;
            len = coded->len;
            tag.data = coded->etag;
            tag.len = ngx_strlen(coded->etag);
        }

        ngx_http_blog_compress_held(r, page, coded, &tag);
    }

    /* ranges of the bytes sent, in whatever coding, as gzip_static does */
    r->allow_ranges = 1;

    r->headers_out.status = page->status;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type = ngx_http_blog_content_types[page->content_type];
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    ngx_str_set(&r->headers_out.charset, "utf-8");

    if (page->status == NGX_HTTP_OK) {
        r->headers_out.last_modified_time = page->last_modified;

        etag = ngx_list_push(&r->headers_out.headers);
        if (etag == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        etag->hash = 1;
#if (nginx_version >= 1023000)
        etag->next = NULL;
#endif
        ngx_str_set(&etag->key, "ETag");
        etag->value = tag;
        r->headers_out.etag = etag;
    }

    return ngx_http_blog_send_body(r, body, len);
}


/*
 * A moved page: nginx sends the status with its own short body, and makes
 * a Location of "/..." absolute as the request came (absolute_redirect).
 */

static ngx_int_t
ngx_http_blog_send_redirect(ngx_http_request_t *r, ngx_http_blog_page_t *page)
{
    ngx_http_complex_value_t  cv;

    ngx_memzero(&cv, sizeof(ngx_http_complex_value_t));
    cv.value = page->location;

    return ngx_http_send_response(r, page->status, NULL, &cv);
}


/*
 * The cache key is the path under the location; without a configured base
 * URL, links carry the request's scheme, host and port, so the key has
 * them too ("https://host:8443 /feed.xml"): a feed rendered for http:// is
 * not served over TLS.
 */

static ngx_int_t
ngx_http_blog_page_key(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_str_t *path, ngx_str_t *key)
{
    u_char     *p;
    ngx_str_t   base;

    if (blcf->base_url.len) {
        *key = *path;
        return NGX_OK;
    }

    if (ngx_http_blog_site_url(r, blcf, &base) != NGX_OK) {
        return NGX_ERROR;
    }

    key->data = ngx_pnalloc(r->pool, base.len + 1 + path->len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(key->data, base.data, base.len);
    *p++ = ' ';
    p = ngx_cpymem(p, path->data, path->len);

    key->len = p - key->data;

    return NGX_OK;
}


/* $blog_cache_status and $blog_slug: data is the field's offset. */

static ngx_int_t
ngx_http_blog_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t            *value;
    ngx_http_blog_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_blog_module);
    value = ctx ? (ngx_str_t *) ((u_char *) ctx + data) : NULL;

    if (value == NULL || value->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = value->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = value->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_blog_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_blog_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* blog path/to/data.db; -- serve a blog from this location */

static char *
ngx_http_blog(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_loc_conf_t *blcf = conf;

    ngx_str_t                  *value, path;
    ngx_uint_t                  i;
    ngx_http_blog_db_t         *db, **dbp;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_blog_main_conf_t  *bmcf;
    ngx_http_blog_loc_conf_t  **locp;

    if (blcf->db) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

#if (NGX_PCRE)
    if (clcf->regex) {
        return "cannot be used in a regex location: routes are relative to "
               "a prefix location";
    }
#endif

    if (clcf->named) {
        return "cannot be used in a named location";
    }

    /* links are built as location + route: the location must end with / */
    if (clcf->exact_match || clcf->name.len == 0
        || clcf->name.data[clcf->name.len - 1] != '/')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog\" needs a prefix "
                           "location that ends with \"/\", such as "
                           "\"location /blog/\", not \"%V\"", &clcf->name);
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

    bmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_blog_module);

    /* locations that share a database share its connection */
    dbp = bmcf->dbs.elts;
    db = NULL;

    for (i = 0; i < bmcf->dbs.nelts; i++) {
        if (dbp[i]->path.len == path.len
            && ngx_strncmp(dbp[i]->path.data, path.data, path.len) == 0)
        {
            db = dbp[i];
            break;
        }
    }

    if (db == NULL) {
        db = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_db_t));
        dbp = ngx_array_push(&bmcf->dbs);
        if (db == NULL || dbp == NULL) {
            return NGX_CONF_ERROR;
        }

        db->path = path;
        *dbp = db;
    }

    locp = ngx_array_push(&bmcf->locations);
    if (locp == NULL) {
        return NGX_CONF_ERROR;
    }

    *locp = blcf;

    blcf->db = db;
    blcf->prefix = clcf->name;

    clcf->handler = ngx_http_blog_handler;

    return NGX_CONF_OK;
}


/*
 * blog_theme dir; -- compiled here, so a broken template fails "nginx -t"
 * with its own file and line; locations naming the same folder share it.
 */

static char *
ngx_http_blog_theme(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_loc_conf_t *blcf = conf;

    char                        err[512];
    ngx_str_t                  *value, path;
    ngx_uint_t                  i;
    ngx_pool_cleanup_t         *cln;
    ngx_http_blog_theme_t      *theme, **themep;
    ngx_http_blog_main_conf_t  *bmcf;

    if (blcf->theme) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    bmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_blog_module);
    themep = bmcf->themes.elts;

    for (i = 0; i < bmcf->themes.nelts; i++) {
        if (themep[i]->path.len == path.len
            && ngx_strncmp(themep[i]->path.data, path.data, path.len) == 0)
        {
            blcf->theme = themep[i];
            return NGX_CONF_OK;
        }
    }

    theme = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_theme_t));
    themep = ngx_array_push(&bmcf->themes);
    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (theme == NULL || themep == NULL || cln == NULL) {
        return NGX_CONF_ERROR;
    }

    theme->path = path;
    *themep = theme;

    cln->handler = ngx_http_blog_theme_cleanup;
    cln->data = theme;

    for (i = 0; i < BLOG_TPL_N; i++) {
        if (i >= BLOG_TPL_OPTIONAL
            && ngx_http_blog_theme_lacks(cf, &path, ngx_http_blog_tpl_files[i]))
        {
            continue;
        }

        theme->tpl[i] = blog_tpl_load((char *) path.data,
                                      ngx_http_blog_tpl_files[i],
                                      err, sizeof(err));
        if (theme->tpl[i] == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "theme: %s", err);
            return NGX_CONF_ERROR;
        }
    }

    /* related posts' tags are read only for a theme that shows them */
    theme->related_tags = blog_tpl_uses(theme->tpl[BLOG_TPL_POST], "related",
                                        "tags");

    if (ngx_http_blog_realpath(cf, &path, NULL) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    blcf->theme = theme;

    return NGX_CONF_OK;
}


/* Whether an optional template is not in the theme: no file by its name. */

static ngx_uint_t
ngx_http_blog_theme_lacks(ngx_conf_t *cf, ngx_str_t *dir, char *file)
{
    u_char           *name;
    ngx_file_info_t   fi;

    name = ngx_pnalloc(cf->temp_pool, dir->len + 1 + ngx_strlen(file) + 1);
    if (name == NULL) {
        return 0;       /* then blog_tpl_load() says what is wrong */
    }

    ngx_sprintf(name, "%V/%s%Z", dir, file);

    return ngx_file_info(name, &fi) == NGX_FILE_ERROR && ngx_errno == NGX_ENOENT;
}


static void
ngx_http_blog_theme_cleanup(void *data)
{
    ngx_http_blog_theme_t  *theme = data;

    ngx_uint_t  i;

    for (i = 0; i < BLOG_TPL_N; i++) {
        blog_tpl_free(theme->tpl[i]);
    }
}


/* blog_media_root dir; */

static char *
ngx_http_blog_media_root(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_loc_conf_t *blcf = conf;

    ngx_str_t  *value, path;

    if (blcf->media_root.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_blog_realpath(cf, &path, &blcf->media_root) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * Resolves a folder once, at configuration time: requests compare their
 * own resolved paths with it.  real NULL only checks that it exists.
 */

static ngx_int_t
ngx_http_blog_realpath(ngx_conf_t *cf, ngx_str_t *path, ngx_str_t *real)
{
    char             *p;
    ngx_file_info_t   fi;

    p = realpath((char *) path->data, NULL);

    if (p == NULL || ngx_file_info(p, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\" cannot be used", path);
        free(p);
        return NGX_ERROR;
    }

    if (!ngx_is_dir(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" is not a folder",
                           path);
        free(p);
        return NGX_ERROR;
    }

    if (real) {
        real->len = ngx_strlen(p);
        real->data = ngx_pstrdup(cf->pool, &(ngx_str_t) { real->len,
                                                          (u_char *) p });
        if (real->data == NULL) {
            free(p);
            return NGX_ERROR;
        }
    }

    free(p);

    return NGX_OK;
}


/* blog_route post|tag|page|feed|sitemap|media|static path; */

static char *
ngx_http_blog_route(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_loc_conf_t *blcf = conf;

    u_char      *p;
    ngx_str_t   *value;
    ngx_uint_t   i;

    value = cf->args->elts;

    for (i = 0; i < BLOG_ROUTE_N; i++) {
        if (value[1].len == ngx_http_blog_route_names[i].len
            && ngx_strncmp(value[1].data, ngx_http_blog_route_names[i].data,
                           value[1].len) == 0)
        {
            break;
        }
    }

    if (i == BLOG_ROUTE_N) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "unknown route \"%V\", "
                           "expected post, tag, page, feed, sitemap, media, "
                           "static, search or opensearch", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (blcf->route[i].data) {
        return "is duplicate";
    }

    /* relative to the location: "posts/", not "/posts/" */
    if (value[2].len == 0 || value[2].data[0] == '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "route path \"%V\" must be "
                           "relative to the location and not empty",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    for (p = value[2].data; p < value[2].data + value[2].len; p++) {
        if (*p <= ' ' || *p == '?' || *p == '#' || *p == '%' || *p >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "route path \"%V\" "
                               "may not contain \"%c\"", &value[2], *p);
            return NGX_CONF_ERROR;
        }
    }

    /* prefixes of paths below them end with a slash */
    if (i != BLOG_ROUTE_FEED && i != BLOG_ROUTE_SITEMAP
        && i != BLOG_ROUTE_SEARCH && i != BLOG_ROUTE_OPENSEARCH
        && value[2].data[value[2].len - 1] != '/')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "route path \"%V\" of "
                           "\"%V\" must end with \"/\"", &value[2], &value[1]);
        return NGX_CONF_ERROR;
    }

    blcf->route[i] = value[2];

    return NGX_CONF_OK;
}


/* blog_base_url https://example.com; -- the site's absolute address */

static char *
ngx_http_blog_base_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_loc_conf_t *blcf = conf;

    ngx_str_t  *value, url;

    if (blcf->base_url.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    url = value[1];

    if (!(url.len > 7 && ngx_strncmp(url.data, "http://", 7) == 0)
        && !(url.len > 8 && ngx_strncmp(url.data, "https://", 8) == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "base URL \"%V\" must start "
                           "with http:// or https://", &url);
        return NGX_CONF_ERROR;
    }

    /* links are made as base URL + location: no final slash */
    while (url.data[url.len - 1] == '/') {
        url.len--;
    }

    blcf->base_url = url;

    return NGX_CONF_OK;
}


/*
 * blog_ttl_db path/to/ttl.db; -- what expires: sessions, rate limits, the
 * cronhooks' replay guard
 */

static char *
ngx_http_blog_ttl_db(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_loc_conf_t *blcf = conf;

    ngx_str_t  *value, path;

    if (blcf->ttl != NGX_CONF_UNSET_PTR) {
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

    blcf->ttl = ngx_http_blog_conn_add(cf, &path, 1);

    return blcf->ttl ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static void *
ngx_http_blog_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_blog_main_conf_t  *bmcf;

    bmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_main_conf_t));
    if (bmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&bmcf->dbs, cf->pool, 2, sizeof(ngx_http_blog_db_t *))
        != NGX_OK
        || ngx_array_init(&bmcf->conns, cf->pool, 4,
                          sizeof(ngx_http_blog_conn_t *))
           != NGX_OK
        || ngx_array_init(&bmcf->themes, cf->pool, 2,
                          sizeof(ngx_http_blog_theme_t *))
           != NGX_OK
        || ngx_array_init(&bmcf->locations, cf->pool, 2,
                          sizeof(ngx_http_blog_loc_conf_t *))
           != NGX_OK)
    {
        return NULL;
    }

    bmcf->busy_timeout = NGX_CONF_UNSET_MSEC;

    return bmcf;
}


static char *
ngx_http_blog_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_blog_main_conf_t *bmcf = conf;

    ngx_conf_init_msec_value(bmcf->busy_timeout, 0);

    return NGX_CONF_OK;
}


static void *
ngx_http_blog_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_blog_loc_conf_t  *blcf;

    blcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_loc_conf_t));
    if (blcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     blcf->db = NULL;
     *     blcf->theme = NULL;
     *     blcf->media_root = { 0, NULL };
     *     blcf->route[] = { 0, NULL };
     *     blcf->base_url = { 0, NULL };
     *     blcf->page_cache = NULL;
     *     blcf->parts = NULL;
     *     blcf->image_sizes = { 0, NULL };
     *     blcf->live_url = { 0, NULL };
     *     blcf->comment_conn = NULL;
     */

    blcf->per_page = NGX_CONF_UNSET_UINT;
    blcf->cache = NGX_CONF_UNSET;
    blcf->cache_size = NGX_CONF_UNSET_SIZE;
    blcf->views_max_age = NGX_CONF_UNSET_MSEC;
    blcf->compress = NGX_CONF_UNSET;
    blcf->parts_size = NGX_CONF_UNSET_SIZE;
    blcf->compress_level[BLOG_CODING_GZIP] = NGX_CONF_UNSET;
    blcf->compress_level[BLOG_CODING_BR] = NGX_CONF_UNSET;
    blcf->ttl = NGX_CONF_UNSET_PTR;
    blcf->comments = NGX_CONF_UNSET;
    blcf->comment_limit.count = NGX_CONF_UNSET_UINT;
    blcf->newsletter = NGX_CONF_UNSET;
    blcf->newsletter_limit.count = NGX_CONF_UNSET_UINT;
    blcf->newsletter_address_limit.count = NGX_CONF_UNSET_UINT;

    return blcf;
}


static void
ngx_http_blog_merge_limit(ngx_http_blog_limit_t *conf,
    ngx_http_blog_limit_t *prev, ngx_uint_t count, time_t window)
{
    if (conf->count == NGX_CONF_UNSET_UINT) {
        *conf = prev->count != NGX_CONF_UNSET_UINT
                ? *prev : (ngx_http_blog_limit_t) { count, window };
    }
}


static char *
ngx_http_blog_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_blog_loc_conf_t *prev = parent;
    ngx_http_blog_loc_conf_t *conf = child;

    ngx_str_t        path;
    ngx_uint_t       i;
    ngx_file_info_t  fi;

    if (conf->theme == NULL) {
        conf->theme = prev->theme;
    }

    if (conf->media_root.data == NULL) {
        conf->media_root = prev->media_root;
    }

    for (i = 0; i < BLOG_ROUTE_N; i++) {
        if (conf->route[i].data == NULL) {
            conf->route[i] = prev->route[i].data
                             ? prev->route[i] : ngx_http_blog_route_defaults[i];
        }
    }

    if (conf->base_url.data == NULL) {
        conf->base_url = prev->base_url;
    }

    ngx_conf_merge_uint_value(conf->per_page, prev->per_page, 10);
    ngx_conf_merge_value(conf->cache, prev->cache, 1);
    ngx_conf_merge_msec_value(conf->views_max_age, prev->views_max_age,
                              60000);
    ngx_conf_merge_size_value(conf->cache_size, prev->cache_size,
                              8 * 1024 * 1024);
    ngx_conf_merge_value(conf->compress, prev->compress, 1);
    ngx_conf_merge_size_value(conf->parts_size, prev->parts_size,
                              4 * 1024 * 1024);
    ngx_conf_merge_value(conf->compress_level[BLOG_CODING_GZIP],
                         prev->compress_level[BLOG_CODING_GZIP], 6);
    ngx_conf_merge_value(conf->compress_level[BLOG_CODING_BR],
                         prev->compress_level[BLOG_CODING_BR], 5);

    /* the default theme's column: full width up to 42rem */
    ngx_conf_merge_str_value(conf->image_sizes, prev->image_sizes,
                             "(max-width: 42rem) 100vw, 42rem");
    ngx_conf_merge_str_value(conf->live_url, prev->live_url, "");

    ngx_conf_merge_ptr_value(conf->ttl, prev->ttl, NULL);
    ngx_conf_merge_value(conf->comments, prev->comments, 0);

    ngx_http_blog_merge_limit(&conf->comment_limit, &prev->comment_limit,
                              5, 10 * 60);

    ngx_conf_merge_value(conf->newsletter, prev->newsletter, 0);
    ngx_http_blog_merge_limit(&conf->newsletter_limit,
                              &prev->newsletter_limit, 5, 60 * 60);
    ngx_http_blog_merge_limit(&conf->newsletter_address_limit,
                              &prev->newsletter_address_limit, 3, 24 * 3600);

    if (conf->db == NULL) {
        return NGX_CONF_OK;
    }

    /* readers' comments and subscriptions write through a connection */
    if (conf->comments || conf->newsletter) {
        if (conf->ttl == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%s on\" "
                               "in location \"%V\" needs \"blog_ttl_db\" "
                               "for its rate limit",
                               conf->comments ? "blog_comments"
                                              : "blog_newsletter",
                               &conf->prefix);
            return NGX_CONF_ERROR;
        }

        conf->comment_conn = ngx_http_blog_conn_add(cf, &conf->db->path, 0);
        if (conf->comment_conn == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->theme == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog\" in location "
                           "\"%V\" has no \"blog_theme\"", &conf->prefix);
        return NGX_CONF_ERROR;
    }

    /* the theme's own assets, when it has a static/ folder */
    if (conf->static_root.data == NULL) {
        path.len = conf->theme->path.len + sizeof("/static") - 1;
        path.data = ngx_pnalloc(cf->pool, path.len + 1);
        if (path.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(path.data, "%V/static%Z", &conf->theme->path);

        if (ngx_file_info(path.data, &fi) != NGX_FILE_ERROR
            && ngx_http_blog_realpath(cf, &path, &conf->static_root) != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_blog_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                  i;
    ngx_http_blog_db_t        **db;
    ngx_http_blog_main_conf_t  *bmcf;

    bmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_blog_module);
    if (bmcf == NULL) {
        return NGX_OK;
    }

    ngx_http_blog_search_heap(cycle);

    /* open early, so a missing database is in the log before any request */
    db = bmcf->dbs.elts;

    for (i = 0; i < bmcf->dbs.nelts; i++) {
        (void) ngx_http_blog_db_start(db[i], bmcf->busy_timeout, cycle->log);
    }

    return NGX_OK;
}


static void
ngx_http_blog_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                  i;
    ngx_http_blog_db_t        **db;
    ngx_http_blog_conn_t      **conn;
    ngx_http_blog_loc_conf_t  **loc;
    ngx_http_blog_main_conf_t  *bmcf;

    bmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_blog_module);
    if (bmcf == NULL) {
        return;
    }

    loc = bmcf->locations.elts;

    for (i = 0; i < bmcf->locations.nelts; i++) {
        if (loc[i]->page_cache) {
            ngx_http_blog_cache_destroy(loc[i]->page_cache);
            loc[i]->page_cache = NULL;
        }

        if (loc[i]->parts) {
            ngx_http_blog_parts_destroy(loc[i]->parts);
            loc[i]->parts = NULL;
        }
    }

    db = bmcf->dbs.elts;

    for (i = 0; i < bmcf->dbs.nelts; i++) {
        ngx_http_blog_db_close(db[i]);
    }

    conn = bmcf->conns.elts;

    for (i = 0; i < bmcf->conns.nelts; i++) {
        ngx_http_blog_conn_close(conn[i]);
    }
}
