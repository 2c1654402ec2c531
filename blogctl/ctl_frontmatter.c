/*
 * The front-matter parser.  It reads a deliberately small subset of YAML:
 * one "key: value" per line, values optionally quoted, no nesting, no
 * continuation lines.  Anything outside that subset is an error with its
 * line number rather than a guess, because a guess would publish the wrong
 * thing.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blog_path.h"
#include "ctl_frontmatter.h"
#include "blog_redirect.h"
#include "blog_tags.h"
#include "ctl_util.h"


enum {
    CTL_KEY_TITLE = 0,
    CTL_KEY_DATE,
    CTL_KEY_TAGS,
    CTL_KEY_DRAFT,
    CTL_KEY_SLUG,
    CTL_KEY_SUMMARY,
    CTL_KEY_TYPE,
    CTL_KEY_DESCRIPTION,
    CTL_KEY_ALIASES,
    CTL_KEY_NEWSLETTER,
    CTL_KEY_AUTHOR,
    CTL_KEY_COVER,
    CTL_KEY_N
};

static const char *const ctl_fm_keys[CTL_KEY_N] = {
    "title", "date", "tags", "draft", "slug", "summary", "type", "description",
    "aliases", "newsletter", "author", "cover"
};

/* a cover's path or URL, in bytes: what a browser takes in a link */
#define CTL_FM_COVER_MAX  2048


typedef struct {
    const char  *p;
    const char  *end;
    unsigned     line;          /* of the line last returned */
} ctl_lines_t;


/* user text quoted in messages is cut, so that the line number stays seen */
#define CTL_FM_SHOW(n)  ((int) ((n) > 60 ? 60 : (n)))

#define ctl_is_blank(c)     ((c) == ' ' || (c) == '\t')
#define ctl_is_digit(c)     ((c) >= '0' && (c) <= '9')
#define ctl_is_key_char(c)  (((c) >= 'a' && (c) <= 'z')                      \
                             || ((c) >= 'A' && (c) <= 'Z')                   \
                             || ctl_is_digit(c) || (c) == '_' || (c) == '-')


static int __attribute__((format(printf, 3, 4)))
ctl_fm_fail(ctl_fm_error_t *err, unsigned line, const char *fmt, ...)
{
    va_list  ap;

    err->line = line;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);

    return CTL_ERROR;
}


/*
 * SQLite stores TEXT as UTF-8 and the pages are served as UTF-8: a file in
 * another encoding is refused where the author can fix it, with a line.
 */
int
ctl_check_text(const char *buf, size_t len, ctl_fm_error_t *err)
{
    size_t          i, k, more;
    unsigned        line;
    unsigned char   c;
    unsigned long   cp;
    const unsigned char  *p;

    p = (const unsigned char *) buf;
    line = 1;

    for (i = 0; i < len; i += more + 1) {
        c = p[i];
        more = 0;

        if (c == '\n') {
            line++;
            continue;
        }

        if (c == '\0') {
            return ctl_fm_fail(err, line, "NUL byte: not a text file");
        }

        if (c < 0x80) {
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            more = 1;
            cp = c & 0x1f;

        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            cp = c & 0x0f;

        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            cp = c & 0x07;

        } else {
            return ctl_fm_fail(err, line, "invalid UTF-8");
        }

        for (k = 1; k <= more; k++) {
            if (i + k >= len || (p[i + k] & 0xc0) != 0x80) {
                return ctl_fm_fail(err, line, "invalid UTF-8");
            }

            cp = (cp << 6) | (p[i + k] & 0x3f);
        }

        /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
        if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
            || (more == 3 && (cp < 0x10000 || cp > 0x10ffff)))
        {
            return ctl_fm_fail(err, line, "invalid UTF-8");
        }
    }

    return CTL_OK;
}


/* The next line without its "\n" or "\r\n"; 0 at the end of the buffer. */
static int
ctl_next_line(ctl_lines_t *ln, const char **s, size_t *n)
{
    const char  *nl;

    if (ln->p >= ln->end) {
        return 0;
    }

    nl = memchr(ln->p, '\n', (size_t) (ln->end - ln->p));

    *s = ln->p;
    *n = (size_t) ((nl != NULL ? nl : ln->end) - ln->p);
    ln->p = (nl != NULL) ? nl + 1 : ln->end;
    ln->line++;

    if (*n > 0 && (*s)[*n - 1] == '\r') {
        (*n)--;
    }

    return 1;
}


static void
ctl_trim(const char **s, size_t *n)
{
    while (*n > 0 && ctl_is_blank((*s)[0])) {
        (*s)++;
        (*n)--;
    }

    while (*n > 0 && ctl_is_blank((*s)[*n - 1])) {
        (*n)--;
    }
}


static int
ctl_is_fence(const char *s, size_t n)
{
    while (n > 0 && ctl_is_blank(s[n - 1])) {
        n--;
    }

    return n == 3 && memcmp(s, "---", 3) == 0;
}


/* Strips matching quotes; CTL_ERROR if a quote opens and does not close. */
static int
ctl_unquote(const char **v, size_t *n)
{
    char  q;

    if (*n == 0 || ((*v)[0] != '"' && (*v)[0] != '\'')) {
        return CTL_OK;
    }

    q = (*v)[0];

    if (*n < 2 || (*v)[*n - 1] != q) {
        return CTL_ERROR;
    }

    (*v)++;
    *n -= 2;

    return CTL_OK;
}


static int
ctl_fm_dup(char **to, const char *s, size_t n, unsigned line,
    ctl_fm_error_t *err)
{
    *to = strndup(s, n);

    if (*to == NULL) {
        return ctl_fm_fail(err, line, "out of memory");
    }

    return CTL_OK;
}


/* Exactly n digits. */
static int
ctl_digits(const char *s, size_t n, int *out)
{
    size_t  i;

    *out = 0;

    for (i = 0; i < n; i++) {
        if (!ctl_is_digit(s[i])) {
            return 0;
        }

        *out = *out * 10 + (s[i] - '0');
    }

    return 1;
}


/* Days since 1970-01-01 of a proleptic Gregorian date, for years >= 1. */
static int64_t
ctl_days_from_civil(int y, int m, int d)
{
    int  era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return (int64_t) era * 146097 + doe - 719468;
}


/*
 * YYYY-MM-DD, optionally followed by 'T' or ' ' and HH:MM[:SS], optionally
 * followed by 'Z' or an offset +HH:MM / -HH:MM.  No zone means UTC: the
 * result must not depend on the machine that imports.
 */
int
ctl_parse_date(const char *s, size_t n, int64_t *t)
{
    int          y, mo, d, h, mi, sec, oh, om, off, mdays;
    const char  *p, *end;

    static const int  days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    h = 0;
    mi = 0;
    sec = 0;
    off = 0;

    if (n < 10
        || !ctl_digits(s, 4, &y) || s[4] != '-'
        || !ctl_digits(s + 5, 2, &mo) || s[7] != '-'
        || !ctl_digits(s + 8, 2, &d))
    {
        return CTL_ERROR;
    }

    p = s + 10;
    end = s + n;

    if (p < end) {
        if ((*p != 'T' && *p != ' ') || end - p < 6
            || !ctl_digits(p + 1, 2, &h) || p[3] != ':'
            || !ctl_digits(p + 4, 2, &mi))
        {
            return CTL_ERROR;
        }

        p += 6;

        if (p < end && *p == ':') {
            if (end - p < 3 || !ctl_digits(p + 1, 2, &sec)) {
                return CTL_ERROR;
            }

            p += 3;
        }

        if (p < end && (*p == 'Z' || *p == 'z')) {
            p++;

        } else if (p < end && (*p == '+' || *p == '-')) {
            if (end - p < 6
                || !ctl_digits(p + 1, 2, &oh) || p[3] != ':'
                || !ctl_digits(p + 4, 2, &om)
                || oh > 23 || om > 59)
            {
                return CTL_ERROR;
            }

            off = (oh * 60 + om) * 60;

            if (*p == '-') {
                off = -off;
            }

            p += 6;
        }

        if (p != end) {
            return CTL_ERROR;
        }
    }

    /* year 0 would need negative eras in ctl_days_from_civil() */
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59
        || sec > 59)
    {
        return CTL_ERROR;
    }

    mdays = days[mo - 1];

    if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        mdays = 29;
    }

    if (d > mdays) {
        return CTL_ERROR;
    }

    *t = ctl_days_from_civil(y, mo, d) * 86400
         + h * 3600 + mi * 60 + sec - off;

    return CTL_OK;
}


/*
 * tags: "a, b" or "[a, b]"; each name may be quoted.  The names are kept as
 * written, joined by ','; the revisions table stores them that way, so a
 * name may not contain ','.  Two names with one slug would be one tag
 * twice, which is an error too.
 */
static int
ctl_fm_tags(ctl_doc_t *doc, const char *v, size_t n, unsigned line,
    ctl_fm_error_t *err)
{
    int          rc;
    char         q, *names, *slugs, *cand;
    size_t       nlen, slen, ilen, sl;
    const char  *p, *end, *item, *close, *sep;

    if (n > 0 && v[0] == '[') {
        if (v[n - 1] != ']') {
            return ctl_fm_fail(err, line, "tags: '[' without ']'");
        }

        v++;
        n -= 2;
        ctl_trim(&v, &n);
    }

    if (n == 0) {
        return ctl_fm_dup(&doc->tags, "", 0, line, err);
    }

    /*
     * The joined names are never longer than the value; the slugs, joined
     * as ",a,b,", never longer than the value plus the two outer commas.
     */
    names = malloc(n + 1);
    slugs = malloc(n + 3);
    cand = malloc(n + 3);

    if (names == NULL || slugs == NULL || cand == NULL) {
        rc = ctl_fm_fail(err, line, "out of memory");
        goto done;
    }

    names[0] = '\0';
    nlen = 0;
    slugs[0] = ',';
    slugs[1] = '\0';
    slen = 1;

    p = v;
    end = v + n;

    for ( ;; ) {
        while (p < end && ctl_is_blank(*p)) {
            p++;
        }

        if (p < end && (*p == '"' || *p == '\'')) {
            q = *p;
            close = memchr(p + 1, q, (size_t) (end - p - 1));

            if (close == NULL) {
                rc = ctl_fm_fail(err, line, "tags: unterminated quoted tag");
                goto done;
            }

            item = p + 1;
            ilen = (size_t) (close - item);

            for (p = close + 1; p < end && ctl_is_blank(*p); p++) {
                /* void */
            }

            if (p < end && *p != ',') {
                rc = ctl_fm_fail(err, line,
                                 "tags: text after a quoted tag");
                goto done;
            }

        } else {
            sep = memchr(p, ',', (size_t) (end - p));
            item = p;
            p = (sep != NULL) ? sep : end;
            ilen = (size_t) (p - item);
            ctl_trim(&item, &ilen);
        }

        if (ilen == 0) {
            rc = ctl_fm_fail(err, line, "tags: empty tag");
            goto done;
        }

        if (memchr(item, ',', ilen) != NULL) {
            rc = ctl_fm_fail(err, line, "tags: a tag name cannot contain ','");
            goto done;
        }

        sl = blog_tag_slug(item, ilen, cand + 1);

        if (sl == 0) {
            rc = ctl_fm_fail(err, line,
                             "tags: \"%.*s\" has no letter or digit",
                             CTL_FM_SHOW(ilen), item);
            goto done;
        }

        cand[0] = ',';
        cand[sl + 1] = ',';
        cand[sl + 2] = '\0';

        if (strstr(slugs, cand) != NULL) {
            rc = ctl_fm_fail(err, line, "tags: duplicate tag \"%.*s\"",
                             CTL_FM_SHOW(ilen), item);
            goto done;
        }

        memcpy(slugs + slen, cand + 1, sl + 2);
        slen += sl + 1;

        if (nlen > 0) {
            names[nlen++] = ',';
        }

        memcpy(names + nlen, item, ilen);
        nlen += ilen;
        names[nlen] = '\0';

        if (p >= end) {
            break;
        }

        p++;                                     /* the ',' */
    }

    doc->tags = names;
    names = NULL;
    rc = CTL_OK;

done:

    free(names);
    free(slugs);
    free(cand);

    return rc;
}


/*
 * aliases: "/a, /b" or "[/a, '/b/']", URL paths from the site's root that
 * lead to the post (Hugo's and Jekyll's key).  Kept as redirect keys
 * (blog_redirect.h), each followed by '\n'; a path may not contain ','
 * (percent-encode it).
 */
static int
ctl_fm_aliases(ctl_doc_t *doc, const char *v, size_t n, unsigned line,
    ctl_fm_error_t *err)
{
    char        *out;
    size_t       len, ilen, k;
    const char  *p, *end, *item, *sep, *why;

    if (n > 0 && v[0] == '[') {
        if (v[n - 1] != ']') {
            return ctl_fm_fail(err, line, "aliases: '[' without ']'");
        }

        v++;
        n -= 2;
        ctl_trim(&v, &n);
    }

    /* each key is no longer than its item, and its '\n' takes the ',' */
    out = malloc(n + 2);
    if (out == NULL) {
        return ctl_fm_fail(err, line, "out of memory");
    }

    len = 0;
    p = v;
    end = v + n;

    while (p < end) {
        sep = memchr(p, ',', (size_t) (end - p));
        item = p;
        ilen = (size_t) ((sep != NULL ? sep : end) - p);
        p = (sep != NULL) ? sep + 1 : end;

        ctl_trim(&item, &ilen);

        if (ctl_unquote(&item, &ilen) != CTL_OK) {
            free(out);
            return ctl_fm_fail(err, line, "aliases: unterminated quoted "
                               "path");
        }

        k = blog_redirect_from(item, ilen, out + len, &why);
        if (k == 0) {
            free(out);
            return ctl_fm_fail(err, line, "aliases: \"%.*s\" %s",
                               CTL_FM_SHOW(ilen), item, why);
        }

        len += k;
        out[len++] = '\n';
    }

    out[len] = '\0';

    free(doc->aliases);
    doc->aliases = out;

    return CTL_OK;
}


/*
 * cover: the image that heads the post, as a Ghost post's feature image
 * does (ctl_ghost_body.c): it is written into the Markdown as the first
 * image, so the page shows it and link previews take it (og:image is a
 * post's first image, docs/previews.md).  A path from the site's root
 * ("/media/x.png", which --uploads copies as any image) or a URL, in the
 * characters a Markdown link takes as they are.
 */
static int
ctl_fm_cover(ctl_doc_t *doc, const char *v, size_t n, unsigned line,
    ctl_fm_error_t *err)
{
    size_t  i;

    if (n == 0 || n > CTL_FM_COVER_MAX) {
        return ctl_fm_fail(err, line, "cover must be an image's path or URL, "
                           "of 1 to %d bytes", CTL_FM_COVER_MAX);
    }

    for (i = 0; i < n; i++) {
        if ((unsigned char) v[i] <= ' ' || v[i] == 0x7f
            || strchr("<>()[]\"'\\`", v[i]) != NULL)
        {
            return ctl_fm_fail(err, line, "cover \"%.*s\": no spaces, quotes, "
                               "brackets or backslashes in an image's path "
                               "(percent-encode them)", CTL_FM_SHOW(n), v);
        }
    }

    return ctl_fm_dup(&doc->cover, v, n, line, err);
}


/* The cover, as an image of its own paragraph, before the body. */
static int
ctl_fm_cover_body(ctl_doc_t *doc, ctl_fm_error_t *err)
{
    char    *body;
    size_t   n;

    n = sizeof("![](") - 1 + strlen(doc->cover) + sizeof(")\n\n") - 1
        + strlen(doc->body) + 1;

    body = malloc(n);
    if (body == NULL) {
        return ctl_fm_fail(err, 1, "out of memory");
    }

    snprintf(body, n, "![](%s)\n\n%s", doc->cover, doc->body);

    free(doc->body);
    doc->body = body;

    return CTL_OK;
}


static int
ctl_fm_value(ctl_doc_t *doc, int key, const char *v, size_t n, unsigned line,
    ctl_fm_error_t *err)
{
    if (key == CTL_KEY_TAGS) {
        return ctl_fm_tags(doc, v, n, line, err);
    }

    if (key == CTL_KEY_ALIASES) {
        return ctl_fm_aliases(doc, v, n, line, err);
    }

    if (ctl_unquote(&v, &n) != CTL_OK) {
        return ctl_fm_fail(err, line, "%s: unterminated quoted value",
                           ctl_fm_keys[key]);
    }

    switch (key) {

    case CTL_KEY_TITLE:
        if (n == 0) {
            return ctl_fm_fail(err, line, "empty title");
        }

        return ctl_fm_dup(&doc->title, v, n, line, err);

    case CTL_KEY_SUMMARY:
        return ctl_fm_dup(&doc->summary, v, n, line, err);

    case CTL_KEY_AUTHOR:
        return ctl_fm_dup(&doc->author, v, n, line, err);

    case CTL_KEY_COVER:
        return ctl_fm_cover(doc, v, n, line, err);

    case CTL_KEY_SLUG:
        if (!blog_slug_valid(v, n)) {
            return ctl_fm_fail(err, line, "invalid slug \"%.*s\": use a-z, "
                               "0-9 and '-', not '-' first, at most %d",
                               CTL_FM_SHOW(n), v, BLOG_SLUG_MAX);
        }

        doc->slug_line = line;
        return ctl_fm_dup(&doc->slug, v, n, line, err);

    case CTL_KEY_DATE:
        if (ctl_parse_date(v, n, &doc->date) != CTL_OK) {
            return ctl_fm_fail(err, line, "invalid date \"%.*s\": use "
                               "YYYY-MM-DD, YYYY-MM-DD HH:MM or "
                               "YYYY-MM-DDTHH:MM:SSZ",
                               CTL_FM_SHOW(n), v);
        }

        doc->has_date = 1;
        return CTL_OK;

    case CTL_KEY_DRAFT:
    case CTL_KEY_NEWSLETTER:
        if ((n == 4 && strncasecmp(v, "true", 4) == 0)
            || (n == 3 && strncasecmp(v, "yes", 3) == 0))
        {
            *(key == CTL_KEY_DRAFT ? &doc->draft : &doc->newsletter) = 1;
            return CTL_OK;
        }

        if ((n == 5 && strncasecmp(v, "false", 5) == 0)
            || (n == 2 && strncasecmp(v, "no", 2) == 0))
        {
            *(key == CTL_KEY_DRAFT ? &doc->draft : &doc->newsletter) =
                (key == CTL_KEY_DRAFT) ? 0 : -1;
            return CTL_OK;
        }

        return ctl_fm_fail(err, line, "%s must be true, false, yes or no",
                           ctl_fm_keys[key]);

    default: /* CTL_KEY_TYPE */
        if (n == 4 && memcmp(v, "post", 4) == 0) {
            doc->type = "post";
            return CTL_OK;
        }

        if (n == 4 && memcmp(v, "page", 4) == 0) {
            doc->type = "page";
            return CTL_OK;
        }

        return ctl_fm_fail(err, line, "type must be post or page");
    }
}


static int
ctl_fm_line(ctl_doc_t *doc, const char *s, size_t n, unsigned line,
    unsigned *seen, ctl_fm_error_t *err)
{
    int          key;
    size_t       k, vn;
    const char  *v;

    while (n > 0 && ctl_is_blank(s[n - 1])) {
        n--;
    }

    if (n == 0 || s[0] == '#') {
        return CTL_OK;                      /* blank line or comment */
    }

    for (k = 0; k < n && ctl_is_key_char(s[k]); k++) {
        /* void */
    }

    /* indentation, lists and "key :" are YAML this parser does not read */
    if (k == 0 || k == n || s[k] != ':') {
        return ctl_fm_fail(err, line, "expected \"key: value\"");
    }

    for (key = 0; key < CTL_KEY_N; key++) {
        if (strlen(ctl_fm_keys[key]) == k
            && memcmp(ctl_fm_keys[key], s, k) == 0)
        {
            break;
        }
    }

    if (key == CTL_KEY_N) {
        return ctl_fm_fail(err, line, "unknown key \"%.*s\"",
                           CTL_FM_SHOW(k), s);
    }

    /* the word of link previews and search engines for the summary */
    if (key == CTL_KEY_DESCRIPTION) {
        key = CTL_KEY_SUMMARY;
    }

    if (*seen & (1u << key)) {
        return ctl_fm_fail(err, line, "duplicate key \"%s\"%s",
                           ctl_fm_keys[key],
                           key == CTL_KEY_SUMMARY
                           ? " (\"description\" is another name for it)" : "");
    }

    *seen |= 1u << key;

    v = s + k + 1;
    vn = n - k - 1;
    ctl_trim(&v, &vn);

    return ctl_fm_value(doc, key, v, vn, line, err);
}


/* The file name without directory and ".md", lowercased. */
static int
ctl_fm_default_slug(ctl_doc_t *doc, const char *name, ctl_fm_error_t *err)
{
    char        *slug;
    size_t       i, n;
    const char  *base;

    base = strrchr(name, '/');
    base = (base != NULL) ? base + 1 : name;
    n = strlen(base);

    if (n > 3 && memcmp(base + n - 3, ".md", 3) == 0) {
        n -= 3;
    }

    slug = malloc(n + 1);
    if (slug == NULL) {
        return ctl_fm_fail(err, 1, "out of memory");
    }

    for (i = 0; i < n; i++) {
        slug[i] = (base[i] >= 'A' && base[i] <= 'Z')
                  ? (char) (base[i] - 'A' + 'a') : base[i];
    }

    slug[n] = '\0';

    if (!blog_slug_valid(slug, n)) {
        ctl_fm_fail(err, 1, "the file name gives the invalid slug \"%.*s\": "
                    "rename the file or set slug", CTL_FM_SHOW(n), slug);
        free(slug);
        return CTL_ERROR;
    }

    doc->slug = slug;

    return CTL_OK;
}


int
ctl_frontmatter_parse(const char *buf, size_t len, const char *name,
    ctl_doc_t *doc, ctl_fm_error_t *err)
{
    size_t        n;
    unsigned      seen;
    const char   *s, *body;
    ctl_lines_t   ln;

    memset(doc, 0, sizeof(ctl_doc_t));
    doc->type = "post";
    doc->slug_line = 1;

    if (ctl_check_text(buf, len, err) != CTL_OK) {
        return CTL_ERROR;
    }

    ln.p = buf;
    ln.end = buf + len;
    ln.line = 0;

    /* some editors start UTF-8 files with a byte order mark */
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
        ln.p += 3;
    }

    body = ln.p;
    seen = 0;

    if (ctl_next_line(&ln, &s, &n) && ctl_is_fence(s, n)) {

        for ( ;; ) {
            if (!ctl_next_line(&ln, &s, &n)) {
                ctl_fm_fail(err, 1, "front matter not closed by a \"---\" "
                            "line");
                goto failed;
            }

            if (ctl_is_fence(s, n)) {
                break;
            }

            if (ctl_fm_line(doc, s, n, ln.line, &seen, err) != CTL_OK) {
                goto failed;
            }
        }

        body = ln.p;
    }

    if (doc->title == NULL) {
        ctl_fm_fail(err, 1, "missing title");
        goto failed;
    }

    if (doc->slug == NULL && ctl_fm_default_slug(doc, name, err) != CTL_OK) {
        goto failed;
    }

    /* a post is listed by date; a page is not, so it may go without one */
    if (!doc->draft && !doc->has_date && strcmp(doc->type, "post") == 0) {
        ctl_fm_fail(err, 1, "missing date: a published post needs one");
        goto failed;
    }

    if (doc->tags == NULL
        && ctl_fm_dup(&doc->tags, "", 0, 1, err) != CTL_OK)
    {
        goto failed;
    }

    if (doc->aliases == NULL
        && ctl_fm_dup(&doc->aliases, "", 0, 1, err) != CTL_OK)
    {
        goto failed;
    }

    if (ctl_fm_dup(&doc->body, body, (size_t) (buf + len - body), ln.line,
                   err) != CTL_OK)
    {
        goto failed;
    }

    if (doc->cover != NULL && ctl_fm_cover_body(doc, err) != CTL_OK) {
        goto failed;
    }

    return CTL_OK;

failed:

    ctl_doc_free(doc);
    return CTL_ERROR;
}


void
ctl_doc_free(ctl_doc_t *doc)
{
    free(doc->title);
    free(doc->slug);
    free(doc->summary);
    free(doc->tags);
    free(doc->body);
    free(doc->aliases);
    free(doc->author);
    free(doc->cover);

    doc->aliases = NULL;
    doc->author = NULL;
    doc->cover = NULL;
    doc->title = NULL;
    doc->slug = NULL;
    doc->summary = NULL;
    doc->tags = NULL;
    doc->body = NULL;
}
