/*
 * Unit tests of the multipart/form-data parser.
 */

#include <string.h>

#include "blog_multipart.h"
#include "tap.h"


#define CT  "multipart/form-data; boundary=----b0undary"
#define B   "------b0undary"


static blog_part_t  parts[8];
static size_t       n;


static int
parse(const char *body, size_t len)
{
    return blog_multipart_parse(body, len, "----b0undary", 12, parts, 8, &n);
}


static int
eq(const char *p, size_t len, const char *want)
{
    return p != NULL && len == strlen(want) && memcmp(p, want, len) == 0;
}


int
main(void)
{
    size_t       blen;
    const char  *b;

    static const char  body[] =
        B "\r\n"
        "Content-Disposition: form-data; name=\"csrf\"\r\n"
        "\r\n"
        "tok\r\n"
        B "\r\n"
        "Content-Disposition: form-data; name=\"file\"; "
        "filename=\"a b.png\"\r\n"
        "Content-Type: image/png\r\n"
        "\r\n"
        "\x89PNG\r\n\x1a\n\0\0binary\r\n--not-the-boundary\r\n"
        B "--\r\n";

    is_int(blog_multipart_boundary(CT, strlen(CT), &b, &blen),
           BLOG_MULTIPART_OK, "boundary found");
    ok(eq(b, blen, "----b0undary"), "boundary value");
    is_int(blog_multipart_boundary("multipart/form-data; charset=x; "
                                   "boundary=\"q q\"", 47, &b, &blen),
           BLOG_MULTIPART_BAD, "a space in a boundary is refused");
    is_int(blog_multipart_boundary("multipart/form-data; charset=x; "
                                   "boundary=\"qq\"", 45, &b, &blen),
           BLOG_MULTIPART_OK, "quoted boundary after another parameter");
    ok(eq(b, blen, "qq"), "quoted boundary value");
    is_int(blog_multipart_boundary("text/plain; boundary=x", 22, &b, &blen),
           BLOG_MULTIPART_BAD, "not multipart");
    is_int(blog_multipart_boundary("multipart/form-data", 19, &b, &blen),
           BLOG_MULTIPART_BAD, "no boundary");

    is_int(parse(body, sizeof(body) - 1), BLOG_MULTIPART_OK, "body parses");
    is_int(n, 2, "two parts");
    ok(eq(parts[0].name, parts[0].name_len, "csrf"), "first name");
    ok(parts[0].filename == NULL, "a field has no filename");
    ok(eq(parts[0].data, parts[0].len, "tok"), "field value");
    ok(eq(parts[1].name, parts[1].name_len, "file"), "second name");
    ok(eq(parts[1].filename, parts[1].filename_len, "a b.png"), "filename");
    ok(eq(parts[1].type, parts[1].type_len, "image/png"), "content type");
    is_int(parts[1].len, 10 + 6 + 2 + 18, "binary data with NULs and "
           "boundary-like lines keeps its length");

    is_int(parse(body, sizeof(body) - 5), BLOG_MULTIPART_BAD,
           "truncated body (no close delimiter)");
    is_int(parse("xx", 2), BLOG_MULTIPART_BAD, "garbage");
    is_int(parse(B "\r\nContent-Type: text/plain\r\n\r\nx\r\n" B "--", 68),
           BLOG_MULTIPART_BAD, "a part without Content-Disposition");
    is_int(parse(B "\r\nContent-Disposition: form-data; filename=\"x\"\r\n"
                 "\r\nx\r\n" B "--", 0), BLOG_MULTIPART_BAD, "empty");
    is_int(blog_multipart_parse(body, sizeof(body) - 1, "----b0undary", 12,
                                parts, 1, &n),
           BLOG_MULTIPART_BAD, "more parts than room");
    is_int(parse(B "--", 16), BLOG_MULTIPART_OK, "no parts at all");
    is_int(n, 0, "zero parts");

    return tap_done();
}
