/*
 * The slot a byte string takes in a table of SLOTS hashes, as the module's
 * parts (ngx_http_blog_parts.c) place it: XXH3_64bits() % SLOTS.  For
 * t/15-compress-parts.t, which makes two parts of one page share a slot.
 *
 *   xxh3_slot SLOTS < FILE                   the file's slot
 *   xxh3_slot SLOTS SLOT PREFIX SUFFIX       the least k >= 1 whose string
 *                                            PREFIX k SUFFIX takes SLOT
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>


int
main(int argc, char **argv)
{
    char                buf[1 << 16];
    size_t              n, len;
    unsigned long       k;
    unsigned long long  slots, slot;
    XXH3_state_t       *state;

    if (argc != 2 && argc != 5) {
        fprintf(stderr, "usage: xxh3_slot SLOTS [SLOT PREFIX SUFFIX]\n");
        return 2;
    }

    slots = strtoull(argv[1], NULL, 10);
    if (slots == 0) {
        fprintf(stderr, "xxh3_slot: SLOTS must be a positive number\n");
        return 2;
    }

    if (argc == 2) {
        state = XXH3_createState();
        if (state == NULL || XXH3_64bits_reset(state) == XXH_ERROR) {
            fprintf(stderr, "xxh3_slot: out of memory\n");
            return 1;
        }

        while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
            (void) XXH3_64bits_update(state, buf, n);
        }

        if (ferror(stdin)) {
            perror("xxh3_slot: stdin");
            return 1;
        }

        printf("%llu\n",
               (unsigned long long) XXH3_64bits_digest(state) % slots);
        XXH3_freeState(state);
        return 0;
    }

    slot = strtoull(argv[2], NULL, 10);

    for (k = 1; k < 100000000; k++) {
        len = (size_t) snprintf(buf, sizeof(buf), "%s%lu%s", argv[3], k,
                                argv[4]);
        if (len >= sizeof(buf)) {
            fprintf(stderr, "xxh3_slot: PREFIX and SUFFIX too long\n");
            return 2;
        }

        if ((unsigned long long) XXH3_64bits(buf, len) % slots == slot) {
            printf("%lu\n", k);
            return 0;
        }
    }

    fprintf(stderr, "xxh3_slot: no k found\n");
    return 1;
}
