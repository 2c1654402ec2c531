/*
 * ngx_http_blog_events_module: the third module of the .so, for what a
 * site owner measures rather than what a reader sees.
 *
 *   - the access-event emitter (ngx_http_blog_events_module.c): one record
 *     per request to the jobrunner's Unix datagram socket, or to a
 *     per-worker spool file when the socket does not take it;
 *   - counters shared by all workers and /_metrics
 *     (ngx_http_blog_metrics.c);
 *   - the analytics page (ngx_http_blog_analytics.c);
 *   - the Stats API (ngx_http_blog_stats_api.c);
 *   - the CSS beacon, a human check (ngx_http_blog_beacon.c).
 */

#ifndef NGX_HTTP_BLOG_EVENTS_MODULE_H
#define NGX_HTTP_BLOG_EVENTS_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/un.h>
#include <sqlite3.h>

#include "blog_template.h"


#define NGX_HTTP_BLOG_STATUS_MAX  600     /* counted as 0..599 */

/* Counters in shared memory, added to atomically by every worker. */
typedef struct {
    ngx_atomic_t              status[NGX_HTTP_BLOG_STATUS_MAX];
    ngx_atomic_t              cache_hit;
    ngx_atomic_t              cache_miss;
    ngx_atomic_t              cache_bypass;
    ngx_atomic_t              events_sent;
    ngx_atomic_t              events_spooled;
    ngx_atomic_t              events_dropped;
    ngx_atomic_t              parts_hit;      /* ngx_http_blog_parts.c */
    ngx_atomic_t              parts_miss;
    ngx_atomic_t              parts_new;
} ngx_http_blog_counters_t;

typedef struct {
    ngx_str_t                 spool_dir;      /* empty: no spool */
    size_t                    spool_max;
    ngx_shm_zone_t           *zone;
    ngx_int_t                 cache_status;   /* $blog_cache_status index */
    ngx_int_t                 slug;           /* $blog_slug index */
} ngx_http_blog_events_main_conf_t;

typedef struct {
    ngx_flag_t                enabled;        /* NGX_CONF_UNSET: inherit */
    struct sockaddr_un       *addr;
    socklen_t                 addrlen;

    /* blog_analytics */
    ngx_str_t                 analytics_db;
    blog_tpl_t               *analytics_tpl;
    u_char                   *auth_hash;      /* SHA-256 of the token */

    /* blog_stats_api */
    ngx_str_t                 stats_db;
    ngx_msec_t                stats_timeout;
    void                     *thread_pool;    /* ngx_thread_pool_t * */

    ngx_flag_t                metrics;

    ngx_flag_t                beacon;         /* blog_analytics_beacon */
} ngx_http_blog_events_loc_conf_t;


extern ngx_module_t  ngx_http_blog_events_module;


/* ngx_http_blog_metrics.c */
ngx_int_t ngx_http_blog_metrics_init_zone(ngx_conf_t *cf,
    ngx_http_blog_events_main_conf_t *emcf);
ngx_http_blog_counters_t *ngx_http_blog_counters(void);
ngx_int_t ngx_http_blog_metrics_handler(ngx_http_request_t *r);

/* ngx_http_blog_analytics.c */
char *ngx_http_blog_analytics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_blog_analytics_auth(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_blog_analytics_merge(ngx_conf_t *cf,
    ngx_http_blog_events_loc_conf_t *conf);
void ngx_http_blog_analytics_cleanup(void *data);
ngx_int_t ngx_http_blog_analytics_allowed(ngx_http_request_t *r,
    ngx_http_blog_events_loc_conf_t *elcf);

/* ngx_http_blog_beacon.c */
extern ngx_str_t  ngx_http_blog_beacon_route;

/* Whether the location's pages link the beacon (and it answers it). */
ngx_int_t ngx_http_blog_beacon_on(ngx_http_request_t *r);
/* Whether the request was the beacon, for its access event. */
ngx_int_t ngx_http_blog_beacon_was(ngx_http_request_t *r);
/* The PREACCESS phase's handler: the beacon's answer. */
ngx_int_t ngx_http_blog_beacon_handler(ngx_http_request_t *r);

/* ngx_http_blog_stats_api.c */
char *ngx_http_blog_stats_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_blog_stats_api_merge(ngx_conf_t *cf,
    ngx_http_blog_events_loc_conf_t *conf);

#endif /* NGX_HTTP_BLOG_EVENTS_MODULE_H */
