/*
 * What blogctl's importers share: a post or page read from a source (a
 * Markdown file, an item of a WordPress export), parsed and rendered
 * before anything is written, then written by ctl_import.c in one
 * transaction.
 */

#ifndef CTL_IMPORT_H
#define CTL_IMPORT_H

#include <stddef.h>

#include "ctl_frontmatter.h"


typedef struct {
    char       *name;           /* the revision's origin: "import:NAME" */
    char       *path;           /* where errors point: FILE or FILE:LINE */
    ctl_doc_t   doc;
    char       *html;
    char       *summary;        /* the derived one, if doc.summary is NULL */
} ctl_file_t;


/*
 * ctl_wxr.c: the posts and pages of a WordPress export (WXR) at path into
 * *files (*n of them; calloc'ed, each freed as ctl_import.c frees them).
 * What is not a post or page, or was deleted, is skipped with a line on
 * stdout saying why.  A file that is not well-formed XML, or an item that
 * cannot be read, is an error naming the file and line: CTL_ERROR, and
 * nothing to free.
 */
int ctl_wxr_load(const char *path, ctl_file_t **files, size_t *n,
    size_t *skipped);

/*
 * ctl_hugo.c: the Markdown files of a Hugo content folder, the same way:
 * files that are not content (a section's _index.md, no title, a post
 * without a date) skipped with a line saying why; on CTL_ERROR (every
 * error reported, with its file and line) *files is still the caller's
 * to free.
 */
int ctl_hugo_load(const char *dir, ctl_file_t **files, size_t *n,
    size_t *skipped);

/*
 * One Hugo file's text, buf[0..len), as if at rel under the content
 * folder, into f (f->path names it in errors): CTL_OK, CTL_ERROR
 * (reported), or 1 with *why for a file that is not content.  Pure: no
 * files read, for the importer and the fuzzer (t/fuzz/fuzz_hugo.c).
 */
int ctl_hugo_parse(const char *rel, const char *buf, size_t len,
    ctl_file_t *f, const char **why);

/*
 * ctl_jekyll.c: the posts, drafts and pages of a Jekyll site, the same
 * way as ctl_hugo_load.
 */
int ctl_jekyll_load(const char *dir, ctl_file_t **files, size_t *n,
    size_t *skipped);

/* What a Jekyll site's _config.yml says of its posts */
typedef struct {
    const char  *permalink;     /* a pattern or a style name ("date") */
    const char  *timezone;      /* of dates without a zone; NULL: UTC */
} ctl_jekyll_site_t;

/* One Jekyll file's text as if at rel under the site: as ctl_hugo_parse. */
int ctl_jekyll_parse(const char *rel, const char *buf, size_t len,
    const ctl_jekyll_site_t *site, ctl_file_t *f, const char **why);

/*
 * ctl_ghost.c: the posts and pages of a Ghost export (JSON), the same
 * way as ctl_hugo_load: a file that is not a Ghost export, or a post that
 * cannot be read, is an error naming the file and the element.  *links:
 * redirects that lead to no post (Ghost's tag pages), "FROM TO" lines.
 */
int ctl_ghost_load(const char *path, ctl_file_t **files, size_t *n,
    size_t *skipped, char **links);

#endif /* CTL_IMPORT_H */
