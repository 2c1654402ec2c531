/*
 * Unit tests of blog_path.c: slugs, page numbers, confined file paths.
 */

#include <string.h>

#include "blog_path.h"
#include "tap.h"


static void
path_is(const char *path, size_t len, blog_path_e want, const char *want_why)
{
    const char   *why;
    blog_path_e   got;

    got = blog_path_check(path, len, &why);

    is_int(got, want, "path \"%.*s\" (%zu bytes)", (int) len, path, len);

    if (want_why) {
        is_str(why, want_why, "path \"%.*s\": reason", (int) len, path);
    }
}


int
main(void)
{
    char  slug[BLOG_SLUG_MAX + 2];

    memset(slug, 'a', sizeof(slug));

    ok(blog_slug_valid("hello-world-2", 13), "plain slug");
    ok(blog_slug_valid(slug, BLOG_SLUG_MAX), "slug of the maximum length");
    ok(!blog_slug_valid(slug, BLOG_SLUG_MAX + 1), "slug one byte too long");
    ok(!blog_slug_valid("a/b", 3), "slash in a slug");
    ok(!blog_slug_valid("a.b", 3), "dot in a slug");
    ok(!blog_slug_valid("caf\xc3\xa9", 5), "non-ASCII slug");
    ok(!blog_slug_valid("a\0b", 3), "NUL in a slug");

    is_int(blog_page_number("2", 1), 2, "page 2");
    is_int(blog_page_number("123456789", 9), 123456789, "nine digits");
    is_int(blog_page_number("1234567890", 10), 0, "ten digits refused");
    is_int(blog_page_number("02", 2), 0, "leading zero refused");
    is_int(blog_page_number("0", 1), 0, "zero refused");
    is_int(blog_page_number("", 0), 0, "empty refused");
    is_int(blog_page_number("2a", 2), 0, "trailing letter refused");
    is_int(blog_page_number("-2", 2), 0, "sign refused");

    path_is("photo.png", 9, BLOG_PATH_OK, NULL);
    path_is("2026/11/photo.png", 17, BLOG_PATH_OK, NULL);
    path_is("a..b/c...d", 10, BLOG_PATH_OK, NULL);
    path_is("", 0, BLOG_PATH_NOT_FOUND, NULL);
    path_is("2026/", 5, BLOG_PATH_NOT_FOUND, NULL);
    path_is("..", 2, BLOG_PATH_BAD, "\"..\" segment");
    path_is("../etc/passwd", 13, BLOG_PATH_BAD, "\"..\" segment");
    path_is("a/../../b", 9, BLOG_PATH_BAD, "\"..\" segment");
    path_is("a/..", 4, BLOG_PATH_BAD, "\"..\" segment");
    path_is(".", 1, BLOG_PATH_BAD, "dot-file segment");
    path_is("a/./b", 5, BLOG_PATH_BAD, "dot-file segment");
    path_is(".htaccess", 9, BLOG_PATH_BAD, "dot-file segment");
    path_is("a/.git/config", 13, BLOG_PATH_BAD, "dot-file segment");
    path_is("...", 3, BLOG_PATH_BAD, "dot-file segment");
    path_is("a//b", 4, BLOG_PATH_BAD, "empty segment");
    path_is("/etc/passwd", 11, BLOG_PATH_BAD, "empty segment");
    path_is("a\\..\\b", 6, BLOG_PATH_BAD, "backslash");
    path_is("a.png\0.txt", 10, BLOG_PATH_BAD, "NUL byte");
    path_is("a\0", 2, BLOG_PATH_BAD, "NUL byte");

    return tap_done();
}
