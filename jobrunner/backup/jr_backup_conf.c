/*
 * The [backup] section; see jr_backup_conf.h.
 */

#include <stdio.h>
#include <stdlib.h>
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


/*
 * hot_databases: "off", or paths separated by blanks whose file names
 * (their names in the bucket) are of the prefix's characters.
 */
static int
jr_backup_conf_is_hot_list(const char *value)
{
    size_t       len;
    const char  *word, *name, *c;

    if (strcmp(value, "off") == 0) {
        return 0;
    }

    for (word = value; *word; word += len) {
        word += strspn(word, " \t");
        len = strcspn(word, " \t");

        if (len == 0) {
            break;
        }

        name = word;
        for (c = word; c < word + len; c++) {
            if (*c == '/') {
                name = c + 1;
            }
        }

        if (name == word + len
            || (word + len - name == 1 && name[0] == '.')
            || (word + len - name == 2 && name[0] == '.' && name[1] == '.'))
        {
            return -1;
        }

        for (c = name; c < word + len; c++) {
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                  || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_'
                  || *c == '-'))
            {
                return -1;
            }
        }
    }

    return 0;
}


static const jr_conf_check_t  jr_backup_conf_hot_list = {
    jr_backup_conf_is_hot_list,
    "expected \"off\" or paths of SQLite files whose names are of letters, "
    "digits, \".\", \"_\" and \"-\", such as queue.db analytics.db"
};


/* The file name of a hot database: its name in the bucket. */
const char *
jr_backup_conf_hot_name(const char *path)
{
    const char  *slash;

    slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}


/*
 * hot_paths from hot_databases: each path relative to data_db's folder
 * (they are its siblings by default), no two with one file name, none
 * data_db itself.
 */
static int
jr_backup_conf_hot(jr_conf_t *cf, jr_backup_conf_t *bc)
{
    int          dirlen;
    size_t       len;
    unsigned     i;
    const char  *data_db, *slash, *word;
    char       **paths, *path;

    if (bc->hot_databases == NULL || strcmp(bc->hot_databases, "off") == 0) {
        return 0;
    }

    data_db = jr_conf_value(cf, "jobrunner", "data_db");
    slash = strrchr(data_db, '/');
    dirlen = slash ? (int) (slash - data_db) : 1;

    for (word = bc->hot_databases; *word; word += len) {
        word += strspn(word, " \t");
        len = strcspn(word, " \t");

        if (len == 0) {
            break;
        }

        if (word[0] == '/') {
            path = strndup(word, len);

        } else if (asprintf(&path, "%.*s/%.*s", dirlen,
                            slash ? data_db : ".", (int) len, word) < 0)
        {
            path = NULL;
        }

        paths = path ? realloc(bc->hot_paths,
                               (bc->nhot + 1) * sizeof(char *))
                     : NULL;
        if (paths == NULL) {
            free(path);
            return jr_conf_error(cf, "out of memory");
        }

        bc->hot_paths = paths;
        bc->hot_paths[bc->nhot++] = path;

        if (strcmp(path, data_db) == 0) {
            return jr_conf_error_at(cf, jr_conf_line(cf, "hot_databases"),
                                    "hot_databases: %s is data_db, which "
                                    "is backed up frame by frame", path);
        }

        for (i = 0; i + 1 < bc->nhot; i++) {
            if (strcmp(jr_backup_conf_hot_name(bc->hot_paths[i]),
                       jr_backup_conf_hot_name(path)) == 0)
            {
                return jr_conf_error_at(cf,
                                        jr_conf_line(cf, "hot_databases"),
                                        "hot_databases: %s and %s have one "
                                        "name in the bucket",
                                        bc->hot_paths[i], path);
            }
        }
    }

    return 0;
}


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
    { "heartbeat_ms", &jr_conf_number, JR_BACKUP(heartbeat_ms),
      .min = 1000, .max = 3600000, .def = "5000" },
    { "snapshot_interval", &jr_conf_duration, JR_BACKUP(snapshot_interval),
      .def = "1d" },
    { "retention", &jr_conf_duration, JR_BACKUP(retention), .def = "7d" },
    { "hot_databases", &jr_conf_string, JR_BACKUP(hot_databases),
      .data = &jr_backup_conf_hot_list, .def = "queue.db analytics.db" },
    { "hot_interval", &jr_conf_duration, JR_BACKUP(hot_interval),
      .def = "60s" },
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

    if (jr_backup_conf_hot(cf, bc) != 0) {
        return -1;
    }

    return jr_backup_conf_local_dir(cf, &bc->local_dir, "-backup");
}


static void
jr_backup_conf_free(void *conf)
{
    unsigned           i;
    jr_backup_conf_t  *bc = conf;

    for (i = 0; i < bc->nhot; i++) {
        free(bc->hot_paths[i]);
    }

    free(bc->hot_paths);
    bc->hot_paths = NULL;
    bc->nhot = 0;
}


const jr_conf_section_t  jr_backup_conf_section = {
    .name = "backup", .line = offsetof(jr_backup_conf_t, line),
    .keys = jr_backup_conf_keys, .links = jr_backup_conf_links,
    .finish = jr_backup_conf_finish, .free = jr_backup_conf_free
};
