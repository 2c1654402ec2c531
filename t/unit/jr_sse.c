/*
 * Unit tests of the realtime hub: its configuration keys, topic names, and
 * a hub on a real loop with client sockets: the wire format, wildcards,
 * one copy per subscriber, the history caps and resumption.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"

#include "core/jr_config.h"
#include "core/jr_log.h"
#include "sse/jr_sse.h"


static void
fails(const char *line, const char *message)
{
    char          text[512], err[JR_CONFIG_ERRLEN];
    jr_config_t   cf;

    snprintf(text, sizeof(text), "[jobrunner]\ndata_db = d.db\n%s\n", line);

    ok(jr_config_parse(&cf, "/etc/blog/jobrunner.conf", text, strlen(text),
                       err, sizeof(err)) == -1, "refused: %s", line);
    is_str(err, message, "message for: %s", line);
}


static void
test_config(void)
{
    char          err[JR_CONFIG_ERRLEN];
    jr_config_t   cf;
    const char   *text;

    text = "[jobrunner]\n"
           "data_db = d.db\n"
           "sse_socket = run/sse.sock\n"
           "sse_socket_mode = 0660\n"
           "sse_listen = 127.0.0.1:9421\n"
           "sse_heartbeat_ms = 5000\n"
           "sse_retry_ms = 1000\n"
           "sse_history = 4\n"
           "sse_history_bytes = 4096\n"
           "sse_max_pending = 2048\n"
           "sse_max_subscribers = 10\n"
           "sse_max_topics = 3\n"
           "sse_topic_linger_ms = 0\n";

    if (!ok(jr_config_parse(&cf, "/etc/blog/jobrunner.conf", text,
                            strlen(text), err, sizeof(err)) == 0,
            "all sse keys parse"))
    {
        printf("#   %s\n", err);
        return;
    }

    is_str(cf.sse.socket, "/etc/blog/run/sse.sock",
           "relative socket path from the file's folder");
    is_int(cf.sse.socket_mode, 0660, "socket mode in octal");
    is_int(cf.sse.listen.ss_family, AF_INET, "a TCP listener");
    is_int(cf.sse.heartbeat_ms, 5000, "sse_heartbeat_ms");
    is_int(cf.sse.retry_ms, 1000, "sse_retry_ms");
    is_int(cf.sse.history, 4, "sse_history");
    is_int(cf.sse.history_bytes, 4096, "sse_history_bytes");
    is_int(cf.sse.max_pending, 2048, "sse_max_pending");
    is_int(cf.sse.max_subscribers, 10, "sse_max_subscribers");
    is_int(cf.sse.max_topics, 3, "sse_max_topics");
    is_int(cf.sse.linger_ms, 0, "sse_topic_linger_ms");
    jr_config_free(&cf);

    text = "[jobrunner]\ndata_db = d.db\n";
    ok(jr_config_parse(&cf, "j.conf", text, strlen(text), err, sizeof(err))
       == 0 && cf.sse.socket == NULL && cf.sse.listen.ss_family == 0
       && cf.sse.heartbeat_ms == 15000 && cf.sse.retry_ms == 3000
       && cf.sse.history == 32 && cf.sse.max_pending == 65536,
       "defaults: no hub");
    jr_config_free(&cf);

    fails("sse_heartbeat_ms = 10", "/etc/blog/jobrunner.conf:3: invalid "
          "sse_heartbeat_ms \"10\" (expected 100..3600000)");
    fails("sse_max_pending = 1k", "/etc/blog/jobrunner.conf:3: invalid "
          "sse_max_pending \"1k\" (expected 1024..1073741824)");
    fails("sse_socket_mode = 660", "/etc/blog/jobrunner.conf:3: invalid "
          "sse_socket_mode \"660\" (expected an octal mode such as 0660)");
    fails("sse_listen = localhost:1", "/etc/blog/jobrunner.conf:3: invalid "
          "sse_listen \"localhost:1\" (expected ADDRESS:PORT, such as "
          "127.0.0.1:9421)");
    fails("sse_sockets = x", "/etc/blog/jobrunner.conf:3: unknown key "
          "\"sse_sockets\" in [jobrunner]");
}


static void
test_topics(void)
{
    size_t       i;
    char         long_name[600];

    static const char  *good[] = {
        "comments.hello", "metrics.views./posts/a-b", "alerts.*", "a.b.*",
        "x", "metrics.views./p?q=%20"
    };
    static const char  *bad[] = {
        "", "has space", "a*", "*", ".*", "a.*b", "a\"b", "a\\b", "tab\there",
        "caf\xc3\xa9"
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ok(jr_sse_topic_valid(good[i], strlen(good[i])), "topic \"%s\"",
           good[i]);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(!jr_sse_topic_valid(bad[i], strlen(bad[i])), "not a topic: "
           "\"%s\"", bad[i]);
    }

    memset(long_name, 'a', sizeof(long_name));
    ok(jr_sse_topic_valid(long_name, 512), "512 bytes");
    ok(!jr_sse_topic_valid(long_name, 513), "not 513");
}


/* --- a hub on a loop ------------------------------------------------------ */

static uv_loop_t  loop;


static int
client(const char *path, const char *request)
{
    int                 fd;
    struct sockaddr_un  sun;

    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);

    if (fd < 0 || connect(fd, (struct sockaddr *) &sun, sizeof(sun)) != 0
        || write(fd, request, strlen(request)) != (ssize_t) strlen(request))
    {
        printf("# client: %s\n", strerror(errno));
        return -1;
    }

    fcntl(fd, F_SETFL, O_NONBLOCK);

    return fd;
}


/* Runs the loop a little, then returns what the client has to read. */
static char *
drain(int fd, char *buf, size_t size)
{
    int      i;
    ssize_t  n;
    size_t   len;

    len = 0;

    for (i = 0; i < 20; i++) {
        (void) uv_run(&loop, UV_RUN_NOWAIT);
        usleep(2000);

        while ((n = read(fd, buf + len, size - 1 - len)) > 0) {
            len += (size_t) n;
        }
    }

    buf[len] = '\0';

    return buf;
}


static int
count(const char *s, const char *what)
{
    int  n;

    for (n = 0; (s = strstr(s, what)) != NULL; s++) {
        n++;
    }

    return n;
}


static void
test_hub(void)
{
    int             a, b, c, d;
    char            path[64], buf[16384], id[64], req[256], *p;
    FILE           *out;
    char           *metrics;
    size_t          mlen;
    jr_sse_t       *hub;
    jr_sse_conf_t   conf;

    snprintf(path, sizeof(path), "/tmp/jr-sse-unit-%d.sock", (int) getpid());

    jr_sse_conf_init(&conf);
    conf.socket = path;
    conf.history = 2;
    conf.max_topics = 2;

    uv_loop_init(&loop);

    if (!ok(jr_sse_start(&hub, &loop, &conf) == 0 && hub != NULL,
            "the hub starts on a Unix socket"))
    {
        return;
    }

    ok(jr_sse_running(), "... and is the process's hub");

    a = client(path, "GET /events/?topic=a.b&topic=a.* HTTP/1.0\r\n\r\n");
    drain(a, buf, sizeof(buf));
    ok(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "a subscription: 200");
    ok(strstr(buf, "Content-Type: text/event-stream\r\n") != NULL,
       "... an event stream");
    ok(strstr(buf, "\r\n\r\nretry: 3000\n\nid: ") != NULL,
       "... starting with retry: and the id of now");

    p = strstr(buf, "id: ");
    if (p == NULL || sscanf(p, "id: %63[0-9].", id) != 1) {
        strcpy(id, "0");
    }

    ok(jr_sse_publish("a.b", "greet", "one\r\ntwo") == 0, "publish");
    drain(a, buf, sizeof(buf));
    snprintf(req, sizeof(req), "id: %s.1\nevent: greet\ndata: one\n"
             "data: two\n\n", id);
    is_str(buf, req, "... in SSE format, a data line per line, once though "
           "it matches a topic and a wildcard");

    ok(jr_sse_publish("a.*", "x", "y") == -1, "no publishing to a wildcard");
    ok(jr_sse_publish("a.c", "bad\nname", "y") == -1, "nor an event name "
       "with a line break");

    ok(jr_sse_publish("a.c", "other", "3") == 0, "a sibling topic");
    drain(a, buf, sizeof(buf));
    ok(strstr(buf, "event: other\ndata: 3\n") != NULL,
       "... reaches the wildcard's subscriber");

    ok(jr_sse_publish("lonely.1", "e", "kept") == 0,
       "a topic nobody follows is kept");
    ok(jr_sse_publish("lonely.2", "e", "not kept") == -1,
       "... up to sse_max_topics");

    jr_sse_publish("a.b", "n", "4");
    jr_sse_publish("a.b", "n", "5");
    jr_sse_publish("a.b", "n", "6");
    drain(a, buf, sizeof(buf));
    is_int(count(buf, "event: n\n"), 3, "three more, delivered");

    /* resumption: history of 2 per topic, a.b and a.* both keep 6 and 5 */
    snprintf(req, sizeof(req), "GET /?topic=a.b&topic=a.* HTTP/1.1\r\n"
             "Last-Event-ID: %s.0\r\n\r\n", id);
    b = client(path, req);
    drain(b, buf, sizeof(buf));
    ok(strstr(buf, "data: 5\n") && strstr(buf, "data: 6\n")
       && !strstr(buf, "data: 4\n") && strstr(buf, "data: 5\n")
          < strstr(buf, "data: 6\n"),
       "Last-Event-ID: the kept messages, oldest first");
    is_int(count(buf, "data: 6\n"), 1, "... each once");

    snprintf(req, sizeof(req), "GET /?topic=a.b&last_event_id=%s.6 "
             "HTTP/1.1\r\n\r\n", id);
    c = client(path, req);
    drain(c, buf, sizeof(buf));
    ok(strstr(buf, "data: ") == NULL, "the last id of now: nothing to "
       "replay");

    c = (close(c), client(path, "GET /?topic=a.b HTTP/1.1\r\n"
                                "Last-Event-ID: 1.0\r\n\r\n"));
    drain(c, buf, sizeof(buf));
    ok(strstr(buf, "data: 5\n") && strstr(buf, "data: 6\n"),
       "an id of an earlier life: everything kept");

    d = client(path, "GET /?topic=alerts.* HTTP/1.1\r\n"
                     "X-Blog-Admin: ann\r\n\r\n");
    drain(d, buf, sizeof(buf));
    ok(strncmp(buf, "HTTP/1.1 200", 12) == 0, "alerts with X-Blog-Admin on "
       "the Unix socket");
    jr_log(JR_LOG_ERROR, "disk on fire");
    drain(d, buf, sizeof(buf));
    if (!ok(strstr(buf, "event: alert\ndata: {\"level\":\"error\","
                "\"message\":\"disk on fire\"") != NULL,
            "an error line is an alert"))
    {
        printf("# %s\n", buf);
    }
    close(d);

    d = client(path, "GET /?topic=alerts.x HTTP/1.1\r\n\r\n");
    drain(d, buf, sizeof(buf));
    ok(strncmp(buf, "HTTP/1.1 403", 12) == 0, "alerts without it: 403");
    close(d);

    d = client(path, "GARBAGE\r\n\r\n");
    drain(d, buf, sizeof(buf));
    ok(strncmp(buf, "HTTP/1.1 400", 12) == 0, "garbage: 400");
    close(d);

    metrics = NULL;
    out = open_memstream(&metrics, &mlen);
    jr_sse_render(out);
    fclose(out);
    ok(strstr(metrics, "jobrunner_sse_subscribers 3\n") != NULL,
       "metrics: 3 subscribers");
    ok(strstr(metrics, "jobrunner_sse_refused_total{status=\"403\"} 1\n")
       != NULL, "metrics: one 403");
    if (!ok(strstr(metrics, "jobrunner_sse_publish_dropped_total 3\n")
            != NULL, "metrics: three publications refused"))
    {
        printf("# %s\n", metrics);
    }
    free(metrics);

    close(a);
    close(b);
    close(c);
    drain(-1, buf, sizeof(buf));

    jr_sse_stop(hub);
    ok(!jr_sse_running(), "stopped");
    ok(jr_sse_publish("a.b", "n", "7") == -1, "... nothing is published");
    (void) uv_run(&loop, UV_RUN_DEFAULT);
    ok(uv_loop_close(&loop) == 0, "every handle closed");
    ok(access(path, F_OK) != 0, "the socket file is removed");
    jr_sse_free(hub);
}


int
main(void)
{
    test_config();
    test_topics();
    test_hub();

    return tap_done();
}
