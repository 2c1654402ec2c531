/*
 * libFuzzer target: application/x-www-form-urlencoded bodies (blog_form.c),
 * which the admin panel and the comment form read from anyone; and the
 * UTF-8 checks their values go through.  Beyond "no crash", it checks the
 * parser's promises: at most BLOG_FORM_MAX_FIELDS fields, each name and
 * value a C string as long as said (no NUL inside), never longer than the
 * input; the first field of a name is the one found.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_form.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t               i, chars;
    blog_form_t          form;
    const blog_field_t  *f;

    /* every byte string: a value is checked before it is stored */
    if (blog_utf8_valid((const char *) data, size)) {
        chars = blog_utf8_chars((const char *) data, size);
        if (chars > size || (size && chars == 0)) {
            abort();
        }
    }

    if (blog_form_parse(&form, (const char *) data, size) != BLOG_FORM_OK) {
        if (form.fields != NULL || form.mem != NULL || form.n != 0) {
            abort();
        }
        return 0;
    }

    if (form.n > BLOG_FORM_MAX_FIELDS) {
        abort();
    }

    for (i = 0; i < form.n; i++) {
        if (strlen(form.fields[i].value) != form.fields[i].len
            || form.fields[i].len > size
            || strlen(form.fields[i].name) > size)
        {
            abort();
        }

        f = blog_form_get(&form, form.fields[i].name);
        if (f == NULL || f > &form.fields[i]) {
            abort();
        }
    }

    blog_form_free(&form);

    return 0;
}
