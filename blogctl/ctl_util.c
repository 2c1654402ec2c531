/*
 * Error reporting, whole-file reading and time formatting.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctl_util.h"
#include "blog_redirect.h"


void
ctl_error(const char *fmt, ...)
{
    va_list  ap;

    fputs("blogctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}


int
ctl_read_file(const char *path, char **buf, size_t *len)
{
    FILE         *f;
    char         *b;
    size_t        n;
    struct stat   st;

    f = fopen(path, "rb");
    if (f == NULL) {
        ctl_error("%s: %s", path, strerror(errno));
        return CTL_ERROR;
    }

    if (fstat(fileno(f), &st) == -1) {
        ctl_error("%s: %s", path, strerror(errno));
        fclose(f);
        return CTL_ERROR;
    }

    if (!S_ISREG(st.st_mode)) {
        ctl_error("%s: not a regular file", path);
        fclose(f);
        return CTL_ERROR;
    }

    b = malloc((size_t) st.st_size + 1);
    if (b == NULL) {
        ctl_error("%s: out of memory", path);
        fclose(f);
        return CTL_ERROR;
    }

    /*
     * Read one byte more than stat promised: a file that grew meanwhile is
     * reported rather than silently cut.
     */
    n = fread(b, 1, (size_t) st.st_size + 1, f);

    if (ferror(f) || n != (size_t) st.st_size) {
        ctl_error("%s: %s", path,
                  ferror(f) ? strerror(errno) : "changed while being read");
        free(b);
        fclose(f);
        return CTL_ERROR;
    }

    fclose(f);

    b[n] = '\0';
    *buf = b;
    *len = n;

    return CTL_OK;
}


void
ctl_iso8601(int64_t t, char buf[CTL_ISO8601_SIZE])
{
    time_t     tt;
    struct tm  tm;

    tt = (time_t) t;

    if (gmtime_r(&tt, &tm) == NULL
        || strftime(buf, CTL_ISO8601_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        /* outside 4-digit years: no database of ours holds such a time */
        snprintf(buf, CTL_ISO8601_SIZE, "%s", "?");
    }
}


int
ctl_lines_append(char **list, const char *s, size_t n)
{
    char    *grown;
    size_t   have;

    have = strlen(*list);

    grown = realloc(*list, have + n + 2);
    if (grown == NULL) {
        return CTL_ERROR;
    }

    memcpy(grown + have, s, n);
    grown[have + n] = '\n';
    grown[have + n + 1] = '\0';
    *list = grown;

    return CTL_OK;
}


int
ctl_alias_append(char **aliases, const char *path, const char *file,
    unsigned line)
{
    int          rc;
    char        *key;
    size_t       k;
    const char  *why;

    key = malloc(strlen(path) + 1);
    if (key == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    k = blog_redirect_from(path, strlen(path), key, &why);

    if (k == 0) {
        ctl_error("%s:%u: old URL \"%.60s\" %s", file, line, path, why);
        free(key);
        return CTL_ERROR;
    }

    rc = ctl_lines_append(aliases, key, k);
    free(key);

    if (rc != CTL_OK) {
        ctl_error("out of memory");
    }

    return rc;
}
