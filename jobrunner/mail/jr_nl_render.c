/*
 * A newsletter's rendering (jr_nl_render.c): the post through the theme's
 * newsletter-mail.html and newsletter-mail.txt, once per newsletter.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blog_template.h"
#include "mail/jr_newsletter.h"


/*
 * The post's HTML with its site-relative links (href="/...", src="/...")
 * made absolute with base_url's scheme and host: a mail has no base.
 */
static char *
jr_nl_absolute(const char *html, const char *base_url)
{
    int          attr;
    size_t       origin;
    const char  *p, *q, *host;
    blog_buf_t   out;

    memset(&out, 0, sizeof(out));

    host = strstr(base_url, "://");
    host = host ? host + 3 : base_url;
    origin = (size_t) (host - base_url) + strcspn(host, "/");

    for (p = html; (q = strstr(p, "=\"/")) != NULL; p = q + 2) {
        attr = (q - html >= 4 && strncmp(q - 4, "href", 4) == 0)
               || (q - html >= 3 && strncmp(q - 3, "src", 3) == 0);

        /* not "//host": a scheme-relative link is absolute already */
        if (blog_buf_append(&out, p, (size_t) (q - p) + 2) != 0
            || (attr && q[3] != '/'
                && blog_buf_append(&out, base_url, origin) != 0))
        {
            free(out.data);
            return NULL;
        }
    }

    if (blog_buf_append(&out, p, strlen(p) + 1) != 0) {
        free(out.data);
        return NULL;
    }

    return out.data;
}


#define jr_nl_var(v, n, t, s)                                                 \
    do { (v)->name = n; (v)->type = t; (v)->str = s; (v)->len = strlen(s);   \
         (v)->items = NULL; (v)->nitems = 0; } while (0)


/* Renders dir/file with vars into *out (malloc'ed, NUL-terminated). */
static int
jr_nl_render_file(jr_work_t *w, const char *file, blog_tpl_var_t *vars,
    size_t n, char **out)
{
    char             err[256];
    blog_tpl_t      *tpl;
    blog_buf_t       buf;
    blog_tpl_ctx_t   ctx;

    tpl = blog_tpl_load(w->jobs->cf->jobs.theme, file, err, sizeof(err));
    if (tpl == NULL) {
        jr_work_fail(w, 1, "theme: %s", err);
        return -1;
    }

    memset(&buf, 0, sizeof(buf));
    ctx.parent = NULL;
    ctx.vars = vars;
    ctx.nvars = n;

    if (blog_tpl_render(tpl, &ctx, &buf) != 0
        || blog_buf_append(&buf, "", 1) != 0)
    {
        blog_tpl_free(tpl);
        free(buf.data);
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    blog_tpl_free(tpl);
    *out = buf.data;

    return 0;
}


/*
 * The post rendered into out->subject, html and text: the HTML template
 * gets the post's HTML with absolute links, the text one its Markdown
 * (plain text already; the text template writes its variables raw with
 * {{{...}}}, which they may be, given as trusted there).  0 or -1.
 */
int
jr_nl_render(jr_work_t *w, sqlite3 *db, const jr_nl_site_t *site,
    int64_t post, jr_nl_letter_t *out)
{
    int             rc;
    char           *body, *url, date[32], unsub[] = JR_NL_MARK;
    size_t          n;
    time_t          when;
    struct tm       tm;
    const char     *title, *slug, *summary, *md, *html;
    sqlite3_stmt   *stmt;
    blog_tpl_var_t  vars[9];

    body = NULL;
    url = NULL;

    rc = sqlite3_prepare_v2(db, "SELECT title, slug, summary, body_html,"
                            " body_md, ifnull(published_at, 0)"
                            " FROM main.posts WHERE id = ?1", -1, &stmt,
                            NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(stmt, 1, post);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);

        if (rc == SQLITE_DONE) {
            jr_work_fail(w, 1, "post %lld is gone", (long long) post);

        } else {
            jr_work_fail(w, 0, "cannot read post %lld: %s",
                         (long long) post, sqlite3_errstr(rc));
        }

        return -1;
    }

    title = (const char *) sqlite3_column_text(stmt, 0);
    slug = (const char *) sqlite3_column_text(stmt, 1);
    summary = (const char *) sqlite3_column_text(stmt, 2);
    html = (const char *) sqlite3_column_text(stmt, 3);
    md = (const char *) sqlite3_column_text(stmt, 4);
    when = (time_t) sqlite3_column_int64(stmt, 5);

    gmtime_r(&when, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d", &tm);

    n = strlen(site->base_url) + strlen(site->post_route) + strlen(slug) + 1;
    url = malloc(n);
    body = jr_nl_absolute(html ? html : "", site->base_url);
    out->subject = strdup(title ? title : "");

    if (url == NULL || body == NULL || out->subject == NULL) {
        sqlite3_finalize(stmt);
        free(url);
        free(body);
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    snprintf(url, n, "%s%s%s", site->base_url, site->post_route, slug);

    jr_nl_var(&vars[0], "site_title", BLOG_TPL_TEXT, site->title);
    jr_nl_var(&vars[1], "site_url", BLOG_TPL_TEXT, site->base_url);
    jr_nl_var(&vars[2], "title", BLOG_TPL_TEXT, out->subject);
    jr_nl_var(&vars[3], "url", BLOG_TPL_TEXT, url);
    jr_nl_var(&vars[4], "summary", BLOG_TPL_TEXT, summary ? summary : "");
    jr_nl_var(&vars[5], "body_html", BLOG_TPL_TRUSTED, body);
    jr_nl_var(&vars[6], "published_date", BLOG_TPL_TEXT, date);
    jr_nl_var(&vars[7], "unsubscribe_url", BLOG_TPL_TEXT, unsub);
    jr_nl_var(&vars[8], "body_text", BLOG_TPL_TEXT, md ? md : "");

    rc = jr_nl_render_file(w, JR_NL_HTML, vars, 9, &out->html);

    if (rc == 0) {
        for (n = 0; n < 9; n++) {
            vars[n].type = BLOG_TPL_TRUSTED;
        }

        rc = jr_nl_render_file(w, JR_NL_TEXT, vars, 9, &out->text);
    }

    sqlite3_finalize(stmt);
    free(url);
    free(body);

    return rc;
}


void
jr_nl_letter_free(jr_nl_letter_t *l)
{
    free(l->subject);
    free(l->html);
    free(l->text);
    memset(l, 0, sizeof(jr_nl_letter_t));
}
