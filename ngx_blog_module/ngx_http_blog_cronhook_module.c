/*
 * ngx_http_blog_cronhook_module: the endpoints the jobrunner's cronhooks
 * call, the fourth module in the .so (after the blog module, whose merged
 * configuration it reads).
 *
 *     location / {
 *         blog data.db; ...
 *         location = /_cron/publish {
 *             blog_cronhook publish whsec_NEW whsec_OLD;
 *         }
 *     }
 *
 * A POST is verified per Standard Webhooks (blog_webhook.c: HMAC-SHA256
 * over "id.timestamp.body", constant-time compare, any signature of the
 * header against any configured secret, timestamp within 5 minutes), then
 * its webhook-id is recorded in ttl.db (blog_ttl_db) for a day: a second
 * delivery of the same id is answered 409 and runs nothing, which the
 * jobrunner takes as "delivered" when its retry follows a lost answer.
 * Only then the task runs:
 *
 *     ping      nothing: 204, to check the path end to end
 *     publish   scheduled posts whose time has come are published (200)
 *
 * Anything refused is 401 and one log line, which never holds a secret.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_response.h"
#include "blog_db.h"
#include "blog_post.h"
#include "blog_webhook.h"


/* Cronhook bodies are small JSON objects. */
#define NGX_HTTP_BLOG_CRONHOOK_BODY_MAX  65536

/* How long an id is refused again: well past the jobrunner's retries. */
#define NGX_HTTP_BLOG_CRONHOOK_ID_TTL    86400

/* The writer may wait this long for another writer's lock. */
#define NGX_HTTP_BLOG_CRONHOOK_BUSY      1000    /* ms */


typedef enum {
    NGX_HTTP_BLOG_TASK_PING = 0,
    NGX_HTTP_BLOG_TASK_PUBLISH
} ngx_http_blog_task_e;

typedef struct {
    ngx_str_t                 task_name;
    ngx_http_blog_task_e      task;
    blog_webhook_key_t       *keys;
    ngx_uint_t                nkeys;
    ngx_str_t                 db;             /* data.db, for publish */
    ngx_http_blog_conn_t     *ttl;            /* the replay guard */
} ngx_http_blog_cronhook_loc_conf_t;


static ngx_int_t ngx_http_blog_cronhook_handler(ngx_http_request_t *r);
static void ngx_http_blog_cronhook_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_cronhook_verify(ngx_http_request_t *r,
    ngx_http_blog_cronhook_loc_conf_t *hlcf, ngx_str_t *body,
    ngx_str_t *id);
static ngx_int_t ngx_http_blog_cronhook_guard(ngx_http_request_t *r,
    ngx_http_blog_cronhook_loc_conf_t *hlcf, ngx_str_t *id, ngx_uint_t add);
static ngx_int_t ngx_http_blog_cronhook_publish(ngx_http_request_t *r,
    ngx_http_blog_cronhook_loc_conf_t *hlcf, int *n);
static ngx_int_t ngx_http_blog_cronhook_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *body);
static ngx_table_elt_t *ngx_http_blog_cronhook_header(ngx_http_request_t *r,
    ngx_str_t *name, ngx_uint_t *twice);

static char *ngx_http_blog_cronhook(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void *ngx_http_blog_cronhook_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_blog_cronhook_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);


static ngx_command_t  ngx_http_blog_cronhook_commands[] = {

    { ngx_string("blog_cronhook"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE23,
      ngx_http_blog_cronhook,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_blog_cronhook_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_blog_cronhook_create_loc_conf, /* create location configuration */
    ngx_http_blog_cronhook_merge_loc_conf  /* merge location configuration */
};


ngx_module_t  ngx_http_blog_cronhook_module = {
    NGX_MODULE_V1,
    &ngx_http_blog_cronhook_module_ctx,    /* module context */
    ngx_http_blog_cronhook_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_blog_cronhook_tasks[] = {
    ngx_string("ping"),
    ngx_string("publish")
};


static ngx_int_t
ngx_http_blog_cronhook_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (r->headers_in.content_length_n > NGX_HTTP_BLOG_CRONHOOK_BODY_MAX) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    /* the signature covers the body: all of it, in memory */
    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_blog_cronhook_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_blog_cronhook_body(ngx_http_request_t *r)
{
    int                                 n;
    u_char                             *p;
    size_t                              len;
    ngx_int_t                           rc;
    ngx_str_t                           body, id, out;
    ngx_chain_t                        *cl;
    ngx_http_request_body_t            *rb;
    ngx_http_blog_cronhook_loc_conf_t  *hlcf;

    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_cronhook_module);
    rb = r->request_body;

    if (rb == NULL || rb->temp_file) {
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    len = 0;

    for (cl = rb->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > NGX_HTTP_BLOG_CRONHOOK_BODY_MAX) {
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    body.len = len;
    body.data = ngx_pnalloc(r->pool, len + 1);
    if (body.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = body.data;

    for (cl = rb->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    rc = ngx_http_blog_cronhook_verify(r, hlcf, &body, &id);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_http_blog_cronhook_guard(r, hlcf, &id, 1);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    if (hlcf->task == NGX_HTTP_BLOG_TASK_PING) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog cronhook \"ping\" (%V): ok", &id);
        ngx_http_finalize_request(r,
                      ngx_http_blog_cronhook_send(r, NGX_HTTP_NO_CONTENT,
                                                  NULL));
        return;
    }

    if (ngx_http_blog_cronhook_publish(r, hlcf, &n) != NGX_OK) {
        /* not done: the jobrunner's retry must not be taken for a replay */
        (void) ngx_http_blog_cronhook_guard(r, hlcf, &id, 0);
        ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "blog cronhook \"publish\" (%V): %d scheduled post%s "
                  "published", &id, n, n == 1 ? "" : "s");

    out.data = ngx_pnalloc(r->pool, sizeof("{\"published\":}\n")
                                    + NGX_INT_T_LEN);
    if (out.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    out.len = ngx_sprintf(out.data, "{\"published\":%d}\n", n) - out.data;

    ngx_http_finalize_request(r,
                              ngx_http_blog_cronhook_send(r, NGX_HTTP_OK,
                                                          &out));
}


/*
 * The three headers, each at most once, checked against the secrets.
 * Returns NGX_OK with the id, or the status to answer (logged).
 */
static ngx_int_t
ngx_http_blog_cronhook_verify(ngx_http_request_t *r,
    ngx_http_blog_cronhook_loc_conf_t *hlcf, ngx_str_t *body, ngx_str_t *id)
{
    ngx_str_t         empty = ngx_null_string, *v[3];
    ngx_uint_t        i, twice;
    blog_webhook_e    rc;
    ngx_table_elt_t  *h;

    static ngx_str_t  names[3] = {
        ngx_string("webhook-id"),
        ngx_string("webhook-timestamp"),
        ngx_string("webhook-signature")
    };

    twice = 0;

    for (i = 0; i < 3; i++) {
        h = ngx_http_blog_cronhook_header(r, &names[i], &twice);
        v[i] = h ? &h->value : &empty;
    }

    rc = twice ? BLOG_WEBHOOK_BAD_SIGNATURE
               : blog_webhook_verify(hlcf->keys, hlcf->nkeys,
                                     (char *) v[0]->data, v[0]->len,
                                     (char *) v[1]->data, v[1]->len,
                                     (char *) v[2]->data, v[2]->len,
                                     body->data, body->len,
                                     (long long) ngx_time(),
                                     BLOG_WEBHOOK_TOLERANCE);

    if (rc != BLOG_WEBHOOK_OK) {
        /* the id is the sender's: shown only once it is known to be tame */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog cronhook \"%V\" refused: %s%s (webhook-id %V)",
                      &hlcf->task_name, blog_webhook_strerror(rc),
                      twice ? ", a webhook header given twice" : "",
                      rc == BLOG_WEBHOOK_BAD_ID ? &empty : v[0]);
        return NGX_HTTP_UNAUTHORIZED;
    }

    *id = *v[0];

    return NGX_OK;
}


/*
 * add: records the id, NGX_HTTP_CONFLICT if it was there already;
 * otherwise forgets it again.  Errors are 503, logged.
 */
static ngx_int_t
ngx_http_blog_cronhook_guard(ngx_http_request_t *r,
    ngx_http_blog_cronhook_loc_conf_t *hlcf, ngx_str_t *id, ngx_uint_t add)
{
    int            rc;
    sqlite3_stmt  *stmt;

    if (ngx_http_blog_conn_ready(hlcf->ttl, r->connection->log) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = sqlite3_prepare_v2(hlcf->ttl->db,
                            add ? "INSERT INTO webhook_ids (id, expires_at)"
                                  " VALUES (?1, ?2) ON CONFLICT DO NOTHING"
                                : "DELETE FROM webhook_ids WHERE id = ?1",
                            -1, &stmt, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_text(stmt, 1, (char *) id->data, id->len,
                               SQLITE_STATIC);
    }

    if (rc == SQLITE_OK && add) {
        rc = sqlite3_bind_int64(stmt, 2, (sqlite3_int64) ngx_time()
                                         + NGX_HTTP_BLOG_CRONHOOK_ID_TTL);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog cronhook \"%V\": ttl database \"%V\": %s",
                      &hlcf->task_name, &hlcf->ttl->path,
                      sqlite3_errmsg(hlcf->ttl->db));
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (add && sqlite3_changes(hlcf->ttl->db) == 0) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog cronhook \"%V\" refused: webhook-id %V was seen "
                      "already, a replay", &hlcf->task_name, id);
        return NGX_HTTP_CONFLICT;
    }

    return NGX_OK;
}


/*
 * Publishes due scheduled posts on a connection of its own, opened for
 * this request: cronhooks come a few times an hour at most, and the
 * readers' connection never writes.
 */
static ngx_int_t
ngx_http_blog_cronhook_publish(ngx_http_request_t *r,
    ngx_http_blog_cronhook_loc_conf_t *hlcf, int *n)
{
    int              rc;
    sqlite3         *db;
    blog_db_error_t  err;

    *n = 0;

    rc = blog_db_open(&db, (char *) hlcf->db.data, &blog_data_schema,
                      BLOG_DB_ONE_THREAD, NGX_HTTP_BLOG_CRONHOOK_BUSY, &err);

    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

        if (rc == SQLITE_OK) {
            rc = blog_post_publish_due(db, (int64_t) ngx_time(), n);
        }

        if (rc == SQLITE_OK) {
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        }

        if (rc != SQLITE_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "blog cronhook \"publish\": database \"%V\": %s",
                          &hlcf->db, sqlite3_errmsg(db));
            (void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }

    } else {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog cronhook \"publish\": database \"%V\": %s",
                      &hlcf->db, rc == SQLITE_SCHEMA
                                 ? "schema version mismatch" : err.msg);
    }

    sqlite3_close(db);

    return rc == SQLITE_OK ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_http_blog_cronhook_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    r->headers_out.status = status;
    r->headers_out.content_length_n = body ? (off_t) body->len : 0;

    if (body) {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    if (body == NULL) {
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    return ngx_http_blog_send_body(r, body->data, body->len);
}


/* A request header by name, case-insensitively; *twice set if repeated. */
static ngx_table_elt_t *
ngx_http_blog_cronhook_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_uint_t *twice)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found;

    found = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            if (found) {
                *twice = 1;
            }

            found = &h[i];
        }
    }

    return found;
}


/* blog_cronhook ping|publish whsec_... [whsec_...]; */

static char *
ngx_http_blog_cronhook(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_cronhook_loc_conf_t *hlcf = conf;

    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_http_core_loc_conf_t  *clcf;

    if (hlcf->keys) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; i < sizeof(ngx_http_blog_cronhook_tasks) / sizeof(ngx_str_t);
         i++)
    {
        if (value[1].len == ngx_http_blog_cronhook_tasks[i].len
            && ngx_strncmp(value[1].data, ngx_http_blog_cronhook_tasks[i].data,
                           value[1].len) == 0)
        {
            break;
        }
    }

    if (i == sizeof(ngx_http_blog_cronhook_tasks) / sizeof(ngx_str_t)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "unknown cronhook task "
                           "\"%V\", expected ping or publish", &value[1]);
        return NGX_CONF_ERROR;
    }

    hlcf->task = (ngx_http_blog_task_e) i;
    hlcf->task_name = value[1];
    hlcf->nkeys = cf->args->nelts - 2;

    hlcf->keys = ngx_pcalloc(cf->pool,
                             hlcf->nkeys * sizeof(blog_webhook_key_t));
    if (hlcf->keys == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < hlcf->nkeys; i++) {
        /* the secret itself is never repeated in a message */
        if (blog_webhook_key_decode((char *) value[2 + i].data,
                                    value[2 + i].len, &hlcf->keys[i])
            != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "secret %ui of "
                               "\"blog_cronhook\" is invalid: expected "
                               "\"whsec_\" followed by the base64 of %d to "
                               "%d bytes", i + 1, BLOG_WEBHOOK_KEY_MIN,
                               BLOG_WEBHOOK_KEY_MAX);
            return NGX_CONF_ERROR;
        }
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_blog_cronhook_handler;

    return NGX_CONF_OK;
}


static void *
ngx_http_blog_cronhook_create_loc_conf(ngx_conf_t *cf)
{
    /*
     * set by ngx_pcalloc():
     *
     *     keys = NULL;
     *     db = { 0, NULL };
     *     ttl = NULL;
     */

    return ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_cronhook_loc_conf_t));
}


static char *
ngx_http_blog_cronhook_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_blog_cronhook_loc_conf_t *prev = parent;
    ngx_http_blog_cronhook_loc_conf_t *conf = child;

    ngx_http_blog_loc_conf_t  *blcf;

    /*
     * Locations are merged parent first, and the blog module before us: the
     * database is this location's "blog" or the nearest enclosing one's.
     */
    blcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_blog_module);
    conf->db = blcf->db ? blcf->db->path : prev->db;

    if (conf->keys == NULL) {
        return NGX_CONF_OK;
    }

    conf->ttl = blcf->ttl;

    if (conf->ttl == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_cronhook\" needs "
                           "\"blog_ttl_db\" for its replay guard");
        return NGX_CONF_ERROR;
    }

    if (conf->task == NGX_HTTP_BLOG_TASK_PUBLISH && conf->db.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_cronhook publish\" "
                           "must be in a \"blog\" location or in a location "
                           "inside one");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
