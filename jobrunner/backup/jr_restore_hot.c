/*
 * Restore of the hot databases; see jr_restore_hot.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/jr_bucket.h"
#include "backup/jr_restore.h"
#include "backup/jr_restore_hot.h"


/* The database called name in the plan, added if new; NULL: no memory. */
static jr_restore_hot_db_t *
jr_restore_hot_db(jr_restore_hot_t *plan, const char *name)
{
    size_t                i;
    jr_restore_hot_db_t  *grown, *d;

    for (i = 0; i < plan->ndbs; i++) {
        if (strcmp(plan->dbs[i].name, name) == 0) {
            return &plan->dbs[i];
        }
    }

    grown = realloc(plan->dbs, (plan->ndbs + 1) * sizeof(jr_restore_hot_db_t));
    if (grown == NULL) {
        return NULL;
    }

    plan->dbs = grown;
    d = &plan->dbs[plan->ndbs];
    memset(d, 0, sizeof(jr_restore_hot_db_t));

    d->name = strdup(name);
    if (d->name == NULL) {
        return NULL;
    }

    plan->ndbs++;

    return d;
}


int
jr_restore_hot_plan(jr_restore_hot_t *plan, jr_s3_t *s3, const char *base,
    const char *output, uint64_t target_ms, int force, FILE *out)
{
    int                   rc, dirlen;
    char                 *prefix, name[256];
    size_t                i;
    uint64_t              ms;
    const char           *slash;
    struct stat           st;
    jr_s3_list_t          list;
    jr_s3_result_t        res;
    jr_restore_hot_db_t  *d;

    memset(plan, 0, sizeof(jr_restore_hot_t));
    memset(&list, 0, sizeof(list));
    rc = -1;

    prefix = jr_bucket_hot_prefix(base);
    if (prefix == NULL) {
        fprintf(out, "restore: out of memory\n");
        return -1;
    }

    if (jr_s3_list_all_sync(s3, prefix, &list, &res) != 0) {
        fprintf(out, "restore: cannot list %s: %s: %s\n", prefix, res.code,
                res.message);
        goto done;
    }

    for (i = 0; i < list.nobjects; i++) {
        if (jr_bucket_hot_parse(base, list.objects[i].key, name, sizeof(name),
                                &ms) != 0)
        {
            continue;
        }

        d = jr_restore_hot_db(plan, name);
        if (d == NULL) {
            fprintf(out, "restore: out of memory\n");
            goto done;
        }

        if ((target_ms && ms > target_ms) || (d->key && ms <= d->ms)) {
            continue;
        }

        free(d->key);
        d->key = strdup(list.objects[i].key);
        if (d->key == NULL) {
            fprintf(out, "restore: out of memory\n");
            goto done;
        }

        d->ms = ms;
        d->size = list.objects[i].size;
    }

    /* next to the restored data.db, as they were next to the original */
    slash = strrchr(output, '/');
    dirlen = slash ? (int) (slash - output) : 1;

    for (i = 0; i < plan->ndbs; i++) {
        d = &plan->dbs[i];

        if (asprintf(&d->dest, "%.*s/%s", dirlen, slash ? output : ".",
                     d->name) < 0)
        {
            d->dest = NULL;
            fprintf(out, "restore: out of memory\n");
            goto done;
        }

        if (d->key == NULL) {
            continue;
        }

        if (strcmp(d->dest, output) == 0) {
            fprintf(out, "restore: %s is the name of a hot database in the "
                    "bucket: give another output\n", output);
            goto done;
        }

        if (!force && stat(d->dest, &st) == 0) {
            fprintf(out, "restore: %s exists (hot database %s); give -f to "
                    "replace it\n", d->dest, d->name);
            goto done;
        }
    }

    rc = 0;

done:

    jr_s3_list_free(&list);
    free(prefix);

    return rc;
}


static int
jr_restore_hot_one(jr_restore_hot_db_t *d, jr_s3_t *s3, FILE *out)
{
    int                    fd, rc;
    char                  *tmp, t[40];
    jr_s3_req_t           *req;
    const jr_s3_result_t  *res;

    if (asprintf(&tmp, "%s.tmp", d->dest) < 0) {
        fprintf(out, "restore: out of memory\n");
        return -1;
    }

    rc = -1;

    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1) {
        fprintf(out, "restore: cannot create %s: %s\n", tmp, strerror(errno));
        goto done;
    }

    req = jr_s3_get_req(s3, d->key);
    if (req == NULL) {
        fprintf(out, "restore: out of memory\n");
        goto done;
    }

    jr_s3_req_output(req, fd);

    if (jr_s3_perform(req) != 0) {
        res = jr_s3_result(req);
        fprintf(out, "restore: cannot download %s: %s: %s\n", d->key,
                res->code, res->message);
        jr_s3_req_free(req);
        goto done;
    }

    jr_s3_req_free(req);

    if (fsync(fd) != 0) {
        fprintf(out, "restore: cannot write %s: %s\n", tmp, strerror(errno));
        goto done;
    }

    close(fd);
    fd = -1;

    if (jr_restore_check(tmp, out) != 0) {
        goto done;
    }

    if (rename(tmp, d->dest) != 0) {
        fprintf(out, "restore: cannot rename %s to %s: %s\n", tmp, d->dest,
                strerror(errno));
        goto done;
    }

    fprintf(out, "restore: %s: hot database %s as copied at %s, %llu bytes; "
            "integrity_check ok\n", d->dest, d->name,
            jr_restore_iso(d->ms, t, sizeof(t)),
            (unsigned long long) d->size);

    rc = 0;

done:

    if (fd != -1) {
        close(fd);
    }

    if (rc != 0) {
        (void) unlink(tmp);
    }

    free(tmp);

    return rc;
}


int
jr_restore_hot_run(jr_restore_hot_t *plan, jr_s3_t *s3, uint64_t target_ms,
    FILE *out)
{
    int                   rc;
    char                  t[40];
    size_t                i;
    jr_restore_hot_db_t  *d;

    rc = 0;

    for (i = 0; i < plan->ndbs; i++) {
        d = &plan->dbs[i];

        if (d->key == NULL) {
            fprintf(out, "restore: hot database %s has no copy at or before "
                    "%s: not restored\n", d->name,
                    jr_restore_iso(target_ms, t, sizeof(t)));
            continue;
        }

        if (jr_restore_hot_one(d, s3, out) != 0) {
            rc = -1;
        }
    }

    return rc;
}


void
jr_restore_hot_free(jr_restore_hot_t *plan)
{
    size_t  i;

    for (i = 0; i < plan->ndbs; i++) {
        free(plan->dbs[i].name);
        free(plan->dbs[i].key);
        free(plan->dbs[i].dest);
    }

    free(plan->dbs);
    memset(plan, 0, sizeof(jr_restore_hot_t));
}
