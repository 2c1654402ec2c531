/*
 * Unit tests of ctl_jekyll.c's reading of one file: where it is (post,
 * draft, page), Jekyll's permalink styles and placeholders, its date
 * forms, categories and tags as strings or lists, Liquid's highlight and
 * raw tags, and the inputs the fuzzer found (t/fuzz/corpus/jekyll).
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
parse(const char *rel, const char *permalink, const char *text)
{
    int                 rc;
    char               *buf;
    size_t              len;
    ctl_jekyll_site_t   site;

    site.permalink = permalink;
    site.timezone = NULL;

    /* "tz:" before a file's place: the site's timezone is Zurich's */
    if (strncmp(rel, "tz:", 3) == 0) {
        rel += 3;
        site.timezone = "Europe/Zurich";
    }

    ctl_doc_free(&f.doc);
    free(f.html);
    free(f.summary);
    memset(&f, 0, sizeof(ctl_file_t));
    f.path = (char *) rel;

    len = strlen(text);
    buf = malloc(len ? len : 1);
    memcpy(buf, text, len);

    rc = ctl_jekyll_parse(rel, buf, len, &site, &f, &why);
    free(buf);

    return rc;
}


int
main(void)
{
    is_int(parse("blog/_posts/2014-01-12-Hello-World.md", "date",
                 "---\ncategories: Ruby  Web\ntags: [a b, c]\n"
                 "author: parkr\n---\nText.\n"), 0, "a post: read");
    is_str(f.doc.title, "Hello World", "no title: the name's, capitalised");
    is_str(f.doc.slug, "hello-world", "the slug: the name's, lowercased");
    is_int(f.doc.date, 1389484800, "the date: the name's");
    is_str(f.doc.tags, "blog,Ruby,Web,a b,c",
           "the folder, categories split at blanks, a list's tags whole");
    is_str(f.doc.author, "parkr", "the author");
    is_str(f.doc.aliases, "/blog/ruby/web/2014/01/12/Hello-World.html\n",
           "\"date\": /:categories/:year/:month/:day/:title.html, lowercased "
           "categories, the title as written");

    parse("_posts/2014-01-12-x.md", "pretty", "---\ntitle: X\n---\n");
    is_str(f.doc.aliases, "/2014/01/12/x\n", "\"pretty\", no categories: "
           "no empty segment");

    parse("_posts/2014-02-03-x.md",
          "/:short_year/:i_month/:i_day/:y_day/:slug:output_ext",
          "---\ntitle: X\ndate: 2014-02-03 23:30:00 -0500\n---\n");
    is_str(f.doc.aliases, "/14/2/3/034/x.html\n", "placeholders");
    is_int(f.doc.date, 1391488200, "Jekyll's date with a zone");

    parse("_posts/2023-01-29-x.md", "date",
          "---\ntitle: X\ndate: 2023-01-29 18:30:22 2023 -0800\n---\n");
    is_int(f.doc.has_date, 1, "a stray word before the zone, as Time.parse");

    parse("tz:_posts/2014-07-01-x.md", "date",
          "---\ntitle: X\ndate: 2014-07-01 10:00\n---\n");
    is_int(f.doc.date, 1404201600, "no zone: the site's timezone (CEST)");
    parse("tz:_posts/2014-01-12-x.md", "date", "---\ntitle: X\n---\n");
    is_int(f.doc.date, 1389481200, "the name's day: its midnight there (CET)");
    parse("tz:_posts/2014-01-12-x.md", "date",
          "---\ntitle: X\ndate: 2014-01-12 10:00 +05:00\n---\n");
    is_int(f.doc.date, 1389502800, "a zone written wins");

    is_int(parse("_posts/2014-01-12-x.md", "date",
                 "---\ntitle: X\ndate: 2014-02-30\n---\n"), -1,
           "an impossible date: an error");

    parse("_posts/2022-12-21-sass-3.0-released.md", "/news/:title/",
          "---\ntitle: S\npublished: false\n---\n");
    is_str(f.doc.slug, "sass-3-0-released", "a '.' in the name: a '-'");
    is_int(f.doc.draft, 1, "published: false is a draft");
    is_str(f.doc.aliases, "", "... with no old URL");

    parse("_drafts/idea.md", "date", "---\ntitle: Idea\n---\n");
    is_int(f.doc.draft + !f.doc.has_date, 2, "a draft, undated");

    is_int(parse("_posts/notes.md", "date", "---\ntitle: X\n---\n"), 1,
           "a post not named YYYY-MM-DD-TITLE: skipped");
    is_int(parse("index.html", "date", "---\ntitle: Home\n---\n"), 1,
           "the home page: skipped");
    is_int(parse("about.md", "date", "no front matter\n"), 1,
           "no front matter: skipped, a static file");

    parse("docs/install.md", "date",
          "---\ntitle: Install\nredirect_from: [/old/]\n---\n");
    is_str(f.doc.type, "page", "a page");
    is_str(f.doc.aliases, "/old\n/docs/install.html\n",
           "its redirect_from and its URL");

    parse("about/index.md", "pretty", "---\ntitle: About\n---\n");
    is_str(f.doc.slug, "about", "a folder's index: the folder's name");
    is_str(f.doc.aliases, "/about\n", "... at the folder's URL");

    parse("contact.html", "date",
          "---\ntitle: C\npermalink: /contact-us/\n---\n<p>Mail <b>me</b></p>\n");
    is_str(f.doc.body, "Mail **me**\n\n", "an HTML page: made Markdown");
    is_str(f.doc.aliases, "/contact-us\n", "its permalink");

    parse("_posts/2014-01-12-code.md", "date",
          "---\ntitle: C\n---\n{% highlight ruby linenos %}\nputs 1\n"
          "{% endhighlight %}\n{% raw %}{% highlight %}{{ x }}{% endraw %}\n");
    is_str(f.doc.body, "```ruby\nputs 1\n```\n{% highlight %}{{ x }}\n",
           "highlight: a fenced block; raw: kept as written");

    is_int(parse("_posts/2014-01-12-x.md", "date",
                 "---\ntitle: [X\n---\n"), -1, "bad YAML: an error");

    /* t/fuzz/corpus/jekyll/liquid: a post with no category at all */
    is_int(parse("_posts/2014-01-02-a-post.md", "pretty",
                 "---\ntitle: x\n---\n"), 0, "no categories (fuzz)");

    ctl_doc_free(&f.doc);
    free(f.html);
    free(f.summary);

    return tap_done();
}
