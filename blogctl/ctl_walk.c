/*
 * A folder tree's files, for the importers (ctl_walk.h).
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "ctl_util.h"
#include "ctl_walk.h"


static int
ctl_walk_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


static int
ctl_walk_add(ctl_walk_t *list, char *sub)
{
    char  **grown;

    if (list->n == list->size) {
        grown = realloc(list->paths, (list->size ? list->size * 2 : 64)
                                     * sizeof(char *));
        if (grown == NULL) {
            ctl_error("out of memory");
            return CTL_ERROR;
        }

        list->paths = grown;
        list->size = list->size ? list->size * 2 : 64;
    }

    list->paths[list->n++] = sub;

    return CTL_OK;
}


/* The files under dir/rel, relative to dir. */
static int
ctl_walk_dir(const char *dir, const char *rel, ctl_walk_want_pt want,
    ctl_walk_t *list)
{
    DIR            *d;
    int             rc, is_dir;
    char           *path, *sub;
    struct stat     st;
    struct dirent  *de;

    if (asprintf(&path, "%s%s%s", dir, rel[0] ? "/" : "", rel) == -1) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    d = opendir(path);
    if (d == NULL) {
        ctl_error("%s: %s", path, strerror(errno));
        free(path);
        return CTL_ERROR;
    }

    rc = CTL_OK;

    while (rc == CTL_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (asprintf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name)
            == -1)
        {
            ctl_error("out of memory");
            rc = CTL_ERROR;
            break;
        }

        free(path);
        if (asprintf(&path, "%s/%s", dir, sub) == -1 || stat(path, &st)) {
            ctl_error("%s/%s: %s", dir, sub, strerror(errno));
            free(sub);
            path = NULL;
            rc = CTL_ERROR;
            break;
        }

        is_dir = S_ISDIR(st.st_mode);

        if (!(is_dir || S_ISREG(st.st_mode))
            || !want(de->d_name, strlen(de->d_name), is_dir))
        {
            free(sub);
            continue;
        }

        if (is_dir) {
            rc = ctl_walk_dir(dir, sub, want, list);
            free(sub);
            continue;
        }

        rc = ctl_walk_add(list, sub);
        if (rc != CTL_OK) {
            free(sub);
        }
    }

    free(path);
    closedir(d);

    return rc;
}


int
ctl_walk(const char *dir, ctl_walk_want_pt want, ctl_walk_t *list)
{
    int  rc;

    memset(list, 0, sizeof(ctl_walk_t));

    rc = ctl_walk_dir(dir, "", want, list);

    if (rc == CTL_OK && list->n > 1) {
        qsort(list->paths, list->n, sizeof(char *), ctl_walk_cmp);
    }

    return rc;
}


void
ctl_walk_free(ctl_walk_t *list)
{
    size_t  i;

    for (i = 0; i < list->n; i++) {
        free(list->paths[i]);
    }

    free(list->paths);
    memset(list, 0, sizeof(ctl_walk_t));
}
