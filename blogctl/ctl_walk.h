/*
 * The files of a folder tree that an importer reads (Hugo's content,
 * a Jekyll site), as paths relative to the folder, in name order so that
 * imports and their reports are deterministic.
 */

#ifndef CTL_WALK_H
#define CTL_WALK_H

#include <stddef.h>


typedef struct {
    char          **paths;
    size_t          n;
    size_t          size;
} ctl_walk_t;


/*
 * Whether to enter a folder (is_dir) or to list a regular file, by its
 * name (not its path), len bytes.
 */
typedef int (*ctl_walk_want_pt)(const char *name, size_t len, int is_dir);

/*
 * The files under dir that want takes, in folders it takes, into *list
 * (ctl_walk_free it, whatever the result): CTL_OK or CTL_ERROR
 * (reported).
 */
int ctl_walk(const char *dir, ctl_walk_want_pt want, ctl_walk_t *list);

void ctl_walk_free(ctl_walk_t *list);

#endif /* CTL_WALK_H */
