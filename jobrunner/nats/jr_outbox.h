/*
 * A publishing node's outbox: the events it has taken in (from its socket
 * and from its nginx workers' spool) and JetStream has not yet
 * acknowledged, kept as files in spool_dir:
 *
 *   nats.SEQ.START.out   frames end to end, as in a spool file.  SEQ
 *                        numbers the files in the order they are
 *                        published; START is where publishing begins (0
 *                        but for a spool file partly counted by an earlier
 *                        run as a consumer).
 *   nats.next            the SEQ numbers handed out so far: never reused,
 *                        whatever files come and go.
 *
 * The socket's datagrams are appended to the open file, which is closed
 * when it reaches JR_OUTBOX_FILE_MAX bytes or when the caller says so
 * (batch_interval_ms after its first frame).  A ready spool file is
 * renamed into the outbox, after the open file is closed, so a file's
 * SEQ is always above those of the files before it.  Closed files are
 * published oldest first (jr_nats_publish.c) and deleted once JetStream
 * has acknowledged all of their messages.
 *
 * A message is a chunk of a file: whole frames, at most JR_OUTBOX_MSG_MAX
 * bytes, cut greedily from START.  A closed file never changes, so a
 * chunk has the same bytes and the same position (SEQ, offset) however
 * often it is published: after a crash, JetStream's duplicate window and
 * the consumer's last position per node drop the copy.
 *
 * The files are written with write(2), not synced: they outlive a crash of
 * the jobrunner, as the spool does, not one of the machine.
 */

#ifndef JR_OUTBOX_H
#define JR_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Messages of up to 64 KB, far below NATS's default max_payload (1 MB). */
#define JR_OUTBOX_MSG_MAX   65536

/* The open file is closed at 1 MB: fewer files under load. */
#define JR_OUTBOX_FILE_MAX  (1024 * 1024)

typedef struct {
    uint64_t   seq;
    int64_t    start;         /* the first byte to publish */
    int64_t    sent;          /* acknowledged up to here, this run */
    int64_t    size;
} jr_outbox_file_t;

typedef struct {
    uint64_t   files;         /* closed files waiting */
    uint64_t   bytes;         /* their bytes not yet acknowledged */
    uint64_t   dropped;       /* frames lost to a failed write */
} jr_outbox_stats_t;

typedef struct jr_outbox_s  jr_outbox_t;

/*
 * Takes over the files of dir that an earlier run left (all closed now).
 * Returns the outbox, or NULL after logging why.
 */
jr_outbox_t *jr_outbox_open(const char *dir);

/*
 * Appends the frames of iov (n buffers) to the open file, opening one if
 * needed, closing it first if they would take it past its maximum.
 * Returns 0, or -1 after logging why and counting the frames as dropped.
 */
int jr_outbox_append(jr_outbox_t *o, const struct iovec *iov, int n,
    unsigned frames);

/* Bytes in the open file: 0 when there is none. */
int64_t jr_outbox_pending(jr_outbox_t *o);

/* Closes the open file, if any: it joins the files to publish. */
void jr_outbox_seal(jr_outbox_t *o);

/*
 * Moves the spool file name (in the same folder) into the outbox, to be
 * published from offset.  Returns 0, or -1 after logging why.  Fits
 * jr_spool_take_pt.
 */
int jr_outbox_take(void *o, const char *name, int64_t offset);

/* The closed files, oldest first; *n is set to their number. */
jr_outbox_file_t *jr_outbox_files(jr_outbox_t *o, size_t *n);

/*
 * After publishing: the first done files were published and deleted; the
 * next one, if any, is acknowledged up to sent.
 */
void jr_outbox_done(jr_outbox_t *o, size_t done, int64_t sent);

/* The path of file f into path (PATH_MAX bytes).  Any thread. */
int jr_outbox_path(const jr_outbox_t *o, const jr_outbox_file_t *f,
    char *path);

/*
 * Where the chunk of buf (size bytes) that starts at off ends: after whole
 * frames, at most JR_OUTBOX_MSG_MAX bytes on.  Returns off when no whole
 * frame starts there (the file ends in a cut one).  Any thread.
 */
size_t jr_outbox_chunk(const unsigned char *buf, size_t size, size_t off);

const jr_outbox_stats_t *jr_outbox_stats(jr_outbox_t *o);

/* Closes the open file (it is published by the next run) and frees. */
void jr_outbox_close(jr_outbox_t *o);

#endif /* JR_OUTBOX_H */
