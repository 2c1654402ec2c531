/*
 * libFuzzer target: a Jekyll file (ctl_jekyll.c): YAML by libyaml,
 * permalinks expanded, Liquid's highlight and raw tags, HTML bodies made
 * Markdown.  The first byte picks where the file is (a post, a post in a
 * category folder, a draft, a page, an HTML page), the site's
 * permalink and timezone; the rest is its text.  Beyond "no crash", it checks what the
 * import relies on: an accepted file has a title, a valid slug, tags and
 * aliases that are redirect keys (each from '/', one a line).
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
    const char         *why, *p, *rel;
    ctl_file_t          f;
    ctl_jekyll_site_t   site;

    static const char  *rels[] = {
        "_posts/2014-01-02-a-post.md", "blog/_posts/2014-01-02-x.1.markdown",
        "_drafts/a-draft.md", "about.md", "docs/index.html"
    };

    static const char  *permalinks[] = {
        "date", "pretty", "/:categories/:y_day/:i_month/:slug:output_ext",
        "/:year/:unknown/:title/"
    };

    if (size == 0) {
        return 0;
    }

    rel = rels[data[0] % 5];
    site.permalink = permalinks[(data[0] / 5) % 4];
    site.timezone = (data[0] & 0x80) ? "Europe/Zurich" : NULL;

    memset(&f, 0, sizeof(ctl_file_t));
    f.path = (char *) "fuzz.md";

    rc = ctl_jekyll_parse(rel, (const char *) data + 1, size - 1, &site, &f,
                          &why);

    if (rc == 0) {
        if (f.doc.title == NULL || f.doc.slug == NULL
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
