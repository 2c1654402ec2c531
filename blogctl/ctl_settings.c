/*
 * blogctl set KEY VALUE: the site-wide settings the theme shows.
 */

#include <stdio.h>
#include <string.h>

#include "ctl_commands.h"
#include "ctl_db.h"
#include "ctl_util.h"


typedef int (*ctl_setting_check_pt)(const char *value);

static int ctl_setting_url(const char *value);
static int ctl_setting_route(const char *value);


/* The keys the module and the jobrunner read; anything else would be a
 * silent typo. */
static const struct {
    const char            *key;
    ctl_setting_check_pt   check;     /* NULL: any text */
} ctl_settings[] = {
    { "title",       NULL },
    { "description", NULL },
    { "author",      NULL },
    { "base_url",    ctl_setting_url },
    { "post_route",  ctl_setting_route },
    { NULL,          NULL }
};


/* feeds, sitemaps and mails need absolute URLs built from it */
static int
ctl_setting_url(const char *value)
{
    if (strncmp(value, "http://", 7) != 0
        && strncmp(value, "https://", 8) != 0)
    {
        ctl_error("base_url must start with http:// or https://");
        return CTL_ERROR;
    }

    return CTL_OK;
}


/*
 * The path of a post under base_url in the mails, which cannot see
 * nginx's "blog_route post": a relative path of URL-safe characters and
 * "/", as that directive takes it (the jobrunner adds a missing last "/").
 */
static int
ctl_setting_route(const char *value)
{
    size_t  n;

    n = strlen(value);

    if (n == 0 || value[0] == '/'
        || strstr(value, "//") != NULL || strstr(value, "..") != NULL
        || strspn(value, "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789-._~/") != n)
    {
        ctl_error("post_route must be a relative path (as in \"blog_route "
                  "post\"), of letters, digits, \"-._~\" and \"/\"");
        return CTL_ERROR;
    }

    return CTL_OK;
}


static int
ctl_setting_valid(const char *key, const char *value)
{
    size_t  i;

    for (i = 0; ctl_settings[i].key != NULL; i++) {
        if (strcmp(key, ctl_settings[i].key) == 0) {
            return ctl_settings[i].check ? ctl_settings[i].check(value)
                                         : CTL_OK;
        }
    }

    ctl_error("unknown setting \"%s\": use title, description, author, "
              "base_url or post_route", key);

    return CTL_ERROR;
}


int
ctl_cmd_set(sqlite3 *db, char *const *args)
{
    int            rc;
    sqlite3_stmt  *stmt;

    if (ctl_setting_valid(args[0], args[1]) != CTL_OK) {
        return CTL_ERROR;
    }

    if (ctl_db_prepare(db,
            "INSERT INTO settings (key, value) VALUES (?1, ?2)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &stmt) != CTL_OK)
    {
        return CTL_ERROR;
    }

    if (sqlite3_bind_text(stmt, 1, args[0], -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(stmt, 2, args[1], -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_step(stmt) != SQLITE_DONE)
    {
        rc = ctl_db_fail(db);

    } else {
        rc = CTL_OK;
    }

    sqlite3_finalize(stmt);

    return rc;
}
