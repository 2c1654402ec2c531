/*
 * SQLite's write-ahead log, as documented in its file format
 * (sqlite.org/fileformat2.html, "WAL file format"): what continuous backup
 * reads from data.db-wal and what restore applies to a snapshot.
 *
 *     header (32 bytes): magic, version, page size, checkpoint sequence,
 *                        salt-1, salt-2, checksum-1, checksum-2
 *     frame: 24-byte header (page number, database size in pages after a
 *            commit or 0, salt-1, salt-2, checksum-1, checksum-2) + a page
 *
 * A frame is valid when its salts are the header's and its checksums
 * continue the running checksum of the header and every frame before it;
 * a frame with a database size ends a transaction (a commit).  SQLite
 * itself recovers a WAL by exactly these rules.  Restarting the WAL (after
 * a checkpoint) writes a new header with salt-1 plus one and a new salt-2.
 */

#ifndef JR_WAL_H
#define JR_WAL_H

#include <stddef.h>
#include <stdint.h>

#define JR_WAL_HDR      32
#define JR_WAL_FRAME    24

typedef struct {
    uint32_t    page_size;
    uint32_t    seq;            /* checkpoint sequence */
    uint32_t    salt1;
    uint32_t    salt2;
    uint32_t    ck1;            /* checksum of the header */
    uint32_t    ck2;
    int         big_endian;     /* checksums of big-endian words */
} jr_wal_hdr_t;

/* The running state of a chain of frames. */
typedef struct {
    jr_wal_hdr_t  hdr;
    uint32_t      ck1;          /* checksum after the last frame */
    uint32_t      ck2;
} jr_wal_chain_t;

/* Parses and checks a WAL header.  Returns 0, or -1 if it is not one. */
int jr_wal_header(const unsigned char *p, size_t len, jr_wal_hdr_t *hdr);

/* Starts a chain at the header: no frame yet. */
void jr_wal_chain_init(jr_wal_chain_t *c, const jr_wal_hdr_t *hdr);

/*
 * Checks the frame at p (JR_WAL_FRAME + page_size bytes) against the
 * chain; if valid, advances the chain.  Returns the database size in pages
 * (> 0: a commit), 0 for a valid frame inside a transaction, -1 for a
 * frame that does not continue the chain.  *pgno gets its page number.
 */
long jr_wal_frame(jr_wal_chain_t *c, const unsigned char *p, uint32_t *pgno);

/*
 * Writes a WAL header for hdr's page size, checkpoint sequence and salts
 * into p (JR_WAL_HDR bytes), with little-endian checksums; sets hdr's
 * checksum fields and big_endian.  The replica's own WAL (jr_follow.c).
 */
void jr_wal_header_make(unsigned char *p, jr_wal_hdr_t *hdr);

/*
 * Fills the header of the frame at p, whose page is already in place:
 * pgno, commit (the database size in pages for the last frame of a
 * transaction, else 0), the chain's salts and the checksums continuing it;
 * advances the chain.
 */
void jr_wal_frame_make(jr_wal_chain_t *c, unsigned char *p, uint32_t pgno,
    uint32_t commit);

/* Bytes of one frame. */
size_t jr_wal_frame_size(const jr_wal_hdr_t *hdr);

#endif /* JR_WAL_H */
