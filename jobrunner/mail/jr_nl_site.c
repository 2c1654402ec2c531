/*
 * The newsletter's settings and connections; see jr_newsletter.h.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blog_db.h"
#include "blog_split.h"
#include "mail/jr_newsletter.h"


/* as the jobrunner's own connection waits (jr_db.c) */
#define JR_NL_BUSY_TIMEOUT_MS  5000


/* The settings a mail is made with; one that ends a path gets its "/". */
static const struct {
    const char  *key;
    size_t       field;
    unsigned     path;      /* links are written after it */
} jr_nl_settings[] = {
    { "title",          offsetof(jr_nl_site_t, title),      0 },
    { "base_url",       offsetof(jr_nl_site_t, base_url),   1 },
    { "post_route",     offsetof(jr_nl_site_t, post_route), 1 },
    { "newsletter_key", offsetof(jr_nl_site_t, key),        0 },
};

#define JR_NL_SETTINGS  (sizeof(jr_nl_settings) / sizeof(jr_nl_settings[0]))

/* the module's default "blog_route post" */
#define JR_NL_POST_ROUTE  "posts/"


int
jr_nl_site_read(sqlite3 *db, jr_nl_site_t *site, char *err, size_t len)
{
    int            rc;
    size_t         i, n;
    char         **to;
    const char    *key, *value;
    sqlite3_stmt  *stmt;

    memset(site, 0, sizeof(jr_nl_site_t));

    /* a few rows: the table above picks its own */
    rc = sqlite3_prepare_v2(db, "SELECT key, value FROM main.settings",
                            -1, &stmt, NULL);

    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        key = (const char *) sqlite3_column_text(stmt, 0);
        value = (const char *) sqlite3_column_text(stmt, 1);
        value = value ? value : "";

        for (i = 0; i < JR_NL_SETTINGS; i++) {
            if (strcmp(key, jr_nl_settings[i].key) == 0) {
                break;
            }
        }

        if (i == JR_NL_SETTINGS) {
            rc = SQLITE_OK;
            continue;
        }

        to = (char **) ((char *) site + jr_nl_settings[i].field);
        free(*to);
        n = strlen(value);

        *to = malloc(n + 2);
        if (*to == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }

        memcpy(*to, value, n + 1);

        if (jr_nl_settings[i].path && n && value[n - 1] != '/') {
            memcpy(*to + n, "/", 2);
        }

        rc = SQLITE_OK;
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        snprintf(err, len, "cannot read the settings: %s",
                 sqlite3_errstr(rc));
        jr_nl_site_free(site);
        return -1;
    }

    if (site->base_url == NULL || site->base_url[0] == '\0'
        || (strncmp(site->base_url, "https://", 8) != 0
            && strncmp(site->base_url, "http://", 7) != 0))
    {
        snprintf(err, len, "no base_url setting (https://...): the mail's "
                 "links need the blog's address; set it with \"blogctl set "
                 "base_url URL\"");
        jr_nl_site_free(site);
        return -1;
    }

    if (site->key == NULL || strlen(site->key) < 32) {
        snprintf(err, len, "no newsletter_key setting (data.db's migration "
                 "15 makes it)");
        jr_nl_site_free(site);
        return -1;
    }

    if ((site->title == NULL && (site->title = strdup("")) == NULL)
        || (site->post_route == NULL
            && (site->post_route = strdup(JR_NL_POST_ROUTE)) == NULL))
    {
        snprintf(err, len, "out of memory");
        jr_nl_site_free(site);
        return -1;
    }

    return 0;
}


void
jr_nl_site_free(jr_nl_site_t *site)
{
    free(site->title);
    free(site->base_url);
    free(site->post_route);

    if (site->key != NULL) {
        explicit_bzero(site->key, strlen(site->key));
        free(site->key);
    }

    memset(site, 0, sizeof(jr_nl_site_t));
}


sqlite3 *
jr_nl_db_open(const jr_config_t *cf, char *err, size_t len)
{
    int              rc;
    sqlite3         *db;
    blog_db_error_t  dberr;

    rc = blog_db_open(&db, cf->data_db, &blog_data_schema, 0,
                      JR_NL_BUSY_TIMEOUT_MS, &dberr);
    if (rc != SQLITE_OK) {
        snprintf(err, len, "cannot open \"%s\": %s", cf->data_db, dberr.msg);
        return NULL;
    }

    rc = blog_db_attach(db, cf->queue_db, "queue");
    if (rc != SQLITE_OK) {
        snprintf(err, len, "cannot attach \"%s\": %s", cf->queue_db,
                 sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }

    /*
     * A send commits once per message (its "sending" with the previous
     * one's "sent"): with a disk sync each, the sync rate, not the SMTP
     * server, would pace it (docs/newsletter-admin.md, "How fast it
     * sends").  In WAL mode NORMAL loses no
     * commit when the jobrunner is killed, only on a power loss, after
     * which the last messages marked may be sent again.
     */
    rc = sqlite3_exec(db, "PRAGMA queue.synchronous = NORMAL", NULL, NULL,
                      NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, len, "cannot set \"%s\" synchronous: %s",
                 cf->queue_db, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }

    return db;
}
