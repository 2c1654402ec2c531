/*
 * Unit tests of blog_header.c: tokens, same-origin checks, referrer hosts,
 * content codings of Accept-Encoding.
 */

#include <string.h>

#include "blog_header.h"
#include "tap.h"


static void
origin_is(const char *origin, const char *host, int want)
{
    is_int(blog_origin_match(origin, strlen(origin), host, strlen(host)),
           want, "origin \"%s\" for host \"%s\"", origin, host);
}


static void
referrer_is(const char *ref, const char *want)
{
    int          rc;
    size_t       len;
    const char  *host;

    rc = blog_referrer_host(ref, strlen(ref), &host, &len);

    if (want == NULL) {
        is_int(rc, 0, "referrer \"%s\": no host", ref);
        return;
    }

    ok(rc == 1 && len == strlen(want) && memcmp(host, want, len) == 0,
       "referrer \"%s\": host \"%s\"", ref, want);
}


static void
accepts_is(const char *ae, const char *coding, int want)
{
    is_int(blog_accepts_coding(ae, strlen(ae), coding, strlen(coding)), want,
           "Accept-Encoding \"%s\": %s %s", ae, coding,
           want ? "taken" : "refused");
}


int
main(void)
{
    char  tok[BLOG_TOKEN_LEN + 1];

    memset(tok, 'a', BLOG_TOKEN_LEN);
    tok[BLOG_TOKEN_LEN] = '\0';
    memcpy(tok, "0123456789", 10);

    ok(blog_token_valid(tok, BLOG_TOKEN_LEN), "64 lowercase hex digits");
    ok(!blog_token_valid(tok, BLOG_TOKEN_LEN - 1), "63 digits");
    tok[5] = 'A';
    ok(!blog_token_valid(tok, BLOG_TOKEN_LEN), "an uppercase digit");
    tok[5] = 'g';
    ok(!blog_token_valid(tok, BLOG_TOKEN_LEN), "not hex");
    tok[5] = '\0';
    ok(!blog_token_valid(tok, BLOG_TOKEN_LEN), "a NUL inside");
    ok(!blog_token_valid("", 0), "empty");

    origin_is("http://blog.example", "blog.example", 1);
    origin_is("HTTPS://Blog.Example/admin/", "blog.example", 1);
    origin_is("http://blog.example:8080", "blog.example:8080", 1);
    origin_is("http://blog.example:8080", "blog.example", 0);
    origin_is("http://blog.example.evil", "blog.example", 0);
    origin_is("http://blog.example@evil", "blog.example", 0);
    origin_is("http://evil/blog.example", "blog.example", 0);
    origin_is("ftp://blog.example", "blog.example", 0);
    origin_is("null", "blog.example", 0);
    origin_is("http://", "", 0);
    origin_is("http:///x", "", 0);
    origin_is("http://blog", "blog.example", 0);

    referrer_is("https://www.Example.com/some/page?q=1", "www.Example.com");
    referrer_is("http://user:pw@example.com:8080/", "example.com");
    referrer_is("http://a@b@example.com", "example.com");
    referrer_is("http://example.com?x@y", "example.com");
    referrer_is("http://example.com#@evil", "example.com");
    referrer_is("http://[2001:db8::1]:8080/x", "[2001:db8::1]");
    referrer_is("http://[2001:db8::1", NULL);
    referrer_is("http://:8080/", NULL);
    referrer_is("http://", NULL);
    referrer_is("http:/x", NULL);
    referrer_is("android-app://com.example", NULL);
    referrer_is("", NULL);

    accepts_is("br", "br", 1);
    accepts_is("gzip, deflate, br", "br", 1);
    accepts_is("gzip,deflate,br", "br", 1);
    accepts_is("BR", "br", 1);
    accepts_is("\tbr\t,gzip", "br", 1);
    accepts_is("br;q=1", "br", 1);
    accepts_is("br;q=1.000", "br", 1);
    accepts_is("br ; Q=0.5", "br", 1);
    accepts_is("br;q=0.001", "br", 1);
    accepts_is("br;level=5;q=0.2", "br", 1);
    accepts_is("br;q=0", "br", 0);
    accepts_is("br;q=0.", "br", 0);
    accepts_is("br;q=0.000", "br", 0);
    accepts_is("gzip, br;q=0", "br", 0);
    accepts_is("br;q=1.5", "br", 0);
    accepts_is("br;q=0.0001", "br", 0);
    accepts_is("br;q=", "br", 0);
    accepts_is("br;q=x", "br", 0);
    accepts_is("br;q=0.5x", "br", 0);
    accepts_is("br;q=2", "br", 0);
    accepts_is("gzip;q=0, br", "br", 1);
    accepts_is("br;q=0, br", "br", 0);          /* the first listing counts */
    accepts_is("brotli, gzip", "br", 0);
    accepts_is("xbr", "br", 0);
    accepts_is("b", "br", 0);
    accepts_is("gzip;br", "br", 0);             /* a parameter, not a coding */
    accepts_is("*", "br", 0);
    accepts_is("", "br", 0);
    accepts_is(",,, ;", "br", 0);
    accepts_is("gzip", "gzip", 1);
    accepts_is("gzip;q=0", "gzip", 0);

    return tap_done();
}
