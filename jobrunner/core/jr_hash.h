/*
 * A fast non-cryptographic hash, 8 bytes a step, for the jobrunner's
 * in-memory tables: the keys (paths, user agents, topics) come from the
 * network, but the tables it indexes only lose speed, never correctness,
 * to collisions, and each seeds it as it needs.
 */

#ifndef JR_HASH_H
#define JR_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>


static inline uint64_t
jr_hash(const void *data, size_t len, uint64_t seed)
{
    uint64_t             h, w;
    const unsigned char *p = data;

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

#endif /* JR_HASH_H */
