/*
 * blogctl set KEY VALUE: the site-wide settings the theme shows.
 */

#include <stdio.h>
#include <string.h>

#include "ctl_commands.h"
#include "ctl_db.h"
#include "ctl_util.h"


/* The keys the module reads; anything else would be a silent typo. */
static const char *const ctl_setting_keys[] = {
    "title", "description", "author", "base_url", NULL
};


static int
ctl_setting_valid(const char *key, const char *value)
{
    size_t  i;

    for (i = 0; ctl_setting_keys[i] != NULL; i++) {
        if (strcmp(key, ctl_setting_keys[i]) == 0) {
            break;
        }
    }

    if (ctl_setting_keys[i] == NULL) {
        ctl_error("unknown setting \"%s\": use title, description, author "
                  "or base_url", key);
        return CTL_ERROR;
    }

    /* feeds and sitemaps need absolute URLs built from it */
    if (strcmp(key, "base_url") == 0
        && strncmp(value, "http://", 7) != 0
        && strncmp(value, "https://", 8) != 0)
    {
        ctl_error("base_url must start with http:// or https://");
        return CTL_ERROR;
    }

    return CTL_OK;
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
