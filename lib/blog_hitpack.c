/*
 * Packs of page views and their SQL; see blog_hitpack.h.
 *
 * Compiled twice: for libblog.a, against the SQLite the program links,
 * and with BLOG_HITPACK_EXTENSION as build/blog_sqlite.so, where every
 * sqlite3_*() call goes through the loading connection's table
 * (sqlite3ext.h).
 */

#ifdef BLOG_HITPACK_EXTENSION
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#else
#include <sqlite3.h>
#endif

#include <stdio.h>
#include <string.h>

#include "blog_hitpack.h"


/* the fewest bytes a view takes: six one-byte varints */
#define BLOG_HITPACK_VIEW_MIN  6

/* blog_hits' columns; hits is the hidden one, its argument */
enum {
    BLOG_HITS_VISIT = 0,
    BLOG_HITS_N,
    BLOG_HITS_TIME_MS,
    BLOG_HITS_STATUS,
    BLOG_HITS_REF_HOST,
    BLOG_HITS_REF_PATH,
    BLOG_HITS_HITS
};

typedef struct {
    sqlite3_vtab_cursor     base;
    unsigned char          *pack;       /* a copy of the argument */
    size_t                  len;
    size_t                  cap;
    blog_hitpack_reader_t   r;
    blog_hit_t              hit;
    sqlite3_int64           rowid;
    int                     eof;
} blog_hits_cursor_t;

/* blog_hits_pack()'s rows so far */
typedef struct {
    blog_hit_t             *hits;
    size_t                  n;
    size_t                  cap;
} blog_hits_agg_t;


static const char  *blog_hits_names[] = {
    "visit", "n", "time_ms", "status", "ref_host", "ref_path"
};


static inline unsigned char *
blog_hitpack_varint(unsigned char *p, uint64_t x)
{
    while (x >= 0x80) {
        *p++ = (unsigned char) (x | 0x80);
        x >>= 7;
    }

    *p++ = (unsigned char) x;

    return p;
}


/* The difference b - a modulo 2^64, zigzagged: small either way. */
static inline uint64_t
blog_hitpack_zigzag(int64_t a, int64_t b)
{
    uint64_t  d;

    d = (uint64_t) b - (uint64_t) a;

    return (d << 1) ^ (uint64_t) -(int64_t) (d >> 63);
}


static inline int64_t
blog_hitpack_unzigzag(int64_t a, uint64_t z)
{
    uint64_t  d;

    d = (z >> 1) ^ (uint64_t) -(int64_t) (z & 1);

    return (int64_t) ((uint64_t) a + d);
}


size_t
blog_hitpack_encode(unsigned char *out, const blog_hit_t *hits, size_t n)
{
    size_t             k;
    unsigned char     *p;
    const blog_hit_t  *h, *prev;
    static const blog_hit_t  zero;

    p = out;
    *p++ = BLOG_HITPACK_VERSION;
    p = blog_hitpack_varint(p, n);
    prev = &zero;

    for (k = 0; k < n; k++) {
        h = &hits[k];
        p = blog_hitpack_varint(p, blog_hitpack_zigzag(prev->visit,
                                                       h->visit));
        p = blog_hitpack_varint(p, (uint64_t) h->n);
        p = blog_hitpack_varint(p, blog_hitpack_zigzag(prev->time_ms,
                                                       h->time_ms));
        p = blog_hitpack_varint(p, blog_hitpack_zigzag(prev->status,
                                                       h->status));
        p = blog_hitpack_varint(p, (uint64_t) h->ref_host);
        p = blog_hitpack_varint(p, (uint64_t) h->ref_path);
        prev = h;
    }

    return (size_t) (p - out);
}


/* Reads a varint of r into *x: 0, or -1 with *why. */
static inline int
blog_hitpack_get(blog_hitpack_reader_t *r, uint64_t *x, const char **why)
{
    int                   shift;
    uint64_t              v;
    const unsigned char  *p;

    p = r->p;

    /* the common case: one byte */
    if (p < r->end && *p < 0x80) {
        *x = *p;
        r->p = p + 1;
        return 0;
    }

    v = 0;

    for (shift = 0; ; shift += 7) {
        if (p == r->end) {
            *why = "its bytes end within a view";
            return -1;
        }

        /* the tenth byte holds the 64th bit alone */
        if (shift == 63 && *p > 1) {
            *why = "a varint is over 64 bits";
            return -1;
        }

        v |= (uint64_t) (*p & 0x7f) << shift;

        if ((*p++ & 0x80) == 0) {
            break;
        }
    }

    *x = v;
    r->p = p;

    return 0;
}


int
blog_hitpack_open(blog_hitpack_reader_t *r, const void *pack, size_t len,
    const char **why)
{
    uint64_t  n;

    memset(r, 0, sizeof(blog_hitpack_reader_t));

    if (pack == NULL || len == 0) {
        *why = "it is empty";
        return -1;
    }

    r->p = pack;
    r->end = r->p + len;

    if (*r->p++ != BLOG_HITPACK_VERSION) {
        *why = "its version is not 1";
        return -1;
    }

    if (blog_hitpack_get(r, &n, why) != 0) {
        *why = "its count of views is cut";
        return -1;
    }

    if (n == 0 || n > (uint64_t) (r->end - r->p) / BLOG_HITPACK_VIEW_MIN) {
        *why = "its count of views does not fit its bytes";
        return -1;
    }

    r->views = n;
    r->left = n;

    return 0;
}


int
blog_hitpack_next(blog_hitpack_reader_t *r, blog_hit_t *hit,
    const char **why)
{
    uint64_t  x[6];

    if (r->left == 0) {
        if (r->p != r->end) {
            *why = "bytes follow its last view";
            return -1;
        }

        return 0;
    }

    if (blog_hitpack_get(r, &x[0], why) != 0
        || blog_hitpack_get(r, &x[1], why) != 0
        || blog_hitpack_get(r, &x[2], why) != 0
        || blog_hitpack_get(r, &x[3], why) != 0
        || blog_hitpack_get(r, &x[4], why) != 0
        || blog_hitpack_get(r, &x[5], why) != 0)
    {
        return -1;
    }

    hit->visit = blog_hitpack_unzigzag(r->prev.visit, x[0]);
    hit->n = (int64_t) x[1];
    hit->time_ms = blog_hitpack_unzigzag(r->prev.time_ms, x[2]);
    hit->status = blog_hitpack_unzigzag(r->prev.status, x[3]);
    hit->ref_host = (int64_t) x[4];
    hit->ref_path = (int64_t) x[5];

    r->prev = *hit;
    r->left--;

    return 1;
}


/*
 * blog_hits(hits): an eponymous virtual table whose hidden column hits
 * is the argument, a row per view.
 */

static int
blog_hits_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
    sqlite3_vtab **vtab, char **err)
{
    int  rc;

    (void) aux;
    (void) argc;
    (void) argv;
    (void) err;

    rc = sqlite3_declare_vtab(db, "CREATE TABLE x(visit INTEGER,"
                              " n INTEGER, time_ms INTEGER, status INTEGER,"
                              " ref_host INTEGER, ref_path INTEGER,"
                              " hits HIDDEN)");
    if (rc != SQLITE_OK) {
        return rc;
    }

    *vtab = sqlite3_malloc(sizeof(sqlite3_vtab));
    if (*vtab == NULL) {
        return SQLITE_NOMEM;
    }

    memset(*vtab, 0, sizeof(sqlite3_vtab));

    /* it reads its argument only: safe in views and triggers */
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);

    return SQLITE_OK;
}


static int
blog_hits_disconnect(sqlite3_vtab *vtab)
{
    sqlite3_free(vtab);
    return SQLITE_OK;
}


/*
 * The plan needs hits: a constraint on it not usable yet (the pack of a
 * table not read yet) makes SQLite read that table first.  Without one,
 * no row.
 */
static int
blog_hits_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    int                                          i, unusable;
    const struct sqlite3_index_constraint       *c;

    (void) vtab;

    unusable = 0;

    for (i = 0; i < info->nConstraint; i++) {
        c = &info->aConstraint[i];

        if (c->iColumn != BLOG_HITS_HITS || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
        {
            continue;
        }

        if (!c->usable) {
            unusable = 1;
            continue;
        }

        info->aConstraintUsage[i].argvIndex = 1;
        info->aConstraintUsage[i].omit = 1;
        info->idxNum = 1;
        info->estimatedCost = 10;
        info->estimatedRows = 25;

        return SQLITE_OK;
    }

    if (unusable) {
        return SQLITE_CONSTRAINT;
    }

    info->idxNum = 0;
    info->estimatedCost = 1e9;
    info->estimatedRows = 1;

    return SQLITE_OK;
}


static int
blog_hits_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **cursor)
{
    blog_hits_cursor_t  *c;

    (void) vtab;

    c = sqlite3_malloc(sizeof(blog_hits_cursor_t));
    if (c == NULL) {
        return SQLITE_NOMEM;
    }

    memset(c, 0, sizeof(blog_hits_cursor_t));
    *cursor = &c->base;

    return SQLITE_OK;
}


static int
blog_hits_close(sqlite3_vtab_cursor *cursor)
{
    blog_hits_cursor_t  *c = (blog_hits_cursor_t *) cursor;

    sqlite3_free(c->pack);
    sqlite3_free(c);

    return SQLITE_OK;
}


/* The cursor's next view; a corrupt pack is the statement's error. */
static int
blog_hits_next(sqlite3_vtab_cursor *cursor)
{
    int                  rc;
    const char          *why;
    blog_hits_cursor_t  *c = (blog_hits_cursor_t *) cursor;

    rc = blog_hitpack_next(&c->r, &c->hit, &why);

    if (rc < 0) {
        sqlite3_free(cursor->pVtab->zErrMsg);
        cursor->pVtab->zErrMsg = sqlite3_mprintf("blog_hits: a corrupt pack "
                                                 "of %lld bytes: %s",
                                                 (long long) c->len, why);
        c->eof = 1;
        return SQLITE_CORRUPT;
    }

    c->eof = (rc == 0);
    c->rowid++;

    return SQLITE_OK;
}


static int
blog_hits_filter(sqlite3_vtab_cursor *cursor, int idxnum, const char *idxstr,
    int argc, sqlite3_value **argv)
{
    int                  type;
    size_t               len;
    const char          *why;
    unsigned char       *p;
    const void          *blob;
    blog_hits_cursor_t  *c = (blog_hits_cursor_t *) cursor;

    (void) idxstr;

    c->eof = 1;
    c->rowid = 0;
    c->len = 0;

    if (idxnum == 0 || argc < 1) {
        return SQLITE_OK;
    }

    type = sqlite3_value_type(argv[0]);

    /* NULL, as a missing pack: no view */
    if (type == SQLITE_NULL) {
        return SQLITE_OK;
    }

    if (type != SQLITE_BLOB) {
        sqlite3_free(cursor->pVtab->zErrMsg);
        cursor->pVtab->zErrMsg = sqlite3_mprintf("blog_hits: the argument "
                                                 "is not a pack (a blob)");
        return SQLITE_MISMATCH;
    }

    /* the blob before its size, as SQLite asks */
    blob = sqlite3_value_blob(argv[0]);
    len = (size_t) sqlite3_value_bytes(argv[0]);

    /* a copy: the argument's bytes are not the cursor's to keep */
    if (len > c->cap) {
        p = sqlite3_realloc64(c->pack, len);
        if (p == NULL) {
            return SQLITE_NOMEM;
        }

        c->pack = p;
        c->cap = len;
    }

    if (len) {
        memcpy(c->pack, blob, len);
    }

    c->len = len;

    if (blog_hitpack_open(&c->r, c->pack, len, &why) != 0) {
        sqlite3_free(cursor->pVtab->zErrMsg);
        cursor->pVtab->zErrMsg = sqlite3_mprintf("blog_hits: a corrupt pack "
                                                 "of %lld bytes: %s",
                                                 (long long) len, why);
        return SQLITE_CORRUPT;
    }

    c->rowid = -1;

    return blog_hits_next(cursor);
}


static int
blog_hits_eof(sqlite3_vtab_cursor *cursor)
{
    return ((blog_hits_cursor_t *) cursor)->eof;
}


static int
blog_hits_column(sqlite3_vtab_cursor *cursor, sqlite3_context *ctx, int i)
{
    blog_hits_cursor_t  *c = (blog_hits_cursor_t *) cursor;

    switch (i) {

    case BLOG_HITS_VISIT:
        sqlite3_result_int64(ctx, c->hit.visit);
        break;

    case BLOG_HITS_N:
        sqlite3_result_int64(ctx, c->hit.n);
        break;

    case BLOG_HITS_TIME_MS:
        sqlite3_result_int64(ctx, c->hit.time_ms);
        break;

    case BLOG_HITS_STATUS:
        sqlite3_result_int64(ctx, c->hit.status);
        break;

    case BLOG_HITS_REF_HOST:
        sqlite3_result_int64(ctx, c->hit.ref_host);
        break;

    case BLOG_HITS_REF_PATH:
        sqlite3_result_int64(ctx, c->hit.ref_path);
        break;

    default:
        sqlite3_result_blob64(ctx, c->pack, c->len, SQLITE_TRANSIENT);
        break;
    }

    return SQLITE_OK;
}


static int
blog_hits_rowid(sqlite3_vtab_cursor *cursor, sqlite3_int64 *rowid)
{
    *rowid = ((blog_hits_cursor_t *) cursor)->rowid;
    return SQLITE_OK;
}


/* eponymous only: no xCreate, no CREATE VIRTUAL TABLE of it */
static sqlite3_module  blog_hits_module = {
    .iVersion = 0,
    .xConnect = blog_hits_connect,
    .xBestIndex = blog_hits_best_index,
    .xDisconnect = blog_hits_disconnect,
    .xOpen = blog_hits_open,
    .xClose = blog_hits_close,
    .xFilter = blog_hits_filter,
    .xNext = blog_hits_next,
    .xEof = blog_hits_eof,
    .xColumn = blog_hits_column,
    .xRowid = blog_hits_rowid
};


/* blog_hits_pack(visit, n, time_ms, status, ref_host, ref_path) */

static void
blog_hits_pack_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int               i;
    size_t            cap;
    int64_t           col[6];
    blog_hit_t       *hits;
    blog_hits_agg_t  *agg;
    char              msg[80];

    (void) argc;

    for (i = 0; i < 6; i++) {
        if (sqlite3_value_type(argv[i]) != SQLITE_INTEGER) {
            snprintf(msg, sizeof(msg), "blog_hits_pack: %s is not an "
                     "integer", blog_hits_names[i]);
            sqlite3_result_error(ctx, msg, -1);
            return;
        }

        col[i] = sqlite3_value_int64(argv[i]);
    }

    agg = sqlite3_aggregate_context(ctx, sizeof(blog_hits_agg_t));
    if (agg == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }

    if (agg->n == agg->cap) {
        cap = agg->cap ? agg->cap * 2 : 64;
        hits = sqlite3_realloc64(agg->hits, cap * sizeof(blog_hit_t));
        if (hits == NULL) {
            sqlite3_result_error_nomem(ctx);
            return;
        }

        agg->hits = hits;
        agg->cap = cap;
    }

    hits = &agg->hits[agg->n++];
    hits->visit = col[0];
    hits->n = col[1];
    hits->time_ms = col[2];
    hits->status = col[3];
    hits->ref_host = col[4];
    hits->ref_path = col[5];
}


static void
blog_hits_pack_final(sqlite3_context *ctx)
{
    size_t            len;
    unsigned char    *pack;
    blog_hits_agg_t  *agg;

    agg = sqlite3_aggregate_context(ctx, 0);

    /* no row: no pack */
    if (agg == NULL || agg->n == 0) {
        sqlite3_result_null(ctx);

        if (agg) {
            sqlite3_free(agg->hits);
        }

        return;
    }

    pack = sqlite3_malloc64(BLOG_HITPACK_MAX(agg->n));
    if (pack == NULL) {
        sqlite3_free(agg->hits);
        sqlite3_result_error_nomem(ctx);
        return;
    }

    len = blog_hitpack_encode(pack, agg->hits, agg->n);
    sqlite3_free(agg->hits);
    sqlite3_result_blob64(ctx, pack, len, sqlite3_free);
}


/* blog_hits_drop(hits, visit, n) */

static void
blog_hits_drop(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int                     rc;
    size_t                  len, kept, k;
    int64_t                 visit, n;
    char                   *msg;
    const char             *why;
    const void             *blob;
    blog_hit_t             *hits;
    unsigned char          *pack;
    blog_hitpack_reader_t   r;

    (void) argc;

    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }

    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
        sqlite3_result_error(ctx, "blog_hits_drop: the argument is not a "
                             "pack (a blob)", -1);
        return;
    }

    blob = sqlite3_value_blob(argv[0]);
    len = (size_t) sqlite3_value_bytes(argv[0]);
    visit = sqlite3_value_int64(argv[1]);
    n = sqlite3_value_int64(argv[2]);

    if (blog_hitpack_open(&r, blob, len, &why) != 0) {
        goto corrupt;
    }

    /* r.views is at most len / 6: the blob bounds the allocation */
    hits = sqlite3_malloc64(r.views * sizeof(blog_hit_t));
    if (hits == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }

    kept = 0;

    while ((rc = blog_hitpack_next(&r, &hits[kept], &why)) == 1) {
        kept += !(hits[kept].visit == visit && hits[kept].n == n);
    }

    if (rc < 0) {
        sqlite3_free(hits);
        goto corrupt;
    }

    k = (size_t) r.views;

    if (kept == k) {
        sqlite3_result_value(ctx, argv[0]);

    } else if (kept == 0) {
        sqlite3_result_null(ctx);

    } else {
        pack = sqlite3_malloc64(BLOG_HITPACK_MAX(kept));
        if (pack == NULL) {
            sqlite3_free(hits);
            sqlite3_result_error_nomem(ctx);
            return;
        }

        len = blog_hitpack_encode(pack, hits, kept);
        sqlite3_result_blob64(ctx, pack, len, sqlite3_free);
    }

    sqlite3_free(hits);
    return;

corrupt:

    msg = sqlite3_mprintf("blog_hits_drop: a corrupt pack of %lld bytes: %s",
                          (long long) len, why);
    sqlite3_result_error(ctx, msg ? msg : "blog_hits_drop: a corrupt pack",
                         -1);
    sqlite3_free(msg);
}


int
blog_hitpack_register(sqlite3 *db)
{
    int  rc, flags;

    flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

    rc = sqlite3_create_module(db, "blog_hits", &blog_hits_module, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_create_function(db, "blog_hits_pack", 6, flags, NULL,
                                     NULL, blog_hits_pack_step,
                                     blog_hits_pack_final);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_create_function(db, "blog_hits_drop", 3, flags, NULL,
                                     blog_hits_drop, NULL, NULL);
    }

    return rc;
}


#ifdef BLOG_HITPACK_EXTENSION

/* the name SQLite derives from blog_sqlite.so; the one symbol it exports */
__attribute__((visibility("default"))) int
sqlite3_blogsqlite_init(sqlite3 *db, char **err,
    const sqlite3_api_routines *api)
{
    SQLITE_EXTENSION_INIT2(api);

    (void) err;

    return blog_hitpack_register(db);
}

#endif
