/*
 * libFuzzer target: a Hugo content file (ctl_hugo.c): YAML by libyaml,
 * TOML by blogctl's own reader.  The first byte picks where the file is
 * (a post, a page, a bundle); the rest is its text.  Beyond "no crash",
 * it checks what the import relies on: an accepted file has a title, a
 * valid slug, tag names without ',', and aliases that are redirect keys
 * (each from '/', one a line).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_import.h"
#include "blog_path.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          rc;
    const char  *why, *p, *rel;
    ctl_file_t   f;

    static const char  *rels[] = {
        "post/a.md", "about.md", "post/bundle/index.md", "blog/x/y.markdown"
    };

    if (size == 0) {
        return 0;
    }

    rel = rels[data[0] % 4];

    memset(&f, 0, sizeof(ctl_file_t));
    f.path = (char *) "fuzz.md";

    rc = ctl_hugo_parse(rel, (const char *) data + 1, size - 1, &f, &why);

    if (rc == 0) {
        if (f.doc.title == NULL || f.doc.title[0] == '\0'
            || f.doc.slug == NULL
            || !blog_slug_valid(f.doc.slug, strlen(f.doc.slug))
            || f.doc.tags == NULL || f.doc.aliases == NULL
            || f.doc.body == NULL || f.html == NULL)
        {
            abort();
        }

        for (p = f.doc.aliases; *p; p = strchr(p, '\n') + 1) {
            if (*p != '/' || strchr(p, '\n') == NULL) {
                abort();
            }
        }
    }

    if (rc == 1 && why == NULL) {
        abort();
    }

    ctl_doc_free(&f.doc);
    free(f.html);
    free(f.summary);

    return 0;
}
