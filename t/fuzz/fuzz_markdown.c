/*
 * libFuzzer target: Markdown rendering as posts and comments get it,
 * highlighted code and heading ids included.  Whatever the input, no
 * element but cmark's own and ours gets out: no <script>, <style> or
 * <iframe>, and every id of the post's headings is unique.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_markdown.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
blog_fuzz_check(const char *html)
{
    const char  *p, *q, *end;
    size_t       len;

    if (strstr(html, "<script") != NULL || strstr(html, "<style") != NULL
        || strstr(html, "<iframe") != NULL)
    {
        abort();
    }

    /* each id=" is unique: compare it with every later one */
    for (p = strstr(html, " id=\""); p != NULL; p = strstr(p + 1, " id=\"")) {
        end = strchr(p + 5, '"');
        if (end == NULL) {
            abort();
        }

        len = end - p + 1;

        for (q = strstr(p + 1, " id=\""); q != NULL;
             q = strstr(q + 1, " id=\""))
        {
            if (strncmp(p, q, len) == 0) {
                abort();
            }
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *html, *summary, *toc;

    if (blog_markdown_render((const char *) data, size, &html, &summary) == 0)
    {
        blog_fuzz_check(html);
        free(html);
        free(summary);
    }

    if (blog_markdown_render_comment((const char *) data, size, &html) == 0) {
        blog_fuzz_check(html);

        if (strstr(html, " id=\"") != NULL) {
            abort();
        }

        free(html);
    }

    if (blog_markdown_toc((const char *) data, size, &toc) == 0) {
        blog_fuzz_check(toc);
        free(toc);
    }

    return 0;
}
