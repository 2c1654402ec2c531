/*
 * Unit tests of the outbox (jr_outbox.c): how files are cut into messages,
 * the order of file numbers across closes, spool files taken in and
 * restarts, and the numbers a lost nats.next does not bring back.
 */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

#include "blog_event.h"
#include "nats/jr_outbox.h"


static char  dir[] = "/tmp/jr_outbox_XXXXXX";


/* n frames of len bytes each (the record's bytes are filler) */
static size_t
frames(unsigned char *buf, unsigned n, size_t len)
{
    size_t    pos;
    unsigned  i;

    pos = 0;

    for (i = 0; i < n; i++) {
        blog_event_frame(buf + pos, len);
        memset(buf + pos + BLOG_EVENT_FRAME, 'a' + i % 26, len);
        pos += BLOG_EVENT_FRAME + len;
    }

    return pos;
}


static void
test_chunks(void)
{
    size_t                 size, off, end, pos, len, nchunks, max;
    const unsigned char   *rec;
    static unsigned char   buf[300 * 2002];

    size = frames(buf, 300, 2000);

    off = 0;
    nchunks = 0;
    max = 0;

    while (off < size) {
        end = jr_outbox_chunk(buf, size, off);
        if (end == off) {
            break;
        }

        /* the chunk ends on a frame: the next one starts a frame */
        pos = end;
        ok(end == size || blog_event_next(buf, size, &pos, &rec, &len) == 1,
           "chunk %zu ends on a frame", nchunks);

        max = end - off > max ? end - off : max;
        off = end;
        nchunks++;
    }

    is_int(off, size, "the chunks cover the file");
    ok(max <= JR_OUTBOX_MSG_MAX, "none longer than %d bytes",
       JR_OUTBOX_MSG_MAX);
    is_int(nchunks, 10, "32 frames of 2002 bytes a chunk: 10 for 300");
    is_int(jr_outbox_chunk(buf, size, 0), 32 * 2002,
           "the same cut, from the same place");

    /* a frame cut by a crash: the chunk before it ends where it starts */
    size = frames(buf, 3, 100) + 50;
    blog_event_frame(buf + size - 50, 100);
    is_int(jr_outbox_chunk(buf, size, 0), 3 * 102,
           "a cut frame is left out");
    is_int(jr_outbox_chunk(buf, size, 3 * 102), 3 * 102,
           "and nothing starts at it");
}


static int
path_of(char *path, const char *name)
{
    return snprintf(path, PATH_MAX, "%s/%s", dir, name) < PATH_MAX ? 0 : -1;
}


static void
test_files(void)
{
    int                 fd;
    char                path[PATH_MAX];
    size_t              n;
    uint64_t            seq[3], last;
    struct iovec        iov[2];
    struct stat         st;
    jr_outbox_t        *o;
    jr_outbox_file_t   *f;
    static unsigned char  buf[1024 * 1024];

    o = jr_outbox_open(dir);
    ok(o != NULL, "a new outbox");

    iov[0].iov_base = buf;
    iov[0].iov_len = frames(buf, 2, 300);
    iov[1].iov_base = buf + iov[0].iov_len;
    iov[1].iov_len = frames(buf + iov[0].iov_len, 1, 300);

    is_int(jr_outbox_append(o, iov, 2, 3), 0, "frames appended");
    is_int(jr_outbox_pending(o), 3 * 302, "to the open file");
    (void) jr_outbox_files(o, &n);
    is_int(n, 0, "which is not to publish yet");

    jr_outbox_seal(o);
    f = jr_outbox_files(o, &n);
    is_int(n, 1, "closed, it is");
    is_int(f[0].size, 3 * 302, "with its size");
    seq[0] = f[0].seq;

    /* a spool file taken while a file is open: the open one goes first */
    is_int(jr_outbox_append(o, iov, 1, 2), 0, "more frames");
    ok(path_of(path, "events.7.123.ready") == 0
       && (fd = open(path, O_WRONLY | O_CREAT, 0600)) != -1
       && write(fd, buf, 1000) == 1000 && close(fd) == 0, "a spool file");
    is_int(jr_outbox_take(o, "events.7.123.ready", 302), 0, "taken in");
    ok(stat(path, &st) != 0, "and gone from the spool");

    f = jr_outbox_files(o, &n);
    is_int(n, 3, "three files to publish");
    seq[1] = f[1].seq;
    seq[2] = f[2].seq;
    ok(seq[0] < seq[1] && seq[1] < seq[2], "in the order they came");
    is_int(f[2].start, 302, "the spool file from where it was counted");
    is_int(f[2].size, 1000, "its size");

    /* two published (the publisher deletes them), the third to byte 500 */
    for (n = 0; n < 2; n++) {
        if (jr_outbox_path(o, &f[n], path) == 0) {
            (void) unlink(path);
        }
    }

    jr_outbox_done(o, 2, 500);
    f = jr_outbox_files(o, &n);
    ok(n == 1 && f[0].seq == seq[2] && f[0].sent == 500, "two done, one "
       "half");
    is_int(jr_outbox_stats(o)->bytes, 500, "500 bytes to go");

    /* more than a file holds: a new one */
    iov[0].iov_len = frames(buf, JR_OUTBOX_FILE_MAX / 2002, 2000);
    is_int(jr_outbox_append(o, iov, 1, 1), 0, "almost a file's worth");
    is_int(jr_outbox_append(o, iov, 1, 1), 0, "and again");
    (void) jr_outbox_files(o, &n);
    is_int(n, 2, "the full file closed");

    jr_outbox_close(o);

    /* a restart: the files of the earlier run, oldest first */
    o = jr_outbox_open(dir);
    f = jr_outbox_files(o, &n);
    ok(o != NULL && n == 3, "after a restart, three files");
    ok(n == 3 && f[0].seq == seq[2] && f[1].seq > seq[2]
       && f[2].seq > f[1].seq, "in order");
    ok(n == 3 && f[0].start == 302 && f[0].sent == 302,
       "the spool file from its start again");
    last = n == 3 ? f[2].seq : 0;

    /* all published and deleted: numbers still go on */
    for (n = 0; n < 3; n++) {
        if (jr_outbox_path(o, &f[n], path) == 0) {
            (void) unlink(path);
        }
    }

    jr_outbox_done(o, 3, 0);
    jr_outbox_close(o);

    o = jr_outbox_open(dir);
    is_int(jr_outbox_append(o, iov, 1, 1), 0, "a new file");
    jr_outbox_seal(o);
    f = jr_outbox_files(o, &n);
    ok(n == 1 && f[0].seq > last, "numbered after every earlier one");
    last = f[0].seq;
    jr_outbox_close(o);

    /* nats.next lost: the clock in microseconds is above */
    ok(path_of(path, "nats.next") == 0 && unlink(path) == 0,
       "nats.next removed");
    o = jr_outbox_open(dir);
    f = jr_outbox_files(o, &n);
    ok(n == 1 && f[0].seq == last, "the file is still there");
    if (n == 1 && jr_outbox_path(o, &f[0], path) == 0) {
        (void) unlink(path);
    }
    jr_outbox_done(o, 1, 0);
    is_int(jr_outbox_append(o, iov, 1, 1), 0, "a new file");
    jr_outbox_seal(o);
    f = jr_outbox_files(o, &n);
    ok(n == 1 && f[0].seq > last, "numbered above the others all the same");
    jr_outbox_close(o);
}


int
main(void)
{
    char  cmd[PATH_MAX + 16];

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_chunks();
    test_files();

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        printf("# cannot remove %s\n", dir);
    }

    return tap_done();
}
