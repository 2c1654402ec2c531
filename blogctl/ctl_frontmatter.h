/*
 * The front-matter parser: turns the text of one Markdown file into the
 * fields of a post.  Pure: no files, no database, no output, so that it can
 * be tested on buffers.
 *
 * A file is an optional block of "key: value" lines between a first line
 * "---" and the next "---" line, then the Markdown body.
 */

#ifndef CTL_FRONTMATTER_H
#define CTL_FRONTMATTER_H

#include <stddef.h>
#include <stdint.h>


#define CTL_FM_ERR_SIZE  192


typedef struct {
    char        *title;
    char        *slug;
    char        *summary;     /* NULL when not given */
    char        *tags;        /* the names as written, joined by ',' */
    char        *body;        /* the Markdown after the front matter */
    char        *aliases;     /* redirect keys, each followed by '\n' */
    char        *author;      /* the author's name, NULL when not given */
    char        *cover;       /* the cover image's path, NULL when none */
    const char  *type;        /* "post" or "page", static */
    int          draft;
    int          newsletter;  /* 1 true, -1 false, 0 not given */
    int          has_date;
    int64_t      date;        /* Unix seconds, UTC */
    unsigned     slug_line;   /* where slug was set, 1 if from the name */
} ctl_doc_t;

typedef struct {
    unsigned     line;        /* 1-based */
    char         msg[CTL_FM_ERR_SIZE];
} ctl_fm_error_t;


/*
 * Parses buf[0..len).  name is the file's name, whose last component
 * without ".md" is the default slug.  Returns CTL_OK with *doc filled (free
 * it with ctl_doc_free), or CTL_ERROR with *err filled and nothing to free.
 */
int ctl_frontmatter_parse(const char *buf, size_t len, const char *name,
    ctl_doc_t *doc, ctl_fm_error_t *err);

void ctl_doc_free(ctl_doc_t *doc);

/*
 * A front matter's date into Unix seconds: YYYY-MM-DD, then maybe 'T' or
 * ' ' and HH:MM[:SS], then maybe 'Z' or +HH:MM / -HH:MM; no zone is UTC.
 */
int ctl_parse_date(const char *s, size_t n, int64_t *t);

/*
 * Whether buf[0..len) is UTF-8 text, as SQLite stores it and the pages are
 * served: CTL_ERROR with the line and what is wrong in *err.
 */
int ctl_check_text(const char *buf, size_t len, ctl_fm_error_t *err);

#endif /* CTL_FRONTMATTER_H */
