/*
 * libFuzzer target: CSV records (blog_csv.c), as the panel's subscriber
 * import reads an uploaded file.  Beyond "no crash", it checks the
 * reader's promises: every record moves on, its fields lie inside the
 * out buffer of the text's length, and a field written by blog_csv_field()
 * within its bound reads back as it was.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_csv.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define FUZZ_FIELDS  4


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                n, k;
    char              *out, *field, *back;
    size_t             pos, before, len;
    blog_csv_field_t   f[FUZZ_FIELDS], g[1];

    out = malloc(size + 1);
    field = malloc(BLOG_CSV_FIELD_MAX(size) + 1);
    back = malloc(BLOG_CSV_FIELD_MAX(size) + 1);

    if (out == NULL || field == NULL || back == NULL) {
        abort();
    }

    pos = 0;

    for ( ;; ) {
        before = pos;
        n = blog_csv_record((const char *) data, size, &pos, out, f,
                            FUZZ_FIELDS);

        if (n == 0) {
            break;
        }

        if (pos <= before || pos > size) {
            abort();
        }

        for (k = 0; k < n && k < FUZZ_FIELDS; k++) {
            if (f[k].off + f[k].len > size - before) {
                abort();
            }
        }
    }

    /* the whole input as one value: written, then read back the same */
    len = blog_csv_field((const char *) data, size, field);

    if (len > BLOG_CSV_FIELD_MAX(size)) {
        abort();
    }

    pos = 0;
    n = blog_csv_record(field, len, &pos, back, g, 1);

    /*
     * Unless it is empty (no record), guarded (it reads back with its
     * "'") or starts with a BOM (which a reader skips).
     */
    if (size > 0 && (data[0] == '\0' || strchr("=+-@\t\r", data[0]) == NULL)
        && !(size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        && (n != 1 || g[0].len != size
            || memcmp(back + g[0].off, data, size) != 0))
    {
        abort();
    }

    free(out);
    free(field);
    free(back);

    return 0;
}
