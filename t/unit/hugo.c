/*
 * Unit tests of ctl_hugo.c's reading of one file: TOML and YAML front
 * matter, where a file's place makes it a post or a page, aliases, and
 * the inputs the fuzzer found (t/fuzz/corpus/hugo).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_import.h"
#include "tap.h"


static ctl_file_t   f;
static const char  *why;


/* text copied to a buffer of its exact size: no NUL to lean on */
static int
parse(const char *rel, const char *text)
{
    int     rc;
    char   *buf;
    size_t  len;

    ctl_doc_free(&f.doc);
    free(f.html);
    free(f.summary);
    memset(&f, 0, sizeof(ctl_file_t));
    f.path = (char *) rel;

    len = strlen(text);
    buf = malloc(len ? len : 1);
    memcpy(buf, text, len);

    rc = ctl_hugo_parse(rel, buf, len, &f, &why);
    free(buf);

    return rc;
}


int
main(void)
{
    is_int(parse("post/a.md",
                 "+++\n"
                 "title = \"A \\\"quoted\\\" title\"  # a comment\n"
                 "date = 2019-03-11T10:00:00Z\n"
                 "tags = [\n  \"one\",  # first\n  'two, three',\n]\n"
                 "categories = [\"One\"]\n"
                 "aliases = [\"old\", \"/abs/path/\"]\n"
                 "[params]\n"
                 "title = \"not the page's\"\n"
                 "+++\n"
                 "Body *here*.\n"), 0, "TOML: read");
    is_str(f.doc.title, "A \"quoted\" title", "TOML: escapes in a string");
    is_int(f.doc.date, 1552298400, "TOML: a bare date");
    is_str(f.doc.tags, "one,two  three", "TOML: an array over lines, a "
           "literal string, ',' a space, One as one");
    ok(strcmp(f.doc.aliases, "/post/old\n/abs/path\n/post/a\n") == 0,
       "TOML: a relative alias under the section, an absolute one, the "
       "Hugo URL");
    is_str(f.doc.type, "post", "a file in a section is a post");
    is_str(f.doc.body, "Body *here*.\n", "the body after the fence");

    is_int(parse("about/index.md",
                 "---\ntitle: About\ntags:\n  - x\n  - y\nslug: who\n---\n"),
           0, "YAML: a bundle at the top");
    is_str(f.doc.type, "page", "a bundle at the top is a page");
    is_str(f.doc.slug, "who", "slug set");
    is_str(f.doc.tags, "x,y", "YAML: a block list");

    is_int(parse("post/trip/index.md",
                 "---\ntitle: Trip\ndate: 2020-01-02\n---\n"), 0,
           "a bundle in a section");
    is_str(f.doc.slug, "trip", "a bundle takes its folder's name");

    is_int(parse("post/a.md", "---\ntitle: T\n---"), 1,
           "a post without a date, fence at the very end: skipped");
    ok(why && strstr(why, "without a date"), "... saying why");

    is_int(parse("post/a.md", "+++\ntitle = [\"x\"\n+++\n"), -1,
           "TOML: an array not closed");
    is_int(parse("post/a.md", "+++\ntitle = \"x\" y\n+++\n"), -1,
           "TOML: text after a value");
    is_int(parse("post/a.md", "---\ntitle: [x\n---\n"), -1,
           "YAML: a flow list not closed");
    is_int(parse("post/a.md", "---\ntitle: x\ndate: 2019-02-30\n---\n"), -1,
           "an impossible date");
    is_int(parse("post/a.md", "---\ntitle: x\n"), -1,
           "a front matter not closed");
    is_int(parse("post/a.md", "no front matter\n"), 1, "none: skipped");
    is_int(parse("post/a.md", "---\ntitle: \xff\n---\n"), -1,
           "not UTF-8");

    /* the fuzzer's: the body read past a fence at the very end */
    is_int(parse("post/a.md", "---\n---\x1a$\n--\n---"), -1,
           "fuzz: a control character, the fence at the very end");
    is_int(parse("post/a.md", "---\ntitle: T\ndraft: true\n---"), 0,
           "a fence at the very end: no body");
    is_str(f.doc.body, "", "... an empty one");

    ctl_doc_free(&f.doc);
    free(f.html);
    free(f.summary);

    return tap_done();
}
