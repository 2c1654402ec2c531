/*
 * Unit tests of the Markdown rendering: safe mode, smart punctuation, and
 * the summary taken from the first paragraph.
 */

#include <stdlib.h>
#include <string.h>

#include "blog_markdown.h"
#include "ctl_util.h"
#include "tap.h"


static char  *html;
static char  *summary;


static int
render(const char *md)
{
    free(html);
    free(summary);
    html = NULL;
    summary = NULL;

    return blog_markdown_render(md, strlen(md), &html, &summary);
}


/* Characters, not bytes: the summary limit counts characters. */
static size_t
utf8_chars(const char *s)
{
    size_t  n;

    for (n = 0; *s != '\0'; s++) {
        n += ((unsigned char) *s & 0xc0) != 0x80;
    }

    return n;
}


static void
test_safe(void)
{
    ok(render("Hi <script>alert(1)</script> there\n\n"
              "<script>alert(2)</script>\n\n"
              "<img src=x onerror=alert(3)>\n\n"
              "[click](javascript:alert(4)) "
              "[data](data:text/html;base64,PHNjcmlwdD4=) "
              "[ok](https://example.org/a?b=1&c=2)\n") == CTL_OK,
       "hostile Markdown renders");
    ok(strstr(html, "<script") == NULL, "no <script> element survives");
    ok(strstr(html, "<img") == NULL, "no raw <img> survives");
    ok(strstr(html, "onerror") == NULL, "no event handler survives");
    ok(strstr(html, "javascript:") == NULL, "no javascript: link survives");
    ok(strstr(html, "data:text/html") == NULL, "no data:text/html link");
    ok(strstr(html, "<a href=\"\">click</a>") != NULL,
       "the javascript: link keeps its text, not its target");
    ok(strstr(html, "<a href=\"https://example.org/a?b=1&amp;c=2\">ok</a>")
       != NULL, "an ordinary link is kept, escaped");
    ok(strstr(summary, "<") == NULL, "summary has no markup");

    ok(render("![logo](/media/logo.png \"Logo\")\n") == CTL_OK, "image");
    ok(strstr(html, "<img src=\"/media/logo.png\" alt=\"logo\" "
                    "title=\"Logo\" />") != NULL, "Markdown images render");
    is_str(summary, "logo", "an image gives its alt text to the summary");
}


static void
test_rendering(void)
{
    ok(render("# Title\n\n\"Quotes\" -- and... `a < b`\n\n"
              "```sh\nnginx -t && nginx -s reload\n```\n") == CTL_OK,
       "ordinary Markdown renders");
    ok(strstr(html, "<h1>Title</h1>") != NULL, "heading");
    ok(strstr(html, "\xe2\x80\x9cQuotes\xe2\x80\x9d") != NULL,
       "smart double quotes");
    ok(strstr(html, "\xe2\x80\x93") != NULL, "-- becomes an en dash");
    ok(strstr(html, "\xe2\x80\xa6") != NULL, "... becomes an ellipsis");
    ok(strstr(html, "<code>a &lt; b</code>") != NULL, "code span escaped");
    ok(strstr(html, "<pre><code class=\"language-sh\">nginx -t &amp;&amp; "
                    "nginx -s reload\n</code></pre>") != NULL,
       "fenced code block with its language");
}


static void
test_summary(void)
{
    char    md[2048];
    size_t  i;

    ok(render("# Heading\n\n```\ncode\n```\n\nFirst *real*\nparagraph "
              "with `code` and [a link](/x).\n\nSecond one.\n") == CTL_OK,
       "summary source renders");
    is_str(summary, "First real paragraph with code and a link.",
           "summary: first paragraph, as plain text, one line");

    ok(render("- a list\n- only\n\n> quoted\n") == CTL_OK,
       "no top-level paragraph");
    is_str(summary, "", "no paragraph: empty summary");

    ok(render("") == CTL_OK, "empty document");
    is_str(summary, "", "empty document: empty summary");
    is_str(html, "", "empty document: empty HTML");

    ok(render("Tom &amp; Jerry's   \"show\"  \t here\n") == CTL_OK,
       "entities and blanks");
    is_str(summary, "Tom & Jerry\xe2\x80\x99s \xe2\x80\x9cshow\xe2\x80\x9d "
           "here", "summary: entities decoded, blanks collapsed, smart");

    /* 60 words of 5 characters: 359 characters in all */
    md[0] = '\0';
    for (i = 0; i < 60; i++) {
        strcat(md, i == 0 ? "word0" : " word0");
        md[strlen(md) - 1] = (char) ('0' + i % 10);
    }

    ok(render(md) == CTL_OK, "long paragraph");
    ok(utf8_chars(summary) <= BLOG_SUMMARY_MAX + 1,
       "long summary: at most %d characters and the ellipsis",
       BLOG_SUMMARY_MAX);
    ok(utf8_chars(summary) > BLOG_SUMMARY_MAX - 10,
       "long summary: not much shorter than the limit");
    ok(strlen(summary) > 3
       && strcmp(summary + strlen(summary) - 3, "\xe2\x80\xa6") == 0,
       "long summary ends with an ellipsis");
    ok(summary[strlen(summary) - 4] != ' '
       && strncmp(summary + strlen(summary) - 9, " word", 5) == 0,
       "long summary cut after a whole word");

    /* a word of 250 characters: cut inside it, at a character boundary */
    md[0] = '\0';
    for (i = 0; i < 125; i++) {
        strcat(md, "\xc3\xa9" "e");
    }

    ok(render(md) == CTL_OK, "one long word");
    is_int(utf8_chars(summary), BLOG_SUMMARY_MAX + 1,
           "long word: exactly the limit and the ellipsis");
    ok(strncmp(summary, "\xc3\xa9" "e\xc3\xa9", 5) == 0
       && strcmp(summary + strlen(summary) - 4, "e\xe2\x80\xa6") == 0,
       "long word: UTF-8 kept whole");

    ok(render("Short, with a comma at the end,\n") == CTL_OK, "short");
    is_str(summary, "Short, with a comma at the end,",
           "a short summary is kept whole");
}


int
main(void)
{
    test_safe();
    test_rendering();
    test_summary();

    free(html);
    free(summary);

    return tap_done();
}
