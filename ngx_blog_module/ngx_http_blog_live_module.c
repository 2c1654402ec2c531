/*
 * ngx_http_blog_live_module: "blog_live_streams", a cap on the event
 * streams one client address holds open through the location that
 * proxies the jobrunner's realtime hub.
 *
 * A stream holds two of a worker's connections (the client's and the
 * hub's) for as long as the page stays open, so one address opening
 * streams in a loop would take every connection of every worker and leave
 * the others 500s.  The count of each address is kept in a shared memory
 * zone, so it holds across workers, taken before the request is proxied
 * and given back by a cleanup of the request's pool: when the stream
 * ends, however it ends (the reader leaves, the hub restarts, the worker
 * shuts down).  A worker that crashes runs no cleanup; the counts are
 * kept per worker slot too, and the worker that nginx starts in the slot
 * takes back what its predecessor held.
 *
 * Past the cap the answer is 503 with Retry-After, sent here rather than
 * returned to nginx, so that the location's "error_page 503 =
 * @events_down" (the fallback that tells EventSource to retry while the
 * hub restarts) does not turn it into a 200.
 *
 * The default is on where the hub is proxied as documented, in the
 * location with blog_admin_session.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_rate.h"
#include "ngx_http_blog_response.h"


#define NGX_HTTP_BLOG_LIVE_DEFAULT      16
#define NGX_HTTP_BLOG_LIVE_ZONE_SIZE    (1024 * 1024)
#define NGX_HTTP_BLOG_LIVE_RETRY_AFTER  "30"

/* the node of an address's total; other nodes are a worker slot's share */
#define NGX_HTTP_BLOG_LIVE_TOTAL        0xffff


typedef struct {
    ngx_uint_t         streams;        /* as configured, or unset */
    ngx_uint_t         cap;            /* what applies; 0: off */
} ngx_http_blog_live_loc_conf_t;

typedef struct {
    ngx_shm_zone_t    *zone;
} ngx_http_blog_live_main_conf_t;

/* overlays ngx_rbtree_node_t from its "color" field on, as limit_conn's */
typedef struct {
    u_char             color;
    u_char             len;
    uint16_t           slot;
    uint32_t           streams;
    u_char             addr[NGX_HTTP_BLOG_CLIENT_NET_MAX];
} ngx_http_blog_live_node_t;

typedef struct {
    ngx_rbtree_t       rbtree;
    ngx_rbtree_node_t  sentinel;
} ngx_http_blog_live_shctx_t;

typedef struct {
    ngx_http_blog_live_shctx_t  *sh;
    ngx_slab_pool_t             *shpool;
} ngx_http_blog_live_zone_t;

/* what a request's pool cleanup gives back */
typedef struct {
    ngx_shm_zone_t    *zone;
    uint16_t           slot;
    u_char             len;
    u_char             addr[NGX_HTTP_BLOG_CLIENT_NET_MAX];
} ngx_http_blog_live_cleanup_t;


static ngx_int_t ngx_http_blog_live_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_live_refuse(ngx_http_request_t *r);
static void ngx_http_blog_live_cleanup(void *data);
static ngx_rbtree_node_t *ngx_http_blog_live_lookup(
    ngx_http_blog_live_zone_t *ctx, uint16_t slot, u_char *addr,
    ngx_uint_t len, ngx_uint_t create);
static void ngx_http_blog_live_give_back(ngx_http_blog_live_zone_t *ctx,
    uint16_t slot, u_char *addr, ngx_uint_t len, uint32_t n);
static ngx_int_t ngx_http_blog_live_cmp(uint16_t slot, u_char *addr,
    ngx_uint_t len, ngx_http_blog_live_node_t *ln);
static void ngx_http_blog_live_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_blog_live_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);

static char *ngx_http_blog_live_streams(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void *ngx_http_blog_live_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_blog_live_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_blog_live_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_blog_live_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_blog_live_init_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_blog_live_commands[] = {

    { ngx_string("blog_live_streams"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_blog_live_streams,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_blog_live_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_blog_live_init,               /* postconfiguration */

    ngx_http_blog_live_create_main_conf,   /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_blog_live_create_loc_conf,    /* create location configuration */
    ngx_http_blog_live_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_blog_live_module = {
    NGX_MODULE_V1,
    &ngx_http_blog_live_module_ctx,        /* module context */
    ngx_http_blog_live_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_blog_live_init_process,       /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_blog_live_zone_name = ngx_string("blog_live_streams");

static u_char  ngx_http_blog_live_refusal[] =
    "Too many event streams from your address: close one, or retry later.\n";


/* Preaccess: counts the stream in, or refuses it. */
static ngx_int_t
ngx_http_blog_live_handler(ngx_http_request_t *r)
{
    u_char                           key[NGX_HTTP_BLOG_CLIENT_NET_MAX];
    ngx_uint_t                       len, at_cap;
    ngx_pool_cleanup_t              *cln;
    ngx_rbtree_node_t               *total, *mine;
    ngx_http_blog_live_zone_t       *ctx;
    ngx_http_blog_live_node_t       *tn, *mn;
    ngx_http_blog_live_cleanup_t    *lc;
    ngx_http_blog_live_loc_conf_t   *llcf;
    ngx_http_blog_live_main_conf_t  *lmcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_live_module);

    if (llcf->cap == 0 || r != r->main) {
        return NGX_DECLINED;
    }

    /* counted once, though an error_page may run the phases again */
    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_blog_live_cleanup) {
            return NGX_DECLINED;
        }
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_blog_live_module);
    ctx = lmcf->zone->data;

    len = ngx_http_blog_client_net(r, key);

    /* the cleanup first: once counted, nothing may fail before it is set */
    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_blog_live_cleanup_t));
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_shmtx_lock(&ctx->shpool->mutex);

    /* a node that cannot be made (the zone is full) refuses too */
    total = ngx_http_blog_live_lookup(ctx, NGX_HTTP_BLOG_LIVE_TOTAL, key, len,
                                      1);
    mine = NULL;
    at_cap = 0;

    if (total) {
        tn = (ngx_http_blog_live_node_t *) &total->color;
        at_cap = (tn->streams >= llcf->cap);

        if (!at_cap) {
            mine = ngx_http_blog_live_lookup(ctx, (uint16_t) ngx_process_slot,
                                             key, len, 1);
        }

        if (mine) {
            mn = (ngx_http_blog_live_node_t *) &mine->color;
            tn->streams++;
            mn->streams++;

        } else if (tn->streams == 0) {
            /* made just now, and the share could not be: none is held */
            ngx_rbtree_delete(&ctx->sh->rbtree, total);
            ngx_slab_free_locked(ctx->shpool, total);
        }
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (mine == NULL) {
        if (at_cap) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "blog_live_streams: %ui event streams from this "
                          "address already, stream refused", llcf->cap);
        } else {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "blog_live_streams: the zone is full, stream "
                          "refused");
        }

        cln->handler = NULL;

        ngx_http_finalize_request(r, ngx_http_blog_live_refuse(r));
        return NGX_DONE;
    }

    lc = cln->data;
    lc->zone = lmcf->zone;
    lc->slot = (uint16_t) ngx_process_slot;
    lc->len = (u_char) len;
    ngx_memcpy(lc->addr, key, len);

    cln->handler = ngx_http_blog_live_cleanup;

    return NGX_DECLINED;
}


/* 503 with Retry-After, past any error_page; the connection is closed. */
static ngx_int_t
ngx_http_blog_live_refuse(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    r->keepalive = 0;

    if (ngx_http_blog_header(r, "Retry-After",
                             NGX_HTTP_BLOG_LIVE_RETRY_AFTER) != NGX_OK
        || ngx_http_blog_header(r, "Cache-Control", "no-store") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_SERVICE_UNAVAILABLE;
    r->headers_out.content_length_n = sizeof(ngx_http_blog_live_refusal) - 1;
    ngx_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    return ngx_http_blog_send_body(r, ngx_http_blog_live_refusal,
                                   sizeof(ngx_http_blog_live_refusal) - 1);
}


static void
ngx_http_blog_live_cleanup(void *data)
{
    ngx_http_blog_live_cleanup_t  *lc = data;

    ngx_http_blog_live_zone_t  *ctx;

    ctx = lc->zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);
    ngx_http_blog_live_give_back(ctx, lc->slot, lc->addr, lc->len, 1);
    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


/* Takes n streams off the slot's share and the total; with the lock held. */
static void
ngx_http_blog_live_give_back(ngx_http_blog_live_zone_t *ctx, uint16_t slot,
    u_char *addr, ngx_uint_t len, uint32_t n)
{
    uint16_t                    slots[2];
    ngx_uint_t                  i;
    ngx_rbtree_node_t          *node;
    ngx_http_blog_live_node_t  *ln;

    slots[0] = slot;
    slots[1] = NGX_HTTP_BLOG_LIVE_TOTAL;

    for (i = 0; i < 2; i++) {
        node = ngx_http_blog_live_lookup(ctx, slots[i], addr, len, 0);
        if (node == NULL) {
            continue;
        }

        ln = (ngx_http_blog_live_node_t *) &node->color;
        ln->streams -= ngx_min(n, ln->streams);

        if (ln->streams == 0) {
            ngx_rbtree_delete(&ctx->sh->rbtree, node);
            ngx_slab_free_locked(ctx->shpool, node);
        }
    }
}


/* The node of (slot, address), made if asked; with the lock held. */
static ngx_rbtree_node_t *
ngx_http_blog_live_lookup(ngx_http_blog_live_zone_t *ctx, uint16_t slot,
    u_char *addr, ngx_uint_t len, ngx_uint_t create)
{
    uint32_t                    hash;
    ngx_int_t                   rc;
    ngx_rbtree_node_t          *node, *sentinel;
    ngx_http_blog_live_node_t  *ln;

    hash = ngx_crc32_short(addr, len) ^ slot;

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        rc = ngx_http_blog_live_cmp(slot, addr, len,
                                    (ngx_http_blog_live_node_t *) &node->color);
        if (rc == 0) {
            return node;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    if (!create) {
        return NULL;
    }

    node = ngx_slab_alloc_locked(ctx->shpool,
                                 offsetof(ngx_rbtree_node_t, color)
                                 + sizeof(ngx_http_blog_live_node_t));
    if (node == NULL) {
        return NULL;
    }

    node->key = hash;

    ln = (ngx_http_blog_live_node_t *) &node->color;
    ln->len = (u_char) len;
    ln->slot = slot;
    ln->streams = 0;
    ngx_memcpy(ln->addr, addr, len);

    ngx_rbtree_insert(&ctx->sh->rbtree, node);

    return node;
}


/* Orders (slot, address) keys of one hash: slot, then length, then bytes. */
static ngx_int_t
ngx_http_blog_live_cmp(uint16_t slot, u_char *addr, ngx_uint_t len,
    ngx_http_blog_live_node_t *ln)
{
    if (slot != ln->slot) {
        return (slot < ln->slot) ? -1 : 1;
    }

    if (len != ln->len) {
        return (len < ln->len) ? -1 : 1;
    }

    return ngx_memcmp(addr, ln->addr, len);
}


/* Orders nodes by hash, then as ngx_http_blog_live_cmp(). */
static void
ngx_http_blog_live_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t          **p;
    ngx_http_blog_live_node_t   *ln;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            ln = (ngx_http_blog_live_node_t *) &node->color;

            p = (ngx_http_blog_live_cmp(ln->slot, ln->addr, ln->len,
                                        (ngx_http_blog_live_node_t *)
                                        &temp->color) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_int_t
ngx_http_blog_live_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_blog_live_zone_t  *octx = data;

    ngx_http_blog_live_zone_t  *ctx;

    ctx = shm_zone->data;

    /* a reload keeps the zone, and the counts of streams still open */
    if (octx) {
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    ctx->sh = ngx_slab_alloc(ctx->shpool, sizeof(ngx_http_blog_live_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;
    ctx->shpool->log_nomem = 0;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_http_blog_live_rbtree_insert);

    return NGX_OK;
}


/*
 * A worker that starts in a slot takes back the streams a crashed
 * predecessor left counted there; a slot is reused only once its process
 * is gone.
 */
static ngx_int_t
ngx_http_blog_live_init_process(ngx_cycle_t *cycle)
{
    uint16_t                         slot;
    ngx_rbtree_node_t               *node, *root, *sentinel;
    ngx_http_blog_live_node_t       *ln;
    ngx_http_blog_live_zone_t       *ctx;
    ngx_http_blog_live_main_conf_t  *lmcf;

    if (ngx_process != NGX_PROCESS_WORKER) {
        return NGX_OK;
    }

    lmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_blog_live_module);
    if (lmcf == NULL || lmcf->zone == NULL) {
        return NGX_OK;
    }

    ctx = lmcf->zone->data;
    slot = (uint16_t) ngx_process_slot;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    sentinel = ctx->sh->rbtree.sentinel;

    /* giving back deletes nodes: the walk starts over after each */
    for ( ;; ) {
        root = ctx->sh->rbtree.root;
        if (root == sentinel) {
            break;
        }

        for (node = ngx_rbtree_min(root, sentinel);
             node;
             node = ngx_rbtree_next(&ctx->sh->rbtree, node))
        {
            ln = (ngx_http_blog_live_node_t *) &node->color;
            if (ln->slot == slot) {
                break;
            }
        }

        if (node == NULL) {
            break;
        }

        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "blog_live_streams: %uD streams of a previous worker "
                      "given back", ln->streams);

        ngx_http_blog_live_give_back(ctx, slot, ln->addr, ln->len,
                                     ln->streams);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return NGX_OK;
}


/* blog_live_streams number | off; */

static char *
ngx_http_blog_live_streams(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_live_loc_conf_t *llcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (llcf->streams != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        llcf->streams = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);
    if (n < 1 || n > 65535) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid value \"%V\": a "
                           "number of streams from 1 to 65535, or \"off\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    llcf->streams = (ngx_uint_t) n;

    return NGX_CONF_OK;
}


static void *
ngx_http_blog_live_create_main_conf(ngx_conf_t *cf)
{
    /* set by ngx_pcalloc(): lmcf->zone = NULL; */
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_live_main_conf_t));
}


static void *
ngx_http_blog_live_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_blog_live_loc_conf_t  *llcf;

    llcf = ngx_palloc(cf->pool, sizeof(ngx_http_blog_live_loc_conf_t));
    if (llcf == NULL) {
        return NULL;
    }

    llcf->streams = NGX_CONF_UNSET_UINT;
    llcf->cap = 0;

    return llcf;
}


/*
 * A value set in a location holds in the locations inside it; without one,
 * the default follows blog_admin_session (not merged: it is the location's
 * own), so a server-level merge cannot turn it off for its locations.
 */
static char *
ngx_http_blog_live_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_blog_live_loc_conf_t *prev = parent;
    ngx_http_blog_live_loc_conf_t *conf = child;

    ngx_http_blog_live_zone_t       *ctx;
    ngx_http_blog_live_main_conf_t  *lmcf;

    if (conf->streams == NGX_CONF_UNSET_UINT) {
        conf->streams = prev->streams;
    }

    if (conf->streams != NGX_CONF_UNSET_UINT) {
        conf->cap = conf->streams;

    } else {
        conf->cap = ngx_http_blog_admin_session_conf(cf)
                    ? NGX_HTTP_BLOG_LIVE_DEFAULT : 0;
    }

    if (conf->cap == 0) {
        return NGX_CONF_OK;
    }

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_blog_live_module);

    if (lmcf->zone) {
        return NGX_CONF_OK;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_live_zone_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    lmcf->zone = ngx_shared_memory_add(cf, &ngx_http_blog_live_zone_name,
                                       NGX_HTTP_BLOG_LIVE_ZONE_SIZE,
                                       &ngx_http_blog_live_module);
    if (lmcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    lmcf->zone->init = ngx_http_blog_live_init_zone;
    lmcf->zone->data = ctx;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_blog_live_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_blog_live_handler;

    return NGX_OK;
}
