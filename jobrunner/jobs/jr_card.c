/*
 * The "card" job: the social card of a published post without a picture
 * of its own, the 1200x630 PNG that link previews show (og:image), with
 * the post's title and the site's name in the theme's colours.
 *
 * What a card shows (title, site name, colours, font) is hashed, and the
 * file is CARD_DIR/HASH.png under the media root: the same inputs give the
 * same file, made once.  A job whose file exists already (another post of
 * the same title and site) only records it.  A post is enqueued once per
 * card it needs: the dedupe key is the post and the hash, so a scan that
 * sees it again adds nothing, and a new title is a new job.
 *
 * Scans run on the loop, at start and after another connection commits
 * to data.db (PRAGMA data_version, looked at once a second): the
 * published posts without an <img> changed since the last scan, or all of
 * them when the site's title changed, get a job each.  The commit, in the
 * ack's transaction, points the post's cards row at the file with the
 * title it shows; the module uses a card only while that is the post's
 * title (BLOG_STMT_CARD).
 *
 * Cards are made for a theme: with [jobrunner] theme = the folder of
 * blog_theme, whose card.ini sets the colours and the font (the defaults
 * without one) or turns cards off.  Without a theme, or off, nothing
 * runs and pages do not change under the jobrunner's hands.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/evp.h>
#include <vips/vips.h>

#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "core/jr_log.h"


#define JR_CARD_WIDTH       1200
#define JR_CARD_HEIGHT      630
#define JR_CARD_MARGIN      80
#define JR_CARD_BAR         16          /* the accent's band at the foot */
#define JR_CARD_TITLE_MAX   380         /* pixels of title, then cut */
#define JR_CARD_HASH_NAME   16          /* hex digits in file names */
#define JR_CARD_PATH_MAX    4096
#define JR_CARD_POLL        1000        /* ms between data_version looks */
#define JR_CARD_FONT_MAX    64


typedef struct {
    int          enabled;
    double       background[3];
    double       foreground[3];
    double       accent[3];
    char         font[JR_CARD_FONT_MAX];
    char         why[160];              /* what is wrong in card.ini */
} jr_card_conf_t;

typedef struct {
    jr_jobs_t       *jobs;
    jr_card_conf_t   conf;
    uv_timer_t       poll;
    int64_t          data_version;
    int64_t          since;             /* posts updated from then on */
    char            *site;              /* the title the last scan saw */
    unsigned         scanned:1;
} jr_card_t;

typedef struct {
    int64_t     post;
    char       *title;
    char       *site;
    char        hash[JR_CARD_HASH_NAME + 1];
    char        path[64];               /* relative to the media root */
    int         made;                   /* rendered now, not found made */
} jr_card_job_t;


static void jr_card_poll(uv_timer_t *timer);
static void jr_card_scan(jr_card_t *card);


/* "#rrggbb" as three values 0 to 255. */
static int
jr_card_colour(const char *value, double *rgb)
{
    int       i;
    unsigned  v;
    char      end;

    if (value[0] != '#' || strlen(value) != 7
        || sscanf(value + 1, "%6x%c", &v, &end) != 1)
    {
        return -1;
    }

    for (i = 0; i < 3; i++) {
        rgb[i] = (v >> (16 - 8 * i)) & 0xff;
    }

    return 0;
}


/*
 * inih's handler for card.ini: [card] enabled, colours, font.  What is
 * wrong goes to cc->why; inih gives the line.
 */
static int
jr_card_ini(void *user, const char *section, const char *name,
    const char *value)
{
    int              ok;
    jr_card_conf_t  *cc = user;

    if (strcmp(section, "card") != 0) {
        snprintf(cc->why, sizeof(cc->why), "unknown section [%s]", section);
        return 0;
    }

    if (strcmp(name, "enabled") == 0) {
        ok = strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
        cc->enabled = strcmp(value, "true") == 0;

    } else if (strcmp(name, "background") == 0) {
        ok = jr_card_colour(value, cc->background) == 0;

    } else if (strcmp(name, "foreground") == 0) {
        ok = jr_card_colour(value, cc->foreground) == 0;

    } else if (strcmp(name, "accent") == 0) {
        ok = jr_card_colour(value, cc->accent) == 0;

    } else if (strcmp(name, "font") == 0) {
        /* a family name, no Pango size or style: those are ours */
        ok = value[0] != '\0' && strlen(value) < JR_CARD_FONT_MAX
             && strspn(value, "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ -") == strlen(value);
        if (ok) {
            strcpy(cc->font, value);
        }

    } else {
        snprintf(cc->why, sizeof(cc->why), "unknown key \"%s\"", name);
        return 0;
    }

    if (!ok) {
        snprintf(cc->why, sizeof(cc->why), "invalid %s \"%.64s\" (expected "
                 "%s)", name, value,
                 strcmp(name, "enabled") == 0 ? "true or false"
                 : strcmp(name, "font") == 0 ? "a font family's name"
                 : "#rrggbb");
        return 0;
    }

    return 1;
}


/*
 * The card settings: off without a theme; else the default theme's
 * colours, then the theme's card.ini if it has one.  0, or -1 after
 * logging why.
 */
static int
jr_card_conf(const jr_jobs_conf_t *jc, jr_card_conf_t *cc)
{
    int   rc;
    char  file[JR_CARD_PATH_MAX];

    cc->enabled = jc->theme != NULL;
    (void) jr_card_colour("#0b6e4f", cc->background);
    (void) jr_card_colour("#fdfdfc", cc->foreground);
    (void) jr_card_colour("#e4e4e0", cc->accent);
    strcpy(cc->font, "DejaVu Sans");

    if (jc->theme == NULL) {
        return 0;
    }

    snprintf(file, sizeof(file), "%s/card.ini", jc->theme);

    /* a theme without card.ini has the default card */
    if (access(file, F_OK) != 0 && errno == ENOENT) {
        return 0;
    }

    rc = ini_parse(file, jr_card_ini, cc);

    if (rc == 0) {
        return 0;
    }

    if (rc > 0) {
        jr_log(JR_LOG_ERROR, "%s:%d: %s", file, rc,
               cc->why[0] ? cc->why : "expected \"key = value\" or [card]");

    } else {
        jr_log(JR_LOG_ERROR, "cannot read \"%s\": %s", file,
               rc == -1 ? strerror(errno) : "out of memory");
    }

    return -1;
}


static int
jr_card_start(jr_jobs_t *jobs, void **ctx)
{
    int                    rc;
    char                   dir[JR_CARD_PATH_MAX];
    jr_card_t             *card;
    jr_card_conf_t         cc;
    const jr_jobs_conf_t  *jc;

    jc = &jobs->cf->jobs;

    if (jc->media_root == NULL) {
        return 0;
    }

    memset(&cc, 0, sizeof(cc));

    if (jr_card_conf(jc, &cc) != 0) {
        return -1;
    }

    if (!cc.enabled) {
        jr_log(JR_LOG_INFO, "card: social cards are off %s",
               jc->theme ? "in the theme" : "(no [jobrunner] theme)");
        return 0;
    }

    snprintf(dir, sizeof(dir), "%s/%s", jc->media_root, jc->card_dir);

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        jr_log(JR_LOG_ERROR, "cannot create \"%s\": %s", dir, strerror(errno));
        return -1;
    }

    card = calloc(1, sizeof(jr_card_t));
    if (card == NULL) {
        jr_log(JR_LOG_ERROR, "card: out of memory");
        return -1;
    }

    card->jobs = jobs;
    card->conf = cc;
    *ctx = card;

    rc = uv_timer_init(jobs->loop, &card->poll);
    if (rc == 0) {
        card->poll.data = card;
        rc = uv_timer_start(&card->poll, jr_card_poll, 0, JR_CARD_POLL);
    }

    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "card: cannot start a timer: %s",
               uv_strerror(rc));
        return -1;
    }

    return 0;
}


static void
jr_card_stop(void *ctx)
{
    jr_card_t  *card = ctx;

    /* the loop has ended, so the timer is closed */
    if (card != NULL) {
        free(card->site);
        free(card);
    }
}


/* A scan when another connection has committed since the last one. */
static void
jr_card_poll(uv_timer_t *timer)
{
    int64_t        version;
    jr_card_t     *card;
    sqlite3_stmt  *stmt;

    card = timer->data;

    if (jr_jobs_stopping(card->jobs)) {
        return;
    }

    if (sqlite3_prepare_v2(card->jobs->db, "PRAGMA data_version", -1, &stmt,
                           NULL) != SQLITE_OK)
    {
        jr_log(JR_LOG_ERROR, "card: %s", sqlite3_errmsg(card->jobs->db));
        return;
    }

    version = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0)
                                               : -1;
    sqlite3_finalize(stmt);

    if (card->scanned && version == card->data_version) {
        return;
    }

    card->data_version = version;
    card->scanned = 1;

    jr_card_scan(card);
}


/* The first JR_CARD_HASH_NAME hex digits of SHA-256 of what a card shows. */
static int
jr_card_hash(const jr_card_conf_t *cc, const char *site, const char *title,
    char *hex)
{
    int            ok;
    char           head[160];
    unsigned int   len, i;
    EVP_MD_CTX    *ctx;
    unsigned char  md[EVP_MAX_MD_SIZE];

    static const char  digits[] = "0123456789abcdef";

    snprintf(head, sizeof(head), "card 1 %dx%d %.0f,%.0f,%.0f %.0f,%.0f,%.0f "
             "%.0f,%.0f,%.0f %s", JR_CARD_WIDTH, JR_CARD_HEIGHT,
             cc->background[0], cc->background[1], cc->background[2],
             cc->foreground[0], cc->foreground[1], cc->foreground[2],
             cc->accent[0], cc->accent[1], cc->accent[2], cc->font);

    ctx = EVP_MD_CTX_new();
    ok = ctx != NULL
         && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
         && EVP_DigestUpdate(ctx, head, strlen(head) + 1) == 1
         && EVP_DigestUpdate(ctx, site, strlen(site) + 1) == 1
         && EVP_DigestUpdate(ctx, title, strlen(title)) == 1
         && EVP_DigestFinal_ex(ctx, md, &len) == 1;
    EVP_MD_CTX_free(ctx);

    if (!ok) {
        return -1;
    }

    for (i = 0; i < JR_CARD_HASH_NAME / 2; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0xf];
    }

    hex[JR_CARD_HASH_NAME] = '\0';

    return 0;
}


/* The site's title now, or NULL after logging. */
static char *
jr_card_site(sqlite3 *db)
{
    char          *site;
    sqlite3_stmt  *stmt;

    if (sqlite3_prepare_v2(db, "SELECT value FROM settings"
                               " WHERE key = 'title'", -1, &stmt, NULL)
        != SQLITE_OK)
    {
        jr_log(JR_LOG_ERROR, "card: %s", sqlite3_errmsg(db));
        return NULL;
    }

    site = strdup(sqlite3_step(stmt) == SQLITE_ROW
                  ? (const char *) sqlite3_column_text(stmt, 0) : "");
    sqlite3_finalize(stmt);

    if (site == NULL) {
        jr_log(JR_LOG_ERROR, "card: out of memory");
    }

    return site;
}


static void
jr_card_scan(jr_card_t *card)
{
    int            rc;
    char           key[64], hash[JR_CARD_HASH_NAME + 1], *site;
    size_t         added;
    json_t        *payload;
    int64_t        id, newest;
    sqlite3_stmt  *stmt;
    const char    *title;

    site = jr_card_site(card->jobs->db);
    if (site == NULL) {
        return;
    }

    /* another site name: every card changes */
    if (card->site == NULL || strcmp(card->site, site) != 0) {
        free(card->site);
        card->site = site;
        card->since = 0;

    } else {
        free(site);
    }

    rc = sqlite3_prepare_v2(card->jobs->db,
                            "SELECT id, title, updated_at FROM posts"
                            " WHERE type = 'post' AND status = 'published'"
                            " AND updated_at >= ?1"
                            " AND instr(body_html, '<img ') = 0", -1, &stmt,
                            NULL);
    if (rc != SQLITE_OK || sqlite3_bind_int64(stmt, 1, card->since)
                           != SQLITE_OK)
    {
        jr_log(JR_LOG_ERROR, "card: %s", sqlite3_errmsg(card->jobs->db));
        sqlite3_finalize(stmt);
        return;
    }

    added = 0;
    newest = card->since;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        id = sqlite3_column_int64(stmt, 0);
        title = (const char *) sqlite3_column_text(stmt, 1);
        newest = sqlite3_column_int64(stmt, 2) > newest
                 ? sqlite3_column_int64(stmt, 2) : newest;

        if (jr_card_hash(&card->conf, card->site, title, hash) != 0) {
            jr_log(JR_LOG_ERROR, "card: cannot hash");
            break;
        }

        payload = json_pack("{s:I, s:s, s:s, s:s}", "post", (json_int_t) id,
                            "title", title, "site", card->site, "hash", hash);
        if (payload == NULL) {
            jr_log(JR_LOG_ERROR, "card: out of memory");
            break;
        }

        snprintf(key, sizeof(key), "card:%lld:%s", (long long) id, hash);

        /* 0: this card of this post is queued, done or dead already */
        added += jr_jobs_enqueue(card->jobs, "card", key, payload,
                                 time(NULL)) == 1;

        json_decref(payload);
    }

    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        jr_log(JR_LOG_ERROR, "card: %s", sqlite3_errmsg(card->jobs->db));
    }

    sqlite3_finalize(stmt);

    /*
     * ">=": a post changed again within the same second is seen again.
     * A scan cut short looks at the same posts next time: the rows come
     * in no order, so one not reached may be older than the newest seen.
     */
    if (rc == SQLITE_DONE) {
        card->since = newest;
    }

    if (added) {
        jr_log(JR_LOG_INFO, "card: %zu post%s to make a card of", added,
               added == 1 ? "" : "s");
    }
}


static int
jr_card_prepare(jr_work_t *w)
{
    json_t         *post, *title, *site, *hash;
    jr_card_job_t  *c;

    post = json_object_get(w->payload, "post");
    title = json_object_get(w->payload, "title");
    site = json_object_get(w->payload, "site");
    hash = json_object_get(w->payload, "hash");

    if (!json_is_integer(post) || !json_is_string(title)
        || !json_is_string(site) || !json_is_string(hash)
        || json_string_length(hash) != JR_CARD_HASH_NAME
        || strspn(json_string_value(hash), "0123456789abcdef")
           != JR_CARD_HASH_NAME)
    {
        jr_work_fail(w, 1, "payload needs \"post\", \"title\", \"site\" and "
                     "a \"hash\" of %d hex digits", JR_CARD_HASH_NAME);
        return -1;
    }

    if (w->ctx == NULL) {
        jr_work_fail(w, 1, "social cards are off (no media_root, no theme, "
                     "or the theme's card.ini)");
        return -1;
    }

    c = calloc(1, sizeof(jr_card_job_t));
    if (c == NULL
        || (c->title = strdup(json_string_value(title))) == NULL
        || (c->site = strdup(json_string_value(site))) == NULL)
    {
        if (c != NULL) {
            free(c->title);
        }

        free(c);
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    c->post = json_integer_value(post);
    strcpy(c->hash, json_string_value(hash));
    snprintf(c->path, sizeof(c->path), "%s/%s.png",
             w->jobs->cf->jobs.card_dir, c->hash);

    w->data = c;

    return 0;
}


/*
 * Pango markup of text in the card's font: text is escaped, so a title
 * is shown as written, never read as markup.
 */
static char *
jr_card_markup(const char *font, const char *weight, int size,
    const char *text)
{
    char   *escaped, *markup;

    escaped = g_markup_escape_text(text, -1);
    if (escaped == NULL) {
        return NULL;
    }

    markup = g_strdup_printf("<span font_family=\"%s\" font_weight=\"%s\" "
                             "font_size=\"%dpt\">%s</span>", font, weight,
                             size, escaped);
    g_free(escaped);

    return markup;
}


/* A card in the pool thread: background, title, site name, accent band. */
static int
jr_card_render(const jr_card_conf_t *cc, jr_card_job_t *c, const char *file)
{
    int          rc;
    char        *title, *site;
    double       ones[3] = { 1, 1, 1 };
    VipsImage   *scope, **t;

    scope = vips_image_new();
    t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(scope), 16);

    title = jr_card_markup(cc->font, "bold", 54, c->title);
    site = jr_card_markup(cc->font, "normal", 28, c->site);

    rc = title == NULL || site == NULL
         /* flat colours: the background, the text's, the accent's */
         || vips_black(&t[0], JR_CARD_WIDTH, JR_CARD_HEIGHT, NULL)
         || vips_linear(t[0], &t[1], ones, (double *) cc->background, 3, NULL)
         || vips_cast_uchar(t[1], &t[2], NULL)
         || vips_linear(t[0], &t[3], ones, (double *) cc->foreground, 3, NULL)
         || vips_cast_uchar(t[3], &t[4], NULL)
         || vips_linear(t[0], &t[5], ones, (double *) cc->accent, 3, NULL)
         || vips_cast_uchar(t[5], &t[6], NULL)

         /* the title, wrapped, cut below JR_CARD_TITLE_MAX pixels */
         || vips_text(&t[7], title, "width",
                      JR_CARD_WIDTH - 2 * JR_CARD_MARGIN, "dpi", 72, NULL)
         || vips_crop(t[7], &t[8], 0, 0, t[7]->Xsize,
                      VIPS_MIN(t[7]->Ysize, JR_CARD_TITLE_MAX), NULL)
         || vips_embed(t[8], &t[9], JR_CARD_MARGIN, JR_CARD_MARGIN,
                       JR_CARD_WIDTH, JR_CARD_HEIGHT, NULL)
         || vips_ifthenelse(t[9], t[4], t[2], &t[10], "blend", TRUE, NULL)

         /* the site's name above the band */
         || vips_text(&t[11], site[0] ? site : " ", "width",
                      JR_CARD_WIDTH - 2 * JR_CARD_MARGIN, "dpi", 72, NULL)
         || vips_embed(t[11], &t[12], JR_CARD_MARGIN,
                       JR_CARD_HEIGHT - JR_CARD_MARGIN - t[11]->Ysize,
                       JR_CARD_WIDTH, JR_CARD_HEIGHT, NULL)
         || vips_ifthenelse(t[12], t[6], t[10], &t[13], "blend", TRUE, NULL)

         /* the band: the accent where y is in the last rows */
         || vips_crop(t[6], &t[14], 0, 0, JR_CARD_WIDTH, JR_CARD_BAR, NULL)
         || vips_insert(t[13], t[14], &t[15], 0, JR_CARD_HEIGHT - JR_CARD_BAR,
                        NULL)
         || vips_pngsave(t[15], file, "compression", 6, "strip", TRUE, NULL);

    g_free(title);
    g_free(site);
    g_object_unref(scope);

    return rc ? -1 : 0;
}


static void
jr_card_work(jr_work_t *w)
{
    char                   tmp[JR_CARD_PATH_MAX], dst[JR_CARD_PATH_MAX];
    jr_card_t             *card;
    jr_card_job_t         *c;
    const jr_jobs_conf_t  *jc;

    c = w->data;
    card = w->ctx;
    jc = &w->jobs->cf->jobs;

    snprintf(dst, sizeof(dst), "%s/%s", jc->media_root, c->path);

    /* the same inputs made it already: stored once */
    if (access(dst, F_OK) == 0) {
        return;
    }

    snprintf(tmp, sizeof(tmp), "%s/%s/.tmp-%ld-%s.png", jc->media_root,
             jc->card_dir, (long) getpid(), c->hash);

    if (jr_card_render(&card->conf, c, tmp) != 0) {
        jr_work_fail(w, 0, "libvips: %s", vips_error_buffer());
        vips_error_clear();
        unlink(tmp);
        return;
    }

    if (rename(tmp, dst) != 0) {
        jr_work_fail(w, 0, "cannot rename \"%s\": %s", tmp, strerror(errno));
        unlink(tmp);
        return;
    }

    c->made = 1;
}


/* The post's card is this file now, if the post is still there. */
static int
jr_card_commit(jr_work_t *w, sqlite3 *db)
{
    int             rc;
    sqlite3_stmt   *stmt;
    jr_card_job_t  *c;

    c = w->data;

    rc = sqlite3_prepare_v2(db,
             "INSERT INTO cards (post_id, title, hash, path, width, height,"
             " updated_at)"
             " SELECT id, ?2, ?3, ?4, ?5, ?6, ?7 FROM posts WHERE id = ?1"
             " ON CONFLICT (post_id) DO UPDATE SET title = excluded.title,"
             " hash = excluded.hash, path = excluded.path,"
             " width = excluded.width, height = excluded.height,"
             " updated_at = excluded.updated_at", -1, &stmt, NULL);

    if (rc == SQLITE_OK) {
        (void) (sqlite3_bind_int64(stmt, 1, c->post)
                || sqlite3_bind_text(stmt, 2, c->title, -1, SQLITE_STATIC)
                || sqlite3_bind_text(stmt, 3, c->hash, -1, SQLITE_STATIC)
                || sqlite3_bind_text(stmt, 4, c->path, -1, SQLITE_STATIC)
                || sqlite3_bind_int(stmt, 5, JR_CARD_WIDTH)
                || sqlite3_bind_int(stmt, 6, JR_CARD_HEIGHT)
                || sqlite3_bind_int64(stmt, 7, (sqlite3_int64) time(NULL)));

        rc = sqlite3_step(stmt);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }

    if (rc != SQLITE_OK) {
        jr_work_fail(w, 0, "cards: %s", sqlite3_errmsg(db));
    }

    sqlite3_finalize(stmt);

    return rc == SQLITE_OK ? 0 : -1;
}


static void
jr_card_done(jr_work_t *w)
{
    jr_card_job_t  *c;

    c = w->data;

    if (c != NULL && !w->failed) {
        jr_log(JR_LOG_INFO, "card: post %lld: %s %s", (long long) c->post,
               c->made ? "made" : "already made", c->path);
    }
}


static void
jr_card_free(jr_work_t *w)
{
    jr_card_job_t  *c;

    c = w->data;

    if (c != NULL) {
        free(c->title);
        free(c->site);
        free(c);
    }
}


const jr_kind_t  jr_card_kind = {
    .name = "card",
    .start = jr_card_start,
    .stop = jr_card_stop,
    .prepare = jr_card_prepare,
    .work = jr_card_work,
    .commit = jr_card_commit,
    .done = jr_card_done,
    .free = jr_card_free
};
