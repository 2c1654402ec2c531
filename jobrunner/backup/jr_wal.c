/*
 * SQLite WAL headers, frames and checksums; see jr_wal.h.
 */

#include <string.h>

#include "backup/jr_wal.h"


#define JR_WAL_MAGIC_LE  0x377f0682
#define JR_WAL_MAGIC_BE  0x377f0683
#define JR_WAL_VERSION   3007000


static uint32_t
jr_wal_get32(const unsigned char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


/*
 * SQLite's checksum: over 32-bit words taken in pairs, in the byte order
 * the magic number names, s0 += x0 + s1, s1 += x1 + s0.
 */
static void
jr_wal_checksum(int big_endian, const unsigned char *p, size_t len,
    uint32_t *s0, uint32_t *s1)
{
    size_t    i;
    uint32_t  a, b, x0, x1;

    a = *s0;
    b = *s1;

    for (i = 0; i + 8 <= len; i += 8) {
        if (big_endian) {
            x0 = jr_wal_get32(p + i);
            x1 = jr_wal_get32(p + i + 4);

        } else {
            x0 = (uint32_t) p[i] | ((uint32_t) p[i + 1] << 8)
                 | ((uint32_t) p[i + 2] << 16) | ((uint32_t) p[i + 3] << 24);
            x1 = (uint32_t) p[i + 4] | ((uint32_t) p[i + 5] << 8)
                 | ((uint32_t) p[i + 6] << 16) | ((uint32_t) p[i + 7] << 24);
        }

        a += x0 + b;
        b += x1 + a;
    }

    *s0 = a;
    *s1 = b;
}


int
jr_wal_header(const unsigned char *p, size_t len, jr_wal_hdr_t *hdr)
{
    uint32_t  magic, s0, s1;

    if (len < JR_WAL_HDR) {
        return -1;
    }

    magic = jr_wal_get32(p);

    if ((magic != JR_WAL_MAGIC_LE && magic != JR_WAL_MAGIC_BE)
        || jr_wal_get32(p + 4) != JR_WAL_VERSION)
    {
        return -1;
    }

    hdr->big_endian = magic == JR_WAL_MAGIC_BE;
    hdr->page_size = jr_wal_get32(p + 8);
    hdr->seq = jr_wal_get32(p + 12);
    hdr->salt1 = jr_wal_get32(p + 16);
    hdr->salt2 = jr_wal_get32(p + 20);
    hdr->ck1 = jr_wal_get32(p + 24);
    hdr->ck2 = jr_wal_get32(p + 28);

    /* a power of two from 512 to 65536 */
    if (hdr->page_size < 512 || hdr->page_size > 65536
        || (hdr->page_size & (hdr->page_size - 1)) != 0)
    {
        return -1;
    }

    s0 = 0;
    s1 = 0;
    jr_wal_checksum(hdr->big_endian, p, 24, &s0, &s1);

    return s0 == hdr->ck1 && s1 == hdr->ck2 ? 0 : -1;
}


void
jr_wal_chain_init(jr_wal_chain_t *c, const jr_wal_hdr_t *hdr)
{
    c->hdr = *hdr;
    c->ck1 = hdr->ck1;
    c->ck2 = hdr->ck2;
}


size_t
jr_wal_frame_size(const jr_wal_hdr_t *hdr)
{
    return JR_WAL_FRAME + hdr->page_size;
}


long
jr_wal_frame(jr_wal_chain_t *c, const unsigned char *p, uint32_t *pgno)
{
    uint32_t  s0, s1;

    if (jr_wal_get32(p + 8) != c->hdr.salt1
        || jr_wal_get32(p + 12) != c->hdr.salt2)
    {
        return -1;
    }

    s0 = c->ck1;
    s1 = c->ck2;

    /* the first 8 bytes of the frame header, then the page */
    jr_wal_checksum(c->hdr.big_endian, p, 8, &s0, &s1);
    jr_wal_checksum(c->hdr.big_endian, p + JR_WAL_FRAME, c->hdr.page_size,
                    &s0, &s1);

    if (s0 != jr_wal_get32(p + 16) || s1 != jr_wal_get32(p + 20)) {
        return -1;
    }

    *pgno = jr_wal_get32(p);
    if (*pgno == 0) {
        return -1;
    }

    c->ck1 = s0;
    c->ck2 = s1;

    return (long) jr_wal_get32(p + 4);
}


static void
jr_wal_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}


void
jr_wal_header_make(unsigned char *p, jr_wal_hdr_t *hdr)
{
    uint32_t  s0, s1;

    /* checksums of little-endian words: what SQLite writes on x86 and ARM */
    hdr->big_endian = 0;

    jr_wal_put32(p, JR_WAL_MAGIC_LE);
    jr_wal_put32(p + 4, JR_WAL_VERSION);
    jr_wal_put32(p + 8, hdr->page_size);
    jr_wal_put32(p + 12, hdr->seq);
    jr_wal_put32(p + 16, hdr->salt1);
    jr_wal_put32(p + 20, hdr->salt2);

    s0 = 0;
    s1 = 0;
    jr_wal_checksum(0, p, 24, &s0, &s1);

    hdr->ck1 = s0;
    hdr->ck2 = s1;
    jr_wal_put32(p + 24, s0);
    jr_wal_put32(p + 28, s1);
}


void
jr_wal_frame_make(jr_wal_chain_t *c, unsigned char *p, uint32_t pgno,
    uint32_t commit)
{
    uint32_t  s0, s1;

    jr_wal_put32(p, pgno);
    jr_wal_put32(p + 4, commit);
    jr_wal_put32(p + 8, c->hdr.salt1);
    jr_wal_put32(p + 12, c->hdr.salt2);

    s0 = c->ck1;
    s1 = c->ck2;
    jr_wal_checksum(c->hdr.big_endian, p, 8, &s0, &s1);
    jr_wal_checksum(c->hdr.big_endian, p + JR_WAL_FRAME, c->hdr.page_size,
                    &s0, &s1);

    c->ck1 = s0;
    c->ck2 = s1;
    jr_wal_put32(p + 16, s0);
    jr_wal_put32(p + 20, s1);
}
