/*
 * libFuzzer target: the theme template compiler and renderer.  The input
 * is written as a template file (partials resolve in the same scratch
 * folder, where only the input exists), compiled, and when it compiles,
 * rendered with values that need escaping.  The rendering must never let
 * the untrusted value's markup through.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blog_template.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static char  blog_fuzz_dir[] = "/tmp/blog-fuzz-template-XXXXXX";
static char  blog_fuzz_file[sizeof(blog_fuzz_dir) + 16];


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                    err[512];
    FILE                   *f;
    blog_tpl_t             *tpl;
    blog_buf_t              out;
    blog_tpl_ctx_t          root;
    static blog_tpl_var_t   item_vars[] = {
        { "name", BLOG_TPL_TEXT, "<i>", 3, NULL, 0 },
    };
    static blog_tpl_ctx_t   items[] = {
        { NULL, item_vars, 1 }, { NULL, item_vars, 1 },
    };
    static blog_tpl_var_t   vars[] = {
        { "title", BLOG_TPL_TEXT, "<script>x</script>", 18, NULL, 0 },
        { "body_html", BLOG_TPL_TRUSTED, "<p>ok</p>", 9, NULL, 0 },
        { "empty", BLOG_TPL_TEXT, "", 0, NULL, 0 },
        { "tags", BLOG_TPL_LIST, NULL, 0, items, 2 },
    };

    if (blog_fuzz_file[0] == '\0') {
        if (mkdtemp(blog_fuzz_dir) == NULL) {
            abort();
        }

        snprintf(blog_fuzz_file, sizeof(blog_fuzz_file), "%s/t.html",
                 blog_fuzz_dir);
    }

    f = fopen(blog_fuzz_file, "wb");
    if (f == NULL) {
        abort();
    }

    if (fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        abort();
    }

    tpl = blog_tpl_load(blog_fuzz_dir, "t.html", err, sizeof(err));
    if (tpl == NULL) {
        if (err[0] == '\0') {
            abort();
        }

        return 0;
    }

    root.parent = NULL;
    root.vars = vars;
    root.nvars = sizeof(vars) / sizeof(vars[0]);

    memset(&out, 0, sizeof(out));

    if (blog_tpl_render(tpl, &root, &out) == 0 && out.len >= 8
        && memmem(out.data, out.len, "<script>", 8)
        && !memmem(data, size, "<script>", 8))
    {
        abort();
    }

    free(out.data);
    blog_tpl_free(tpl);

    return 0;
}
