/*
 * The events socket: a Unix datagram socket bound by the jobrunner, or
 * passed in by the service manager (systemd socket activation, the
 * LISTEN_FDS protocol of sd_listen_fds(3)), and read so that a datagram
 * leaves it only once what it carried is committed.
 *
 * Datagrams are peeked (MSG_PEEK with SO_PEEK_OFF, which steps the peek
 * past each one) and stay queued while their records are counted; after
 * the batch's commit they are taken off the socket.  The commit also
 * records the identity of the last datagram it holds (a hash of its bytes
 * and its sender's pid), so that a process killed between the commit and
 * the take leaves its successor what it needs: on start, the queue is
 * searched for that datagram, and it and those before it are taken
 * without being counted again.
 *
 * A socket the jobrunner bound dies with it, and with it what it held; a
 * socket the service manager passed outlives the process, and nothing a
 * worker sent to it is lost when the jobrunner is killed.
 */

#ifndef JR_EVSOCK_H
#define JR_EVSOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* As many datagrams as one recvmmsg() can take (UIO_MAXIOV). */
#define JR_EVSOCK_HELD_MAX  1024

typedef struct {
    int              fd;
    int              inherited;     /* passed in: neither bound nor unlinked */
    const char      *path;
    unsigned         held;          /* datagrams peeked, not yet taken */
    unsigned         held_max;      /* the caller commits at this many */
    uint64_t         last;          /* the identity of the last one held */
    size_t           peeked;        /* their bytes: the peek offset */
    struct mmsghdr  *take;          /* held_max empty messages */
} jr_evsock_t;

/*
 * Takes the socket at path from the service manager if it passed one, or
 * binds it (mode: its permissions), replacing a file a dead jobrunner
 * left.  held_max is derived from the kernel's queue limit.  Returns 0,
 * or -1 after logging why.
 */
int jr_evsock_open(jr_evsock_t *s, const char *path, unsigned mode);

/*
 * Peeks at the next datagram into buf: returns its length, which is more
 * than size for a datagram too long to be an event batch (it is stepped
 * over; buf holds its start), or -1 when there is none.  Either way a
 * datagram becomes held.
 */
ssize_t jr_evsock_peek(jr_evsock_t *s, unsigned char *buf, size_t size);

/* Takes the held datagrams off the socket.  Returns 0, or -1 (logged). */
int jr_evsock_take(jr_evsock_t *s);

/*
 * On start: if a datagram of identity last is queued, takes it and those
 * before it, already counted by the previous process.  Returns how many
 * were taken, or -1 (logged).
 */
int jr_evsock_resume(jr_evsock_t *s, uint64_t last);

/*
 * For a bound socket, new datagrams are refused from here on (senders get
 * EPIPE and spool); a passed-in one keeps taking them, for the next run.
 */
void jr_evsock_shutdown(jr_evsock_t *s);

void jr_evsock_close(jr_evsock_t *s);

#endif /* JR_EVSOCK_H */
