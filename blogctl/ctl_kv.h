/*
 * A front matter's keys and values, read once for every importer that
 * reads front matter (Hugo, Jekyll): YAML by libyaml here, Hugo's TOML by
 * ctl_hugo.c into the same table.  Only what a post needs is kept: keys
 * whose values are scalars or lists of scalars; a nested mapping's are
 * "KEY.SUB".
 */

#ifndef CTL_KV_H
#define CTL_KV_H

#include <stddef.h>


#define CTL_KV_MAXV   256         /* values of one key, at most */


/* One key of a front matter: its values, a list's or the one. */
typedef struct {
    char        *key;
    char        *v[CTL_KV_MAXV];
    size_t       nv;
    int          list;    /* a list, not one value */
    unsigned     line;
} ctl_kv_t;

typedef struct {
    ctl_kv_t  *kv;
    size_t          n;
    size_t          size;
} ctl_kvs_t;


/*
 * A front matter: buf[0..len) starts with a fence line ("---\n" YAML,
 * "+++\n" TOML); the start of the line closing it (the same three
 * characters alone), or NULL when it is not closed.  The text between is
 * the front matter; the body starts at ctl_kv_body(close, buf + len).
 */
const char *ctl_kv_close(const char *buf, size_t len);
const char *ctl_kv_body(const char *close, const char *end);

void ctl_kvs_free(ctl_kvs_t *fm);

/* A new key (NULL when out of memory), its values added by ctl_kvs_value. */
ctl_kv_t *ctl_kvs_add(ctl_kvs_t *fm, const char *key, size_t len,
    unsigned line);
int ctl_kvs_value(ctl_kv_t *kv, const char *s, size_t len);

/*
 * YAML text[0..len) into fm; first is the file line of its first line.
 * A YAML error is reported with path and line: CTL_ERROR.
 */
int ctl_kvs_yaml(const char *path, const char *text, size_t len,
    unsigned first, ctl_kvs_t *fm);

/* The key with at least one value, or NULL. */
ctl_kv_t *ctl_kvs_get(ctl_kvs_t *fm, const char *key);

/*
 * The values of the keys named (a NULL-terminated list), all as tags:
 * names joined by ',' (a ',' in a name is a space), one per slug, a name
 * without a letter or digit left out.  NULL when out of memory.
 */
char *ctl_kvs_tags(ctl_kvs_t *fm, const char *const *keys);

/* The same, of the n names v[]. */
char *ctl_tags_join(const char *const *v, size_t n);

#endif /* CTL_KV_H */
