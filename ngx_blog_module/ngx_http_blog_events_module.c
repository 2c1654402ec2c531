/*
 * ngx_http_blog_events_module: directives, and the access-event emitter.
 *
 * In the log phase each request in a location with "blog_events" becomes
 * one record (blog_event.h), added to the worker's batch; the batch goes
 * out as one datagram, with a non-blocking sendto() on an unconnected Unix
 * datagram socket, when it is full (32 KB, about 150 records) or 100 ms
 * after its first record.  One system call per request would cost more
 * than the rest of a cached page; one per batch costs next to nothing.
 * Unconnected, so a jobrunner that restarts (new socket at the same path)
 * is found again with no reconnect logic, and one that stops is noticed at
 * once.  A worker that exits sends (or spools) its batch first; one that
 * crashes loses it.
 *
 * When the socket does not take the batch (the jobrunner is down or its
 * queue full), the batch is appended to the worker's spool file
 * <spool>/events.<pid>.spool: a small write() to a local file, the one
 * blocking call on this path, as nginx's own access_log makes.  While a
 * spool file is open a timer checks, once a second, whether the socket is
 * back, and then hands the file over by renaming it to
 * events.<pid>.<msec>.ready, which the jobrunner replays and deletes.  A
 * spool file has a size limit; what does not fit is dropped and counted.
 * Neither path ever fails or delays the request: it has been answered.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_events_module.h"
#include "blog_event.h"
#include "blog_header.h"


#define NGX_HTTP_BLOG_SPOOL_PROBE  1000     /* ms between socket checks */
#define NGX_HTTP_BLOG_EVENT_FLUSH  100      /* ms a record may wait */


/* The worker's socket, batch and spool file. */
typedef struct {
    ngx_socket_t              fd;
    ngx_fd_t                  spool;
    off_t                     spool_size;
    ngx_event_t               probe;
    struct sockaddr_un       *addr;          /* where the last send failed */
    socklen_t                 addrlen;
    ngx_msec_t                logged;        /* last send error logged */

    ngx_event_t               flush;
    struct sockaddr_un       *dest;          /* of the batch */
    socklen_t                 destlen;
    size_t                    len;
    ngx_uint_t                nrec;
    u_char                    buf[BLOG_EVENT_DGRAM_MAX];
} ngx_http_blog_emitter_t;


static ngx_int_t ngx_http_blog_events_log_handler(ngx_http_request_t *r);
static size_t ngx_http_blog_event_make(ngx_http_request_t *r,
    ngx_http_blog_events_main_conf_t *emcf, u_char *buf);
static void ngx_http_blog_event_referrer(ngx_http_request_t *r,
    blog_event_t *ev, u_char *buf);
static void ngx_http_blog_event_add(ngx_http_request_t *r,
    ngx_http_blog_events_main_conf_t *emcf,
    ngx_http_blog_events_loc_conf_t *elcf);
static void ngx_http_blog_event_flush_handler(ngx_event_t *ev);
static void ngx_http_blog_event_flush(ngx_http_blog_events_main_conf_t *emcf,
    ngx_log_t *log);
static void ngx_http_blog_event_spool(ngx_http_blog_events_main_conf_t *emcf,
    ngx_log_t *log);
static ngx_int_t ngx_http_blog_spool_open(
    ngx_http_blog_events_main_conf_t *emcf, ngx_log_t *log);
static void ngx_http_blog_spool_probe(ngx_event_t *ev);
static void ngx_http_blog_spool_hand_over(ngx_log_t *log);

static char *ngx_http_blog_events(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_blog_events_spool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_blog_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_blog_events_init(ngx_conf_t *cf);
static void *ngx_http_blog_events_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_blog_events_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_blog_events_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_blog_events_init_process(ngx_cycle_t *cycle);
static void ngx_http_blog_events_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_blog_events_commands[] = {

    { ngx_string("blog_events"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_events,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_events_spool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_blog_events_spool,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_blog_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_analytics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_analytics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_stats_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_stats_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("blog_stats_api_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_events_loc_conf_t, stats_timeout),
      NULL },

    { ngx_string("blog_analytics_beacon"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_blog_events_loc_conf_t, beacon),
      NULL },

    { ngx_string("blog_analytics_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_analytics_auth,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_blog_events_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_blog_events_init,             /* postconfiguration */

    ngx_http_blog_events_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_blog_events_create_loc_conf,  /* create location configuration */
    ngx_http_blog_events_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_blog_events_module = {
    NGX_MODULE_V1,
    &ngx_http_blog_events_module_ctx,      /* module context */
    ngx_http_blog_events_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_blog_events_init_process,     /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_blog_events_exit_process,     /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_blog_emitter_t  ngx_http_blog_emitter = {
    .fd = (ngx_socket_t) -1,
    .spool = NGX_INVALID_FILE
};

static ngx_str_t  ngx_http_blog_hit = ngx_string("HIT");
static ngx_str_t  ngx_http_blog_miss = ngx_string("MISS");


static ngx_int_t
ngx_http_blog_events_log_handler(ngx_http_request_t *r)
{
    ngx_uint_t                         status;
    ngx_http_variable_value_t         *v;
    ngx_http_blog_counters_t          *counters;
    ngx_http_blog_events_loc_conf_t   *elcf;
    ngx_http_blog_events_main_conf_t  *emcf;

    emcf = ngx_http_get_module_main_conf(r, ngx_http_blog_events_module);
    counters = ngx_http_blog_counters();

    if (counters) {
        status = r->err_status ? r->err_status : r->headers_out.status;
        if (status >= NGX_HTTP_BLOG_STATUS_MAX) {
            status = 0;
        }

        (void) ngx_atomic_fetch_add(&counters->status[status], 1);

        v = ngx_http_get_indexed_variable(r, emcf->cache_status);

        if (v && !v->not_found && v->len) {
            if (v->len == ngx_http_blog_hit.len
                && ngx_strncmp(v->data, "HIT", 3) == 0)
            {
                (void) ngx_atomic_fetch_add(&counters->cache_hit, 1);

            } else if (v->len == ngx_http_blog_miss.len
                       && ngx_strncmp(v->data, "MISS", 4) == 0)
            {
                (void) ngx_atomic_fetch_add(&counters->cache_miss, 1);

            } else {
                (void) ngx_atomic_fetch_add(&counters->cache_bypass, 1);
            }
        }
    }

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);

    if (elcf->enabled != 1 || ngx_http_blog_emitter.fd == (ngx_socket_t) -1)
    {
        return NGX_OK;
    }

    ngx_http_blog_event_add(r, emcf, elcf);

    return NGX_OK;
}


static size_t
ngx_http_blog_event_make(ngx_http_request_t *r,
    ngx_http_blog_events_main_conf_t *emcf, u_char *buf)
{
    u_char                     *q, host[BLOG_EVENT_REFERRER_MAX];
    char                        params[BLOG_EVENT_PARAMS
                                       * BLOG_EVENT_PARAM_MAX];
    ngx_time_t                 *tp;
    ngx_msec_int_t              ms;
    blog_event_t                ev;
    struct sockaddr_in         *sin;
    ngx_http_variable_value_t  *v;
    ngx_http_blog_loc_conf_t   *blcf;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6        *sin6;
#endif

    ngx_memzero(&ev, sizeof(blog_event_t));

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    ev.time_ms = (uint64_t) r->start_sec * 1000 + r->start_msec;
    ev.request_us = (uint32_t) ngx_max(ms, 0) * 1000;
    ev.bytes = r->connection->sent;
    ev.status = (uint16_t) (r->err_status ? r->err_status
                                          : r->headers_out.status);

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        ev.family = BLOG_EVENT_ADDR_V4;
        ngx_memcpy(ev.addr, &sin->sin_addr, 4);
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            ev.family = BLOG_EVENT_ADDR_V4;
            ngx_memcpy(ev.addr, &sin6->sin6_addr.s6_addr[12], 4);

        } else {
            ev.family = BLOG_EVENT_ADDR_V6;
            ngx_memcpy(ev.addr, &sin6->sin6_addr, 16);
        }
        break;
#endif

    default:
        ev.family = BLOG_EVENT_ADDR_NONE;
    }

    ev.field[BLOG_EVENT_METHOD].data = (char *) r->method_name.data;
    ev.field[BLOG_EVENT_METHOD].len = r->method_name.len;

    /*
     * Only the blog's page handler sets $blog_cache_status: its answers
     * are the pages, the one kind of request the jobrunner may count as a
     * view.  Every other handler (the panel, analytics, metrics,
     * cronhooks, a proxied /events/) leaves the flag off, so no location
     * can make views by having blog_events on.
     */
    blcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_module);
    v = ngx_http_get_indexed_variable(r, emcf->cache_status);

    if (ngx_http_blog_beacon_was(r)) {
        /* neither a page nor a file: the mark of a browser */
        ev.flags |= BLOG_EVENT_F_BEACON;
        ev.field[BLOG_EVENT_PATH].data = (char *) r->uri.data;
        ev.field[BLOG_EVENT_PATH].len = r->uri.len;

    } else if (v && !v->not_found && v->len) {
        ev.flags |= BLOG_EVENT_F_PAGE;

        /* the page's path as nginx resolved it (%XX, "//", "/./"), so
           that one page is one path however its address was spelled */
        ev.field[BLOG_EVENT_PATH].data = (char *) r->uri.data;
        ev.field[BLOG_EVENT_PATH].len = r->uri.len;

    } else {
        /* a file from a blog location: not a page view either */
        if (blcf->db) {
            ev.flags |= BLOG_EVENT_F_ASSET;
        }

        /* the path as asked for, before rewrites and error pages */
        q = ngx_strlchr(r->unparsed_uri.data,
                        r->unparsed_uri.data + r->unparsed_uri.len, '?');
        ev.field[BLOG_EVENT_PATH].data = (char *) r->unparsed_uri.data;
        ev.field[BLOG_EVENT_PATH].len = (q ? q : r->unparsed_uri.data
                                                 + r->unparsed_uri.len)
                                        - r->unparsed_uri.data;
    }

    ngx_http_blog_event_referrer(r, &ev, host);

    /* campaign tags only: every other parameter stays unrecorded */
    if (r->args.len) {
        blog_event_query(&ev, (char *) r->args.data, r->args.len, params);
    }

    if (r->headers_in.user_agent) {
        ev.field[BLOG_EVENT_AGENT].data =
            (char *) r->headers_in.user_agent->value.data;
        ev.field[BLOG_EVENT_AGENT].len = r->headers_in.user_agent->value.len;
    }

    v = ngx_http_get_indexed_variable(r, emcf->slug);
    if (v && !v->not_found) {
        ev.field[BLOG_EVENT_SLUG].data = (char *) v->data;
        ev.field[BLOG_EVENT_SLUG].len = v->len;
    }

    return blog_event_encode(buf, &ev);
}


/*
 * The Referer's host, lowercased, without port or credentials, and its
 * path without query or fragment; empty when there is none, it is not
 * http(s), or it is this site (links within the blog are not referrals).
 */
static void
ngx_http_blog_event_referrer(ngx_http_request_t *r, blog_event_t *ev,
    u_char *buf)
{
    size_t       len, plen;
    const char  *start, *path;

    if (r->headers_in.referer == NULL
        || !blog_referrer_host((char *) r->headers_in.referer->value.data,
                               r->headers_in.referer->value.len, &start, &len)
        || len > BLOG_EVENT_REFERRER_MAX)
    {
        return;
    }

    ngx_strlow(buf, (u_char *) start, len);

    if (len == r->headers_in.server.len
        && ngx_strncmp(buf, r->headers_in.server.data, len) == 0)
    {
        return;
    }

    ev->field[BLOG_EVENT_REFERRER].data = (char *) buf;
    ev->field[BLOG_EVENT_REFERRER].len = len;

    /* the encoder cuts a longer path to BLOG_EVENT_REF_PATH_MAX */
    if (blog_referrer_path((char *) r->headers_in.referer->value.data,
                           r->headers_in.referer->value.len, &path, &plen))
    {
        ev->field[BLOG_EVENT_REF_PATH].data = path;
        ev->field[BLOG_EVENT_REF_PATH].len = plen;
    }
}


/* Adds the request's record to the batch, which goes out when full. */

static void
ngx_http_blog_event_add(ngx_http_request_t *r,
    ngx_http_blog_events_main_conf_t *emcf,
    ngx_http_blog_events_loc_conf_t *elcf)
{
    size_t                    len;
    ngx_http_blog_emitter_t  *em;

    em = &ngx_http_blog_emitter;

    /* a batch goes to one socket: another location's starts another */
    if (em->len
        && (em->dest != elcf->addr
            || em->len + BLOG_EVENT_FRAME + BLOG_EVENT_MAX
               > BLOG_EVENT_DGRAM_MAX))
    {
        ngx_http_blog_event_flush(emcf, r->connection->log);
    }

    em->dest = elcf->addr;
    em->destlen = elcf->addrlen;

    len = ngx_http_blog_event_make(r, emcf,
                                   em->buf + em->len + BLOG_EVENT_FRAME);
    blog_event_frame(em->buf + em->len, len);

    em->len += BLOG_EVENT_FRAME + len;
    em->nrec++;

    if (!em->flush.timer_set) {
        ngx_add_timer(&em->flush, NGX_HTTP_BLOG_EVENT_FLUSH);
    }
}


static void
ngx_http_blog_event_flush_handler(ngx_event_t *ev)
{
    ngx_http_blog_event_flush(ev->data, ev->log);
}


/* Sends the batch as one datagram, or spools it. */

static void
ngx_http_blog_event_flush(ngx_http_blog_events_main_conf_t *emcf,
    ngx_log_t *log)
{
    ngx_err_t                  err;
    ngx_http_blog_emitter_t   *em;
    ngx_http_blog_counters_t  *counters;

    em = &ngx_http_blog_emitter;
    counters = ngx_http_blog_counters();

    if (em->flush.timer_set) {
        ngx_del_timer(&em->flush);
    }

    if (em->len == 0) {
        return;
    }

    if (sendto(em->fd, em->buf, em->len, MSG_DONTWAIT|MSG_NOSIGNAL,
               (struct sockaddr *) em->dest, em->destlen)
        == (ssize_t) em->len)
    {
        if (counters) {
            (void) ngx_atomic_fetch_add(&counters->events_sent, em->nrec);
        }

        em->len = 0;
        em->nrec = 0;
        return;
    }

    err = ngx_socket_errno;

    switch (err) {

    case NGX_EAGAIN:
    case ENOBUFS:
    case NGX_ECONNREFUSED:
    case NGX_ENOENT:
    case NGX_EPIPE:
    case NGX_ENOTCONN:
        /* the jobrunner is away or behind: the spool keeps the records */
        em->addr = em->dest;
        em->addrlen = em->destlen;
        ngx_http_blog_event_spool(emcf, log);
        break;

    default:
        if (counters) {
            (void) ngx_atomic_fetch_add(&counters->events_dropped, em->nrec);
        }

        /* a broken setup would otherwise log once per batch */
        if (ngx_current_msec - em->logged > 1000) {
            em->logged = ngx_current_msec;
            ngx_log_error(NGX_LOG_ERR, log, err,
                          "blog_events: sendto(\"%s\") failed, %ui events "
                          "dropped", em->dest->sun_path, em->nrec);
        }
    }

    em->len = 0;
    em->nrec = 0;
}


/* Appends the batch, framed as it is, to the spool file. */

static void
ngx_http_blog_event_spool(ngx_http_blog_events_main_conf_t *emcf,
    ngx_log_t *log)
{
    ssize_t                    n;
    ngx_http_blog_counters_t  *counters;
    ngx_http_blog_emitter_t   *em;

    em = &ngx_http_blog_emitter;
    counters = ngx_http_blog_counters();

    if (emcf->spool_dir.len == 0
        || (em->spool == NGX_INVALID_FILE
            && ngx_http_blog_spool_open(emcf, log) != NGX_OK)
        || em->spool_size + (off_t) em->len > (off_t) emcf->spool_max)
    {
        goto dropped;
    }

    /* one write() per batch, so an O_APPEND batch is never interleaved */
    n = write(em->spool, em->buf, em->len);

    if (n != (ssize_t) em->len) {
        ngx_log_error(NGX_LOG_ERR, log, n == -1 ? ngx_errno : 0,
                      "blog_events: write to the spool failed, %ui events "
                      "dropped", em->nrec);

        /* a cut frame would shift every later one: take it back */
        if (n > 0 && ftruncate(em->spool, em->spool_size) != 0) {
            ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                          "blog_events: spool cannot be repaired, handed "
                          "over as it is");
            ngx_http_blog_spool_hand_over(log);
        }

        goto dropped;
    }

    em->spool_size += n;

    if (counters) {
        (void) ngx_atomic_fetch_add(&counters->events_spooled, em->nrec);
    }

    return;

dropped:

    if (counters) {
        (void) ngx_atomic_fetch_add(&counters->events_dropped, em->nrec);
    }
}


static ngx_int_t
ngx_http_blog_spool_open(ngx_http_blog_events_main_conf_t *emcf,
    ngx_log_t *log)
{
    u_char                   path[NGX_MAX_PATH];
    ngx_file_info_t          fi;
    ngx_http_blog_emitter_t *em;

    em = &ngx_http_blog_emitter;

    if (ngx_snprintf(path, sizeof(path) - 1, "%V/events.%P.spool%Z",
                     &emcf->spool_dir, ngx_pid)
        == path + sizeof(path) - 1)
    {
        return NGX_ERROR;
    }

    em->spool = ngx_open_file(path, NGX_FILE_APPEND,
                              NGX_FILE_CREATE_OR_OPEN, 0640);

    if (em->spool == NGX_INVALID_FILE) {
        if (ngx_current_msec - em->logged > 1000) {
            em->logged = ngx_current_msec;
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          "blog_events: cannot open spool \"%s\"", path);
        }
        return NGX_ERROR;
    }

    if (ngx_fd_info(em->spool, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "blog_events: cannot stat spool \"%s\"", path);
        (void) ngx_close_file(em->spool);
        em->spool = NGX_INVALID_FILE;
        return NGX_ERROR;
    }

    em->spool_size = ngx_file_size(&fi);

    ngx_log_error(NGX_LOG_INFO, log, 0, "blog_events: socket unavailable, "
                  "spooling to \"%s\"", path);

    em->probe.handler = ngx_http_blog_spool_probe;
    em->probe.log = ngx_cycle->log;
    em->probe.data = emcf;
    em->probe.cancelable = 1;

    if (!em->probe.timer_set) {
        ngx_add_timer(&em->probe, NGX_HTTP_BLOG_SPOOL_PROBE);
    }

    return NGX_OK;
}


/*
 * Once a second while spooling: when the socket takes connections again,
 * the spool goes to the jobrunner; a datagram connect() sends nothing.
 */
static void
ngx_http_blog_spool_probe(ngx_event_t *ev)
{
    ngx_socket_t              s;
    ngx_http_blog_emitter_t  *em;

    em = &ngx_http_blog_emitter;

    if (em->spool == NGX_INVALID_FILE) {
        return;
    }

    s = ngx_socket(AF_UNIX, SOCK_DGRAM, 0);

    if (s != (ngx_socket_t) -1) {
        if (em->addr
            && connect(s, (struct sockaddr *) em->addr, em->addrlen) == 0)
        {
            ngx_http_blog_spool_hand_over(ev->log);
        }

        (void) ngx_close_socket(s);
    }

    if (em->spool != NGX_INVALID_FILE && !ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_BLOG_SPOOL_PROBE);
    }
}


static void
ngx_http_blog_spool_hand_over(ngx_log_t *log)
{
    u_char                             from[NGX_MAX_PATH], to[NGX_MAX_PATH];
    ngx_time_t                        *tp;
    ngx_http_blog_emitter_t           *em;
    ngx_http_blog_events_main_conf_t  *emcf;

    em = &ngx_http_blog_emitter;
    emcf = em->probe.data;

    (void) ngx_close_file(em->spool);
    em->spool = NGX_INVALID_FILE;

    if (em->probe.timer_set) {
        ngx_del_timer(&em->probe);
    }

    if (em->spool_size == 0) {
        return;
    }

    tp = ngx_timeofday();

    ngx_snprintf(from, sizeof(from) - 1, "%V/events.%P.spool%Z",
                 &emcf->spool_dir, ngx_pid);
    ngx_snprintf(to, sizeof(to) - 1, "%V/events.%P.%T%03M.ready%Z",
                 &emcf->spool_dir, ngx_pid, tp->sec, tp->msec);

    if (ngx_rename_file(from, to) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "blog_events: cannot hand over spool \"%s\"", from);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, log, 0, "blog_events: spool \"%s\" of %O "
                  "bytes handed over", to, em->spool_size);

    em->spool_size = 0;
}


/* blog_events unix:/path/events.sock | off; */

static char *
ngx_http_blog_events(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_events_loc_conf_t *elcf = conf;

    ngx_str_t  *value, path;

    if (elcf->enabled != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        elcf->enabled = 0;
        return NGX_CONF_OK;
    }

    if (value[1].len <= 5 || ngx_strncmp(value[1].data, "unix:", 5) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "blog_events takes "
                           "\"unix:/path/to/events.sock\" or \"off\", not "
                           "\"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    path.data = value[1].data + 5;
    path.len = value[1].len - 5;

    if (ngx_conf_full_name(cf->cycle, &path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    elcf->addr = ngx_pcalloc(cf->pool, sizeof(struct sockaddr_un));
    if (elcf->addr == NULL) {
        return NGX_CONF_ERROR;
    }

    if (path.len >= sizeof(elcf->addr->sun_path)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "socket path \"%V\" is "
                           "longer than %uz bytes", &path,
                           sizeof(elcf->addr->sun_path) - 1);
        return NGX_CONF_ERROR;
    }

    elcf->addr->sun_family = AF_UNIX;
    ngx_memcpy(elcf->addr->sun_path, path.data, path.len);
    elcf->addrlen = sizeof(struct sockaddr_un);
    elcf->enabled = 1;

    return NGX_CONF_OK;
}


/* blog_events_spool /dir [max=16m]; */

static char *
ngx_http_blog_events_spool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_events_main_conf_t *emcf = conf;

    ssize_t           max;
    ngx_str_t        *value, s;
    ngx_file_info_t   fi;

    if (emcf->spool_dir.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    emcf->spool_dir = value[1];

    if (ngx_conf_full_name(cf->cycle, &emcf->spool_dir, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_file_info(emcf->spool_dir.data, &fi) == NGX_FILE_ERROR
        || !ngx_is_dir(&fi))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno, "spool folder "
                           "\"%V\" does not exist", &emcf->spool_dir);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 3) {
        if (value[2].len <= 4 || ngx_strncmp(value[2].data, "max=", 4) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter "
                               "\"%V\", expected max=SIZE", &value[2]);
            return NGX_CONF_ERROR;
        }

        s.data = value[2].data + 4;
        s.len = value[2].len - 4;
        max = ngx_parse_size(&s);

        if (max < BLOG_EVENT_DGRAM_MAX) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid spool size "
                               "\"%V\", expected at least 32k", &s);
            return NGX_CONF_ERROR;
        }

        emcf->spool_max = max;
    }

    return NGX_CONF_OK;
}


/* blog_metrics; -- /_metrics in Prometheus text format */

static char *
ngx_http_blog_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_events_loc_conf_t *elcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (elcf->metrics) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_blog_metrics_handler;
    elcf->metrics = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_blog_events_init(ngx_conf_t *cf)
{
    ngx_str_t                          name;
    ngx_http_handler_pt               *h;
    ngx_http_core_main_conf_t         *cmcf;
    ngx_http_blog_events_main_conf_t  *emcf;

    emcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_blog_events_module);

    /* the variables of ngx_http_blog_module, defined before us */
    ngx_str_set(&name, "blog_cache_status");
    emcf->cache_status = ngx_http_get_variable_index(cf, &name);

    ngx_str_set(&name, "blog_slug");
    emcf->slug = ngx_http_get_variable_index(cf, &name);

    if (emcf->cache_status == NGX_ERROR || emcf->slug == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (ngx_http_blog_metrics_init_zone(cf, emcf) != NGX_OK) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_blog_events_log_handler;

    /* before the blog's content handler, which would make it a 404 */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_blog_beacon_handler;

    return NGX_OK;
}


static void *
ngx_http_blog_events_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_blog_events_main_conf_t  *emcf;

    emcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_events_main_conf_t));
    if (emcf == NULL) {
        return NULL;
    }

    emcf->spool_max = 16 * 1024 * 1024;

    return emcf;
}


static void *
ngx_http_blog_events_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_blog_events_loc_conf_t  *elcf;

    elcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_events_loc_conf_t));
    if (elcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     elcf->addr = NULL;
     *     elcf->analytics_db = { 0, NULL };
     *     elcf->analytics_tpl = NULL;
     *     elcf->auth_hash = NULL;
     *     elcf->metrics = 0;
     *     elcf->stats_db = { 0, NULL };
     *     elcf->thread_pool = NULL;
     */

    elcf->enabled = NGX_CONF_UNSET;
    elcf->beacon = NGX_CONF_UNSET;
    elcf->stats_timeout = NGX_CONF_UNSET_MSEC;

    return elcf;
}


static char *
ngx_http_blog_events_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_blog_events_loc_conf_t *prev = parent;
    ngx_http_blog_events_loc_conf_t *conf = child;

    if (conf->enabled == NGX_CONF_UNSET) {
        conf->enabled = prev->enabled == NGX_CONF_UNSET ? 0 : prev->enabled;
        conf->addr = prev->addr;
        conf->addrlen = prev->addrlen;
    }

    if (conf->auth_hash == NULL) {
        conf->auth_hash = prev->auth_hash;
    }

    ngx_conf_merge_msec_value(conf->stats_timeout, prev->stats_timeout, 5000);
    ngx_conf_merge_value(conf->beacon, prev->beacon, 0);

    if (ngx_http_blog_stats_api_merge(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_blog_analytics_merge(cf, conf);
}


static ngx_int_t
ngx_http_blog_events_init_process(ngx_cycle_t *cycle)
{
    ngx_socket_t                       s;
    ngx_http_blog_events_main_conf_t  *emcf;

    emcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_blog_events_module);
    if (emcf == NULL) {
        return NGX_OK;
    }

    ngx_http_blog_emitter.flush.handler = ngx_http_blog_event_flush_handler;
    ngx_http_blog_emitter.flush.log = cycle->log;
    ngx_http_blog_emitter.flush.data = emcf;
    ngx_http_blog_emitter.flush.cancelable = 1;

    /* one socket per worker, unbound: sendto() names the destination */
    s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (s == (ngx_socket_t) -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      "blog_events: socket() failed, events are dropped");
        return NGX_OK;
    }

    ngx_http_blog_emitter.fd = s;

    return NGX_OK;
}


static void
ngx_http_blog_events_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_blog_emitter_t  *em;

    em = &ngx_http_blog_emitter;

    /* the batch in hand is sent, or spooled */
    if (em->len && em->fd != (ngx_socket_t) -1) {
        ngx_http_blog_event_flush(em->flush.data, cycle->log);
    }

    /* what this worker spooled goes to the jobrunner, up or not */
    if (em->spool != NGX_INVALID_FILE) {
        ngx_http_blog_spool_hand_over(cycle->log);
    }

    if (em->fd != (ngx_socket_t) -1) {
        (void) ngx_close_socket(em->fd);
        em->fd = (ngx_socket_t) -1;
    }
}
