/*
 * blog_highlight() with GNU source-highlight.  Its SourceHighlight class
 * writes a whole document through an output language file; we use the
 * pieces under it instead: a LangDefManager of our own (no library
 * singletons) turns a language file into highlight rules, and a
 * SourceHighlighter runs them line by line, calling one formatter per
 * element, ours, which escapes the text and wraps it in a span.
 *
 * It runs inside nginx workers: no exception crosses the C boundary (a
 * rule of the library's boost regex that gives up on complex input
 * throws), and the only state kept is the language map and the rules
 * built from each language file, which never change once read.
 */

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include <srchilite/formatter.h>
#include <srchilite/formattermanager.h>
#include <srchilite/langdefmanager.h>
#include <srchilite/langmap.h>
#include <srchilite/regexrulefactory.h>
#include <srchilite/sourcehighlighter.h>

#include "blog_highlight.h"

#ifndef BLOG_HIGHLIGHT_DATADIR
#define BLOG_HIGHLIGHT_DATADIR  "/usr/share/source-highlight"
#endif


namespace {

/* The elements of source-highlight's languages that the theme styles. */
const char *const  blog_hl_elements[] = {
    "keyword", "type", "usertype", "string", "regexp", "specialchar",
    "comment", "number", "preproc", "symbol", "function", "cbracket",
    "todo", "predef_var", "predef_func", "classname", "variable", "label",
    NULL
};


void
blog_hl_escape(std::string &out, const std::string &s)
{
    for (char c : s) {
        switch (c) {
        case '&':  out += "&amp;"; break;
        case '<':  out += "&lt;"; break;
        case '>':  out += "&gt;"; break;
        case '"':  out += "&quot;"; break;
        default:   out += c;
        }
    }
}


/* Text of one element: escaped, in a span of its class if it has one. */
class BlogFormatter : public srchilite::Formatter {
public:
    BlogFormatter(std::string &out, const char *elem) : out_(out), elem_(elem)
    {
    }

    void format(const std::string &s, const srchilite::FormatterParams *)
    {
        if (s.empty()) {
            return;
        }

        if (elem_ == NULL) {
            blog_hl_escape(out_, s);
            return;
        }

        out_ += "<span class=\"hl-";
        out_ += elem_;
        out_ += "\">";
        blog_hl_escape(out_, s);
        out_ += "</span>";
    }

private:
    std::string  &out_;
    const char   *elem_;
};


struct BlogHighlighter {
    srchilite::RegexRuleFactory  rules;
    srchilite::LangDefManager    langdefs;
    srchilite::LangMap           langmap;

    BlogHighlighter()
        : langdefs(&rules), langmap(BLOG_HIGHLIGHT_DATADIR, "lang.map")
    {
        langmap.open();
    }

    /* the language file of a name, "" if none: no entry is added */
    std::string file_of(const std::string &lang)
    {
        for (srchilite::LangMap::const_iterator it = langmap.begin();
             it != langmap.end(); ++it)
        {
            if (it->first == lang) {
                return it->second;
            }
        }

        return "";
    }
};


/* Built on first use; NULL for good once it failed (no data files). */
BlogHighlighter  *blog_hl;
bool              blog_hl_failed;


BlogHighlighter *
blog_hl_get()
{
    if (blog_hl == NULL && !blog_hl_failed) {
        try {
            blog_hl = new BlogHighlighter();

        } catch (...) {
            blog_hl_failed = true;
        }
    }

    return blog_hl;
}


/* A lang.map name: letters, digits and a few marks, short. */
bool
blog_hl_lang_valid(const char *lang)
{
    size_t  i;

    for (i = 0; lang[i] != '\0'; i++) {
        if (i == BLOG_HIGHLIGHT_LANG_MAX
            || (strchr("+#_-.", lang[i]) == NULL
                && !((lang[i] >= 'a' && lang[i] <= 'z')
                     || (lang[i] >= 'A' && lang[i] <= 'Z')
                     || (lang[i] >= '0' && lang[i] <= '9'))))
        {
            return false;
        }
    }

    return i > 0;
}


int
blog_hl_run(BlogHighlighter *hl, const char *lang, const char *code,
    size_t len, std::string &out)
{
    std::string  file;
    size_t       start, end;
    const char  *const  *e;

    file = hl->file_of(lang);
    if (file.empty()) {
        return -1;
    }

    srchilite::HighlightStatePtr state
        = hl->langdefs.getHighlightState(BLOG_HIGHLIGHT_DATADIR, file);

    srchilite::FormatterManager  formatters(
        srchilite::FormatterPtr(new BlogFormatter(out, NULL)));

    for (e = blog_hl_elements; *e != NULL; e++) {
        formatters.addFormatter(*e,
            srchilite::FormatterPtr(new BlogFormatter(out, *e)));
    }

    srchilite::SourceHighlighter  highlighter(state);

    highlighter.setFormatterManager(&formatters);
    highlighter.setOptimize(true);

    /* line by line, as the rules expect; the state goes on across lines */
    for (start = 0; start < len; start = end + 1) {
        end = start;

        while (end < len && code[end] != '\n') {
            end++;
        }

        highlighter.highlightParagraph(std::string(code + start, end - start));

        if (end < len) {
            out += '\n';
        }
    }

    return 0;
}

}  /* namespace */


extern "C" int
blog_highlight(const char *lang, const char *code, size_t len, char **html)
{
    char             *p;
    BlogHighlighter  *hl;

    *html = NULL;

    if (len > BLOG_HIGHLIGHT_MAX || !blog_hl_lang_valid(lang)) {
        return -1;
    }

    hl = blog_hl_get();
    if (hl == NULL) {
        return -1;
    }

    try {
        std::string  out;

        out.reserve(len * 2);

        if (blog_hl_run(hl, lang, code, len, out) != 0) {
            return -1;
        }

        p = (char *) malloc(out.size() + 1);
        if (p == NULL) {
            return -1;
        }

        memcpy(p, out.data(), out.size() + 1);
        *html = p;

        return 0;

    } catch (...) {
        return -1;
    }
}
