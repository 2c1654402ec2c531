/*
 * Unit tests of blog_preview.c: JSON for <script>, the text of a post's
 * HTML, its first image.
 */

#include <stdlib.h>
#include <string.h>

#include "blog_preview.h"
#include "tap.h"


static void
json_is(const char *in, const char *want, const char *what)
{
    blog_buf_t  buf;

    memset(&buf, 0, sizeof(buf));

    if (blog_buf_append_json(&buf, in, strlen(in)) != 0
        || blog_buf_append(&buf, "", 1) != 0)
    {
        ok(0, "%s: out of memory", what);
        free(buf.data);
        return;
    }

    is_str(buf.data, want, "%s", what);
    free(buf.data);
}


static void
text_is(const char *html, size_t max, const char *want, const char *what)
{
    char    out[256];
    size_t  n;

    n = blog_html_text(html, strlen(html), out, max);
    out[n] = '\0';

    is_str(out, want, "%s", what);
}


int
main(void)
{
    size_t       n;
    const char  *src, *html;

    json_is("plain", "\"plain\"", "plain string");
    json_is("a \"q\" \\ b", "\"a \\\"q\\\" \\\\ b\"", "quote and backslash");
    json_is("</script><!--", "\"\\u003c/script\\u003e\\u003c!--\"",
            "cannot end the script element");
    json_is("a & b's", "\"a \\u0026 b\\u0027s\"", "ampersand and apostrophe");
    json_is("l1\nl2\t\x01", "\"l1\\u000al2\\u0009\\u0001\"", "control bytes");
    json_is("a\xe2\x80\xa8" "b\xe2\x80\xa9", "\"a\\u2028b\\u2029\"",
            "line and paragraph separators");
    json_is("caf\xc3\xa9 \xe2\x80\x94", "\"caf\xc3\xa9 \xe2\x80\x94\"",
            "other UTF-8 as it is");

    text_is("<p>Hello <em>world</em>.</p>\n<p>Next &amp; last &lt;b&gt;</p>\n",
            160, "Hello world. Next & last <b>", "tags dropped, entities decoded");
    text_is("<p>one two three four</p>", 12, "one two\xe2\x80\xa6",
            "cut at a space");
    text_is("<p>abcdefghij</p>", 5, "abcde\xe2\x80\xa6", "one long word cut");
    text_is("<p>\xc3\xa9\xc3\xa9\xc3\xa9</p>", 3, "\xc3\xa9\xe2\x80\xa6",
            "not cut inside a character");
    text_is("<p><img src=\"/a.png\" alt=\"x\" /></p>", 160, "",
            "an image alone has no text");
    text_is("<p>unclosed <b", 160, "unclosed", "an unclosed tag");

    html = "<p>Text</p>\n<p><img src=\"/media/a.png?x=1&amp;y=2\" alt=\"a\" />"
           "<img src=\"/media/b.png\" alt=\"b\" /></p>";
    ok(blog_html_first_img(html, strlen(html), &src, &n), "an image found");
    is_int(n, strlen("/media/a.png?x=1&amp;y=2"), "its length");
    ok(n && strncmp(src, "/media/a.png?x=1&amp;y=2", n) == 0, "the first one");

    html = "<p>no image, <code>&lt;img src=\"x\"&gt;</code></p>";
    ok(!blog_html_first_img(html, strlen(html), &src, &n), "no image");
    html = "<p><img src=\"\" alt=\"\" /></p>";
    ok(!blog_html_first_img(html, strlen(html), &src, &n), "an empty src");
    html = "<p><img src=\"/x.png";
    ok(!blog_html_first_img(html, strlen(html), &src, &n), "a cut-off tag");

    return tap_done();
}
