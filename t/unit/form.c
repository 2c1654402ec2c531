/*
 * Unit tests of the urlencoded form parser and the UTF-8 checks.
 */

#include <stdlib.h>
#include <string.h>

#include "blog_form.h"
#include "tap.h"


static blog_form_t  form;


static int
parse(const char *s)
{
    blog_form_free(&form);
    return blog_form_parse(&form, s, strlen(s));
}


static const char *
get(const char *name)
{
    const blog_field_t  *f;

    f = blog_form_get(&form, name);
    return f ? f->value : NULL;
}


int
main(void)
{
    size_t  i;
    char    many[BLOG_FORM_MAX_FIELDS * 4 + 8];

    is_int(parse("a=1&b=two+words&c=%3Cscript%3E&d=%e2%82%ac"), BLOG_FORM_OK,
           "a simple form parses");
    is_int(form.n, 4, "four fields");
    is_str(get("a"), "1", "plain value");
    is_str(get("b"), "two words", "'+' is a space");
    is_str(get("c"), "<script>", "escapes decode");
    is_str(get("d"), "\xe2\x82\xac", "UTF-8 escapes decode");
    ok(get("e") == NULL, "a missing field is NULL");

    is_int(parse("x=1&x=2"), BLOG_FORM_OK, "repeated name");
    is_str(get("x"), "1", "the first one wins");

    is_int(parse(""), BLOG_FORM_OK, "empty body");
    is_int(form.n, 0, "no fields");

    is_int(parse("&&a=&b&=v&"), BLOG_FORM_OK, "empty segments and values");
    is_int(form.n, 3, "empty segments are skipped");
    is_str(get("a"), "", "empty value");
    is_str(get("b"), "", "field without '='");
    is_str(get(""), "v", "empty name");

    is_int(parse("a=b=c"), BLOG_FORM_OK, "'=' in a value");
    is_str(get("a"), "b=c", "only the first '=' splits");
    is_int((int) blog_form_get(&form, "a")->len, 3, "value length");

    is_int(parse("a=%"), BLOG_FORM_BAD, "truncated escape");
    is_int(parse("a=%4"), BLOG_FORM_BAD, "half an escape");
    is_int(parse("a=%zz"), BLOG_FORM_BAD, "non-hex escape");
    is_int(parse("a=x%00y"), BLOG_FORM_BAD, "%%00 is refused");
    is_int(parse("a%00=1"), BLOG_FORM_BAD, "%%00 in a name is refused");
    is_int(blog_form_parse(&form, "a=x\0y", 5), BLOG_FORM_BAD,
           "a raw NUL is refused");

    for (i = 0; i < BLOG_FORM_MAX_FIELDS + 1; i++) {
        memcpy(many + 2 * i, "a&", 2);
    }
    many[2 * i] = '\0';
    is_int(parse(many), BLOG_FORM_BAD, "more than %d fields",
           BLOG_FORM_MAX_FIELDS);
    many[2 * BLOG_FORM_MAX_FIELDS] = '\0';
    is_int(parse(many), BLOG_FORM_OK, "exactly %d fields",
           BLOG_FORM_MAX_FIELDS);

    ok(blog_utf8_valid("plain", 5), "ASCII is UTF-8");
    ok(blog_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
       "2, 3 and 4-byte sequences");
    ok(!blog_utf8_valid("\xc3", 1), "truncated sequence");
    ok(!blog_utf8_valid("\xc0\xaf", 2), "overlong '/'");
    ok(!blog_utf8_valid("\xed\xa0\x80", 3), "surrogate");
    ok(!blog_utf8_valid("\xf4\x90\x80\x80", 4), "past U+10FFFF");
    ok(!blog_utf8_valid("\xff", 1), "0xff");
    ok(!blog_utf8_valid("\x80", 1), "lone continuation byte");
    is_int(blog_utf8_chars("a\xc3\xa9\xe2\x82\xac", 6), 3,
           "characters, not bytes");

    blog_form_free(&form);

    return tap_done();
}
