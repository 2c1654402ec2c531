/*
 * The hash of the jobrunner's in-memory tables: XXH3 (libxxhash, inlined),
 * seeded by each table as it needs.  The keys (paths, user agents,
 * addresses) come from the network, but the tables only lose speed,
 * never correctness, to collisions.  XXH3 reads 16 bytes a step on
 * independent lanes: a visitor's key (its address and agent, 150 bytes)
 * costs a fifth of what a byte-serial hash did, and it is hashed for
 * every page view.
 */

#ifndef JR_HASH_H
#define JR_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>


static inline uint64_t
jr_hash(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}

#endif /* JR_HASH_H */
