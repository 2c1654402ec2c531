/*
 * libFuzzer target: blogctl's front-matter parser.  Every input either
 * parses into a document with a title and a valid slug, or fails with a
 * line number inside the input.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_path.h"
#include "ctl_frontmatter.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, lines;
    ctl_doc_t       doc;
    ctl_fm_error_t  err;

    memset(&doc, 0, sizeof(doc));
    memset(&err, 0, sizeof(err));

    if (ctl_frontmatter_parse((const char *) data, size, "fuzz.md", &doc,
                              &err)
        == 0)
    {
        if (doc.title == NULL || doc.title[0] == '\0' || doc.body == NULL
            || !blog_slug_valid(doc.slug, strlen(doc.slug)))
        {
            abort();
        }

        ctl_doc_free(&doc);
        return 0;
    }

    lines = 1;
    for (i = 0; i < size; i++) {
        lines += (data[i] == '\n');
    }

    if (err.line == 0 || err.line > lines + 1) {
        abort();
    }

    ctl_doc_free(&doc);
    return 0;
}
