/*
 * Packs of page views: the views of one (day, page) that one batch of the
 * jobrunner counted, as one blob (analytics.db migration 10, the hits
 * column of analytics_hit_packs; docs/analytics.md#storage).
 *
 * The format, version 1:
 *
 *     pack  = 0x01 count view{count}
 *     view  = visit n time_ms status ref_host ref_path
 *
 * every field a LEB128 varint of 64 bits at most (10 bytes, the tenth
 * 0 or 1).  count (at least 1) is an unsigned varint.  visit, time_ms
 * and status are zigzag varints of the difference from the previous
 * view's (0 before the first; modulo 2^64, so that any int64 goes): the
 * jobrunner writes a pack's views in the order it counted them, so the
 * times go up by a little, the visits are those open then, the status
 * stays (migration 10 wrote the rows there were by visit and n).  n,
 * ref_host and ref_path are the value as an unsigned varint (a negative
 * one takes 10 bytes): small ids.  About 9 bytes a view.
 *
 * A pack that is not this (another version, a count of views its bytes
 * cannot hold, bytes that end within a view or follow the last, a varint
 * over 64 bits) is refused with the reason, never read past its end.
 *
 * blog_hitpack_register() gives an SQLite connection the packs' SQL:
 *
 *     blog_hits(hits)    table-valued function, a row a view: visit, n,
 *                        time_ms, status, ref_host, ref_path; a corrupt
 *                        pack is an SQL error that says why
 *     blog_hits_pack(visit, n, time_ms, status, ref_host, ref_path)
 *                        aggregate: the pack of its rows in the order
 *                        given (NULL for none); integers only
 *     blog_hits_drop(hits, visit, n)
 *                        the pack without the views (visit, n), NULL if
 *                        none is left
 *
 * The same code is built as the loadable extension build/blog_sqlite.so
 * (with BLOG_HITPACK_EXTENSION: entry point sqlite3_blogsqlite_init) for
 * the sqlite3 shell and Python.
 */

#ifndef BLOG_HITPACK_H
#define BLOG_HITPACK_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define BLOG_HITPACK_VERSION  1

/* the bytes a pack of n views takes at most */
#define BLOG_HITPACK_MAX(n)   (11 + (size_t) (n) * 60)

/* a view's columns, as analytics_hits had them but day and path */
typedef struct {
    int64_t   visit;
    int64_t   n;
    int64_t   time_ms;
    int64_t   status;
    int64_t   ref_host;
    int64_t   ref_path;
} blog_hit_t;

/* a pack being read: blog_hitpack_open(), then blog_hitpack_next() */
typedef struct {
    const unsigned char  *p;
    const unsigned char  *end;
    uint64_t              left;         /* views not read yet */
    uint64_t              views;
    blog_hit_t            prev;
} blog_hitpack_reader_t;


/*
 * Writes the pack of hits[0, n), n at least 1, into out (room for
 * BLOG_HITPACK_MAX(n) bytes); returns its length.
 */
size_t blog_hitpack_encode(unsigned char *out, const blog_hit_t *hits,
    size_t n);

/*
 * Reads the header of the pack of len bytes: 0 and r ready (r->views
 * views), or -1 with *why.  The pack stays the caller's while r is used.
 */
int blog_hitpack_open(blog_hitpack_reader_t *r, const void *pack,
    size_t len, const char **why);

/*
 * The next view of r: 1 and *hit, 0 after the last (the pack is whole:
 * no byte after it), or -1 with *why (the pack is corrupt).
 */
int blog_hitpack_next(blog_hitpack_reader_t *r, blog_hit_t *hit,
    const char **why);

/* Defines blog_hits, blog_hits_pack and blog_hits_drop on db. */
int blog_hitpack_register(sqlite3 *db);

#endif /* BLOG_HITPACK_H */
