/*
 * The [backup] section; see jr_backup_conf.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/jr_backup_conf.h"
#include "jobs/jr_jobs_conf.h"


enum {
    JR_BACKUP_KEY_PREFIX = 0,
    JR_BACKUP_KEY_LOCAL_DIR,
    JR_BACKUP_KEY_INTERVAL,
    JR_BACKUP_KEY_PAGES,
    JR_BACKUP_KEY_SNAPSHOT,
    JR_BACKUP_KEY_RETENTION,
    JR_BACKUP_KEY_LAG,
    JR_BACKUP_KEY_N
};

static const char *const  jr_backup_keys[JR_BACKUP_KEY_N] = {
    "prefix", "local_dir", "interval_ms", "checkpoint_pages",
    "snapshot_interval", "retention", "lag_alert"
};


static int __attribute__((format(printf, 3, 4)))
jr_backup_conf_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


void
jr_backup_conf_init(jr_backup_conf_t *bc)
{
    memset(bc, 0, sizeof(jr_backup_conf_t));

    bc->interval_ms = 100;
    bc->checkpoint_pages = 1000;
    bc->snapshot_interval = 86400;
    bc->retention = 7 * 86400;
    bc->lag_alert = 10;
}


void
jr_backup_conf_free(jr_backup_conf_t *bc)
{
    free(bc->prefix);
    free(bc->local_dir);

    jr_backup_conf_init(bc);
}


int
jr_backup_conf_section(jr_backup_conf_t *bc, int line, char *err,
    size_t errlen)
{
    if (bc->line) {
        return jr_backup_conf_error(err, errlen, "duplicate section "
                                    "\"[backup]\" (first on line %d)",
                                    bc->line);
    }

    bc->line = line;

    return 0;
}


/* Digits only, min..max. */
static int
jr_backup_conf_uint(const char *value, unsigned min, unsigned max,
    unsigned *out)
{
    size_t         len;
    unsigned long  n;

    len = strlen(value);

    if (len == 0 || len > 9 || strspn(value, "0123456789") != len) {
        return -1;
    }

    n = strtoul(value, NULL, 10);
    if (n < min || n > max) {
        return -1;
    }

    *out = (unsigned) n;

    return 0;
}


int
jr_backup_conf_prefix(const char *value)
{
    const char  *c, *seg;

    if (strlen(value) > 512) {
        return -1;
    }

    seg = value;

    for (c = value; ; c++) {
        if (*c == '/' || *c == '\0') {
            if (c == seg || (c - seg == 1 && seg[0] == '.')
                || (c - seg == 2 && seg[0] == '.' && seg[1] == '.'))
            {
                return -1;
            }

            if (*c == '\0') {
                return 0;
            }

            seg = c + 1;
            continue;
        }

        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
              || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_'
              || *c == '-'))
        {
            return -1;
        }
    }
}


int
jr_backup_conf_key(jr_backup_conf_t *bc, const char *name,
    const char *value, const char *dir, size_t dirlen, int line, char *err,
    size_t errlen)
{
    int      i;
    long     secs;
    size_t   len;

    for (i = 0; i < JR_BACKUP_KEY_N; i++) {
        if (strcmp(name, jr_backup_keys[i]) == 0) {
            break;
        }
    }

    if (i == JR_BACKUP_KEY_N) {
        return jr_backup_conf_error(err, errlen, "unknown key \"%s\" in "
                                    "[backup]", name);
    }

    if (bc->seen[i]) {
        return jr_backup_conf_error(err, errlen, "duplicate key \"%s\" "
                                    "(first set on line %d)", name,
                                    bc->seen[i]);
    }

    bc->seen[i] = line;

    switch (i) {

    case JR_BACKUP_KEY_PREFIX:
        if (jr_backup_conf_prefix(value) != 0) {
            return jr_backup_conf_error(err, errlen, "invalid prefix \"%s\" "
                                        "(expected names of letters, digits, "
                                        "\".\", \"_\" and \"-\" separated "
                                        "by \"/\", such as blog/data.db)",
                                        value);
        }

        bc->prefix = strdup(value);
        return bc->prefix ? 0 : jr_backup_conf_error(err, errlen,
                                                     "out of memory");

    case JR_BACKUP_KEY_LOCAL_DIR:
        len = value[0] == '/' ? 0 : dirlen;
        bc->local_dir = malloc(len + strlen(value) + 1);
        if (bc->local_dir == NULL) {
            return jr_backup_conf_error(err, errlen, "out of memory");
        }

        memcpy(bc->local_dir, dir, len);
        strcpy(bc->local_dir + len, value);
        return 0;

    case JR_BACKUP_KEY_INTERVAL:
        if (jr_backup_conf_uint(value, 10, 60000, &bc->interval_ms) != 0) {
            return jr_backup_conf_error(err, errlen, "invalid interval_ms "
                                        "\"%s\" (expected 10..60000)", value);
        }

        return 0;

    case JR_BACKUP_KEY_PAGES:
        if (jr_backup_conf_uint(value, 10, 1000000, &bc->checkpoint_pages)
            != 0)
        {
            return jr_backup_conf_error(err, errlen, "invalid "
                                        "checkpoint_pages \"%s\" (expected "
                                        "10..1000000)", value);
        }

        return 0;
    }

    if (jr_jobs_conf_duration(value, &secs) != 0) {
        return jr_backup_conf_error(err, errlen, "invalid %s \"%s\" "
                                    "(expected a duration such as 30s, 10m, "
                                    "2h or 7d)", name, value);
    }

    if (i == JR_BACKUP_KEY_SNAPSHOT) {
        bc->snapshot_interval = secs;

    } else if (i == JR_BACKUP_KEY_RETENTION) {
        bc->retention = secs;

    } else {
        bc->lag_alert = secs;
    }

    return 0;
}


int
jr_backup_conf_finish(jr_backup_conf_t *bc, int has_s3, const char *data_db,
    int *line, char *err, size_t errlen)
{
    *line = bc->line;

    if (!has_s3) {
        return jr_backup_conf_error(err, errlen, "[backup] needs an [s3] "
                                    "section: the bucket to replicate to");
    }

    if (bc->prefix == NULL) {
        bc->prefix = strdup("data.db");
    }

    if (bc->local_dir == NULL
        && asprintf(&bc->local_dir, "%s-backup", data_db) < 0)
    {
        bc->local_dir = NULL;
    }

    if (bc->prefix == NULL || bc->local_dir == NULL) {
        return jr_backup_conf_error(err, errlen, "out of memory");
    }

    return 0;
}
