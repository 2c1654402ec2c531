/*
 * Unit tests of blog_event.c: a version 3 record round trip, version 1
 * and 2 records still decoding, the query parameters kept (and no
 * others), and the Referer's path (blog_header.c).
 */

#include <string.h>

#include "blog_event.h"
#include "blog_header.h"
#include "tap.h"


static int
field_is(const blog_event_t *ev, int f, const char *want)
{
    return ev->field[f].len == strlen(want)
           && (ev->field[f].len == 0
               || memcmp(ev->field[f].data, want, ev->field[f].len) == 0);
}


/* A record of an older version: header, then the five fields given. */
static size_t
old_record(unsigned char *buf, int version, int flags, const char **f)
{
    int     i;
    size_t  n, len;

    memset(buf, 0, BLOG_EVENT_HEADER);
    buf[0] = 'B';
    buf[1] = 'E';
    buf[2] = (unsigned char) version;
    buf[3] = (unsigned char) flags;
    buf[4] = 0x10;                              /* time_ms 0x2710 = 10000 */
    buf[5] = 0x27;
    buf[24] = 200;
    buf[26] = BLOG_EVENT_ADDR_V4;
    buf[27] = BLOG_EVENT_NFIELDS_V2;
    buf[28] = 192;
    len = BLOG_EVENT_HEADER;

    for (i = 0; i < BLOG_EVENT_NFIELDS_V2; i++) {
        n = strlen(f[i]);
        buf[len++] = (unsigned char) n;
        buf[len++] = 0;
        memcpy(buf + len, f[i], n);
        len += n;
    }

    return len;
}


static void
test_versions(void)
{
    size_t         len;
    blog_event_t   ev;
    unsigned char  buf[BLOG_EVENT_MAX];
    const char    *f[] = { "GET", "/posts/a", "example.org", "Firefox", "a" };

    len = old_record(buf, 2, BLOG_EVENT_F_PAGE, f);
    is_int(blog_event_decode(&ev, buf, len), BLOG_EVENT_OK, "v2 decodes");
    ok(field_is(&ev, BLOG_EVENT_PATH, "/posts/a")
       && field_is(&ev, BLOG_EVENT_SLUG, "a") && ev.time_ms == 10000
       && ev.flags == BLOG_EVENT_F_PAGE,
       "v2: its fields");
    ok(field_is(&ev, BLOG_EVENT_REF_PATH, "")
       && field_is(&ev, BLOG_EVENT_UTM_SOURCE, "")
       && field_is(&ev, BLOG_EVENT_SOURCE, ""),
       "v2: the version 3 fields are empty");

    len = old_record(buf, 1, 0, f);
    is_int(blog_event_decode(&ev, buf, len), BLOG_EVENT_OK, "v1 decodes");
    is_int(ev.flags, BLOG_EVENT_F_PAGE, "v1: what is no file is a page");

    /* a v2 record claiming v3's field count, and the reverse */
    len = old_record(buf, 2, 0, f);
    buf[27] = BLOG_EVENT_NFIELDS;
    is_int(blog_event_decode(&ev, buf, len), BLOG_EVENT_EFIELDS,
           "v2 with 11 fields is refused");
    buf[27] = BLOG_EVENT_NFIELDS_V2;
    buf[2] = 3;
    is_int(blog_event_decode(&ev, buf, len), BLOG_EVENT_EFIELDS,
           "v3 with 5 fields is refused");
    buf[2] = 4;
    is_int(blog_event_decode(&ev, buf, len), BLOG_EVENT_EVERSION,
           "v4 is unknown");
    buf[2] = 0;
    is_int(blog_event_decode(&ev, buf, len), BLOG_EVENT_EVERSION,
           "v0 is unknown");
}


static void
test_roundtrip(void)
{
    size_t         len;
    char           params[BLOG_EVENT_PARAMS * BLOG_EVENT_PARAM_MAX];
    char           longp[2 * BLOG_EVENT_REF_PATH_MAX];
    blog_event_t   ev, out;
    unsigned char  buf[BLOG_EVENT_MAX];
    const char    *q;

    memset(&ev, 0, sizeof(blog_event_t));
    memset(longp, 'p', sizeof(longp));
    ev.time_ms = 1700000000123ULL;
    ev.status = 404;
    ev.family = BLOG_EVENT_ADDR_V4;
    ev.field[BLOG_EVENT_METHOD].data = "GET";
    ev.field[BLOG_EVENT_METHOD].len = 3;
    ev.field[BLOG_EVENT_PATH].data = "/x";
    ev.field[BLOG_EVENT_PATH].len = 2;
    ev.field[BLOG_EVENT_REF_PATH].data = longp;
    ev.field[BLOG_EVENT_REF_PATH].len = sizeof(longp);

    q = "a=1&utm_source=news%20letter&utm_medium=e+mail&token=secret"
        "&utm_campaign=%3Cscript%3E&ref=hn&utm_source=second&source=%zz&x";
    blog_event_query(&ev, q, strlen(q), params);

    len = blog_event_encode(buf, &ev);
    is_int(buf[2], 3, "encoded as version 3");
    is_int(blog_event_decode(&out, buf, len), BLOG_EVENT_OK, "v3 decodes");
    ok(field_is(&out, BLOG_EVENT_UTM_SOURCE, "news letter"),
       "utm_source decoded, the first one wins");
    ok(field_is(&out, BLOG_EVENT_UTM_MEDIUM, "e mail"), "\"+\" is a space");
    ok(field_is(&out, BLOG_EVENT_UTM_CAMPAIGN, "<script>"),
       "a hostile value is kept as given (readers escape)");
    ok(field_is(&out, BLOG_EVENT_REF, "hn"), "ref");
    ok(field_is(&out, BLOG_EVENT_SOURCE, "%zz"), "a bad escape is kept");
    is_int(out.field[BLOG_EVENT_REF_PATH].len, BLOG_EVENT_REF_PATH_MAX,
           "the referrer's path is cut to its limit");
    ok(memmem(buf, len, "secret", 6) == NULL
       && memmem(buf, len, "token", 5) == NULL,
       "other parameters are not in the record");
}


static void
test_query_limits(void)
{
    char          q[400], params[BLOG_EVENT_PARAMS * BLOG_EVENT_PARAM_MAX];
    blog_event_t  ev;

    memset(&ev, 0, sizeof(blog_event_t));
    memcpy(q, "ref=", 4);
    memset(q + 4, 'r', sizeof(q) - 4);
    blog_event_query(&ev, q, sizeof(q), params);
    is_int(ev.field[BLOG_EVENT_REF].len, BLOG_EVENT_PARAM_MAX,
           "a long value is cut to %d bytes", BLOG_EVENT_PARAM_MAX);

    memset(&ev, 0, sizeof(blog_event_t));
    blog_event_query(&ev, "utm_source", 10, params);
    is_int(ev.field[BLOG_EVENT_UTM_SOURCE].len, 0, "a name without value");

    memset(&ev, 0, sizeof(blog_event_t));
    blog_event_query(&ev, "UTM_SOURCE=x&xutm_source=y&ref=%4", 33, params);
    ok(ev.field[BLOG_EVENT_UTM_SOURCE].len == 0
       && field_is(&ev, BLOG_EVENT_REF, "%4"),
       "names match exactly; a short escape is kept");
}


static void
ref_path_is(const char *ref, const char *want)
{
    int          rc;
    size_t       len;
    const char  *path;

    rc = blog_referrer_path(ref, strlen(ref), &path, &len);

    if (want == NULL) {
        is_int(rc, 0, "referrer \"%s\": no path", ref);
        return;
    }

    ok(rc == 1 && len == strlen(want) && memcmp(path, want, len) == 0,
       "referrer \"%s\": path \"%s\"", ref, want);
}


int
main(void)
{
    test_versions();
    test_roundtrip();
    test_query_limits();

    ref_path_is("https://news.example.com/item/42?id=7#c", "/item/42");
    ref_path_is("http://u:p@host:8080/a/b", "/a/b");
    ref_path_is("https://host/", NULL);
    ref_path_is("https://host", NULL);
    ref_path_is("https://host?q=/x", NULL);
    ref_path_is("ftp://host/file", NULL);
    ref_path_is("https://host/%3Cx%3E", "/%3Cx%3E");

    return tap_done();
}
