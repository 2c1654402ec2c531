/*
 * blogctl import DIR: makes the posts match the *.md files of a folder;
 * blogctl import FILE.xml: the posts and pages of a WordPress export
 * (ctl_wxr.c), written the same way, as are a Hugo folder (ctl_hugo.c),
 * a Jekyll site (ctl_jekyll.c) and a Ghost export (ctl_ghost.c); with
 * --uploads DIR, the images they link to (ctl_media.c).
 *
 * Every file is read and parsed before anything is written, so that all the
 * mistakes in a folder are reported at once; then one transaction writes
 * them, so that a failure leaves the database as it was.  A file whose
 * content equals its post's latest revision is left alone, which makes a
 * second import of the same folder change nothing.
 */

#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "ctl_commands.h"
#include "ctl_db.h"
#include "ctl_frontmatter.h"
#include "ctl_import.h"
#include "ctl_media.h"
#include "ctl_util.h"
#include "blog_markdown.h"
#include "blog_post.h"
#include "blog_redirect.h"
#include "blog_tags.h"


typedef struct {
    size_t      added;
    size_t      updated;
    size_t      unchanged;
} ctl_counts_t;


static int
ctl_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/* The *.md names in dir, sorted so that imports are deterministic. */
static int
ctl_import_list(const char *dir, char ***names, size_t *n)
{
    DIR            *d;
    char          **v, **grown;
    size_t          len, size;
    struct dirent  *de;

    d = opendir(dir);
    if (d == NULL) {
        ctl_error("%s: %s", dir, strerror(errno));
        return CTL_ERROR;
    }

    v = NULL;
    *n = 0;
    size = 0;

    for ( ;; ) {
        errno = 0;
        de = readdir(d);

        if (de == NULL) {
            if (errno != 0) {
                ctl_error("%s: %s", dir, strerror(errno));
                goto failed;
            }

            break;
        }

        len = strlen(de->d_name);

        /* editors leave hidden files like ".post.md.swp" and "._post.md" */
        if (de->d_name[0] == '.' || len <= 3
            || strcmp(de->d_name + len - 3, ".md") != 0)
        {
            continue;
        }

        if (*n == size) {
            size = (size == 0) ? 16 : size * 2;
            grown = realloc(v, size * sizeof(char *));

            if (grown == NULL) {
                ctl_error("out of memory");
                goto failed;
            }

            v = grown;
        }

        v[*n] = strdup(de->d_name);

        if (v[*n] == NULL) {
            ctl_error("out of memory");
            goto failed;
        }

        (*n)++;
    }

    closedir(d);

    if (*n > 0) {
        qsort(v, *n, sizeof(char *), ctl_name_cmp);
    }

    *names = v;

    return CTL_OK;

failed:

    while (*n > 0) {
        free(v[--(*n)]);
    }

    free(v);
    closedir(d);

    return CTL_ERROR;
}


/* Reads, parses and renders one file; reports its errors. */
static int
ctl_import_load(ctl_file_t *f, const char *dir)
{
    int             rc;
    char           *buf;
    size_t          len;
    ctl_fm_error_t  err;

    if (asprintf(&f->path, "%s/%s", dir, f->name) == -1) {
        f->path = NULL;
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    if (ctl_read_file(f->path, &buf, &len) != CTL_OK) {
        return CTL_ERROR;
    }

    rc = ctl_frontmatter_parse(buf, len, f->name, &f->doc, &err);
    free(buf);

    if (rc != CTL_OK) {
        ctl_error("%s:%u: %s", f->path, err.line, err.msg);
        return CTL_ERROR;
    }

    if (blog_markdown_render(f->doc.body, strlen(f->doc.body), &f->html,
                             f->doc.summary == NULL ? &f->summary : NULL)
        != 0)
    {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    return CTL_OK;
}


/* Two files for one post would overwrite each other in turn. */
static int
ctl_import_check_slugs(ctl_file_t *files, size_t n)
{
    int     rc;
    size_t  i, k;

    rc = CTL_OK;

    for (i = 0; i < n; i++) {
        for (k = 0; k < i; k++) {
            if (files[i].doc.slug != NULL && files[k].doc.slug != NULL
                && strcmp(files[i].doc.slug, files[k].doc.slug) == 0)
            {
                ctl_error("%s:%u: slug \"%s\" is also the slug of %s",
                          files[i].path, files[i].doc.slug_line,
                          files[i].doc.slug, files[k].name);
                rc = CTL_ERROR;
                break;
            }
        }
    }

    return rc;
}


/*
 * The post's author's name, written only when it changed, so that a second
 * import writes nothing.  Not part of the revisions: a byline, not text.
 */
static int
ctl_import_author(sqlite3 *db, blog_stmts_t *cache, int64_t id,
    const char *author)
{
    int            rc;
    sqlite3_stmt  *stmt;

    rc = blog_stmt_prepare(cache, db,
             "UPDATE posts SET author = ?1 WHERE id = ?2 AND author != ?1",
             &stmt);

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_text(stmt, 1, author ? author : "", -1,
                               SQLITE_STATIC);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(stmt, 2, id);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        rc = (rc == SQLITE_DONE) ? SQLITE_OK : rc;
    }

    blog_stmt_done(cache, stmt);

    return rc;
}


/*
 * Writes one file's post, unless its latest revision already says it all.
 * cache keeps the statements from one post to the next.
 */
static int
ctl_import_file(sqlite3 *db, blog_stmts_t *cache, ctl_file_t *f,
    int64_t now, ctl_counts_t *c)
{
    int            rc, rev, same;
    char          *origin;
    int64_t        id;
    blog_state_t   st, old;
    sqlite3_stmt  *stmt;

    st.type = f->doc.type;
    st.title = f->doc.title;
    st.summary = (f->doc.summary != NULL) ? f->doc.summary : f->summary;
    st.body_md = f->doc.body;
    st.status = f->doc.draft ? "draft" : "published";
    st.tags = f->doc.tags;
    st.has_published = f->doc.has_date;
    st.published_at = f->doc.date;
    st.newsletter = f->doc.newsletter == 0 ? -1 : f->doc.newsletter > 0;

    id = 0;
    rev = 0;
    same = 0;

    rc = blog_post_find(db, f->doc.slug, &id);

    if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND) {
        return ctl_db_fail(db);
    }

    /* a post without revisions was made by other means: import adopts it */
    if (rc == SQLITE_OK) {
        rc = blog_revision_read(db, id, &rev, &stmt, &old);

        if (rc == SQLITE_OK) {
            /*
             * A published page without a date keeps the time it was first
             * published, or every import would move it.
             */
            if (!st.has_published && !f->doc.draft && old.has_published) {
                st.has_published = 1;
                st.published_at = old.published_at;
            }

            same = blog_state_equal(&st, &old);
        }

        if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND) {
            ctl_db_fail(db);
            sqlite3_finalize(stmt);
            return CTL_ERROR;
        }

        sqlite3_finalize(stmt);

        if (same) {
            c->unchanged++;
            rc = blog_redirect_aliases(db, cache, id, f->doc.aliases, now);

            if (rc == SQLITE_OK) {
                rc = ctl_import_author(db, cache, id, f->doc.author);
            }

            return rc == SQLITE_OK ? CTL_OK : ctl_db_fail(db);
        }
    }

    if (!st.has_published && !f->doc.draft) {
        st.has_published = 1;
        st.published_at = now;
    }

    origin = sqlite3_mprintf("import:%s", f->name);
    if (origin == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    if (id == 0) {
        c->added++;

    } else {
        c->updated++;
    }

    rc = blog_post_save(db, cache, &id, f->doc.slug, f->name, &st, f->html,
                        origin, now, &rev);
    sqlite3_free(origin);

    if (rc == SQLITE_OK) {
        rc = blog_redirect_aliases(db, cache, id, f->doc.aliases, now);
    }

    if (rc == SQLITE_OK) {
        rc = ctl_import_author(db, cache, id, f->doc.author);
    }

    return rc == SQLITE_OK ? CTL_OK : ctl_db_fail(db);
}


/*
 * Oldest first, undated last (they get the time of the import), in name
 * order among equals: a post newer than all those already written takes
 * the end of its listings, one row each, where one put in the middle moves
 * the newer ones (lib/blog_schema.c, migration 8), and a big folder of
 * old posts in name order would move them again for each file.
 */
static int
ctl_date_cmp(const void *a, const void *b)
{
    const ctl_file_t  *x = *(ctl_file_t *const *) a;
    const ctl_file_t  *y = *(ctl_file_t *const *) b;

    if (x->doc.has_date != y->doc.has_date) {
        return x->doc.has_date ? -1 : 1;
    }

    if (x->doc.has_date && x->doc.date != y->doc.date) {
        return x->doc.date < y->doc.date ? -1 : 1;
    }

    return strcmp(x->name, y->name);
}


/*
 * Redirects that lead to no post ("FROM TO" lines: Ghost's tag pages),
 * each written once: one already there, the panel's or an earlier
 * import's, is left as it is.
 */
static int
ctl_import_links(sqlite3 *db, const char *links, int64_t now)
{
    int            rc;
    const char    *p, *sp, *nl;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(db,
             "INSERT INTO redirects (kind, from_path, to_url, status, origin,"
             "  created_at, updated_at)"
             " VALUES ('path', ?1, ?2, 301, 'import', ?3, ?3)"
             " ON CONFLICT (kind, from_path) DO NOTHING",
             -1, &stmt, NULL);

    for (p = links; rc == SQLITE_OK && (nl = strchr(p, '\n')) != NULL;
         p = nl + 1)
    {
        sp = memchr(p, ' ', (size_t) (nl - p));
        if (sp == NULL) {
            continue;
        }

        rc = sqlite3_bind_text(stmt, 1, p, (int) (sp - p), SQLITE_STATIC);

        if (rc == SQLITE_OK) {
            rc = sqlite3_bind_text(stmt, 2, sp + 1, (int) (nl - sp - 1),
                                   SQLITE_STATIC);
        }

        if (rc == SQLITE_OK) {
            rc = sqlite3_bind_int64(stmt, 3, now);
        }

        if (rc == SQLITE_OK) {
            rc = sqlite3_step(stmt);
            rc = (rc == SQLITE_DONE) ? SQLITE_OK : rc;
        }

        sqlite3_reset(stmt);
    }

    sqlite3_finalize(stmt);

    return rc == SQLITE_OK ? CTL_OK : ctl_db_fail(db);
}


static int
ctl_import_write(sqlite3 *db, ctl_file_t *files, size_t n,
    const char *links, ctl_media_t *m, ctl_counts_t *c)
{
    size_t         i;
    int64_t        now;
    ctl_file_t   **order;
    blog_stmts_t   cache;

    now = (int64_t) time(NULL);
    cache.n = 0;

    order = malloc((n > 0 ? n : 1) * sizeof(ctl_file_t *));
    if (order == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    for (i = 0; i < n; i++) {
        order[i] = &files[i];
    }

    qsort(order, n, sizeof(ctl_file_t *), ctl_date_cmp);

    /*
     * One transaction of many posts: a page cache that holds it (64 MB,
     * SQLite's default is 2) keeps SQLite from spilling pages to the
     * file before the commit, and writing them again after.
     */
    (void) sqlite3_exec(db, "PRAGMA cache_size = -65536", NULL, NULL, NULL);

    /*
     * Each statement of the transaction keeps the pages it changes in a
     * statement journal, so that it can be undone alone; past 64 kB SQLite
     * writes it to a temporary file, and a post's statements (the search
     * index's segments) pass that: 100 writes a post.  In memory, as the
     * temporary b-trees of the triggers' subqueries.
     */
    (void) sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);

    /*
     * Every statement that runs the triggers opens and closes SQLite's
     * temporary b-trees, whose memory glibc gave back to the kernel at
     * each free and took again, page fault by page fault: a fifth of the
     * import's CPU.  blogctl exits after the import.
     */
    (void) mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);

    if (ctl_db_begin(db) != CTL_OK) {
        free(order);
        return CTL_ERROR;
    }

    if (blog_tags_defer(db) != SQLITE_OK) {
        ctl_db_fail(db);
        ctl_db_rollback(db);
        free(order);
        return CTL_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (ctl_import_file(db, &cache, order[i], now, c) != CTL_OK) {
            ctl_error("%s: not imported, nothing written", order[i]->path);
            blog_stmts_free(&cache);
            ctl_db_rollback(db);
            free(order);
            return CTL_ERROR;
        }
    }

    blog_stmts_free(&cache);
    free(order);

    if ((links != NULL && ctl_import_links(db, links, now) != CTL_OK)
        || ctl_media_record(m, db, now) != CTL_OK)
    {
        ctl_db_rollback(db);
        return CTL_ERROR;
    }

    if (blog_tags_rename(db) != SQLITE_OK
        || blog_tags_prune(db) != SQLITE_OK)
    {
        ctl_db_fail(db);
        ctl_db_rollback(db);
        return CTL_ERROR;
    }

    return ctl_db_commit(db);
}


/* The posts and pages of the *.md files of dir, read and rendered. */
static int
ctl_import_folder(const char *dir, ctl_file_t **files, size_t *n)
{
    char   **names;
    size_t   i, bad;

    *files = NULL;

    if (ctl_import_list(dir, &names, n) != CTL_OK) {
        return CTL_ERROR;
    }

    *files = calloc(*n > 0 ? *n : 1, sizeof(ctl_file_t));

    if (*files == NULL) {
        ctl_error("out of memory");
        for (i = 0; i < *n; i++) {
            free(names[i]);
        }
        free(names);
        return CTL_ERROR;
    }

    bad = 0;

    for (i = 0; i < *n; i++) {
        (*files)[i].name = names[i];

        if (ctl_import_load(&(*files)[i], dir) != CTL_OK) {
            bad++;
        }
    }

    free(names);

    return bad ? CTL_ERROR : CTL_OK;
}


/* Writes what was loaded, reports, frees. */
static int
ctl_import_run(sqlite3 *db, const char *from, int rc, ctl_file_t *files,
    size_t n, size_t skipped, const char *links, ctl_media_t *m)
{
    size_t         i;
    ctl_counts_t   c;

    if (files == NULL) {
        ctl_error("%s: errors found, nothing imported", from);
        return CTL_ERROR;
    }

    if (ctl_import_check_slugs(files, n) != CTL_OK) {
        rc = CTL_ERROR;
    }

    c.added = 0;
    c.updated = 0;
    c.unchanged = 0;

    if (rc != CTL_OK) {
        ctl_error("%s: errors found, nothing imported", from);

    } else {
        rc = ctl_import_write(db, files, n, links, m, &c);
    }

    if (rc == CTL_OK) {
        printf("imported %zu new, %zu updated, %zu unchanged", c.added,
               c.updated, c.unchanged);

        if (skipped) {
            printf(", %zu skipped", skipped);
        }

        printf("\n");
        ctl_media_report(m);
    }

    for (i = 0; i < n; i++) {
        free(files[i].name);
        free(files[i].path);
        ctl_doc_free(&files[i].doc);
        free(files[i].html);
        free(files[i].summary);
    }

    free(files);

    return rc;
}


/* Where an export's links say its media are (ctl_media.h) */
static const char *const  ctl_import_wxr_media[] = {
    "/wp-content/uploads/", ".files.wordpress.com/", NULL
};

static const char *const  ctl_import_ghost_media[] = {
    "/content/images/", NULL
};


/* The importers, as the commands name them */
typedef enum {
    CTL_IMPORT_FOLDER = 0,      /* DIR of *.md, or a WordPress FILE.xml */
    CTL_IMPORT_HUGO,
    CTL_IMPORT_JEKYLL,
    CTL_IMPORT_GHOST
} ctl_import_e;


/*
 * The options after the source: --uploads DIR, --media DIR (default: the
 * "media" folder beside the database, as the packages and the demo lay
 * the blog out), --media-url URL (default "/media/", the media route of a
 * blog at the site's root).
 */
static int
ctl_import_options(sqlite3 *db, char *const *args, ctl_media_t *m,
    char **media)
{
    char        *slash;
    const char  *file;

    *media = NULL;

    for (args++; *args != NULL; args += 2) {
        if (args[1] == NULL) {
            ctl_error("%s needs a value", args[0]);
            return CTL_ERROR;
        }

        if (strcmp(args[0], "--uploads") == 0) {
            m->uploads = args[1];

        } else if (strcmp(args[0], "--media") == 0) {
            m->media = args[1];

        } else if (strcmp(args[0], "--media-url") == 0) {
            m->url = args[1];

        } else {
            ctl_error("unknown option \"%s\" (--uploads DIR, --media DIR, "
                      "--media-url URL)", args[0]);
            return CTL_ERROR;
        }
    }

    if (m->media == NULL) {
        file = sqlite3_db_filename(db, "main");
        slash = (file != NULL) ? strrchr(file, '/') : NULL;

        if (asprintf(media, "%.*s%smedia", slash ? (int) (slash - file) : 0,
                     file, slash ? "/" : "") == -1)
        {
            *media = NULL;
            ctl_error("out of memory");
            return CTL_ERROR;
        }

        m->media = *media;
    }

    if (m->uploads != NULL && access(m->media, W_OK) != 0) {
        ctl_error("%s: %s (the media folder: --media DIR)", m->media,
                  strerror(errno));
        return CTL_ERROR;
    }

    return CTL_OK;
}


/* Loads with the importer, copies the media, writes, reports, frees. */
static int
ctl_import(sqlite3 *db, char *const *args, ctl_import_e kind)
{
    int           rc;
    char         *links, *media;
    size_t        n, i, skipped;
    ctl_file_t   *files;
    ctl_media_t   m;
    struct stat   st;

    memset(&m, 0, sizeof(ctl_media_t));
    m.url = "/media/";
    links = NULL;
    files = NULL;
    n = 0;
    skipped = 0;

    if (ctl_import_options(db, args, &m, &media) != CTL_OK) {
        free(media);
        return CTL_ERROR;
    }

    switch (kind) {

    case CTL_IMPORT_HUGO:
        m.source = args[0];
        rc = ctl_hugo_load(args[0], &files, &n, &skipped);
        break;

    case CTL_IMPORT_JEKYLL:
        rc = ctl_jekyll_load(args[0], &files, &n, &skipped);
        break;

    case CTL_IMPORT_GHOST:
        m.markers = ctl_import_ghost_media;
        rc = ctl_ghost_load(args[0], &files, &n, &skipped, &links);
        break;

    default:
        if (stat(args[0], &st) == 0 && S_ISREG(st.st_mode)) {
            m.markers = ctl_import_wxr_media;
            rc = ctl_wxr_load(args[0], &files, &n, &skipped);

        } else {
            rc = ctl_import_folder(args[0], &files, &n);
        }
    }

    /* the media only once everything was read and found right */
    for (i = 0; rc == CTL_OK && files != NULL && i < n; i++) {
        rc = ctl_media_post(&m, &files[i]);
    }

    rc = ctl_import_run(db, args[0], rc, files, n, skipped, links, &m);

    ctl_media_free(&m);
    free(links);
    free(media);

    return rc;
}


/* blogctl import DIR | FILE.xml (a WordPress export) [OPTIONS] */
int
ctl_cmd_import(sqlite3 *db, char *const *args)
{
    return ctl_import(db, args, CTL_IMPORT_FOLDER);
}


/* blogctl import hugo DIR [OPTIONS] */
int
ctl_cmd_import_hugo(sqlite3 *db, char *const *args)
{
    return ctl_import(db, args, CTL_IMPORT_HUGO);
}


/* blogctl import jekyll DIR [OPTIONS] */
int
ctl_cmd_import_jekyll(sqlite3 *db, char *const *args)
{
    return ctl_import(db, args, CTL_IMPORT_JEKYLL);
}


/* blogctl import ghost FILE.json [OPTIONS] */
int
ctl_cmd_import_ghost(sqlite3 *db, char *const *args)
{
    return ctl_import(db, args, CTL_IMPORT_GHOST);
}
