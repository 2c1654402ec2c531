/*
 * The [backup] section; see jr_backup_conf.h.
 */

#include <stdio.h>
#include <string.h>

#include "backup/jr_backup_conf.h"


#define JR_BACKUP(member)  JR_CONF_FIELD(jr_backup_conf_t, member)


static int
jr_backup_conf_is_prefix(const char *value)
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


const jr_conf_check_t  jr_backup_conf_prefix = {
    jr_backup_conf_is_prefix,
    "expected names of letters, digits, \".\", \"_\" and \"-\" separated by "
    "\"/\", such as blog/data.db"
};


int
jr_backup_conf_local_dir(jr_conf_t *cf, char **dir, const char *suffix)
{
    if (*dir == NULL
        && asprintf(dir, "%s%s", jr_conf_value(cf, "jobrunner", "data_db"),
                    suffix) < 0)
    {
        *dir = NULL;
        return jr_conf_error(cf, "out of memory");
    }

    return 0;
}


static const jr_conf_key_t  jr_backup_conf_keys[] = {
    JR_BACKUP_CONF_KEYS(jr_backup_conf_t),
    { "interval_ms", &jr_conf_number, JR_BACKUP(interval_ms),
      .min = 10, .max = 60000, .def = "100" },
    { "snapshot_interval", &jr_conf_duration, JR_BACKUP(snapshot_interval),
      .def = "1d" },
    { "retention", &jr_conf_duration, JR_BACKUP(retention), .def = "7d" },
    { NULL }
};

static const jr_conf_link_t  jr_backup_conf_links[] = {
    { "s3", JR_CONF_NEEDS, "[backup] needs an [s3] section: the bucket to "
      "replicate to" },
    { NULL, 0, NULL }
};


static int
jr_backup_conf_finish(jr_conf_t *cf, void *conf)
{
    jr_backup_conf_t  *bc = conf;

    return jr_backup_conf_local_dir(cf, &bc->local_dir, "-backup");
}


const jr_conf_section_t  jr_backup_conf_section = {
    .name = "backup", .line = offsetof(jr_backup_conf_t, line),
    .keys = jr_backup_conf_keys, .links = jr_backup_conf_links,
    .finish = jr_backup_conf_finish
};
