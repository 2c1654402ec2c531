/*
 * libFuzzer target: HTML to Markdown (ctl_html2md.c), on what a WordPress
 * export's bodies may hold.  Beyond "no crash", it checks that the result
 * is text cmark takes: NUL-terminated, no NUL inside, and rendered.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_html2md.h"
#include "blog_markdown.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char    *md, *html;
    size_t   len;

    if (size == 0) {
        return 0;
    }

    md = ctl_html2md((const char *) data + 1, size - 1, data[0] & 1);
    if (md == NULL) {
        abort();                        /* only out of memory may fail */
    }

    len = strlen(md);

    if (blog_markdown_render(md, len, &html, NULL) != 0) {
        abort();
    }

    free(html);
    free(md);

    return 0;
}
