/*
 * Unit tests of the events socket (jr_evsock.c): datagrams peeked stay
 * queued until taken; a socket passed in by the service manager outlives
 * the process, and the next one takes off it what the last had counted.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"

#include "blog_event.h"
#include "events/jr_evsock.h"


static char           dir[] = "/tmp/jr-evsock-XXXXXX";
static char           path[sizeof(dir) + 16];
static unsigned char  buf[BLOG_EVENT_DGRAM_MAX + 1];


/* What systemd does for a .socket unit: bind, then pass it as fd 3. */
static int
pass_socket(int held)
{
    char  pid[32];

    if (dup2(held, 3) != 3) {
        return -1;
    }

    snprintf(pid, sizeof(pid), "%ld", (long) getpid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "1", 1);

    return 0;
}


static void
send_to(int fd, const char *data, size_t len)
{
    struct sockaddr_un  sun;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);

    if (sendto(fd, data, len, 0, (struct sockaddr *) &sun, sizeof(sun))
        != (ssize_t) len)
    {
        perror("sendto");
        exit(1);
    }
}


static int
peek_is(jr_evsock_t *s, const char *want)
{
    ssize_t  n;

    n = jr_evsock_peek(s, buf, sizeof(buf));

    return n == (ssize_t) strlen(want) && memcmp(buf, want, n) == 0;
}


int
main(void)
{
    int                  held, out;
    char                *big;
    uint64_t             last;
    jr_evsock_t          s;
    struct sockaddr_un   sun;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    snprintf(path, sizeof(path), "%s/events.sock", dir);

    /* a socket the jobrunner binds itself */
    ok(jr_evsock_open(&s, path, 0600) == 0 && !s.inherited,
       "bound when nothing is passed");
    ok(access(path, F_OK) == 0, "the socket file exists");
    ok(s.held_max >= 1 && s.held_max <= JR_EVSOCK_HELD_MAX,
       "held_max from the kernel's queue length (%u)", s.held_max);
    jr_evsock_close(&s);
    ok(access(path, F_OK) != 0, "and is removed on close");

    /* one passed in, as systemd would; held apart from fd 3, which each
       run closes */
    held = fcntl(socket(AF_UNIX, SOCK_DGRAM, 0), F_DUPFD, 10);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    if (held == -1 || bind(held, (struct sockaddr *) &sun, sizeof(sun)) != 0)
    {
        perror("bind");
        return 1;
    }

    out = socket(AF_UNIX, SOCK_DGRAM, 0);

    send_to(out, "one", 3);
    send_to(out, "two", 3);
    send_to(out, "", 0);
    send_to(out, "four", 4);

    pass_socket(held);
    ok(jr_evsock_open(&s, path, 0600) == 0 && s.inherited,
       "the passed socket is taken");
    ok(getenv("LISTEN_FDS") == NULL, "and the environment cleared");

    ok(peek_is(&s, "one"), "peek: the first datagram");
    ok(peek_is(&s, "two"), "peek again: the second, not the first again");
    is_int(s.held, 2, "two held");
    last = s.last;

    /* killed after its commit, before the take: the socket lives on */
    jr_evsock_close(&s);
    ok(access(path, F_OK) == 0, "a passed socket's file stays");

    pass_socket(held);
    ok(jr_evsock_open(&s, path, 0600) == 0, "the next run gets it again");
    is_int(jr_evsock_resume(&s, last), 2,
           "resume: the two counted datagrams are taken");
    ok(jr_evsock_peek(&s, buf, sizeof(buf)) == 0, "next: the empty one");
    ok(peek_is(&s, "four"), "then the fourth");
    ok(jr_evsock_peek(&s, buf, sizeof(buf)) == -1, "then none");
    is_int(jr_evsock_take(&s), 0, "take the two held");
    is_int(s.held, 0, "none held");
    ok(jr_evsock_peek(&s, buf, sizeof(buf)) == -1, "the queue is empty");
    is_int(jr_evsock_take(&s), 0, "the peek that found none is forgotten");

    /* a mark of datagrams all taken before: nothing is taken again */
    send_to(out, "five", 4);
    is_int(jr_evsock_resume(&s, last), 0, "an old mark: nothing taken");
    ok(peek_is(&s, "five"), "the new datagram is still there");
    is_int(jr_evsock_take(&s), 0, "and taken");

    /* longer than any batch: stepped over whole, not read in pieces */
    big = malloc(3 * sizeof(buf));
    memset(big, 'x', 3 * sizeof(buf));
    send_to(out, big, 3 * sizeof(buf));
    send_to(out, "six", 3);
    is_int(jr_evsock_peek(&s, buf, sizeof(buf)), 3 * sizeof(buf),
           "an oversized datagram: its length");
    ok(peek_is(&s, "six"), "then the next datagram whole");
    is_int(jr_evsock_take(&s), 0, "both taken");
    ok(jr_evsock_peek(&s, buf, sizeof(buf)) == -1, "nothing left");
    (void) jr_evsock_take(&s);
    free(big);
    jr_evsock_close(&s);

    /* LISTEN_FDS naming no socket at events_socket is an error */
    pass_socket(out);
    ok(jr_evsock_open(&s, path, 0600) == -1,
       "a passed socket at another path is refused");

    close(held);
    close(out);
    unlink(path);
    rmdir(dir);

    return tap_done();
}
