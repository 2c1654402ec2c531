/*
 * The subscribers of scripts/bench-sse: N idle EventSource-like
 * connections on one epoll loop, to nginx over TCP (from several
 * 127.0.0.x source addresses, past the ephemeral-port limit of one) or
 * straight to the hub's Unix socket.
 *
 *   bench-sse-client tcp PORT SOURCES N TRIGGER_PORT PATH QUERY
 *   bench-sse-client unix SOCKET - N TRIGGER_PORT PATH QUERY
 *
 * Prints "ready N" once N streams have their first bytes (or "ready K"
 * with the count it got when connections fail), then reads commands:
 * "go" sends one request for PATH to 127.0.0.1:TRIGGER_PORT (a page
 * view, which the jobrunner turns into one event for every subscriber)
 * and prints "lat RECEIVED P50 P99 MAX" in milliseconds from the
 * trigger; "quit" exits.
 */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>


#define INFLIGHT  256

typedef struct {
    int       fd;
    int       state;       /* 0 connecting, 1 streaming */
    int       waiting;     /* for the event of the current round */
    char      tail[6];     /* "event:" may be cut between two reads */
    double    got;
} sub_t;

static sub_t  *subs;
static int     ep;


static double
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}


static int
open_one(const char *mode, const char *target, int sources, int i,
    const char *req)
{
    int                  fd;
    struct sockaddr_in   src, dst;
    struct sockaddr_un   sun;
    struct epoll_event   ev;

    if (strcmp(mode, "unix") == 0) {
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        strncpy(sun.sun_path, target, sizeof(sun.sun_path) - 1);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sun, sizeof(sun)) != 0)
        {
            if (fd >= 0) {
                close(fd);
            }
            return -1;
        }

    } else {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) {
            return -1;
        }

        memset(&src, 0, sizeof(src));
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(0x7f000002 + (uint32_t) (i % sources));
        memset(&dst, 0, sizeof(dst));
        dst.sin_family = AF_INET;
        dst.sin_port = htons((uint16_t) atoi(target));
        dst.sin_addr.s_addr = htonl(0x7f000001);

        if (bind(fd, (struct sockaddr *) &src, sizeof(src)) != 0
            || connect(fd, (struct sockaddr *) &dst, sizeof(dst)) != 0)
        {
            close(fd);
            return -1;
        }
    }

    if (write(fd, req, strlen(req)) != (ssize_t) strlen(req)) {
        close(fd);
        return -1;
    }

    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    subs[i].fd = fd;
    subs[i].state = 0;
    ev.events = EPOLLIN;
    ev.data.u32 = (uint32_t) i;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);

    return 0;
}


/* Reads what is there; returns 1 when an event name went by. */
static int
drain(sub_t *s)
{
    char     buf[8192 + 6];
    ssize_t  n;
    int      seen;

    seen = 0;

    for ( ;; ) {
        memcpy(buf, s->tail, 6);
        n = read(s->fd, buf + 6, 8192);
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(s->fd);
                s->fd = -1;
            }
            return seen;
        }

        s->state = 1;

        if (memmem(buf, (size_t) n + 6, "event:", 6) != NULL) {
            seen = 1;
        }

        memcpy(s->tail, buf + n, 6);
    }
}


static void
trigger(int port, const char *path)
{
    int                 fd;
    char                req[512];
    struct sockaddr_in  dst;

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
             "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) "
             "Gecko/20100101 Firefox/120.0\r\nConnection: close\r\n\r\n",
             path);

    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&dst, 0, sizeof(dst));
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t) port);
    dst.sin_addr.s_addr = htonl(0x7f000001);

    if (fd >= 0 && connect(fd, (struct sockaddr *) &dst, sizeof(dst)) == 0) {
        (void) !write(fd, req, strlen(req));
    }

    /* the response is not awaited: the view is counted at its log phase */
    if (fd >= 0) {
        close(fd);
    }
}


static int
cmp(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}


int
main(int argc, char **argv)
{
    int                  i, n, k, sources, opened, ready, got, tport;
    char                 req[1024], line[64];
    double               t0, *lat, deadline;
    struct epoll_event   evs[1024];

    if (argc != 8) {
        fprintf(stderr, "usage: %s tcp|unix TARGET SOURCES N TRIGGER_PORT "
                "PATH QUERY\n", argv[0]);
        return 2;
    }

    sources = strcmp(argv[3], "-") ? atoi(argv[3]) : 1;
    n = atoi(argv[4]);
    tport = atoi(argv[5]);

    snprintf(req, sizeof(req), "GET /events/?%s HTTP/1.1\r\nHost: localhost\r\n"
             "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n",
             argv[7]);

    subs = calloc((size_t) n, sizeof(sub_t));
    lat = calloc((size_t) n, sizeof(double));
    ep = epoll_create1(0);

    opened = 0;
    ready = 0;
    deadline = now_ms() + 120000;

    /* connect at most INFLIGHT at a time: backlogs stay short */
    while (ready < n && now_ms() < deadline) {
        while (opened < n && opened - ready < INFLIGHT) {
            if (open_one(argv[1], argv[2], sources, opened, req) != 0) {
                subs[opened].fd = -1;
                fprintf(stderr, "connect %d: %s\n", opened, strerror(errno));
                n = opened;
                break;
            }
            opened++;
        }

        k = epoll_wait(ep, evs, 1024, 100);
        for (i = 0; i < k; i++) {
            sub_t *s = &subs[evs[i].data.u32];
            int was = s->state;

            drain(s);
            ready += (s->state == 1 && was == 0);
        }

        if (opened == n && ready == opened) {
            break;
        }
    }

    printf("ready %d\n", ready);
    fflush(stdout);

    while (fgets(line, sizeof(line), stdin) != NULL) {
        if (strncmp(line, "quit", 4) == 0) {
            break;
        }

        for (i = 0; i < n; i++) {
            subs[i].waiting = subs[i].fd >= 0;
        }

        got = 0;
        t0 = now_ms();
        trigger(tport, argv[6]);
        deadline = t0 + 10000;

        while (got < ready && now_ms() < deadline) {
            k = epoll_wait(ep, evs, 1024, 50);
            for (i = 0; i < k; i++) {
                sub_t *s = &subs[evs[i].data.u32];

                if (drain(s) && s->waiting) {
                    s->waiting = 0;
                    lat[got++] = now_ms() - t0;
                }
            }
        }

        qsort(lat, (size_t) got, sizeof(double), cmp);
        printf("lat %d %.1f %.1f %.1f\n", got,
               got ? lat[got / 2] : -1.0,
               got ? lat[(size_t) ((got - 1) * 0.99)] : -1.0,
               got ? lat[got - 1] : -1.0);
        fflush(stdout);
    }

    return 0;
}
