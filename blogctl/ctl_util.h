/*
 * Small helpers every blogctl file uses: the error reporter, whole-file
 * reading and time formatting.
 */

#ifndef CTL_UTIL_H
#define CTL_UTIL_H

#include <stddef.h>
#include <stdint.h>


#define CTL_OK         0
#define CTL_ERROR     -1
#define CTL_NOTFOUND   1

/* Room for "YYYY-MM-DDTHH:MM:SSZ" and its NUL, for any 4-digit year. */
#define CTL_ISO8601_SIZE  sizeof("YYYY-MM-DDTHH:MM:SSZ")


/* Prints "blogctl: " and the message to stderr, with a newline. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Reads a regular file into a malloc'ed buffer, NUL-terminated so that it
 * can also be used as a string; *len excludes the NUL.  Reports its own
 * errors.
 */
int ctl_read_file(const char *path, char **buf, size_t *len);

/* Formats Unix seconds as ISO-8601 UTC, e.g. "2026-10-03T08:30:00Z". */
void ctl_iso8601(int64_t t, char buf[CTL_ISO8601_SIZE]);

/*
 * Appends the n bytes of s and a newline to *list, a malloc'ed string of
 * such lines (aliases, as front matter gives them).  CTL_OK or CTL_ERROR
 * (out of memory: *list is left as it was).
 */
int ctl_lines_append(char **list, const char *s, size_t n);

/*
 * Appends the redirect key of path, an old URL's path (blog_redirect.h),
 * to *aliases: CTL_OK, or CTL_ERROR reported as FILE:LINE when path
 * cannot be one.
 */
int ctl_alias_append(char **aliases, const char *path, const char *file,
    unsigned line);

#endif /* CTL_UTIL_H */
