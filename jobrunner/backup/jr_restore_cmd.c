/*
 * "jobrunner restore", the command: data.db (jr_restore.c) and the hot
 * databases next to it (jr_restore_hot.c), with a client of its own.
 */

#include <stdio.h>
#include <sys/stat.h>

#include "backup/jr_restore.h"
#include "backup/jr_restore_hot.h"


int
jr_restore(const jr_config_t *cf, const char *output, uint64_t target_ms,
    int force, FILE *out)
{
    int               rc;
    struct stat       st;
    jr_s3_t          *s3;
    jr_restore_pos_t  pos;
    jr_restore_hot_t  hot;

    if (cf->s3.line == 0 || cf->backup.line == 0) {
        fprintf(out, "restore: the configuration has no [s3] and [backup] "
                "sections: nothing to restore from\n");
        return 1;
    }

    if (!force && stat(output, &st) == 0) {
        fprintf(out, "restore: %s exists; give -f to replace it\n", output);
        return 1;
    }

    s3 = jr_s3_open(&cf->s3, NULL);
    if (s3 == NULL) {
        fprintf(out, "restore: out of memory\n");
        return 1;
    }

    jr_s3_set_user(s3, JR_S3_USER_RESTORE);

    /* the hot databases come back next to it, from their last copies */
    rc = jr_restore_hot_plan(&hot, s3, cf->backup.prefix, output, target_ms,
                             force, out);

    if (rc == 0) {
        rc = jr_restore_from(s3, cf->s3.bucket, cf->backup.prefix, output,
                             target_ms, out, &pos);
    }

    if (rc == 0) {
        rc = jr_restore_hot_run(&hot, s3, target_ms, out);
    }

    jr_restore_hot_free(&hot);
    jr_s3_close(s3);
    jr_s3_free(s3);

    return rc == 0 ? 0 : 1;
}
