/*
 * The events socket; see jr_evsock.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "blog_event.h"
#include "events/jr_evsock.h"
#include "core/jr_log.h"


#define JR_EVSOCK_RCVBUF     (8 * 1024 * 1024)
#define JR_EVSOCK_QLEN_MIN   512
#define JR_EVSOCK_FDS_START  3          /* SD_LISTEN_FDS_START */


static int jr_evsock_inherited(const char *path);
static int jr_evsock_bind(const char *path, unsigned mode);
static unsigned jr_evsock_qlen(void);
static int jr_evsock_drop(jr_evsock_t *s, unsigned n);
static int jr_evsock_rewind(jr_evsock_t *s);
static uint64_t jr_evsock_identity(const unsigned char *p, size_t len,
    uint64_t seed);


int
jr_evsock_open(jr_evsock_t *s, const char *path, unsigned mode)
{
    int       fd, one, zero, size;
    unsigned  qlen;

    memset(s, 0, sizeof(jr_evsock_t));
    s->fd = -1;
    s->path = path;

    fd = jr_evsock_inherited(path);

    if (fd == -2) {
        return -1;
    }

    if (fd >= 0) {
        s->inherited = 1;

        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1
            || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
        {
            jr_log(JR_LOG_ERROR, "events: fcntl on the passed socket: %s",
                   strerror(errno));
            return -1;
        }

        jr_log(JR_LOG_INFO, "events: socket \"%s\" passed by the service "
               "manager", path);

    } else {
        fd = jr_evsock_bind(path, mode);
        if (fd == -1) {
            return -1;
        }
    }

    s->fd = fd;

    /* the peek offset: each MSG_PEEK reads the next datagram, not the same */
    zero = 0;
    one = 1;

    if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) != 0
        || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0)
    {
        jr_log(JR_LOG_ERROR, "events: cannot set SO_PEEK_OFF or SO_PASSCRED "
               "on \"%s\": %s", path, strerror(errno));
        jr_evsock_close(s);
        return -1;
    }

    size = JR_EVSOCK_RCVBUF;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) != 0) {
        jr_log(JR_LOG_WARN, "events: cannot grow the socket buffer: %s",
               strerror(errno));
    }

    /*
     * Held datagrams are still in the kernel's queue, which takes at most
     * net.unix.max_dgram_qlen: a batch holds half of it, so that the
     * workers can go on sending while it commits.
     */
    qlen = jr_evsock_qlen();
    s->held_max = qlen / 2;

    if (s->held_max == 0) {
        s->held_max = 1;

    } else if (s->held_max > JR_EVSOCK_HELD_MAX) {
        s->held_max = JR_EVSOCK_HELD_MAX;
    }

    s->take = calloc(s->held_max, sizeof(struct mmsghdr));
    if (s->take == NULL) {
        jr_log(JR_LOG_ERROR, "events: out of memory");
        jr_evsock_close(s);
        return -1;
    }

    return 0;
}


/*
 * The descriptor of the socket at path among those the service manager
 * passed (LISTEN_PID is ours, LISTEN_FDS of them from fd 3 on); -1 when
 * none were passed, -2 when some were but not this one (logged).
 */
static int
jr_evsock_inherited(const char *path)
{
    int                  fd, type;
    long                 pid, n;
    char                *end;
    socklen_t            len;
    const char          *e;
    struct sockaddr_un   sun;

    e = getenv("LISTEN_PID");
    if (e == NULL) {
        return -1;
    }

    pid = strtol(e, &end, 10);
    if (*end != '\0' || pid != (long) getpid()) {
        return -1;
    }

    e = getenv("LISTEN_FDS");
    n = e ? strtol(e, &end, 10) : 0;

    if (e == NULL || *end != '\0' || n < 1 || n > 64) {
        jr_log(JR_LOG_ERROR, "events: LISTEN_FDS \"%s\" is not a number of "
               "sockets", e ? e : "");
        return -2;
    }

    /* sd_listen_fds(1): the environment is for this process only */
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");

    for (fd = JR_EVSOCK_FDS_START; fd < JR_EVSOCK_FDS_START + n; fd++) {
        len = sizeof(type);

        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0
            || type != SOCK_DGRAM)
        {
            continue;
        }

        len = sizeof(sun);
        memset(&sun, 0, sizeof(sun));

        if (getsockname(fd, (struct sockaddr *) &sun, &len) == 0
            && sun.sun_family == AF_UNIX
            && strncmp(sun.sun_path, path, sizeof(sun.sun_path)) == 0)
        {
            return fd;
        }
    }

    jr_log(JR_LOG_ERROR, "events: none of the %ld sockets the service "
           "manager passed is a datagram socket at \"%s\" (events_socket)",
           n, path);

    return -2;
}


/*
 * Binds the socket.  A file left at the path by a jobrunner that died is
 * replaced; one that a live jobrunner answers on is not.
 */
static int
jr_evsock_bind(const char *path, unsigned mode)
{
    int                  fd;
    size_t               len;
    struct stat          st;
    struct sockaddr_un   sun;

    len = strlen(path);

    if (len >= sizeof(sun.sun_path)) {
        jr_log(JR_LOG_ERROR, "events: socket path \"%s\" is longer than %zu "
               "bytes", path, sizeof(sun.sun_path) - 1);
        return -1;
    }

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, len);

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        jr_log(JR_LOG_ERROR, "events: socket(): %s", strerror(errno));
        return -1;
    }

    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            jr_log(JR_LOG_ERROR, "events: \"%s\" exists and is not a "
                   "socket", path);
            close(fd);
            return -1;
        }

        if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0) {
            jr_log(JR_LOG_ERROR, "events: another process receives on "
                   "\"%s\"", path);
            close(fd);
            return -1;
        }

        (void) unlink(path);
    }

    if (bind(fd, (struct sockaddr *) &sun, sizeof(sun)) != 0) {
        jr_log(JR_LOG_ERROR, "events: cannot bind \"%s\": %s", path,
               strerror(errno));
        close(fd);
        return -1;
    }

    /* the workers run as another user: they need to write to it */
    if (chmod(path, mode) != 0) {
        jr_log(JR_LOG_ERROR, "events: cannot chmod \"%s\": %s", path,
               strerror(errno));
        close(fd);
        (void) unlink(path);
        return -1;
    }

    return fd;
}


/*
 * The kernel queues at most net.unix.max_dgram_qlen datagrams per socket
 * whatever the buffer size; past that the workers spool.  Linux's own
 * default is 10; systemd raises it to 512.
 */
static unsigned
jr_evsock_qlen(void)
{
    int    qlen;
    FILE  *f;

    f = fopen("/proc/sys/net/unix/max_dgram_qlen", "re");
    if (f == NULL) {
        return 10;
    }

    if (fscanf(f, "%d", &qlen) != 1 || qlen < 1) {
        qlen = 10;
    }

    fclose(f);

    if (qlen < JR_EVSOCK_QLEN_MIN) {
        jr_log(JR_LOG_WARN, "events: net.unix.max_dgram_qlen is %d: bursts "
               "of more datagrams go to the spool; consider sysctl "
               "net.unix.max_dgram_qlen=%d", qlen, JR_EVSOCK_QLEN_MIN);
    }

    return (unsigned) qlen;
}


ssize_t
jr_evsock_peek(jr_evsock_t *s, unsigned char *buf, size_t size)
{
    int              off;
    pid_t            pid;
    size_t           copied;
    ssize_t          n;
    struct iovec     iov;
    struct msghdr    msg;
    struct ucred     cred;
    struct cmsghdr  *c;
    union {
        struct cmsghdr  h;
        char            buf[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;

    iov.iov_base = buf;
    iov.iov_len = size;

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof(ctl.buf);

    /* MSG_TRUNC: the datagram's whole length, even past size */
    n = recvmsg(s->fd, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);

    if (n == -1) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            jr_log(JR_LOG_ERROR, "events: recvmsg: %s", strerror(errno));
        }
        return -1;
    }

    pid = 0;

    for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            memcpy(&cred, CMSG_DATA(c), sizeof(cred));
            pid = cred.pid;
        }
    }

    copied = (size_t) n > size ? size : (size_t) n;
    s->peeked += (size_t) n;

    /* the kernel steps the offset over what it copied: the rest too */
    if ((size_t) n > size) {
        off = (int) s->peeked;
        if (setsockopt(s->fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off))
            != 0)
        {
            jr_log(JR_LOG_ERROR, "events: SO_PEEK_OFF: %s", strerror(errno));
        }
    }

    s->last = jr_evsock_identity(buf, copied,
                                 (uint64_t) pid ^ ((uint64_t) n << 32));
    s->held++;

    return n;
}


int
jr_evsock_take(jr_evsock_t *s)
{
    int  rc;

    rc = jr_evsock_drop(s, s->held);

    if (jr_evsock_rewind(s) != 0) {
        rc = -1;
    }

    return rc;
}


int
jr_evsock_resume(jr_evsock_t *s, uint64_t last)
{
    unsigned        found;
    unsigned char  *buf;

    buf = malloc(BLOG_EVENT_DGRAM_MAX + 1);
    if (buf == NULL) {
        jr_log(JR_LOG_ERROR, "events: out of memory");
        return -1;
    }

    /* the queue holds at most max_dgram_qlen + 1: peeking ends by itself */
    found = 0;

    while (jr_evsock_peek(s, buf, BLOG_EVENT_DGRAM_MAX + 1) >= 0) {
        if (s->last == last) {
            found = s->held;
            break;
        }
    }

    free(buf);

    if (jr_evsock_drop(s, found) != 0 || jr_evsock_rewind(s) != 0) {
        return -1;
    }

    return (int) found;
}


/* Takes n datagrams off the socket, without reading them. */
static int
jr_evsock_drop(jr_evsock_t *s, unsigned n)
{
    int       got;
    unsigned  want;

    while (n > 0) {
        want = n < s->held_max ? n : s->held_max;

        /* no buffers: each datagram is received, cut to nothing, gone */
        got = recvmmsg(s->fd, s->take, want, MSG_DONTWAIT, NULL);

        if (got != (int) want) {
            jr_log(JR_LOG_ERROR, "events: %u datagrams to take off the "
                   "socket, it had %d: another process reads it",
                   n, got < 0 ? 0 : got);
            return -1;
        }

        n -= want;
    }

    return 0;
}


/* Nothing held: the next peek is at the head of the queue. */
static int
jr_evsock_rewind(jr_evsock_t *s)
{
    int  zero;

    s->held = 0;
    s->peeked = 0;
    zero = 0;

    if (setsockopt(s->fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) != 0)
    {
        jr_log(JR_LOG_ERROR, "events: SO_PEEK_OFF: %s", strerror(errno));
        return -1;
    }

    return 0;
}


void
jr_evsock_shutdown(jr_evsock_t *s)
{
    if (s->fd == -1 || s->inherited) {
        return;
    }

    if (shutdown(s->fd, SHUT_RD) != 0) {
        jr_log(JR_LOG_WARN, "events: shutdown: %s", strerror(errno));
    }
}


void
jr_evsock_close(jr_evsock_t *s)
{
    if (s->fd != -1) {
        close(s->fd);
        s->fd = -1;

        if (!s->inherited) {
            (void) unlink(s->path);
        }
    }

    free(s->take);
    s->take = NULL;
}


/*
 * A datagram's identity, kept in analytics_spools for the next jobrunner
 * to find on the socket (jr_evsock_resume()): a stored value, so its
 * function is fixed across versions, unlike jr_hash() of the tables.
 */
static uint64_t
jr_evsock_identity(const unsigned char *p, size_t len, uint64_t seed)
{
    uint64_t  h, w;

    h = seed ^ (len * 0x9e3779b97f4a7c15ULL);

    for ( /* void */ ; len >= 8; len -= 8, p += 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }

    w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;

    return h ^ (h >> 29);
}
