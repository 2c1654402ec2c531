/*
 * The configuration engine; see jr_conf.h.
 *
 * inih does the INI syntax; this file adds what inih leaves out: line
 * numbers for the handler, strict sections and keys, values checked and
 * paths resolved.
 *
 * Line numbers: Debian's libinih is built without INI_HANDLER_LINENO, so
 * the handler is not told which line it is called for.  We therefore parse
 * with ini_parse_stream() and our own reader over the file's text in memory.
 * inih calls the reader once per line and calls the handler for that line
 * before asking for the next one, so the reader's line count is the number
 * of the line the handler is looking at.  That holds only if every read
 * returns one whole line, so the reader refuses lines longer than inih's
 * buffer instead of letting inih split them.
 *
 * The reader also strips leading whitespace.  inih takes an indented line as
 * the continuation of the previous key's value (Python configparser style),
 * so an indented "log = x" would silently become part of the value above
 * it; stripped, indentation means nothing, as a sysadmin expects.
 *
 * And the reader opens "[section]" lines, because inih calls the handler
 * only for keys: a misspelt, empty section would otherwise pass unnoticed.
 */

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <openssl/crypto.h>
#include <uv.h>

#include "core/jr_conf.h"
#include "jobs/jr_schedule.h"


/* Long enough for a file name, a line number and a quoted value. */
#define JR_CONF_MSGLEN     1024

/* An unknown key's message lists the section's keys, up to this many. */
#define JR_CONF_LIST_MAX   12

/* The longest duration: ten years, which no timeout or age needs. */
#define JR_CONF_YEARS_10   (3650ULL * 86400)


/* What was seen of a section, or of an element of a named one. */
typedef struct {
    int          line;        /* of "[name]"; 0: not given */
    int         *keys;        /* the line each key was set on; 0: not */
} jr_conf_seen_t;

typedef struct {
    jr_conf_seen_t  *seen;    /* one per element if named, else one */
    size_t           nseen;
} jr_conf_slot_t;

struct jr_conf_s {
    const jr_conf_part_t  *parts;
    size_t                 nparts;
    char                  *root;
    jr_conf_slot_t        *slots;      /* one per part */
    size_t                 part;       /* the first part of the section
                                          read or finished; nparts: none */
    size_t                 elt;        /* its element, if it is named */
    const char            *file;
    size_t                 dirlen;     /* of file's folder, with its slash */
    const char            *pos;        /* the text not yet given to inih */
    const char            *end;
    int                    line;       /* the line read, or the line of the
                                          section finished */
    int                    failed;     /* line of our first error, 0 if
                                          none, -1 if no line is to blame */
    char                  *err;
    size_t                 errlen;
};

/* A number's unit: the letters that write it, the first when printed. */
typedef struct {
    const char  *letters;
    uint64_t     factor;
} jr_conf_unit_t;

static const jr_conf_unit_t  jr_conf_seconds[] = {
    { "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 }, { NULL, 0 }
};

static const jr_conf_unit_t  jr_conf_bytes[] = {
    { "Gg", 1ULL << 30 }, { "Mm", 1ULL << 20 }, { "Kk", 1ULL << 10 },
    { "", 1 }, { NULL, 0 }
};


static int jr_conf_store_string(jr_conf_t *cf, const jr_conf_key_t *key,
    void *conf, char *s);


/* ---- errors ------------------------------------------------------------ */

static int
jr_conf_verror(jr_conf_t *cf, int line, const char *fmt, va_list ap)
{
    int  n;

    if (cf->failed) {
        return -1;
    }

    cf->failed = line ? line : -1;

    if (line) {
        n = snprintf(cf->err, cf->errlen, "%s:%d: ", cf->file, line);
    } else {
        n = snprintf(cf->err, cf->errlen, "%s: ", cf->file);
    }

    if (n >= 0 && (size_t) n < cf->errlen) {
        vsnprintf(cf->err + n, cf->errlen - n, fmt, ap);
    }

    return -1;
}


int
jr_conf_error(jr_conf_t *cf, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    jr_conf_verror(cf, cf->line, fmt, ap);
    va_end(ap);

    return -1;
}


int
jr_conf_error_at(jr_conf_t *cf, int line, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    jr_conf_verror(cf, line ? line : cf->line, fmt, ap);
    va_end(ap);

    return -1;
}


int
jr_conf_invalid(jr_conf_t *cf, const jr_conf_key_t *key, const char *value,
    const char *fmt, ...)
{
    char     why[JR_CONF_MSGLEN];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);

    if (key->type->flags & JR_CONF_SECRET) {
        return jr_conf_error(cf, "invalid %s (%s)", key->name, why);
    }

    return jr_conf_error(cf, "invalid %s \"%s\" (%s)", key->name, value, why);
}


/* Appends word, the i-th of n, to "a, b or c" in buf. */
static void
jr_conf_list(char *buf, size_t size, size_t *len, const char *word,
    size_t i, size_t n)
{
    int          k;
    const char  *sep;

    if (*len >= size) {
        return;
    }

    sep = (i == 0) ? "" : (i == n - 1) ? " or " : ", ";

    k = snprintf(buf + *len, size - *len, "%s%s", sep, word);
    *len += k > 0 ? (size_t) k : 0;
}


/* ---- the sections ------------------------------------------------------ */

static size_t
jr_conf_nkeys(const jr_conf_section_t *sec)
{
    size_t  n;

    for (n = 0; sec->keys[n].name; n++) {
        /* count */
    }

    return n;
}


static char *
jr_conf_struct(jr_conf_t *cf, size_t part)
{
    return cf->root + cf->parts[part].offset;
}


/* Where the keys of part go: its struct, or the element elt of it. */
static char *
jr_conf_target(jr_conf_t *cf, size_t part, size_t elt)
{
    char                     *conf;
    const jr_conf_section_t  *sec;

    sec = cf->parts[part].section;
    conf = jr_conf_struct(cf, part);

    if (sec->flags & JR_CONF_NAMED) {
        return *(char **) (conf + sec->elts) + elt * sec->elt_size;
    }

    return conf;
}


static int
jr_conf_given(jr_conf_t *cf, size_t part)
{
    const jr_conf_section_t  *sec;

    sec = cf->parts[part].section;

    if (sec->flags & JR_CONF_NAMED) {
        return cf->slots[part].nseen > 0;
    }

    return (sec->flags & JR_CONF_IMPLICIT) || cf->slots[part].seen[0].line;
}


/* Whether part j is of the section being read or finished. */
static int
jr_conf_same(jr_conf_t *cf, size_t j)
{
    const jr_conf_section_t  *a, *b;

    a = cf->parts[cf->part].section;
    b = cf->parts[j].section;

    return a == b
           || (!((a->flags | b->flags) & JR_CONF_NAMED)
               && strcmp(a->name, b->name) == 0);
}


/* The key name of the section being read or finished, and its part. */
static const jr_conf_key_t *
jr_conf_key(jr_conf_t *cf, const char *name, size_t *part)
{
    size_t                j;
    const jr_conf_key_t  *key;

    for (j = cf->part; j < cf->nparts; j++) {
        if (!jr_conf_same(cf, j)) {
            continue;
        }

        for (key = cf->parts[j].section->keys; key->name; key++) {
            if (strcmp(key->name, name) == 0) {
                *part = j;
                return key;
            }
        }
    }

    return NULL;
}


static int *
jr_conf_seen(jr_conf_t *cf, size_t part, const jr_conf_key_t *key)
{
    return &cf->slots[part].seen[cf->elt]
                .keys[key - cf->parts[part].section->keys];
}


int
jr_conf_line(jr_conf_t *cf, const char *name)
{
    size_t                part;
    const jr_conf_key_t  *key;

    key = jr_conf_key(cf, name, &part);

    return key ? *jr_conf_seen(cf, part, key) : 0;
}


/* "s3", or "cronhook.publish" for the element being read. */
static void
jr_conf_title(jr_conf_t *cf, char *buf, size_t size)
{
    const char               *name;
    const jr_conf_section_t  *sec;

    sec = cf->parts[cf->part].section;

    if (sec->flags & JR_CONF_NAMED) {
        name = *(char **) (jr_conf_target(cf, cf->part, cf->elt)
                           + sec->elt_name);
        snprintf(buf, size, "%s.%s", sec->name, name ? name : "");
        return;
    }

    snprintf(buf, size, "%s", sec->name);
}


void *
jr_conf_get(jr_conf_t *cf, const char *section)
{
    size_t  i;

    for (i = 0; i < cf->nparts; i++) {
        if (strcmp(cf->parts[i].section->name, section) == 0
            && jr_conf_given(cf, i))
        {
            return jr_conf_struct(cf, i);
        }
    }

    return NULL;
}


const char *
jr_conf_value(jr_conf_t *cf, const char *section, const char *name)
{
    size_t                    i;
    const jr_conf_key_t      *key;
    const jr_conf_section_t  *sec;

    for (i = 0; i < cf->nparts; i++) {
        sec = cf->parts[i].section;

        if (strcmp(sec->name, section) != 0 || (sec->flags & JR_CONF_NAMED)) {
            continue;
        }

        for (key = sec->keys; key->name; key++) {
            if (strcmp(key->name, name) == 0
                && (key->type->flags & JR_CONF_HEAP))
            {
                return *(char **) (jr_conf_struct(cf, i) + key->offset);
            }
        }
    }

    return NULL;
}


/* The defaults of the keys that are not strings: those are set late. */
static int
jr_conf_defaults(jr_conf_t *cf, const jr_conf_section_t *sec, void *conf)
{
    const jr_conf_key_t  *key;

    for (key = sec->keys; key->name; key++) {
        if (key->def && !(key->type->flags & JR_CONF_HEAP)
            && key->type->set(cf, key, conf, key->def) != 0)
        {
            return -1;
        }
    }

    return 0;
}


void
jr_conf_init(const jr_conf_section_t *section, void *conf)
{
    char       err[JR_CONF_MSGLEN];
    jr_conf_t  cf;

    /* every jr_conf_parse() sets them too, and reports one that is bad */
    memset(&cf, 0, sizeof(cf));
    cf.file = "";
    cf.err = err;
    cf.errlen = sizeof(err);

    if (!(section->flags & JR_CONF_NAMED)) {
        (void) jr_conf_defaults(&cf, section, conf);
    }
}


static int
jr_conf_open_plain(jr_conf_t *cf, size_t part)
{
    jr_conf_slot_t           *slot;
    const jr_conf_section_t  *sec;

    sec = cf->parts[part].section;
    slot = &cf->slots[part];

    if (!(sec->flags & JR_CONF_IMPLICIT)) {
        if (slot->seen[0].line) {
            return jr_conf_error(cf, "duplicate section \"[%s]\" (first on "
                                 "line %d)", sec->name, slot->seen[0].line);
        }

        slot->seen[0].line = cf->line;
        *(int *) (jr_conf_struct(cf, part) + sec->line) = cf->line;
    }

    cf->part = part;
    cf->elt = 0;

    return 0;
}


/* The NAME of "[name.NAME]": [a-z0-9_-], 1 to JR_CONF_NAME_MAX bytes. */
static int
jr_conf_name(const char *name, size_t len)
{
    return (len > 0 && len <= JR_CONF_NAME_MAX
            && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") >= len)
           ? 0 : -1;
}


/* "[name.NAME]", len bytes, NAME from skip on: a new element. */
static int
jr_conf_open_named(jr_conf_t *cf, size_t part, const char *title,
    size_t len, size_t skip)
{
    int                      *keys;
    char                     *conf, *elts, *elt, **ename;
    size_t                    i, n;
    const char               *sub;
    jr_conf_seen_t           *seen;
    jr_conf_slot_t           *slot;
    const jr_conf_section_t  *sec;

    sec = cf->parts[part].section;
    slot = &cf->slots[part];
    conf = jr_conf_struct(cf, part);
    sub = title + skip;

    if (jr_conf_name(sub, len - skip) != 0) {
        return jr_conf_error(cf, "invalid section name \"[%.*s]\" (the part "
                             "after the dot: 1 to %d of a-z, 0-9, \"_\" and "
                             "\"-\")", (int) len, title, JR_CONF_NAME_MAX);
    }

    elts = *(char **) (conf + sec->elts);
    n = *(size_t *) (conf + sec->nelts);

    for (i = 0; i < n; i++) {
        ename = (char **) (elts + i * sec->elt_size + sec->elt_name);

        if (*ename && strlen(*ename) == len - skip
            && memcmp(*ename, sub, len - skip) == 0)
        {
            return jr_conf_error(cf, "duplicate section \"[%.*s]\" (first on "
                                 "line %d)", (int) len, title,
                                 slot->seen[i].line);
        }
    }

    seen = realloc(slot->seen, (n + 1) * sizeof(jr_conf_seen_t));
    if (seen == NULL) {
        return jr_conf_error(cf, "out of memory");
    }

    slot->seen = seen;

    keys = calloc(jr_conf_nkeys(sec) + 1, sizeof(int));
    if (keys == NULL) {
        return jr_conf_error(cf, "out of memory");
    }

    seen[n].line = cf->line;
    seen[n].keys = keys;
    slot->nseen = n + 1;

    elts = realloc(elts, (n + 1) * sec->elt_size);
    if (elts == NULL) {
        return jr_conf_error(cf, "out of memory");
    }

    *(char **) (conf + sec->elts) = elts;
    *(size_t *) (conf + sec->nelts) = n + 1;

    elt = elts + n * sec->elt_size;
    memset(elt, 0, sec->elt_size);
    *(int *) (elt + sec->line) = cf->line;

    cf->part = part;
    cf->elt = n;

    ename = (char **) (elt + sec->elt_name);
    *ename = strndup(sub, len - skip);
    if (*ename == NULL) {
        return jr_conf_error(cf, "out of memory");
    }

    return jr_conf_defaults(cf, sec, elt);
}


/* A "[name]" line, len bytes between the brackets. */
static int
jr_conf_open(jr_conf_t *cf, const char *name, size_t len)
{
    size_t                    i, n;
    const jr_conf_section_t  *sec;

    for (i = 0; i < cf->nparts; i++) {
        sec = cf->parts[i].section;
        n = strlen(sec->name);

        if (len < n || memcmp(name, sec->name, n) != 0) {
            continue;
        }

        if (!(sec->flags & JR_CONF_NAMED) && len == n) {
            return jr_conf_open_plain(cf, i);
        }

        if ((sec->flags & JR_CONF_NAMED) && len > n + 1 && name[n] == '.') {
            return jr_conf_open_named(cf, i, name, len, n + 1);
        }
    }

    return jr_conf_error(cf, "unknown section \"[%.*s]\"", (int) len, name);
}


/* Unknown name: the section's keys are listed, unless there are many. */
static int
jr_conf_unknown(jr_conf_t *cf, const char *name)
{
    char                      title[2 * JR_CONF_NAME_MAX + 2];
    char                      list[JR_CONF_MSGLEN];
    size_t                    i, j, n, len;
    const char               *what;
    const jr_conf_key_t      *key;
    const jr_conf_section_t  *sec;

    sec = cf->parts[cf->part].section;
    what = sec->what ? sec->what : "key";

    jr_conf_title(cf, title, sizeof(title));

    for (n = 0, j = cf->part; j < cf->nparts; j++) {
        n += jr_conf_same(cf, j) ? jr_conf_nkeys(cf->parts[j].section) : 0;
    }

    if (n > JR_CONF_LIST_MAX) {
        return jr_conf_error(cf, "unknown %s \"%s\" in [%s]", what, name,
                             title);
    }

    len = 0;

    for (i = 0, j = cf->part; j < cf->nparts; j++) {
        if (!jr_conf_same(cf, j)) {
            continue;
        }

        for (key = cf->parts[j].section->keys; key->name; key++) {
            jr_conf_list(list, sizeof(list), &len, key->name, i++, n);
        }
    }

    return jr_conf_error(cf, "unknown %s \"%s\" in [%s] (expected %s%s%s)",
                         what, name, title, list, sec->hint ? "; " : "",
                         sec->hint ? sec->hint : "");
}


static int
jr_conf_set_key(jr_conf_t *cf, const char *name, const char *value)
{
    int                  *seen;
    size_t                part;
    const jr_conf_key_t  *key;

    if (cf->part == cf->nparts) {
        return jr_conf_error(cf, "key \"%s\" before any section; keys "
                             "belong in [%s]", name,
                             cf->parts[0].section->name);
    }

    key = jr_conf_key(cf, name, &part);
    if (key == NULL) {
        return jr_conf_unknown(cf, name);
    }

    seen = jr_conf_seen(cf, part, key);

    if (*seen) {
        return jr_conf_error(cf, "duplicate key \"%s\" (first set on line "
                             "%d)", name, *seen);
    }

    *seen = cf->line;

    if (value[0] == '\0') {
        return jr_conf_error(cf, "empty value for \"%s\"", name);
    }

    return key->type->set(cf, key, jr_conf_target(cf, part, cf->elt), value);
}


/* ---- inih -------------------------------------------------------------- */

static char *
jr_conf_read_line(char *buf, int size, void *user)
{
    jr_conf_t   *cf = user;
    size_t       len, max;
    const char  *start, *end, *nl, *close;

    if (cf->failed || cf->pos == cf->end || size < 2) {
        return NULL;
    }

    cf->line++;

    start = cf->pos;
    nl = memchr(start, '\n', cf->end - start);
    end = nl ? nl + 1 : cf->end;
    cf->pos = end;

    /* inih skips a UTF-8 byte order mark too, but after our checks */
    if (cf->line == 1 && end - start >= 3
        && memcmp(start, "\xEF\xBB\xBF", 3) == 0)
    {
        start += 3;
    }

    if (memchr(start, '\0', end - start) != NULL) {
        jr_conf_error(cf, "NUL byte in line");
        return NULL;
    }

    /* size - 1 bytes for the line and its newline, 1 for the NUL */
    len = end - start - (nl != NULL);
    max = (size_t) size - 2;

    if (len > max) {
        jr_conf_error(cf, "line longer than %zu characters", max);
        return NULL;
    }

    while (start < end && *start != '\n' && isspace((unsigned char) *start)) {
        start++;
    }

    /* without "]" it is a syntax error, which inih reports */
    if (start < end && *start == '[') {
        close = memchr(start, ']', end - start);

        if (close != NULL
            && jr_conf_open(cf, start + 1, close - start - 1) != 0)
        {
            return NULL;
        }
    }

    len = end - start;
    memcpy(buf, start, len);
    buf[len] = '\0';

    return buf;
}


/* inih's handler: nonzero for a key taken. */
static int
jr_conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
    (void) section;     /* the reader has opened it: cf->part */

    return jr_conf_set_key(user, name, value) == 0;
}


/* ---- after the whole file ---------------------------------------------- */

/* A key not set: required, from the environment, or its default. */
static int
jr_conf_unset(jr_conf_t *cf, const jr_conf_key_t *key, char *conf)
{
    char         title[2 * JR_CONF_NAME_MAX + 2];
    const char  *env;

    if (key->required) {
        jr_conf_title(cf, title, sizeof(title));
        return jr_conf_error(cf, "missing required key \"%s\" in [%s]",
                             key->name, title);
    }

    if (!(key->type->flags & JR_CONF_HEAP)) {
        return 0;
    }

    env = key->env ? getenv(key->env) : NULL;

    if (env != NULL && env[0] != '\0') {
        /* as set, not checked: the environment is the operator's */
        return jr_conf_store_string(cf, key, conf, strdup(env));
    }

    if (key->def && *(char **) (conf + key->offset) == NULL) {
        return key->type->set(cf, key, conf, key->def);
    }

    return 0;
}


static int
jr_conf_finish(jr_conf_t *cf, size_t part)
{
    size_t                    e;
    jr_conf_slot_t           *slot;
    const jr_conf_key_t      *key;
    const jr_conf_link_t     *link;
    const jr_conf_section_t  *sec;

    if (!jr_conf_given(cf, part)) {
        return 0;
    }

    sec = cf->parts[part].section;
    slot = &cf->slots[part];

    cf->part = part;
    cf->elt = 0;
    cf->line = (sec->flags & JR_CONF_NAMED) ? 0 : slot->seen[0].line;

    for (link = sec->links; link && link->section; link++) {
        if ((jr_conf_get(cf, link->section) != NULL)
            == (link->rule == JR_CONF_EXCLUDES))
        {
            return jr_conf_error(cf, "%s", link->message);
        }
    }

    for (e = 0; e < slot->nseen; e++) {
        cf->elt = e;
        cf->line = slot->seen[e].line;

        for (key = sec->keys; key->name; key++) {
            if (*jr_conf_seen(cf, part, key) == 0
                && jr_conf_unset(cf, key, jr_conf_target(cf, part, e)) != 0)
            {
                return -1;
            }
        }
    }

    cf->elt = 0;
    cf->line = (sec->flags & JR_CONF_NAMED) ? 0 : slot->seen[0].line;

    return sec->finish ? sec->finish(cf, jr_conf_struct(cf, part)) : 0;
}


int
jr_conf_parse(const jr_conf_part_t *parts, size_t nparts, void *root,
    const char *file, const char *text, size_t len, char *err,
    size_t errlen)
{
    int              rc;
    size_t           i;
    jr_conf_t        cf;
    const char      *slash;
    jr_conf_slot_t  *slot;

    memset(&cf, 0, sizeof(cf));
    cf.parts = parts;
    cf.nparts = nparts;
    cf.root = root;
    cf.part = nparts;
    cf.file = file;
    cf.pos = text;
    cf.end = text + len;
    cf.err = err;
    cf.errlen = errlen;

    slash = strrchr(file, '/');
    cf.dirlen = slash ? (size_t) (slash - file) + 1 : 0;

    cf.slots = calloc(nparts, sizeof(jr_conf_slot_t));
    if (cf.slots == NULL) {
        return jr_conf_error(&cf, "out of memory");
    }

    for (i = 0; i < nparts && cf.failed == 0; i++) {
        if (parts[i].section->flags & JR_CONF_NAMED) {
            continue;
        }

        slot = &cf.slots[i];
        slot->seen = calloc(1, sizeof(jr_conf_seen_t));

        if (slot->seen == NULL
            || (slot->seen[0].keys = calloc(jr_conf_nkeys(parts[i].section)
                                            + 1, sizeof(int)))
               == NULL)
        {
            jr_conf_error(&cf, "out of memory");
            break;
        }

        slot->nseen = 1;

        jr_conf_defaults(&cf, parts[i].section, cf.root + parts[i].offset);
    }

    rc = cf.failed ? 0 : ini_parse_stream(jr_conf_read_line, &cf,
                                          jr_conf_handler, &cf);

    /*
     * inih returns the first line it found wrong, ours or a syntax error it
     * kept parsing past.  Since our errors stop the parse, a line before
     * ours can only be a syntax error, and being first it replaces ours.
     */
    if (rc > 0 && (cf.failed == 0 || rc < cf.failed)) {
        cf.failed = 0;
        jr_conf_error_at(&cf, rc, "syntax error (expected \"[section]\", "
                         "\"key = value\" or a comment)");

    } else if (rc < 0 && cf.failed == 0) {
        cf.line = 0;
        jr_conf_error(&cf, "cannot parse (inih error %d)", rc);
    }

    for (i = 0; i < nparts && cf.failed == 0; i++) {
        jr_conf_finish(&cf, i);
    }

    for (i = 0; i < nparts; i++) {
        while (cf.slots[i].nseen) {
            free(cf.slots[i].seen[--cf.slots[i].nseen].keys);
        }

        free(cf.slots[i].seen);
    }

    free(cf.slots);

    return cf.failed ? -1 : 0;
}


/* ---- freeing ----------------------------------------------------------- */

void
jr_conf_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}


static void
jr_conf_release(const jr_conf_key_t *key, char *s)
{
    if (s != NULL && (key->type->flags & JR_CONF_SECRET)) {
        jr_conf_wipe(s, strlen(s));
    }

    free(s);
}


static void
jr_conf_free_keys(const jr_conf_section_t *sec, char *conf)
{
    const jr_conf_key_t  *key;

    for (key = sec->keys; key->name; key++) {
        if (key->type->flags & JR_CONF_HEAP) {
            jr_conf_release(key, *(char **) (conf + key->offset));
            *(char **) (conf + key->offset) = NULL;
        }
    }
}


void
jr_conf_free(const jr_conf_section_t *section, void *conf)
{
    int                   secret;
    char                 *elts, **elt_name;
    size_t                i, n;
    const jr_conf_key_t  *key;

    if (!(section->flags & JR_CONF_NAMED)) {
        jr_conf_free_keys(section, conf);

    } else {
        elts = *(char **) ((char *) conf + section->elts);
        n = *(size_t *) ((char *) conf + section->nelts);
        secret = 0;

        for (key = section->keys; key->name; key++) {
            secret |= (key->type->flags & JR_CONF_SECRET) != 0;
        }

        for (i = 0; i < n; i++) {
            jr_conf_free_keys(section, elts + i * section->elt_size);

            elt_name = (char **) (elts + i * section->elt_size
                                  + section->elt_name);
            free(*elt_name);
        }

        /* a secret that is no string (decoded keys) is in the elements */
        if (secret && n) {
            jr_conf_wipe(elts, n * section->elt_size);
        }

        free(elts);
        *(char **) ((char *) conf + section->elts) = NULL;
        *(size_t *) ((char *) conf + section->nelts) = 0;
    }

    if (section->free) {
        section->free(conf);
    }
}


/* ---- the types --------------------------------------------------------- */

/* Digits only, in base, at most max: no sign, blank or wrap-around. */
static int
jr_conf_digits(const char *value, unsigned base, uint64_t max, uint64_t *n)
{
    uint64_t     v;
    const char  *c;

    v = 0;

    for (c = value; *c; c++) {
        if (*c < '0' || *c >= (char) ('0' + base) || v > max) {
            return -1;
        }

        v = v * base + (uint64_t) (*c - '0');
    }

    if (c == value || v > max) {
        return -1;
    }

    *n = v;

    return 0;
}


int
jr_conf_uint(const char *value, uint64_t min, uint64_t max, uint64_t *n)
{
    return (jr_conf_digits(value, 10, max, n) == 0 && *n >= min) ? 0 : -1;
}


/* An amount: digits and one of units ("" for none), min..max in units of 1. */
static int
jr_conf_amount(const char *value, const jr_conf_unit_t *units, uint64_t min,
    uint64_t max, uint64_t *out)
{
    char                   digits[24];
    size_t                 len;
    uint64_t               n;
    const jr_conf_unit_t  *u;

    len = strlen(value);

    for (u = units; u->letters; u++) {
        if (u->letters[0] == '\0'
            ? len && isdigit((unsigned char) value[len - 1])
            : len && strchr(u->letters, value[len - 1]) != NULL)
        {
            break;
        }
    }

    if (u->letters == NULL) {
        return -1;
    }

    len -= u->letters[0] != '\0';

    if (len >= sizeof(digits)) {
        return -1;
    }

    memcpy(digits, value, len);
    digits[len] = '\0';

    if (jr_conf_digits(digits, 10, max / u->factor, &n) != 0
        || n * u->factor < min)
    {
        return -1;
    }

    *out = n * u->factor;

    return 0;
}


/* n in the largest of units that divides it: "1h", "10m", "5G". */
static const char *
jr_conf_unit(char *buf, size_t size, uint64_t n, const jr_conf_unit_t *u)
{
    while (u->factor > 1 && n % u->factor != 0) {
        u++;
    }

    snprintf(buf, size, "%llu%.1s", (unsigned long long) (n / u->factor),
             u->letters);

    return buf;
}


/* A number into the key's field, an unsigned int or 8 bytes. */
static int
jr_conf_store(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    uint64_t n)
{
    unsigned   u;
    char      *field;

    field = (char *) conf + key->offset;

    if (key->size == sizeof(uint64_t)) {
        memcpy(field, &n, sizeof(n));
        return 0;
    }

    if (key->size == sizeof(unsigned) && n <= UINT_MAX) {
        u = (unsigned) n;
        memcpy(field, &u, sizeof(u));
        return 0;
    }

    return jr_conf_error(cf, "\"%s\" does not fit its field", key->name);
}


/* A string into the key's field: s, malloc'ed, or NULL if that failed. */
static int
jr_conf_store_string(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    char *s)
{
    char  **field;

    if (s == NULL) {
        return jr_conf_error(cf, "out of memory for \"%s\"", key->name);
    }

    field = (char **) ((char *) conf + key->offset);

    jr_conf_release(key, *field);
    *field = s;

    return 0;
}


static int
jr_conf_set_number(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    uint64_t  n;

    if (jr_conf_uint(value, key->min, key->max, &n) != 0) {
        return jr_conf_invalid(cf, key, value, "expected %llu..%llu",
                               (unsigned long long) key->min,
                               (unsigned long long) key->max);
    }

    return jr_conf_store(cf, key, conf, n);
}


static int
jr_conf_set_mode(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    uint64_t  n;

    if (value[0] != '0' || jr_conf_digits(value, 8, 0777, &n) != 0) {
        return jr_conf_invalid(cf, key, value, "expected an octal mode such "
                               "as 0660");
    }

    return jr_conf_store(cf, key, conf, n);
}


static int
jr_conf_set_duration(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    char      max[32];
    uint64_t  n;

    if (jr_conf_amount(value, jr_conf_seconds, 1,
                      key->max ? key->max : JR_CONF_YEARS_10, &n) == 0)
    {
        return jr_conf_store(cf, key, conf, n);
    }

    if (key->max) {
        return jr_conf_invalid(cf, key, value, "expected a duration from 1s "
                               "to %s", jr_conf_unit(max, sizeof(max),
                                                     key->max,
                                                     jr_conf_seconds));
    }

    return jr_conf_invalid(cf, key, value, "expected a duration such as %s",
                           key->data ? (const char *) key->data
                                     : "30s, 10m, 2h or 7d");
}


static int
jr_conf_set_size(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    char      min[32], max[32];
    uint64_t  n;

    if (jr_conf_amount(value, jr_conf_bytes, key->min, key->max, &n) != 0) {
        return jr_conf_invalid(cf, key, value, "expected %s to %s",
                               jr_conf_unit(min, sizeof(min), key->min,
                                            jr_conf_bytes),
                               jr_conf_unit(max, sizeof(max), key->max,
                                            jr_conf_bytes));
    }

    return jr_conf_store(cf, key, conf, n);
}


static int
jr_conf_set_flag(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    if (strcmp(value, "on") == 0) {
        return jr_conf_store(cf, key, conf, 1);
    }

    if (strcmp(value, "off") == 0) {
        return jr_conf_store(cf, key, conf, 0);
    }

    return jr_conf_invalid(cf, key, value, "expected on or off");
}


static int
jr_conf_set_enum(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    char                   list[JR_CONF_MSGLEN];
    size_t                 i, n, len;
    const jr_conf_enum_t  *e;

    for (e = key->data; e->name; e++) {
        if (strcmp(value, e->name) == 0) {
            return jr_conf_store(cf, key, conf, e->value);
        }
    }

    n = e - (const jr_conf_enum_t *) key->data;
    len = 0;

    for (i = 0, e = key->data; e->name; e++) {
        jr_conf_list(list, sizeof(list), &len, e->name, i++, n);
    }

    return jr_conf_invalid(cf, key, value, "expected %s", list);
}


/* "127.0.0.1:9420" or "[::1]:9420", port 1..65535. */
static int
jr_conf_set_listen(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    int                       rc;
    char                      host[64];
    size_t                    len, skip;
    uint64_t                  port;
    const char               *colon;
    struct sockaddr_storage  *ss;

    ss = (struct sockaddr_storage *) ((char *) conf + key->offset);
    colon = strrchr(value, ':');
    rc = -1;

    if (colon != NULL && jr_conf_digits(colon + 1, 10, 65535, &port) == 0
        && port != 0)
    {
        len = colon - value;
        skip = len >= 2 && value[0] == '[' && value[len - 1] == ']';

        if (len > 2 * skip && len - 2 * skip < sizeof(host)) {
            memcpy(host, value + skip, len - 2 * skip);
            host[len - 2 * skip] = '\0';

            rc = skip ? uv_ip6_addr(host, (int) port,
                                    (struct sockaddr_in6 *) ss)
                      : uv_ip4_addr(host, (int) port,
                                    (struct sockaddr_in *) ss);
        }
    }

    if (rc != 0) {
        memset(ss, 0, sizeof(struct sockaddr_storage));
        return jr_conf_invalid(cf, key, value, "expected ADDRESS:PORT, such "
                               "as %s", (const char *) key->data);
    }

    return 0;
}


static int
jr_conf_set_path(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    char    *path;
    size_t   dirlen, len;

    if (key->data && strcmp(value, key->data) == 0) {
        return 0;
    }

    dirlen = value[0] == '/' ? 0 : cf->dirlen;
    len = strlen(value);

    path = malloc(dirlen + len + 1);
    if (path != NULL) {
        memcpy(path, cf->file, dirlen);
        memcpy(path + dirlen, value, len + 1);
    }

    return jr_conf_store_string(cf, key, conf, path);
}


static int
jr_conf_set_string(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    const jr_conf_check_t  *check;

    check = key->data;

    if (check && check->valid(value) != 0) {
        return jr_conf_invalid(cf, key, value, "%s", check->expect);
    }

    return jr_conf_store_string(cf, key, conf, strdup(value));
}


static int
jr_conf_set_schedule(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    const char     *why, *off;
    jr_schedule_t   s;

    off = key->data;

    if (!(off && strcmp(value, off) == 0)
        && jr_schedule_parse(&s, value, &why) != 0)
    {
        return jr_conf_error(cf, "invalid schedule \"%s\" for \"%s\" (%s%s%s)",
                             value, key->name, why, off ? ", or " : "",
                             off ? off : "");
    }

    return jr_conf_store_string(cf, key, conf, strdup(value));
}


const jr_conf_type_t  jr_conf_number = { jr_conf_set_number, 0 };
const jr_conf_type_t  jr_conf_mode = { jr_conf_set_mode, 0 };
const jr_conf_type_t  jr_conf_duration = { jr_conf_set_duration, 0 };
const jr_conf_type_t  jr_conf_size = { jr_conf_set_size, 0 };
const jr_conf_type_t  jr_conf_flag = { jr_conf_set_flag, 0 };
const jr_conf_type_t  jr_conf_enum = { jr_conf_set_enum, 0 };
const jr_conf_type_t  jr_conf_listen = { jr_conf_set_listen, 0 };
const jr_conf_type_t  jr_conf_path = { jr_conf_set_path, JR_CONF_HEAP };
const jr_conf_type_t  jr_conf_string = { jr_conf_set_string, JR_CONF_HEAP };
const jr_conf_type_t  jr_conf_secret = { jr_conf_set_string,
                                         JR_CONF_HEAP | JR_CONF_SECRET };
const jr_conf_type_t  jr_conf_schedule = { jr_conf_set_schedule,
                                           JR_CONF_HEAP };
