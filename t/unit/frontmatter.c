/*
 * Unit tests of the front-matter parser and the slug rules.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_path.h"
#include "ctl_frontmatter.h"
#include "blog_tags.h"
#include "ctl_util.h"
#include "tap.h"


/* a literal's length, so that it may hold a NUL byte */
#define PARSE_AS(name, lit)  parse_as(name, lit, sizeof(lit) - 1)


static ctl_doc_t       doc;
static ctl_fm_error_t  err;


static int
parse_as(const char *name, const char *text, size_t len)
{
    ctl_doc_free(&doc);
    memset(&err, 0, sizeof(err));

    return ctl_frontmatter_parse(text, len, name, &doc, &err);
}


static int
parse(const char *text)
{
    return parse_as("post.md", text, strlen(text));
}


/* The parse fails at line with a message containing want. */
static void
fails_at(const char *text, unsigned line, const char *want, const char *what)
{
    int  rc;

    rc = parse(text);

    is_int(rc, CTL_ERROR, "%s: rejected", what);
    is_int(err.line, line, "%s: at line %u", what, line);

    if (!ok(strstr(err.msg, want) != NULL, "%s: says \"%s\"", what, want)) {
        printf("#   message: \"%s\"\n", err.msg);
    }

    ok(doc.title == NULL && doc.body == NULL, "%s: nothing to free", what);
}


/* The date value parses to want (Unix seconds, UTC). */
static void
date_is(const char *value, int64_t want)
{
    char  text[256];

    snprintf(text, sizeof(text), "---\ntitle: t\ndate: %s\n---\n", value);

    if (!ok(parse(text) == CTL_OK, "date \"%s\" accepted", value)) {
        printf("#   %u: %s\n", err.line, err.msg);
        return;
    }

    ok(doc.has_date, "date \"%s\": has_date", value);
    is_int(doc.date, want, "date \"%s\" is %lld", value, (long long) want);
}


static void
date_bad(const char *value)
{
    char  text[256];

    snprintf(text, sizeof(text), "---\ntitle: t\ndate: %s\n---\n", value);

    is_int(parse(text), CTL_ERROR, "date \"%s\" rejected", value);
    is_int(err.line, 3, "date \"%s\": error at its line", value);
    ok(strstr(err.msg, "invalid date") != NULL, "date \"%s\": invalid date",
       value);
}


static void
tags_are(const char *value, const char *want)
{
    char  text[256];

    snprintf(text, sizeof(text),
             "---\ntitle: t\ndraft: true\ntags: %s\n---\n", value);

    if (!ok(parse(text) == CTL_OK, "tags %s accepted", value)) {
        printf("#   %u: %s\n", err.line, err.msg);
        return;
    }

    is_str(doc.tags, want, "tags %s are \"%s\"", value, want);
}


static void
tag_slug_is(const char *name, const char *want)
{
    char    out[64];
    size_t  n;

    n = blog_tag_slug(name, strlen(name), out);

    is_str(out, want, "tag slug of \"%s\" is \"%s\"", name, want);
    is_int(n, strlen(want), "tag slug of \"%s\": length", name);
}


static void
test_full_file(void)
{
    const char  *text =
        "---\n"
        "title: Tuning nginx for small VPSes\n"
        "date: 2026-10-03 08:30\n"
        "tags: [nginx, Performance Tuning]\n"
        "draft: false\n"
        "slug: nginx-tuning\n"
        "summary: What I changed, and why.\n"
        "type: post\n"
        "author: \"Ada L.\"\n"
        "---\n"
        "# Hello\n"
        "\n"
        "Body text.\n";

    ok(parse_as("2026-10-03-nginx.md", text, strlen(text)) == CTL_OK,
       "full file parses");
    is_str(doc.title, "Tuning nginx for small VPSes", "full: title");
    is_int(doc.date, 1791016200, "full: date");
    is_str(doc.tags, "nginx,Performance Tuning", "full: tags as written");
    is_int(doc.draft, 0, "full: not a draft");
    is_str(doc.slug, "nginx-tuning", "full: slug from the front matter");
    is_int(doc.slug_line, 6, "full: slug line");
    is_str(doc.summary, "What I changed, and why.", "full: summary");
    is_str(doc.type, "post", "full: type");
    is_str(doc.author, "Ada L.", "full: author, unquoted");
    is_str(doc.body, "# Hello\n\nBody text.\n", "full: body after the fence");
}


static void
test_defaults(void)
{
    ok(PARSE_AS("notes/My-First.md", "---\ntitle: x\ndraft: yes\n---\n")
       == CTL_OK, "minimal draft parses");
    is_str(doc.slug, "my-first", "default slug: base name, lowercased");
    is_int(doc.slug_line, 1, "default slug: line 1");
    ok(doc.summary == NULL, "no summary: NULL, derived later");
    is_str(doc.tags, "", "no tags: empty");
    is_str(doc.type, "post", "type defaults to post");
    is_int(doc.draft, 1, "draft: yes");
    is_int(doc.has_date, 0, "no date");
    is_str(doc.body, "", "empty body");
}


static void
test_quoting(void)
{
    ok(parse("---\ntitle: \"Colons: fine, # too\"\ndraft: \"TRUE\"\n---\n")
       == CTL_OK, "double quotes");
    is_str(doc.title, "Colons: fine, # too", "double-quoted title");
    is_int(doc.draft, 1, "quoted, upper-case draft value");

    ok(parse("---\ntitle: 'He said \"hi\"'  \ndraft: no\ndate: 2026-10-03\n"
             "---\n") == CTL_OK, "single quotes");
    is_str(doc.title, "He said \"hi\"", "single quotes, trailing blanks");
    is_int(doc.draft, 0, "draft: no");

    ok(parse("---\ntitle:   spaced out\t\ndraft: true\n---\n") == CTL_OK,
       "unquoted value");
    is_str(doc.title, "spaced out", "unquoted value trimmed");

    ok(parse("---\ntitle: \"a\"b\"\ndraft: true\n---\n") == CTL_OK,
       "inner quote");
    is_str(doc.title, "a\"b", "only the outer quotes are stripped");

    ok(parse("---\ntitle: t\ndescription: For previews.\ndraft: true\n---\n")
       == CTL_OK, "description");
    is_str(doc.summary, "For previews.", "description is the summary");
    fails_at("---\ntitle: t\nsummary: a\ndescription: b\n---\n", 4,
             "duplicate key \"summary\" (\"description\" is another name "
             "for it)", "summary and description");

    ok(parse("---\ntitle: t\nsummary: \"\"\ndraft: true\n---\n") == CTL_OK,
       "empty quoted summary");
    is_str(doc.summary, "", "an empty summary is kept as given");

    fails_at("---\ntitle: \"unterminated\ndraft: true\n---\n", 2,
             "unterminated quoted value", "open quote");
    fails_at("---\ntitle: t\nslug: 'x\n---\n", 3,
             "unterminated quoted value", "open single quote");
}


static void
test_tags(void)
{
    tags_are("a, b", "a,b");
    tags_are("[a, b]", "a,b");
    tags_are("[ SQLite , Backups ]", "SQLite,Backups");
    tags_are("single", "single");
    tags_are("[]", "");
    tags_are("", "");
    tags_are("[\"C++\", 'two words']", "C++,two words");
    tags_are("\"a\" , b", "a,b");
    tags_are("[Ünïcode, Café]", "Ünïcode,Café");

    fails_at("---\ntitle: t\ndraft: true\ntags: a, , b\n---\n", 4,
             "empty tag", "empty tag between commas");
    fails_at("---\ntitle: t\ndraft: true\ntags: [a, b,]\n---\n", 4,
             "empty tag", "trailing comma");
    fails_at("---\ntitle: t\ndraft: true\ntags: [a, b\n---\n", 4,
             "without ']'", "unclosed list");
    fails_at("---\ntitle: t\ndraft: true\ntags: SQLite, sqlite\n---\n", 4,
             "duplicate tag \"sqlite\"", "same slug twice");
    fails_at("---\ntitle: t\ndraft: true\ntags: \"a, b\"\n---\n", 4,
             "cannot contain ','", "comma inside a quoted tag");
    fails_at("---\ntitle: t\ndraft: true\ntags: a, +++\n---\n", 4,
             "no letter or digit", "tag without letters");
    fails_at("---\ntitle: t\ndraft: true\n"
             "tags: [Caf\xc3\xa9, \xe6\x97\xa5\xe6\x9c\xac]\n---\n", 4,
             "no letter or digit", "tag with no ASCII letter");
    fails_at("---\ntitle: t\ndraft: true\ntags: \"a\" x, b\n---\n", 4,
             "text after a quoted tag", "text after a quoted tag");
    fails_at("---\ntitle: t\ndraft: true\ntags: \"a, b\n---\n", 4,
             "unterminated quoted tag", "open quote in tags");
}


static void
test_dates(void)
{
    date_is("2026-10-03", 1790985600);
    date_is("2026-10-03 08:30", 1791016200);
    date_is("2026-10-03T08:30", 1791016200);
    date_is("2026-10-03 08:30:15", 1791016215);
    date_is("2026-10-03T08:30:15Z", 1791016215);
    date_is("2026-10-03T10:30:15+02:00", 1791016215);
    date_is("2026-10-03T08:30:00-05:00", 1791034200);
    date_is("\"2026-10-03T08:30:00Z\"", 1791016200);
    date_is("2028-02-29", 1835395200);
    date_is("1999-12-31T23:59:59Z", 946684799);

    date_bad("2026-02-29");
    date_bad("1900-02-29");
    date_bad("2026-13-01");
    date_bad("2026-00-10");
    date_bad("2026-04-31");
    date_bad("2026-10-3");
    date_bad("26-10-03");
    date_bad("2026/10/03");
    date_bad("2026-10-03 24:00");
    date_bad("2026-10-03 08:60");
    date_bad("2026-10-03 8:30");
    date_bad("2026-10-03T08:30:00+0200");
    date_bad("2026-10-03T08:30:00+24:00");
    date_bad("2026-10-03T08:30:00Z junk");
    date_bad("2026-10-03Z");
    date_bad("0000-01-01");
    date_bad("yesterday");
}


static void
test_errors(void)
{
    fails_at("---\ntitle: t\ndate: 2026-10-03\ncolour: red\n---\n", 4,
             "unknown key \"colour\"", "unknown key");
    fails_at("---\nTitle: t\n---\n", 2,
             "unknown key \"Title\"", "keys are lower case");
    fails_at("---\ntitle: a\ndate: 2026-10-03\n\ntitle: b\n---\n", 5,
             "duplicate key \"title\"", "duplicate key");
    fails_at("---\ntitle: t\ndate: 2026-10-03\n", 1,
             "not closed", "missing closing fence");
    fails_at("---\ntitle: t\n", 1, "not closed", "missing fence, no body");
    fails_at("---\ntitle: t\ndate: 2026-10-03\njust some words\n---\n", 4,
             "expected \"key: value\"", "line without a colon");
    fails_at("---\ntitle: t\n  date: 2026-10-03\n---\n", 3,
             "expected \"key: value\"", "indented line");
    fails_at("---\ntitle: t\n: value\n---\n", 3,
             "expected \"key: value\"", "value without key");
    fails_at("---\ntitle t\n---\n", 2,
             "expected \"key: value\"", "missing colon");
    fails_at("---\ndate: 2026-10-03\ntags: a\n---\nbody\n", 1,
             "missing title", "front matter without title");
    fails_at("---\ntitle:\ndate: 2026-10-03\n---\n", 2,
             "empty title", "empty title");
    fails_at("---\ntitle: ''\n---\n", 2, "empty title", "empty quoted title");
    fails_at("# Just Markdown\n\nNo front matter here.\n", 1,
             "missing title", "no front matter at all");
    fails_at("", 1, "missing title", "empty file");
    fails_at("---\ntitle: t\n---\n", 1,
             "missing date", "published post without date");
    fails_at("---\ntitle: t\ndraft: false\ndate: 2026-10-03\nslug: Bad_Slug\n"
             "---\n", 5, "invalid slug \"Bad_Slug\"", "bad slug");
    fails_at("---\ntitle: t\ndraft: true\nslug: -x\n---\n", 4,
             "invalid slug", "slug starting with '-'");
    fails_at("---\ntitle: t\ndraft: maybe\n---\n", 3,
             "draft must be", "bad draft value");
    fails_at("---\ntitle: t\ndraft: true\ntype: article\n---\n", 4,
             "type must be post or page", "bad type");
    fails_at("---\ntitle: t\ndraft: true\nsummary: ok\n"
             "title: \xc3\x28\n---\n", 5, "invalid UTF-8", "bad UTF-8");
    fails_at("---\ntitle: t\ndraft: true\n---\n\xed\xa0\x80\n", 5,
             "invalid UTF-8", "UTF-8 surrogate");
    fails_at("---\ntitle: t\ndraft: true\n---\n\xc0\xaf\n", 5,
             "invalid UTF-8", "overlong UTF-8");

    is_int(PARSE_AS("post.md", "---\ntitle: t\n\0\n---\n"), CTL_ERROR,
           "NUL byte rejected");
    is_int(err.line, 3, "NUL byte: its line");

    is_int(PARSE_AS("My Post.md", "---\ntitle: t\ndraft: true\n---\n"),
           CTL_ERROR, "file name that makes a bad slug");
    is_int(err.line, 1, "bad file-name slug: line 1");
    ok(strstr(err.msg, "\"my post\"") != NULL, "bad file-name slug: named");

    ok(PARSE_AS("My Post.md",
                "---\ntitle: t\ndraft: true\nslug: my-post\n---\n") == CTL_OK,
       "an explicit slug fixes a bad file name");
}


static void
test_pages_and_drafts(void)
{
    ok(parse("---\ntitle: About\ntype: page\n---\nMe.\n") == CTL_OK,
       "a page needs no date");
    is_str(doc.type, "page", "type: page");
    is_int(doc.has_date, 0, "page without date");

    ok(parse("---\ntitle: WIP\ndraft: true\n---\n") == CTL_OK,
       "a draft needs no date");
}


static void
test_layout(void)
{
    const char  crlf[] =
        "---\r\n"
        "title: Windows \r\n"
        "date: 2026-10-03\r\n"
        "tags: a, b\r\n"
        "---\r\n"
        "Body\r\n";

    ok(parse(crlf) == CTL_OK, "CRLF file parses");
    is_str(doc.title, "Windows", "CRLF: no \\r in the title");
    is_str(doc.tags, "a,b", "CRLF: no \\r in the tags");
    is_int(doc.date, 1790985600, "CRLF: date");
    is_str(doc.body, "Body\r\n", "CRLF: body kept as is");

    fails_at("---\r\ntitle: t\r\nbogus\r\n---\r\n", 3,
             "expected \"key: value\"", "CRLF: error line");

    ok(parse("\xef\xbb\xbf---\ntitle: BOM\ndraft: true\n---\n") == CTL_OK,
       "byte order mark skipped");
    is_str(doc.title, "BOM", "BOM: title");

    ok(parse("---  \n# a comment\ntitle: t\n\n   \ndraft: true\n---\t\nx") ==
       CTL_OK, "comments, blank lines, blanks after the fences");
    is_str(doc.body, "x", "body without final newline");

    ok(parse("---\ntitle: "
             "\xc3\x9c" "ber Caf\xc3\xa9 \xe2\x80\x94 "
             "\xe6\x97\xa5\xe6\x9c\xac "
             "\xf0\x9f\x9a\x80\ndraft: true\n---\n") == CTL_OK,
       "UTF-8 title");
    is_str(doc.title,
           "\xc3\x9c" "ber Caf\xc3\xa9 \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac "
           "\xf0\x9f\x9a\x80", "UTF-8 title kept byte for byte");

    ok(parse("----\ntitle: t\n") == CTL_ERROR,
       "\"----\" does not open front matter");
    ok(strstr(err.msg, "missing title") != NULL, "\"----\": missing title");
}


static void
test_slugs(void)
{
    tag_slug_is("nginx", "nginx");
    tag_slug_is("Performance Tuning", "performance-tuning");
    tag_slug_is("  Hello,  World! ", "hello-world");
    tag_slug_is("C++", "c");
    tag_slug_is("IPv6 / DNS", "ipv6-dns");
    tag_slug_is("caf\xc3\xa9 culture", "caf-culture");
    tag_slug_is("\xc3\x9c" "n\xc3\xaf" "code", "n-code");
    tag_slug_is("+++", "");

    ok(blog_slug_valid("a", 1), "slug \"a\" valid");
    ok(blog_slug_valid("2026-trip", 9), "slug starting with a digit valid");
    ok(!blog_slug_valid("", 0), "empty slug invalid");
    ok(!blog_slug_valid("-a", 2), "slug starting with '-' invalid");
    ok(!blog_slug_valid("a_b", 3), "slug with '_' invalid");
    ok(!blog_slug_valid("A", 1), "upper-case slug invalid");
}


static void
aliases_are(const char *value, const char *want)
{
    char  text[256];

    snprintf(text, sizeof(text),
             "---\ntitle: t\ndraft: true\naliases: %s\n---\n", value);

    if (!ok(parse(text) == CTL_OK, "aliases %s accepted", value)) {
        printf("#   %u: %s\n", err.line, err.msg);
        return;
    }

    /* each key ends with '\n', which a TAP line cannot show */
    ok(strcmp(doc.aliases, want) == 0, "aliases %s: the keys wanted", value);
}


static void
test_aliases(void)
{
    aliases_are("/old/", "/old\n");
    aliases_are("[/a, \"/b/\", '/2019/01/02/c/']",
                "/a\n/b\n/2019/01/02/c\n");
    aliases_are("[]", "");
    aliases_are("/caf%C3%A9", "/caf\xc3\xa9\n");

    is_int(parse("---\ntitle: t\ndraft: true\n---\n"), CTL_OK,
           "no aliases");
    is_str(doc.aliases, "", "no aliases: empty");

    fails_at("---\ntitle: t\ndraft: true\naliases: old\n---\n", 4,
             "aliases: \"old\" must start with \"/\"", "relative alias");
    fails_at("---\ntitle: t\ndraft: true\naliases: [/a, /../b]\n---\n", 4,
             "\"..\" segment", "alias with ..");
    fails_at("---\ntitle: t\ndraft: true\naliases: [/a\n---\n", 4,
             "'[' without ']'", "alias list not closed");
    fails_at("---\ntitle: t\ndraft: true\naliases: /a#top\n---\n", 4,
             "fragment", "alias with a fragment");
    aliases_are("/?p=12", "/?p=12\n");
}


/* cover: the first image of the body, as its own paragraph */
static void
test_cover(void)
{
    ok(parse("---\ntitle: t\ndraft: true\ncover: /media/c.png\n---\nText.\n")
       == CTL_OK, "a cover");
    is_str(doc.cover, "/media/c.png", "cover: its path");
    is_str(doc.body, "![](/media/c.png)\n\nText.\n", "cover: heads the body");

    ok(parse("---\ntitle: t\ndraft: true\ncover: \"https://cdn.example/a.png?w=1\"\n"
             "---\n") == CTL_OK, "a cover URL, quoted");
    is_str(doc.body, "![](https://cdn.example/a.png?w=1)\n\n", "cover URL: the body");

    ok(parse("---\ntitle: t\ndraft: true\n---\nText.\n") == CTL_OK, "no cover");
    ok(doc.cover == NULL, "no cover: NULL");
    is_str(doc.body, "Text.\n", "no cover: the body as written");

    fails_at("---\ntitle: t\ndraft: true\ncover: \"/a.png) ![x](/b.png\"\n---\n", 4,
             "no spaces, quotes, brackets", "a cover that would end its image");
    fails_at("---\ntitle: t\ndraft: true\ncover: /a.png\"onerror=x\n---\n", 4,
             "no spaces, quotes, brackets", "a cover with a quote");
    fails_at("---\ntitle: t\ndraft: true\ncover: \"\"\n---\n", 4,
             "of 1 to 2048 bytes", "an empty cover");
    fails_at("---\ntitle: t\ndraft: true\ncover: /a.png\ncover: /b.png\n---\n", 5,
             "duplicate key \"cover\"", "two covers");
}


int
main(void)
{
    test_full_file();
    test_defaults();
    test_quoting();
    test_tags();
    test_dates();
    test_errors();
    test_pages_and_drafts();
    test_layout();
    test_slugs();
    test_aliases();
    test_cover();

    ctl_doc_free(&doc);

    return tap_done();
}
