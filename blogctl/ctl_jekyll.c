/*
 * blogctl import jekyll DIR: a Jekyll site's posts (_posts/, at any depth:
 * blog/_posts/ gives its posts the category "blog"), drafts (_drafts/) and
 * pages (*.md, *.markdown and *.html with front matter, outside the
 * folders Jekyll does not publish: "_name" and ".name").  Front matter is
 * YAML, read by the reader Hugo's importer uses (ctl_kv.h).
 *
 * A post is _posts/YYYY-MM-DD-TITLE.EXT: its date and slug come from the
 * name unless the front matter says otherwise.  Keys read: title (default:
 * TITLE with its words capitalised, as Jekyll does), date, slug,
 * categories, category, tags and tag (all as tags; a string is split at
 * blanks, as Jekyll does), excerpt or description (the summary), author,
 * published (false: a draft), permalink and redirect_from (the plugin's
 * old URLs).  The post's URL on the Jekyll site becomes an alias: its
 * permalink, or the site's (_config.yml's permalink or
 * collections.posts.permalink, default "date") expanded as Jekyll does.
 * A date without a zone is in the site's timezone (_config.yml's).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_html2md.h"
#include "ctl_import.h"
#include "ctl_kv.h"
#include "ctl_util.h"
#include "ctl_walk.h"
#include "blog_markdown.h"
#include "blog_path.h"
#include "blog_tags.h"


#define CTL_JEKYLL_SKIP  1


/* Where a file is in the site, and what its URL is made of. */
typedef struct {
    const char  *permalink;     /* the site's pattern */
    const char  *tz;            /* the site's timezone, or NULL: UTC */
    char        *cats;          /* the URL's categories: "a/b" */
    const char  *path;          /* a page's folder: "docs/a" */
    char         title[256];    /* :title, as in the file's name */
    char         date[11];      /* YYYY-MM-DD as written, or "" */
    char         time[9];       /* HH:MM:SS as written, or "" */
    char         ext[16];       /* :output_ext */
    int          post;
    int          index;         /* a page that is its folder's index */
} ctl_jekyll_url_t;


/* Jekyll's names for permalink styles */
static const struct {
    const char  *name;
    const char  *pattern;
} ctl_jekyll_styles[] = {
    { "date",    "/:categories/:year/:month/:day/:title:output_ext" },
    { "pretty",  "/:categories/:year/:month/:day/:title/" },
    { "ordinal", "/:categories/:year/:y_day/:title:output_ext" },
    { "none",    "/:categories/:title:output_ext" },
    { NULL, NULL }
};


static int
ctl_jekyll_want(const char *name, size_t len, int is_dir)
{
    if (name[0] == '.') {
        return 0;
    }

    if (is_dir) {
        return name[0] != '_' || strcmp(name, "_posts") == 0
               || strcmp(name, "_drafts") == 0;
    }

    return name[0] != '_'
           && ((len > 3 && strcmp(name + len - 3, ".md") == 0)
               || (len > 9 && strcmp(name + len - 9, ".markdown") == 0)
               || (len > 5 && strcmp(name + len - 5, ".html") == 0));
}


/* A permalink pattern, or one of Jekyll's style names. */
static const char *
ctl_jekyll_pattern(const char *p)
{
    size_t  i;

    for (i = 0; ctl_jekyll_styles[i].name != NULL; i++) {
        if (strcmp(p, ctl_jekyll_styles[i].name) == 0) {
            return ctl_jekyll_styles[i].pattern;
        }
    }

    return p;
}


/* The day of the year, 001 to 366, of YYYY-MM-DD. */
static void
ctl_jekyll_yday(const char *date, char out[8])
{
    int         y, m, d, i, days;
    static const int  mdays[] = { 31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31 };

    y = atoi(date);
    m = atoi(date + 5);
    d = atoi(date + 8);

    days = d;
    for (i = 1; i < m && i <= 12; i++) {
        days += mdays[i - 1]
                + (i == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    }

    snprintf(out, 8, "%03d", days % 1000);
}


/*
 * Expands a permalink pattern as Jekyll does (its placeholders for
 * posts and pages), then folds runs of '/'.  Unknown placeholders stay as
 * written.  NULL when out of memory.
 */
static char *
ctl_jekyll_expand(const char *pattern, const ctl_jekyll_url_t *u)
{
    char        *out, *o, yday[8];
    size_t       size, n;
    const char  *p, *name, *v;

    size = strlen(pattern) * 8 + strlen(u->cats) + strlen(u->path)
           + sizeof(u->title) + 64;
    out = malloc(size);
    if (out == NULL) {
        return NULL;
    }

    o = out;

    for (p = pattern; *p && (size_t) (o - out) < size - sizeof(u->title)
                             - strlen(u->cats) - strlen(u->path) - 16;
         /* void */)
    {
        if (*p != ':') {
            if (*p != '/' || o == out || o[-1] != '/') {
                *o++ = *p;
            }
            p++;
            continue;
        }

        name = ++p;
        while ((*p >= 'a' && *p <= 'z') || *p == '_') {
            p++;
        }

        n = (size_t) (p - name);
        v = NULL;

#define CTL_IS(s)  (n == sizeof(s) - 1 && strncmp(name, s, n) == 0)

        if (CTL_IS("year") && u->date[0]) {
            o += sprintf(o, "%.4s", u->date);

        } else if (CTL_IS("short_year") && u->date[0]) {
            o += sprintf(o, "%.2s", u->date + 2);

        } else if (CTL_IS("month") && u->date[0]) {
            o += sprintf(o, "%.2s", u->date + 5);

        } else if (CTL_IS("i_month") && u->date[0]) {
            o += sprintf(o, "%d", atoi(u->date + 5));

        } else if (CTL_IS("day") && u->date[0]) {
            o += sprintf(o, "%.2s", u->date + 8);

        } else if (CTL_IS("i_day") && u->date[0]) {
            o += sprintf(o, "%d", atoi(u->date + 8));

        } else if (CTL_IS("y_day") && u->date[0]) {
            ctl_jekyll_yday(u->date, yday);
            v = yday;

        } else if (CTL_IS("hour") && u->time[0]) {
            o += sprintf(o, "%.2s", u->time);

        } else if (CTL_IS("minute") && u->time[0]) {
            o += sprintf(o, "%.2s", u->time + 3);

        } else if (CTL_IS("second") && u->time[0]) {
            o += sprintf(o, "%.2s", u->time + 6);

        } else if (CTL_IS("title") || CTL_IS("basename")) {
            v = u->title;

        } else if (CTL_IS("slug")) {
            for (v = u->title; *v; v++) {
                *o++ = (*v >= 'A' && *v <= 'Z') ? *v + 'a' - 'A' : *v;
            }
            v = NULL;

        } else if (CTL_IS("categories")) {
            v = u->cats;

        } else if (CTL_IS("path")) {
            v = u->path;

        } else if (CTL_IS("output_ext")) {
            v = u->ext;

        } else {
            *o++ = ':';
            memcpy(o, name, n);
            o += n;
        }

#undef CTL_IS

        if (v != NULL) {
            o = stpcpy(o, v);
        }
    }

    *o = '\0';

    return out;
}


/*
 * A time written without a zone, *t read as UTC, made the time it is in
 * the site's timezone (_config.yml's "timezone", a name of the tz
 * database), as Jekyll reads it.
 */
static int
ctl_jekyll_local(const char *tz, int64_t *t)
{
    int         rc;
    char       *old;
    time_t      naive, real;
    struct tm   tm;

    old = getenv("TZ");
    old = old ? strdup(old) : NULL;

    naive = (time_t) *t;
    gmtime_r(&naive, &tm);
    tm.tm_isdst = -1;

    rc = setenv("TZ", tz, 1);
    tzset();
    real = mktime(&tm);

    if (old != NULL) {
        rc |= setenv("TZ", old, 1);

    } else {
        rc |= unsetenv("TZ");
    }

    tzset();
    free(old);

    if (rc != 0 || real == (time_t) -1) {
        return CTL_ERROR;
    }

    *t = (int64_t) real;

    return CTL_OK;
}


/*
 * Jekyll's "2014-01-12 10:00:00 +0100" as ctl_parse_date reads it; words
 * between the time and the zone are ignored, as Ruby's Time.parse ignores
 * them (Jekyll's own news has "2023-01-29 18:30:22 2023 -0800"); without
 * a zone, the site's timezone if it has one, else UTC.
 */
static int
ctl_jekyll_date(const char *s, const char *tz, int64_t *t)
{
    char         buf[32];
    size_t       n, dt;
    const char  *zone;

    n = strlen(s);

    if (ctl_parse_date(s, n, t) == CTL_OK) {
        zone = s + n - (n >= 6 ? 6 : n);

        if (tz == NULL || (n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
            || (n >= 16 && (zone[0] == '+' || zone[0] == '-')
                && zone[3] == ':'))
        {
            return CTL_OK;
        }

        return ctl_jekyll_local(tz, t);
    }

    /* "DATE TIME [WORDS] ZONE": the zone +HHMM or +HH:MM, last */
    zone = strrchr(s, ' ');
    dt = (n > 16 && s[16] == ':') ? 19 : 16;

    if (n < 16 || zone == NULL || zone < s + dt
        || (zone[1] != '+' && zone[1] != '-')
        || !((strlen(zone) == 6 && strspn(zone + 2, "0123456789") == 4)
             || (strlen(zone) == 7 && strspn(zone + 2, "0123456789") == 2
                 && zone[4] == ':' && strspn(zone + 5, "0123456789") == 2)))
    {
        return CTL_ERROR;
    }

    n = (size_t) snprintf(buf, sizeof(buf), "%.*s%.3s:%.2s", (int) dt, s,
                          zone + 1, zone + (strlen(zone) == 6 ? 4 : 5));

    return ctl_parse_date(buf, n, t);
}


/*
 * The Markdown of a Jekyll body: the Liquid tags blogs use most made
 * Markdown ({% highlight LANG %} ... {% endhighlight %} a fenced block;
 * {% raw %} and {% endraw %} gone, what is between them kept as written);
 * other Liquid stays as text.
 */
static char *
ctl_jekyll_liquid(const char *body, size_t len)
{
    int          raw;
    char        *out, *o;
    size_t       n;
    const char  *p, *end, *close, *w;

    out = malloc(len * 2 + 1);
    if (out == NULL) {
        return NULL;
    }

    o = out;
    end = body + len;
    raw = 0;

    for (p = body; p < end; /* void */) {
        if (end - p < 2 || p[0] != '{' || p[1] != '%') {
            *o++ = *p++;
            continue;
        }

        close = memmem(p, (size_t) (end - p), "%}", 2);
        if (close == NULL) {
            *o++ = *p++;
            continue;
        }

        for (w = p + 2; w < close && (*w == ' ' || *w == '-'); w++) {
            /* void */
        }

        n = (size_t) (close - w);

        if (n >= 6 && strncmp(w, "endraw", 6) == 0) {
            raw = 0;

        } else if (raw) {
            memcpy(o, p, (size_t) (close + 2 - p));
            o += close + 2 - p;

        } else if (n >= 3 && strncmp(w, "raw", 3) == 0
                   && (w[3] == ' ' || w[3] == '-' || w[3] == '%'))
        {
            raw = 1;

        } else if (n >= 9 && strncmp(w, "highlight", 9) == 0
            && (w[9] == ' ' || w[9] == '\t'))
        {
            /* "```LANG", the options (linenos) left */
            o = stpcpy(o, (o == out || o[-1] == '\n') ? "```" : "\n```");
            for (w += 10; w < close && *w == ' '; w++) {
                /* void */
            }
            while (w < close && *w != ' ' && *w != '-' && *w != '%') {
                *o++ = *w++;
            }

        } else if (n >= 12 && strncmp(w, "endhighlight", 12) == 0) {
            o = stpcpy(o, (o == out || o[-1] == '\n') ? "```" : "\n```");

        } else {
            memcpy(o, p, (size_t) (close + 2 - p));
            o += close + 2 - p;
        }

        p = close + 2;
    }

    *o = '\0';

    return out;
}


/*
 * A key's values into v[] (room for CTL_KV_MAXV): a list's, or a string's
 * words, as Jekyll splits "categories: a b".
 */
static size_t
ctl_jekyll_words(ctl_kv_t *kv, char **v, size_t n)
{
    size_t  i;
    char   *p, *save;

    for (i = 0; kv != NULL && i < kv->nv && n < CTL_KV_MAXV; i++) {
        if (kv->list) {
            v[n++] = kv->v[i];
            continue;
        }

        for (p = strtok_r(kv->v[i], " \t", &save);
             p != NULL && n < CTL_KV_MAXV;
             p = strtok_r(NULL, " \t", &save))
        {
            v[n++] = p;
        }
    }

    return n;
}


/*
 * Categories (the folders above _posts, then category and categories)
 * and tags: the post's tags, and the URL's categories, lowercased and
 * joined by '/', as Jekyll's :categories.
 */
static int
ctl_jekyll_tags(ctl_kvs_t *fm, char *dirs, ctl_doc_t *doc,
    ctl_jekyll_url_t *u)
{
    char      *v[CTL_KV_MAXV], *p, *save, *o;
    size_t     n, ncats, i, size;

    n = 0;

    for (p = u->post ? strtok_r(dirs, "/", &save) : NULL;
         p != NULL && n < CTL_KV_MAXV;
         p = strtok_r(NULL, "/", &save))
    {
        v[n++] = p;
    }

    n = ctl_jekyll_words(ctl_kvs_get(fm, "category"), v, n);
    n = ctl_jekyll_words(ctl_kvs_get(fm, "categories"), v, n);
    ncats = n;

    size = 1;
    for (i = 0; i < ncats; i++) {
        size += strlen(v[i]) + 1;
    }

    u->cats = malloc(size);
    if (u->cats == NULL) {
        return CTL_ERROR;
    }

    o = u->cats;
    *o = '\0';

    for (i = 0; i < ncats; i++) {
        o += sprintf(o, "%s%s", i ? "/" : "", v[i]);
    }

    for (p = u->cats; *p; p++) {
        *p = (*p >= 'A' && *p <= 'Z') ? *p + 'a' - 'A' : *p;
    }

    n = ctl_jekyll_words(ctl_kvs_get(fm, "tag"), v, n);
    n = ctl_jekyll_words(ctl_kvs_get(fm, "tags"), v, n);

    doc->tags = ctl_tags_join((const char *const *) v, n);

    return doc->tags != NULL ? CTL_OK : CTL_ERROR;
}


/* TITLE's words capitalised, "-" a blank: Jekyll's title of a post. */
static char *
ctl_jekyll_titleize(const char *slug)
{
    char    *t;
    size_t   i;

    t = strdup(slug);

    for (i = 0; t != NULL && t[i]; i++) {
        if (t[i] == '-') {
            t[i] = ' ';

        } else if ((i == 0 || t[i - 1] == ' ') && t[i] >= 'a' && t[i] <= 'z') {
            t[i] -= 'a' - 'A';
        }
    }

    return t;
}


/*
 * Where the file is: a post (_posts/YYYY-MM-DD-TITLE.EXT, the folders
 * above _posts its categories), a draft (_drafts/TITLE.EXT) or a page;
 * CTL_JEKYLL_SKIP with *why when it is none.
 */
static int
ctl_jekyll_place(const char *rel, ctl_jekyll_url_t *u, char **dirs,
    int *draft, const char **why)
{
    char        *base, *dot, *posts;
    const char  *b;
    size_t       n;

    b = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;

    *dirs = strdup(rel);
    base = strdup(b);
    if (*dirs == NULL || base == NULL) {
        free(base);
        return CTL_ERROR;
    }

    dot = strrchr(base, '.');
    *dot = '\0';
    strcpy(u->ext, ".html");

    posts = strstr(*dirs, "_posts/");
    if (posts == NULL) {
        posts = strstr(*dirs, "_drafts/");
        *draft = (posts != NULL);
    }

    if (posts != NULL && (posts == *dirs || posts[-1] == '/')) {
        u->post = 1;
        *posts = '\0';

        if (!*draft) {
            /* YYYY-MM-DD-: Jekyll reads nothing else as a post */
            if (strlen(base) < 12 || base[4] != '-' || base[7] != '-'
                || base[10] != '-'
                || strspn(base, "0123456789") != 4
                || strspn(base + 5, "0123456789") != 2
                || strspn(base + 8, "0123456789") != 2)
            {
                *why = "a post not named YYYY-MM-DD-TITLE";
                free(base);
                return CTL_JEKYLL_SKIP;
            }

            memcpy(u->date, base, 10);
            u->date[10] = '\0';
            memmove(base, base + 11, strlen(base + 11) + 1);
        }

    } else {
        /* a page: its folder is its :path, an index.* its folder's */
        n = (size_t) (b - rel);
        (*dirs)[n > 0 ? n - 1 : 0] = '\0';

        u->path = *dirs;

        if (strcmp(base, "index") == 0) {
            if (n == 0) {
                *why = "the site's home page, not content";
                free(base);
                return CTL_JEKYLL_SKIP;
            }

            free(base);
            b = strrchr(*dirs, '/') ? strrchr(*dirs, '/') + 1 : *dirs;
            base = strdup(b);
            if (base == NULL) {
                return CTL_ERROR;
            }

            u->index = 1;
        }
    }

    snprintf(u->title, sizeof(u->title), "%s", base);
    free(base);

    return CTL_OK;
}


/* The front matter into f->doc. */
static int
ctl_jekyll_doc(ctl_file_t *f, ctl_kvs_t *fm, ctl_jekyll_url_t *u,
    char *dirs, int draft)
{
    char       *url;
    size_t      i, n;
    ctl_kv_t   *kv;
    ctl_doc_t  *doc = &f->doc;

    doc->type = u->post ? "post" : "page";
    doc->draft = draft;

    kv = ctl_kvs_get(fm, "published");
    if (kv != NULL && strcmp(kv->v[0], "false") == 0) {
        doc->draft = 1;
    }

    kv = ctl_kvs_get(fm, "title");
    doc->title = (kv != NULL && kv->v[0][0]) ? strdup(kv->v[0])
                                             : ctl_jekyll_titleize(u->title);

    kv = ctl_kvs_get(fm, "date");
    if (kv != NULL) {
        if (ctl_jekyll_date(kv->v[0], u->tz, &doc->date) != CTL_OK) {
            ctl_error("%s:%u: date: invalid date \"%.40s\"", f->path,
                      kv->line, kv->v[0]);
            return CTL_ERROR;
        }

        /* the URL's date is the one written, as the site showed it */
        snprintf(u->date, sizeof(u->date), "%.10s", kv->v[0]);
        if (strlen(kv->v[0]) >= 19) {
            snprintf(u->time, sizeof(u->time), "%.8s", kv->v[0] + 11);
        }

        doc->has_date = 1;

    } else if (u->date[0]) {
        doc->has_date = (ctl_jekyll_date(u->date, u->tz, &doc->date)
                         == CTL_OK);

        if (!doc->has_date) {
            ctl_error("%s:1: the file name's date \"%s\" is no date",
                      f->path, u->date);
            return CTL_ERROR;
        }
    }

    kv = ctl_kvs_get(fm, "slug");
    if (kv != NULL) {
        snprintf(u->title, sizeof(u->title), "%s", kv->v[0]);
    }

    /* "jekyll-3.0-released" is "jekyll-3-0-released", as a tag's slug */
    doc->slug = malloc(strlen(u->title) + 1);
    doc->slug_line = kv ? kv->line : 1;

    if (doc->slug != NULL
        && (blog_tag_slug(u->title, strlen(u->title), doc->slug) == 0
            || !blog_slug_valid(doc->slug, strlen(doc->slug))))
    {
        ctl_error("%s:%u: \"%.60s\" gives no slug (a-z, 0-9 and '-'): "
                  "rename the file or set slug", f->path, doc->slug_line,
                  u->title);
        return CTL_ERROR;
    }

    kv = ctl_kvs_get(fm, "excerpt");
    kv = kv ? kv : ctl_kvs_get(fm, "description");
    if (kv != NULL) {
        doc->summary = strdup(kv->v[0]);
    }

    kv = ctl_kvs_get(fm, "author");
    if (kv != NULL && kv->v[0][0]) {
        doc->author = strdup(kv->v[0]);
    }

    doc->aliases = strdup("");

    if (doc->title == NULL || doc->slug == NULL || doc->aliases == NULL
        || ctl_jekyll_tags(fm, dirs, doc, u) != CTL_OK)
    {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    /* the redirect_from plugin's old URLs */
    kv = ctl_kvs_get(fm, "redirect_from");
    for (i = 0; kv && i < kv->nv; i++) {
        if (ctl_alias_append(&doc->aliases, kv->v[i], f->path, kv->line)
            != CTL_OK)
        {
            return CTL_ERROR;
        }
    }

    /* a draft had no URL */
    if (doc->draft) {
        return CTL_OK;
    }

    kv = ctl_kvs_get(fm, "permalink");

    if (kv != NULL) {
        url = ctl_jekyll_expand(kv->v[0], u);

    } else if (u->post) {
        url = ctl_jekyll_expand(u->permalink, u);

    } else {
        /* a page: its folder's index, or pretty's "/" for ".html" */
        n = strlen(u->permalink);
        url = ctl_jekyll_expand(u->index ? "/:path/"
                                : u->permalink[n - 1] == '/'
                                ? "/:path/:basename/"
                                : "/:path/:basename:output_ext", u);
    }

    if (url == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    i = ctl_alias_append(&doc->aliases, url, f->path, kv ? kv->line : 1);
    free(url);

    return i == CTL_OK ? CTL_OK : CTL_ERROR;
}


int
ctl_jekyll_parse(const char *rel, const char *buf, size_t len,
    const ctl_jekyll_site_t *site, ctl_file_t *f, const char **why)
{
    int               rc, draft;
    char             *dirs, *md;
    size_t            n;
    const char       *close, *body;
    ctl_kvs_t         fm;
    ctl_fm_error_t    err;
    ctl_jekyll_url_t  u;

    memset(&fm, 0, sizeof(ctl_kvs_t));
    memset(&u, 0, sizeof(ctl_jekyll_url_t));
    u.path = "";
    u.permalink = ctl_jekyll_pattern(site->permalink);
    u.tz = site->timezone;
    *why = NULL;
    dirs = NULL;
    draft = 0;

    if (ctl_check_text(buf, len, &err) != CTL_OK) {
        ctl_error("%s:%u: %s", f->path, err.line, err.msg);
        return CTL_ERROR;
    }

    if (len < 4 || memcmp(buf, "---", 3) != 0
        || (buf[3] != '\n' && buf[3] != '\r'))
    {
        /* Jekyll copies a file without front matter as it is */
        *why = "no front matter: a static file, not a post or page";
        return CTL_JEKYLL_SKIP;
    }

    close = ctl_kv_close(buf, len);
    if (close == NULL) {
        ctl_error("%s:1: the front matter is not closed by \"---\"",
                  f->path);
        return CTL_ERROR;
    }

    n = (size_t) (close - buf) - 4;
    rc = ctl_kvs_yaml(f->path, buf + 4, n, 2, &fm);

    if (rc == CTL_OK) {
        rc = ctl_jekyll_place(rel, &u, &dirs, &draft, why);
        if (rc == CTL_ERROR) {
            ctl_error("out of memory");
        }
    }

    if (rc == CTL_OK) {
        rc = ctl_jekyll_doc(f, &fm, &u, dirs, draft);
    }

    if (rc == CTL_OK) {
        body = ctl_kv_body(close, buf + len);
        n = (size_t) (buf + len - body);

        md = (len > 5 && strcmp(rel + strlen(rel) - 5, ".html") == 0)
             ? ctl_html2md(body, n, 0) : ctl_jekyll_liquid(body, n);

        f->doc.body = md;

        if (md == NULL
            || blog_markdown_render(md, strlen(md), &f->html,
                                    f->doc.summary == NULL ? &f->summary
                                                           : NULL) != 0)
        {
            ctl_error("out of memory");
            rc = CTL_ERROR;
        }
    }

    free(dirs);
    free(u.cats);
    ctl_kvs_free(&fm);

    return rc;
}


/*
 * The site's permalink (_config.yml's, the posts collection's, or
 * "date") and timezone (NULL: none), in site (free both).
 */
static int
ctl_jekyll_config(const char *dir, ctl_jekyll_site_t *site)
{
    int          rc;
    char        *path, *buf, *zone;
    size_t       len;
    ctl_kv_t    *kv, *tz;
    ctl_kvs_t    fm;

    memset(&fm, 0, sizeof(ctl_kvs_t));
    memset(site, 0, sizeof(ctl_jekyll_site_t));

    if (asprintf(&path, "%s/_config.yml", dir) == -1) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    rc = CTL_OK;

    if (access(path, F_OK) == 0) {
        rc = ctl_read_file(path, &buf, &len);

        if (rc == CTL_OK) {
            rc = ctl_kvs_yaml(path, buf, len, 1, &fm);
            free(buf);
        }
    }

    kv = ctl_kvs_get(&fm, "collections.posts.permalink");
    kv = kv ? kv : ctl_kvs_get(&fm, "permalink");

    site->permalink = strdup(kv ? kv->v[0] : "date");
    if (site->permalink == NULL) {
        ctl_error("out of memory");
        rc = CTL_ERROR;
    }

    /* a name of the tz database, as Jekyll takes it */
    tz = ctl_kvs_get(&fm, "timezone");
    zone = NULL;

    if (rc == CTL_OK && tz != NULL
        && (strstr(tz->v[0], "..") != NULL || tz->v[0][0] == '/'
            || asprintf(&zone, "/usr/share/zoneinfo/%s", tz->v[0]) == -1
            || access(zone, R_OK) != 0))
    {
        ctl_error("%s:%u: timezone: \"%.60s\" is no timezone of "
                  "/usr/share/zoneinfo", path, tz->line, tz->v[0]);
        rc = CTL_ERROR;

    } else if (rc == CTL_OK && tz != NULL) {
        site->timezone = strdup(tz->v[0]);
        if (site->timezone == NULL) {
            ctl_error("out of memory");
            rc = CTL_ERROR;
        }
    }

    free(zone);
    ctl_kvs_free(&fm);
    free(path);

    return rc;
}


int
ctl_jekyll_load(const char *dir, ctl_file_t **files, size_t *n,
    size_t *skipped)
{
    int          rc, r;
    char        *buf;
    size_t       i, len, bad;
    ctl_jekyll_site_t  site;
    const char  *why;
    ctl_file_t  *f;
    ctl_walk_t   list;

    *files = NULL;
    *n = 0;
    *skipped = 0;
    bad = 0;

    rc = ctl_jekyll_config(dir, &site);

    if (rc == CTL_OK) {
        rc = ctl_walk(dir, ctl_jekyll_want, &list);

    } else {
        memset(&list, 0, sizeof(ctl_walk_t));
    }

    if (rc == CTL_OK) {
        *files = calloc(list.n > 0 ? list.n : 1, sizeof(ctl_file_t));
        if (*files == NULL) {
            ctl_error("out of memory");
            rc = CTL_ERROR;
        }
    }

    for (i = 0; rc == CTL_OK && i < list.n; i++) {
        f = &(*files)[*n];

        if (asprintf(&f->path, "%s/%s", dir, list.paths[i]) == -1
            || asprintf(&f->name, "jekyll:%s", list.paths[i]) == -1)
        {
            ctl_error("out of memory");
            rc = CTL_ERROR;
            break;
        }

        /* each file is read, so that all the mistakes are reported */
        r = ctl_read_file(f->path, &buf, &len);

        if (r == CTL_OK) {
            r = ctl_jekyll_parse(list.paths[i], buf, len, &site, f, &why);
            free(buf);
        }

        if (r == CTL_JEKYLL_SKIP) {
            printf("skipped %s: %s\n", f->path, why);
            (*skipped)++;
            free(f->name);
            free(f->path);
            free(f->html);
            free(f->summary);
            ctl_doc_free(&f->doc);
            memset(f, 0, sizeof(ctl_file_t));
            continue;
        }

        (*n)++;
        bad += (r != CTL_OK);
    }

    ctl_walk_free(&list);
    free((char *) site.permalink);
    free((char *) site.timezone);

    return (rc == CTL_OK && bad == 0) ? CTL_OK : CTL_ERROR;
}
