/*
 * Unit tests of the Markdown rendering: safe mode, smart punctuation, the
 * summary taken from the first paragraph, highlighted code, heading ids,
 * the table of contents and the reading time.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blog_headings.h"
#include "blog_highlight.h"
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


static int
render_comment(const char *md, char **out)
{
    return blog_markdown_render_comment(md, strlen(md), out);
}


static int
toc_of(const char *md, char **toc)
{
    return blog_markdown_toc(md, strlen(md), toc);
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
    ok(strstr(html, "<pre><code class=\"language-sh\">nginx -t "
                    "<span class=\"hl-symbol\">&amp;&amp;</span> "
                    "nginx -s reload\n</code></pre>") != NULL,
       "fenced code block with its language, highlighted");
}


static void
test_code(void)
{
    char    *big, *p, *comment;
    size_t   i, j;

    ok(render("```c\n#include <stdio.h>\n/* two\n lines */\n"
              "int main(void) { return 0; }\n```\n") == CTL_OK, "C renders");
    ok(strstr(html, "<pre><code class=\"language-c\">"
                    "<span class=\"hl-preproc\">#include</span> "
                    "<span class=\"hl-string\">&lt;stdio.h&gt;</span>\n"
                    "<span class=\"hl-comment\">/* two</span>\n"
                    "<span class=\"hl-comment\"> lines */</span>\n"
                    "<span class=\"hl-type\">int</span> ") != NULL,
       "C: preprocessor, string, a comment over two lines, a type");
    ok(strstr(html, "<span class=\"hl-keyword\">return</span>") != NULL,
       "C: keyword");

    ok(render("```python\ndef f(x):\n    return 'a' + x  # add\n```\n")
       == CTL_OK, "Python renders");
    ok(strstr(html, "<span class=\"hl-keyword\">def</span> "
                    "<span class=\"hl-function\">f</span>") != NULL
       && strstr(html, "<span class=\"hl-string\">&#39;a&#39;</span>") == NULL
       && strstr(html, "<span class=\"hl-string\">'a'</span>") != NULL
       && strstr(html, "<span class=\"hl-comment\"># add</span>") != NULL,
       "Python: keyword, function, string, comment");

    ok(render("```nosuchlanguage\nif (a < b) x;\n```\n\n"
              "```\nif (a < b) x;\n```\n") == CTL_OK, "plain code renders");
    ok(strstr(html, "<pre><code class=\"language-nosuchlanguage\">"
                    "if (a &lt; b) x;\n</code></pre>") != NULL,
       "unknown language: plain, escaped");
    ok(strstr(html, "<pre><code>if (a &lt; b) x;\n</code></pre>") != NULL,
       "no language: plain, escaped");
    ok(strstr(html, "<span") == NULL, "no span in plain code");

    ok(render("```c\nint a = b;\n\"unterminated") == CTL_OK
       && strstr(html, "<span class=\"hl-type\">int</span>") != NULL,
       "an unterminated block is highlighted to its end");

    /* the library's regular expressions give up on long tokens: plain */
    big = malloc(8192);
    p = big + sprintf(big, "```c\nint ");
    memset(p, 'x', 4000);
    strcpy(p + 4000, ";\n```\n");
    ok(render(big) == CTL_OK
       && strstr(html, "<pre><code class=\"language-c\">int xxx") != NULL,
       "code the highlighter fails on: plain, nothing lost");
    free(big);

    ok(render("```../../../../etc/passwd\nx\n```\n") == CTL_OK
       && strstr(html, "<span") == NULL, "a path as language: plain");

    ok(render_comment("```c\n</code><script>alert(1)</script>"
                                    "\n\"</code></pre><script>\"\n```\n"
                                    "```html\n<script>alert(2)</script>\n"
                                    "```\n", &comment) == 0,
       "hostile code in a comment renders");
    ok(strstr(comment, "<script") == NULL
       && strstr(comment, "</code><script") == NULL,
       "no <script> gets out of the code");
    ok(strstr(comment, "&quot;&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;&quot;")
       != NULL,
       "the code is shown escaped");
    ok(strstr(comment, "<span class=\"hl-") != NULL,
       "comments are highlighted too");
    free(comment);

    ok(render_comment("## Comments\n\nhi\n", &comment)
       == 0 && strstr(comment, "<h2>Comments</h2>") != NULL,
       "a comment's headings get no id");
    free(comment);

    /* past BLOG_HIGHLIGHT_MAX a block is plain; the document has a budget */
    big = malloc(BLOG_HIGHLIGHT_DOC_MAX * 2);
    p = big + sprintf(big, "```c\n");
    for (i = 0; i < BLOG_HIGHLIGHT_MAX / 10 + 1; i++) {
        p += sprintf(p, "int a%04zu;\n", i % 10000);
    }
    p += sprintf(p, "```\n\n```c\nint small;\n```\n");

    ok(render(big) == CTL_OK, "a long code block renders");
    ok(strstr(html, "<pre><code class=\"language-c\">int a0000;") != NULL,
       "over BLOG_HIGHLIGHT_MAX: plain");
    ok(strstr(html, "<span class=\"hl-type\">int</span> small") != NULL,
       "the next block is still highlighted");

    p = big;
    for (i = 0; i < BLOG_HIGHLIGHT_DOC_MAX / 4000 + 2; i++) {
        p += sprintf(p, "```c\n");
        for (j = 0; j < 570; j++) {
            p += sprintf(p, "int x;\n");
        }
        p += sprintf(p, "```\n\n");
    }

    ok(render(big) == CTL_OK, "many code blocks render");
    ok(strstr(html, "<pre><code class=\"language-c\">"
                    "<span class=\"hl-type\">int</span> x") != NULL
       && strstr(html, "<pre><code class=\"language-c\">int x;") != NULL,
       "past BLOG_HIGHLIGHT_DOC_MAX in all: plain");
    free(big);
}


static void
test_headings(void)
{
    char  *toc, id[16];

    ok(render("# Top\n\n## Intro\n\ntext\n\n### Set *up* `x`\n\n"
              "## Intro\n\n#### Caf\xc3\xa9 & <b>co</b>!\n\n##### Deep\n\n"
              "## ***\n") == CTL_OK, "headings render");
    ok(strstr(html, "<h1>Top</h1>") != NULL, "h1 has no id");
    ok(strstr(html, "<h2 id=\"intro\">Intro <a class=\"anchor\" "
                    "href=\"#intro\" aria-label=\"Link to this section\">#"
                    "</a></h2>") != NULL, "h2: id and a link to itself");
    ok(strstr(html, "<h3 id=\"set-up-x\">Set <em>up</em> <code>x</code> "
                    "<a ") != NULL, "h3: id from the text, markup kept");
    ok(strstr(html, "<h2 id=\"intro-2\">") != NULL,
       "the same heading again: a unique id");
    ok(strstr(html, "<h4 id=\"caf-co\">") != NULL,
       "h4: ASCII only, raw HTML dropped");
    ok(strstr(html, "<h5>Deep</h5>") != NULL, "h5 has no id");
    ok(strstr(html, "<h2 id=\"section\">") != NULL,
       "no letters: \"section\"");

    ok(toc_of("## Intro\n\n### Set *up*\n\n## Intro\n\n"
                         "#### A <b> & B\n", &toc) == 0, "toc");
    is_str(toc, "<nav class=\"toc\" aria-label=\"Contents\"><ol>"
                "<li class=\"toc-h2\"><a href=\"#intro\">Intro</a></li>"
                "<li class=\"toc-h3\"><a href=\"#set-up\">Set up</a></li>"
                "<li class=\"toc-h2\"><a href=\"#intro-2\">Intro</a></li>"
                "<li class=\"toc-h4\"><a href=\"#a-b\">A  &amp; B</a></li>"
                "</ol></nav>", "toc links to each heading's id");
    free(toc);

    ok(toc_of("## One\n\n## Two\n", &toc) == 0, "short");
    is_str(toc, "", "under BLOG_TOC_MIN headings: no toc");
    free(toc);

    blog_heading_slug("a-2", 3, id, sizeof(id));
    is_str(id, "a-2", "slug kept");
    blog_heading_slug("  Hello,   World!  ", 19, id, sizeof(id));
    is_str(id, "hello-world", "slug: runs of marks are one dash");
    blog_heading_slug("abcdefghijklmnopqrstuvwxyz", 26, id, 8);
    is_str(id, "abcdefg", "slug: cut to its room");

    ok(render("## A\n\n## A-2\n\n## A\n") == CTL_OK
       && strstr(html, "id=\"a\"") != NULL
       && strstr(html, "id=\"a-2\"") != NULL
       && strstr(html, "id=\"a-3\"") != NULL,
       "an id taken by a heading's own text is not given twice");
}


static void
test_reading_time(void)
{
    char    *md;
    size_t   i;

    is_int(blog_markdown_words("", 0), 0, "no words");
    md = "  one\ttwo\r\n  three  ";
    is_int(blog_markdown_words(md, strlen(md)), 3,
           "words between blanks");
    is_int(blog_markdown_reading_minutes("", 0), 1, "at least a minute");

    md = malloc(231 * 6 + 1);
    md[0] = '\0';
    for (i = 0; i < 230; i++) {
        strcat(md, "word ");
    }
    is_int(blog_markdown_reading_minutes(md, strlen(md)), 1,
           "230 words: 1 min");
    strcat(md, "more");
    is_int(blog_markdown_reading_minutes(md, strlen(md)), 2,
           "231 words: 2 min");
    free(md);
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
    test_code();
    test_headings();
    test_reading_time();
    test_summary();

    free(html);
    free(summary);

    return tap_done();
}
