/*
 * The metrics endpoint; see jr_metrics.h.
 *
 * A scrape is a few hundred bytes each way, so a connection reads one
 * request of at most JR_METRICS_REQUEST bytes, answers, and is closed.
 * Open connections are kept in a list, so stopping closes them all with
 * their own close callback, which frees them.
 */

#include <stdlib.h>
#include <string.h>

#include "core/jr_log.h"
#include "core/jr_metrics.h"


#define JR_METRICS_REQUEST  4096


typedef struct jr_metrics_conn_s  jr_metrics_conn_t;

struct jr_metrics_conn_s {
    uv_tcp_t             tcp;
    uv_write_t           write;
    jr_metrics_t        *metrics;
    jr_metrics_conn_t   *next;
    jr_metrics_conn_t  **prev;
    char                *response;
    size_t               len;
    char                 request[JR_METRICS_REQUEST];
};

struct jr_metrics_s {
    uv_tcp_t               listener;
    jr_metrics_render_pt   render;
    void                  *data;
    jr_metrics_conn_t     *conns;
};


static void jr_metrics_accept(uv_stream_t *server, int status);
static void jr_metrics_alloc(uv_handle_t *handle, size_t suggested,
    uv_buf_t *buf);
static void jr_metrics_read(uv_stream_t *stream, ssize_t n,
    const uv_buf_t *buf);
static void jr_metrics_answer(jr_metrics_conn_t *c);
static void jr_metrics_written(uv_write_t *req, int status);
static void jr_metrics_close(jr_metrics_conn_t *c);
static void jr_metrics_closed(uv_handle_t *handle);
static void jr_metrics_listener_closed(uv_handle_t *handle);


jr_metrics_t *
jr_metrics_start(uv_loop_t *loop, const struct sockaddr *addr,
    jr_metrics_render_pt render, void *data)
{
    int            rc;
    jr_metrics_t  *m;

    m = calloc(1, sizeof(jr_metrics_t));
    if (m == NULL) {
        jr_log(JR_LOG_ERROR, "metrics: out of memory");
        return NULL;
    }

    m->render = render;
    m->data = data;

    rc = uv_tcp_init(loop, &m->listener);
    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "metrics: %s", uv_strerror(rc));
        free(m);
        return NULL;
    }

    m->listener.data = m;

    rc = uv_tcp_bind(&m->listener, addr, 0);
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *) &m->listener, 64, jr_metrics_accept);
    }

    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "metrics: cannot listen: %s", uv_strerror(rc));
        uv_close((uv_handle_t *) &m->listener, jr_metrics_listener_closed);
        return NULL;
    }

    return m;
}


void
jr_metrics_stop(jr_metrics_t *m)
{
    while (m->conns) {
        jr_metrics_close(m->conns);
    }

    uv_close((uv_handle_t *) &m->listener, jr_metrics_listener_closed);
}


static void
jr_metrics_listener_closed(uv_handle_t *handle)
{
    free(handle->data);
}


static void
jr_metrics_accept(uv_stream_t *server, int status)
{
    jr_metrics_t       *m = server->data;
    jr_metrics_conn_t  *c;

    if (status != 0) {
        jr_log(JR_LOG_WARN, "metrics: accept: %s", uv_strerror(status));
        return;
    }

    c = calloc(1, sizeof(jr_metrics_conn_t));
    if (c == NULL || uv_tcp_init(server->loop, &c->tcp) != 0) {
        jr_log(JR_LOG_ERROR, "metrics: out of memory for a connection");
        free(c);
        return;
    }

    c->tcp.data = c;
    c->metrics = m;
    c->next = m->conns;
    c->prev = &m->conns;
    if (m->conns) {
        m->conns->prev = &c->next;
    }
    m->conns = c;

    if (uv_accept(server, (uv_stream_t *) &c->tcp) != 0
        || uv_read_start((uv_stream_t *) &c->tcp, jr_metrics_alloc,
                         jr_metrics_read) != 0)
    {
        jr_metrics_close(c);
    }
}


static void
jr_metrics_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    jr_metrics_conn_t  *c = handle->data;

    (void) suggested;

    /* the rest of the request buffer; one byte stays for the NUL */
    buf->base = c->request + c->len;
    buf->len = sizeof(c->request) - 1 - c->len;
}


static void
jr_metrics_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    jr_metrics_conn_t  *c = stream->data;

    (void) buf;

    if (n < 0) {
        jr_metrics_close(c);
        return;
    }

    c->len += n;
    c->request[c->len] = '\0';

    if (strstr(c->request, "\r\n\r\n") || strstr(c->request, "\n\n")) {
        uv_read_stop(stream);
        jr_metrics_answer(c);
        return;
    }

    if (c->len == sizeof(c->request) - 1) {
        jr_metrics_close(c);
    }
}


static void
jr_metrics_answer(jr_metrics_conn_t *c)
{
    int          ok;
    FILE        *out;
    char        *body;
    size_t       len;
    uv_buf_t     buf;

    ok = strncmp(c->request, "GET /metrics ", 13) == 0
         || strncmp(c->request, "GET /metrics?", 13) == 0;

    body = NULL;
    len = 0;

    out = open_memstream(&body, &len);
    if (out == NULL) {
        jr_metrics_close(c);
        return;
    }

    if (ok) {
        c->metrics->render(c->metrics->data, out);
    } else {
        fputs("not found\n", out);
    }

    if (fclose(out) != 0) {
        free(body);
        jr_metrics_close(c);
        return;
    }

    out = open_memstream(&c->response, &c->len);
    if (out == NULL) {
        free(body);
        jr_metrics_close(c);
        return;
    }

    fprintf(out, "HTTP/1.1 %s\r\n"
            "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            ok ? "200 OK" : "404 Not Found", len);
    fwrite(body, 1, len, out);
    free(body);

    if (fclose(out) != 0) {
        jr_metrics_close(c);
        return;
    }

    buf = uv_buf_init(c->response, (unsigned) c->len);

    if (uv_write(&c->write, (uv_stream_t *) &c->tcp, &buf, 1,
                 jr_metrics_written) != 0)
    {
        jr_metrics_close(c);
    }
}


static void
jr_metrics_written(uv_write_t *req, int status)
{
    jr_metrics_conn_t  *c = req->handle->data;

    (void) status;

    /* stopping has closed it already */
    if (!uv_is_closing((uv_handle_t *) &c->tcp)) {
        jr_metrics_close(c);
    }
}


static void
jr_metrics_close(jr_metrics_conn_t *c)
{
    *c->prev = c->next;
    if (c->next) {
        c->next->prev = c->prev;
    }

    c->next = NULL;
    c->prev = &c->next;

    uv_close((uv_handle_t *) &c->tcp, jr_metrics_closed);
}


static void
jr_metrics_closed(uv_handle_t *handle)
{
    jr_metrics_conn_t  *c = handle->data;

    free(c->response);
    free(c);
}
