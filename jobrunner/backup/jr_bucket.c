/*
 * Names of a backup's objects in the bucket; see jr_bucket.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "backup/jr_bucket.h"


uint64_t
jr_bucket_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}


int
jr_bucket_gen(char *out, uint64_t ms)
{
    time_t          t;
    struct tm       tm;
    unsigned char   rnd[4];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return -1;
    }

    t = (time_t) (ms / 1000);
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out + 16, JR_BUCKET_GEN_LEN + 1 - 16, "-%02x%02x%02x%02x",
             rnd[0], rnd[1], rnd[2], rnd[3]);

    return 0;
}


void
jr_bucket_segment_name(char *out, size_t size, uint32_t index,
    uint64_t offset, uint64_t ms)
{
    snprintf(out, size, "%08x-%012llx-%013llu.wal", index,
             (unsigned long long) offset, (unsigned long long) ms);
}


/* Exactly n characters of a class, then the rest. */
static int
jr_bucket_field(const char **p, size_t n, int hex, uint64_t *v)
{
    size_t       i;
    const char  *s;
    uint64_t     x;

    s = *p;
    x = 0;

    for (i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            x = x * (hex ? 16 : 10) + (uint64_t) (s[i] - '0');

        } else if (hex && s[i] >= 'a' && s[i] <= 'f') {
            x = x * 16 + (uint64_t) (s[i] - 'a' + 10);

        } else {
            return -1;
        }
    }

    *v = x;
    *p = s + n;

    return 0;
}


static int
jr_bucket_gen_ok(const char *g)
{
    size_t  i;

    for (i = 0; i < JR_BUCKET_GEN_LEN; i++) {
        if (i == 8 ? g[i] != 'T' : i == 15 ? g[i] != 'Z'
            : i == 16 ? g[i] != '-'
            : !((g[i] >= '0' && g[i] <= '9')
                || (i > 16 && g[i] >= 'a' && g[i] <= 'f')))
        {
            return -1;
        }
    }

    return g[JR_BUCKET_GEN_LEN] == '/' ? 0 : -1;
}


int
jr_bucket_of_gen(const char *prefix, const char *key, const char *gen)
{
    size_t  len;

    len = strlen(prefix);

    return strncmp(key, prefix, len) == 0 && key[len] == '/'
           && strncmp(key + len + 1, gen, JR_BUCKET_GEN_LEN) == 0;
}


int
jr_bucket_parse(const char *prefix, const char *key, jr_bucket_name_t *n)
{
    size_t       len;
    uint64_t     v;
    const char  *p;

    memset(n, 0, sizeof(jr_bucket_name_t));

    len = strlen(prefix);

    if (strncmp(key, prefix, len) != 0 || key[len] != '/') {
        return -1;
    }

    p = key + len + 1;

    if (strlen(p) < JR_BUCKET_GEN_LEN + 1 || jr_bucket_gen_ok(p) != 0) {
        return -1;
    }

    memcpy(n->gen, p, JR_BUCKET_GEN_LEN);
    p += JR_BUCKET_GEN_LEN + 1;

    if (strncmp(p, "wal/", 4) == 0) {
        p += 4;
        n->kind = JR_BUCKET_SEGMENT;

        if (jr_bucket_field(&p, 8, 1, &v) != 0 || *p++ != '-') {
            return -1;
        }

        n->index = (uint32_t) v;

        if (jr_bucket_field(&p, 12, 1, &n->offset) != 0 || *p++ != '-'
            || jr_bucket_field(&p, 13, 0, &n->ms) != 0)
        {
            return -1;
        }

        return strcmp(p, ".wal") == 0 ? 0 : -1;
    }

    if (strncmp(p, "snapshots/", 10) != 0) {
        return -1;
    }

    p += 10;

    if (jr_bucket_field(&p, 8, 1, &v) != 0 || *p++ != '-'
        || jr_bucket_field(&p, 13, 0, &n->ms) != 0)
    {
        return -1;
    }

    n->index = (uint32_t) v;

    if (strcmp(p, ".db") == 0) {
        n->kind = JR_BUCKET_SNAPSHOT;
        return 0;
    }

    if (*p++ != '-' || jr_bucket_field(&p, 8, 1, &v) != 0 || *p++ != '-'
        || jr_bucket_field(&p, 12, 1, &n->bound_offset) != 0 || *p++ != '-'
        || jr_bucket_field(&p, 13, 0, &n->done_ms) != 0
        || strcmp(p, ".ok") != 0)
    {
        return -1;
    }

    n->bound_index = (uint32_t) v;
    n->kind = JR_BUCKET_SNAPSHOT_OK;

    return 0;
}


char *
jr_bucket_wake_key(const char *prefix)
{
    char  *s;

    return asprintf(&s, "%s/.wake", prefix) < 0 ? NULL : s;
}


char *
jr_bucket_hot_prefix(const char *prefix)
{
    char  *s;

    return asprintf(&s, "%s/hot/", prefix) < 0 ? NULL : s;
}


char *
jr_bucket_hot_key(const char *prefix, const char *name, uint64_t ms)
{
    char  *s;

    return asprintf(&s, "%s/hot/%s/%013llu.db", prefix, name,
                    (unsigned long long) ms) < 0 ? NULL : s;
}


int
jr_bucket_hot_parse(const char *prefix, const char *key, char *name,
    size_t size, uint64_t *ms)
{
    size_t       len;
    const char  *p, *slash;

    len = strlen(prefix);

    if (strncmp(key, prefix, len) != 0 || strncmp(key + len, "/hot/", 5) != 0)
    {
        return -1;
    }

    p = key + len + 5;
    slash = strchr(p, '/');

    if (slash == NULL || slash == p || (size_t) (slash - p) >= size) {
        return -1;
    }

    memcpy(name, p, slash - p);
    name[slash - p] = '\0';
    p = slash + 1;

    if (jr_bucket_field(&p, 13, 0, ms) != 0 || strcmp(p, ".db") != 0) {
        return -1;
    }

    return 0;
}
