/*
 * blogctl newsletter test SLUG ADDRESS: the post's newsletter, rendered
 * as the subscribers would get it, sent to one address by the jobrunner
 * (jobrunner/mail/jr_newsletter.c), with nothing recorded: a proof before
 * publishing.  The job goes to queue.db directly, as it goes with no
 * content.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "blog_newsletter.h"
#include "blog_post.h"
#include "blog_secret.h"
#include "blog_split.h"
#include "ctl_commands.h"
#include "ctl_db.h"
#include "ctl_util.h"


int
ctl_cmd_newsletter_test(sqlite3 *db, char *const *args)
{
    int            rc;
    char           queue[4096], id[33];
    int64_t        post;
    sqlite3_stmt  *stmt;

    if (!blog_email_valid(args[1], strlen(args[1]))) {
        ctl_error("\"%s\" is not an e-mail address", args[1]);
        return CTL_ERROR;
    }

    rc = blog_post_find(db, args[0], &post);
    if (rc == SQLITE_NOTFOUND) {
        ctl_error("no post \"%s\"", args[0]);
        return CTL_ERROR;
    }

    if (rc != SQLITE_OK) {
        return ctl_db_fail(db);
    }

    if (blog_db_sibling(queue, sizeof(queue), sqlite3_db_filename(db, "main"),
                        "queue.db") != 0)
    {
        ctl_error("the database's path is too long");
        return CTL_ERROR;
    }

    if (blog_db_attach(db, queue, "queue") != SQLITE_OK) {
        return ctl_db_fail(db);
    }

    if (blog_random_hex(id, 16) != 0) {
        ctl_error("no randomness from the kernel");
        return CTL_ERROR;
    }

    if (ctl_db_prepare(db,
            "INSERT INTO queue.jobs (kind, dedupe_key, payload, run_after,"
            "  created_at, updated_at)"
            " VALUES ('newsletter', 'newsletter:test:' || ?1,"
            "  json_object('post', ?2, 'test', ?3), ?4, ?4, ?4)",
            &stmt) != CTL_OK)
    {
        return CTL_ERROR;
    }

    if (sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 2, post) != SQLITE_OK
        || sqlite3_bind_text(stmt, 3, args[1], -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_int64(stmt, 4, (int64_t) time(NULL)) != SQLITE_OK
        || sqlite3_step(stmt) != SQLITE_DONE)
    {
        rc = ctl_db_fail(db);

    } else {
        printf("a test of \"%s\" to <%s> is queued (job newsletter:test:%s); "
               "the jobrunner sends it\n", args[0], args[1], id);
        rc = CTL_OK;
    }

    sqlite3_finalize(stmt);

    return rc;
}
