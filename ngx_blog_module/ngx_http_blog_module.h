/*
 * ngx_http_blog_module: a blog served from SQLite inside nginx, and what
 * its readers send: comments.
 *
 * Types shared by the module's files: configuration, the per-worker
 * database handle, and the per-worker rendered-page cache.
 */

#ifndef NGX_HTTP_BLOG_MODULE_H
#define NGX_HTTP_BLOG_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sqlite3.h>

#include "ngx_http_blog_conn.h"
#include "ngx_http_blog_rate.h"
#include "blog_reader.h"
#include "blog_template.h"


/*
 * Whether a request came over TLS: absolute links (without blog_base_url)
 * follow it.  The module is configured with nginx's own flags
 * (scripts/nginx-flags), so NGX_HTTP_SSL is set when nginx can serve TLS.
 */
#if (NGX_HTTP_SSL)
#define ngx_http_blog_over_tls(r)  ((r)->connection->ssl != NULL)
#else
#define ngx_http_blog_over_tls(r)  0
#endif


/*
 * A post's view count as last read from analytics.db: a worker keeps
 * NGX_HTTP_BLOG_VIEWS of them, one slot per hash of the page's path, so
 * that an uncached page reads it from memory while it is younger than
 * blog_views_max_age instead of taking analytics.db's locks for one row.
 */
#define NGX_HTTP_BLOG_VIEWS  1024

typedef struct {
    uint64_t                  key;          /* XXH3 of the path, 0: none */
    int64_t                   views;
    ngx_msec_t                read_at;
} ngx_http_blog_views_t;

/* A row of the settings table as pages show it (ngx_http_blog_pages.c). */
typedef struct {
    ngx_str_t                 name;         /* "site_KEY", or "base_url" */
    ngx_str_t                 value;
} ngx_http_blog_setting_t;


/*
 * One data.db as a worker sees it.  Configuration creates the record;
 * the connection is opened in the worker, and reopened after it fails.
 */
typedef struct {
    ngx_str_t                 path;
    sqlite3                  *db;
    sqlite3_stmt             *stmt[BLOG_STMT_N];
    ngx_msec_t                busy_timeout;

    /*
     * PRAGMA data_version moves when another connection commits; the
     * generation counts those moves and reopenings, and stamps cached pages.
     */
    int64_t                   data_version;
    uint64_t                  generation;
    ngx_msec_t                version_checked;
    ngx_msec_t                retry_at;

    /*
     * The file opened: another one at the path (a restore put in place, a
     * replica started afresh) is opened instead, looked for once a second.
     */
    dev_t                     dev;
    ino_t                     ino;
    ngx_msec_t                file_checked;
    unsigned                  reopen:1;
    unsigned                  analytics:1;   /* analytics.db attached */

    /*
     * Posted while the event-loop tick's read transaction is open: it
     * ends the transaction once the tick's events are handled.
     */
    ngx_event_t               tick;

    ngx_http_blog_views_t    *views;        /* NULL until first opened */

    /*
     * The settings table as read at generation settings_gen, in one block
     * of memory: read again only when the database moved.
     */
    ngx_http_blog_setting_t  *settings;
    ngx_uint_t                nsettings;
    uint64_t                  settings_gen;
} ngx_http_blog_db_t;


/* The templates a theme must provide. */
#define NGX_HTTP_BLOG_GONE  410         /* nginx names no such status */


typedef enum {
    BLOG_TPL_INDEX = 0,
    BLOG_TPL_POST,
    BLOG_TPL_PAGE,
    BLOG_TPL_TAG,
    BLOG_TPL_NOT_FOUND,
    BLOG_TPL_FEED,
    BLOG_TPL_SITEMAP,
    BLOG_TPL_SITEMAP_INDEX,
    BLOG_TPL_ROBOTS,                /* optional: none, no robots.txt */
    BLOG_TPL_SEARCH,
    BLOG_TPL_OPENSEARCH,
    BLOG_TPL_NEWSLETTER,            /* optional: blog_newsletter's pages */
    BLOG_TPL_N
} ngx_http_blog_tpl_e;

/* The templates from this one on are optional: NULL when not in the theme */
#define BLOG_TPL_OPTIONAL  BLOG_TPL_ROBOTS

typedef struct {
    ngx_str_t                 path;
    blog_tpl_t               *tpl[BLOG_TPL_N];
    unsigned                  related_tags:1;   /* shows related posts' tags */
} ngx_http_blog_theme_t;


/* Route prefixes, relative to the location that holds "blog". */
typedef enum {
    BLOG_ROUTE_POST = 0,
    BLOG_ROUTE_TAG,
    BLOG_ROUTE_PAGE,
    BLOG_ROUTE_FEED,
    BLOG_ROUTE_SITEMAP,
    BLOG_ROUTE_MEDIA,
    BLOG_ROUTE_STATIC,
    BLOG_ROUTE_SEARCH,
    BLOG_ROUTE_OPENSEARCH,
    BLOG_ROUTE_N
} ngx_http_blog_route_e;


/*
 * The content codings a page is sent in besides identity, in the order
 * they are preferred when a client takes several (ngx_http_blog_compress.c).
 */
typedef enum {
    BLOG_CODING_BR = 0,
    BLOG_CODING_GZIP,
    BLOG_CODING_N
} ngx_http_blog_coding_e;

/* A page's body in one coding, made on the first request that takes it. */
typedef struct {
    u_char                   *data;           /* NULL: none smaller */
    size_t                    len;
    u_char                    etag[32];       /* "16 hex digits-gz6" */
    unsigned                  made:1;
} ngx_http_blog_coded_t;

/* A rendered page, shared by the cache and the responses that send it. */
typedef struct {
    ngx_queue_t               lru;
    ngx_str_node_t            key;
    ngx_uint_t                status;
    ngx_uint_t                content_type;   /* BLOG_TYPE_* */
    time_t                    last_modified;
    u_char                   *body;
    size_t                    len;
    /* where body_html's bytes are in body, the same in every response */
    size_t                    part_at;
    size_t                    part_len;       /* 0: none */
    /* a redirect's target, in the request's pool: never cached */
    ngx_str_t                 location;
    u_char                    etag[20];       /* "16 hex digits" */
    ngx_http_blog_coded_t     coded[BLOG_CODING_N];
    size_t                    cost;           /* charged to the cache */
    ngx_uint_t                refs;
    ngx_msec_t                expires;        /* 0: while the generation */
    unsigned                  cached:1;
} ngx_http_blog_page_t;

/*
 * A worker's deflate blocks of the parts of pages sent once, found by
 * their bytes (ngx_http_blog_parts.c).
 */
#define NGX_HTTP_BLOG_PARTS_SEEN  256      /* sets of ..._WAYS hashes */
#define NGX_HTTP_BLOG_PARTS_WAYS  4        /* more than a page's 3 parts */

typedef struct {
    ngx_rbtree_t              tree;
    ngx_rbtree_node_t         sentinel;
    ngx_queue_t               lru;            /* most recent first */
    size_t                    size;
    size_t                    max_size;
    /*
     * The hashes of parts seen once, a set per low bits, most recent
     * first: a part is kept when it comes again.
     */
    ngx_rbtree_key_t          seen[NGX_HTTP_BLOG_PARTS_SEEN]
                                  [NGX_HTTP_BLOG_PARTS_WAYS];
} ngx_http_blog_parts_t;

/* igzip's level of the parts: the "-gzp1" of their ETag */
#define NGX_HTTP_BLOG_PARTS_LEVEL  1

typedef struct {
    ngx_rbtree_t              tree;
    ngx_rbtree_node_t         sentinel;
    ngx_queue_t               lru;            /* most recent first */
    size_t                    size;
    size_t                    max_size;
    uint64_t                  generation;     /* of the pages it holds */
    ngx_uint_t                hits;
    ngx_uint_t                misses;
} ngx_http_blog_cache_t;


typedef struct {
    ngx_array_t               dbs;            /* ngx_http_blog_db_t * */
    ngx_array_t               conns;          /* ngx_http_blog_conn_t * */
    ngx_array_t               themes;         /* ngx_http_blog_theme_t * */
    ngx_array_t               locations;      /* ngx_http_blog_loc_conf_t * */
    ngx_msec_t                busy_timeout;
} ngx_http_blog_main_conf_t;

typedef struct {
    ngx_http_blog_db_t       *db;             /* set by "blog" */
    ngx_str_t                 prefix;         /* the location's name */
    ngx_http_blog_theme_t    *theme;
    ngx_str_t                 media_root;     /* realpath, no trailing / */
    ngx_str_t                 static_root;
    ngx_str_t                 route[BLOG_ROUTE_N];
    ngx_uint_t                per_page;
    ngx_flag_t                cache;
    size_t                    cache_size;
    ngx_msec_t                views_max_age;  /* of a cached view count */
    ngx_flag_t                compress;
    ngx_int_t                 compress_level[BLOG_CODING_N];
    size_t                    parts_size;     /* blog_compress_parts_size */
    ngx_http_blog_parts_t    *parts;          /* per worker, made on use */
    ngx_str_t                 base_url;
    ngx_http_blog_cache_t    *page_cache;     /* per worker, made on use */
    ngx_str_t                 image_sizes;    /* "sizes" of srcset images */
    ngx_str_t                 live_url;       /* the realtime hub, or "" */

    /* ttl.db: the comments', the cronhooks' and the admin panel's */
    ngx_http_blog_conn_t     *ttl;

    ngx_flag_t                comments;
    ngx_http_blog_limit_t     comment_limit;

    ngx_flag_t                newsletter;
    ngx_http_blog_limit_t     newsletter_limit;         /* per client */
    ngx_http_blog_limit_t     newsletter_address_limit; /* per address */

    /* writable data.db, for comments and the newsletter, or NULL */
    ngx_http_blog_conn_t     *comment_conn;
} ngx_http_blog_loc_conf_t;


typedef struct ngx_http_blog_comment_s     ngx_http_blog_comment_t;
typedef struct ngx_http_blog_newsletter_s  ngx_http_blog_newsletter_t;

/* A request's own: what $blog_cache_status and $blog_slug give. */
typedef struct {
    ngx_str_t                 cache_status;
    ngx_str_t                 slug;           /* of the post served */
    ngx_http_blog_comment_t  *comment;        /* a reader's, being read */
    ngx_http_blog_newsletter_t  *newsletter;  /* a subscription's form */
} ngx_http_blog_ctx_t;


enum {
    BLOG_TYPE_HTML = 0,
    BLOG_TYPE_ATOM,
    BLOG_TYPE_XML,
    BLOG_TYPE_TEXT,
    BLOG_TYPE_OPENSEARCH
};


extern ngx_module_t  ngx_http_blog_module;


/* ngx_http_blog_db.c */
ngx_int_t ngx_http_blog_db_start(ngx_http_blog_db_t *bdb,
    ngx_msec_t busy_timeout, ngx_log_t *log);
ngx_int_t ngx_http_blog_db_ready(ngx_http_blog_db_t *bdb, ngx_log_t *log);
sqlite3_stmt *ngx_http_blog_db_stmt(ngx_http_blog_db_t *bdb, blog_stmt_e n);
void ngx_http_blog_db_error(ngx_http_blog_db_t *bdb, ngx_log_t *log,
    int rc, const char *what);
ngx_int_t ngx_http_blog_db_begin(ngx_http_blog_db_t *bdb, ngx_log_t *log);
void ngx_http_blog_db_done(ngx_http_blog_db_t *bdb);
void ngx_http_blog_db_close(ngx_http_blog_db_t *bdb);

/* ngx_http_blog_cache.c */
ngx_http_blog_cache_t *ngx_http_blog_cache_create(size_t max_size);
ngx_http_blog_page_t *ngx_http_blog_cache_lookup(ngx_http_blog_cache_t *cache,
    ngx_str_t *key, uint64_t generation);
ngx_int_t ngx_http_blog_cache_insert(ngx_http_blog_cache_t *cache,
    ngx_http_blog_page_t *page);
void ngx_http_blog_cache_grow(ngx_http_blog_cache_t *cache,
    ngx_http_blog_page_t *page, size_t bytes);
ngx_http_blog_page_t *ngx_http_blog_page_alloc(ngx_str_t *key);
ngx_int_t ngx_http_blog_page_hold(ngx_http_request_t *r,
    ngx_http_blog_page_t *page);
void ngx_http_blog_page_release(ngx_http_blog_page_t *page);
void ngx_http_blog_cache_destroy(ngx_http_blog_cache_t *cache);

/* ngx_http_blog_search.c: the worker's heap, for FTS5's buffers */
ngx_int_t ngx_http_blog_search_init_module(ngx_cycle_t *cycle);
void ngx_http_blog_search_heap(ngx_cycle_t *cycle);

/* ngx_http_blog_compress.c */
ngx_int_t ngx_http_blog_compress(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_http_blog_page_t *page,
    ngx_http_blog_coded_t **coded);
void ngx_http_blog_compress_held(ngx_http_request_t *r,
    ngx_http_blog_page_t *page, ngx_http_blog_coded_t *coded, ngx_str_t *tag);

/* ngx_http_blog_parts.c */
ngx_int_t ngx_http_blog_parts_gzip(ngx_http_blog_loc_conf_t *blcf,
    ngx_http_blog_page_t *page, ngx_http_blog_coded_t *out, ngx_log_t *log);
void ngx_http_blog_parts_destroy(ngx_http_blog_parts_t *parts);

/* ngx_http_blog_url.c */
ngx_int_t ngx_http_blog_site_url(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *base);

/* ngx_http_blog_meta.c: link previews and structured data */
ngx_int_t ngx_http_blog_meta(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_http_blog_db_t *db, ngx_array_t *vars,
    ngx_str_t *base_url, ngx_uint_t tpl, ngx_uint_t home, int64_t post_id);

/* ngx_http_blog_pages.c */
ngx_int_t ngx_http_blog_render(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *path,
    ngx_http_blog_page_t *page);
ngx_int_t ngx_http_blog_render_with(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *path,
    ngx_http_blog_page_t *page, blog_tpl_var_t *extra, ngx_uint_t nextra);
ngx_int_t ngx_http_blog_render_query(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_http_blog_page_t *page);

/* ngx_http_blog_comments.c: readers' comments */
ngx_int_t ngx_http_blog_comment_post(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *path);
ngx_int_t ngx_http_blog_comments_enabled(ngx_http_request_t *r);

/*
 * ngx_http_blog_newsletter.c: subscribe, confirm, unsubscribe.  From the
 * blog's handler, for any method; NGX_DECLINED when path is none of
 * theirs or blog_newsletter is off.
 */
ngx_int_t ngx_http_blog_newsletter(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *path);

/* Whether path is one of the newsletter's pages (BLOG_TPL_NEWSLETTER). */
ngx_uint_t ngx_http_blog_newsletter_page(ngx_http_blog_loc_conf_t *blcf,
    ngx_str_t *path);

extern ngx_str_t  ngx_http_blog_subscribe_route;

/*
 * admin/ngx_http_blog_session.c: the user signed in to the admin panel
 * with the request's session cookie, or 0: a comment of theirs needs no
 * moderation.
 */
ngx_int_t ngx_http_blog_signed_in(ngx_http_request_t *r, int64_t *user);

/*
 * admin/ngx_http_blog_admin_module.c: whether the location being merged
 * has blog_admin_session; blog_live_streams is on there by default.
 */
ngx_uint_t ngx_http_blog_admin_session_conf(ngx_conf_t *cf);

/* ngx_http_blog_srcset.c */
ngx_int_t ngx_http_blog_srcset(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_http_blog_db_t *db,
    ngx_array_t *vars);

/* ngx_http_blog_file.c */
ngx_int_t ngx_http_blog_send_file(ngx_http_request_t *r, ngx_str_t *root,
    ngx_str_t *rel);

#endif /* NGX_HTTP_BLOG_MODULE_H */
