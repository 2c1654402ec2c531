/*
 * Logging.  The process has one log, so its state is a file-level static,
 * as nginx keeps its error log in the cycle.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/jr_log.h"


static struct {
    FILE            *file;     /* NULL: stderr */
    const char      *path;
    jr_log_level_t   level;
    int              echo;
    jr_log_hook_pt   hook;
} jr_log_state = { NULL, NULL, JR_LOG_INFO, 0, NULL };


static const char *const jr_log_levels[] = {
    "error", "warn", "notice", "info", "debug"
};


int
jr_log_level_parse(const char *name)
{
    size_t  i;

    for (i = 0; i < sizeof(jr_log_levels) / sizeof(jr_log_levels[0]); i++) {
        if (strcmp(name, jr_log_levels[i]) == 0) {
            return (int) i;
        }
    }

    return -1;
}


static FILE *
jr_log_fopen(const char *path)
{
    FILE  *f;

    /* "e": close-on-exec, so child processes do not inherit the log */
    f = fopen(path, "ae");
    if (f == NULL) {
        return NULL;
    }

    /*
     * Line-buffered: a line reaches the file as soon as it is complete, so
     * "tail -f" and a crash both see everything logged before.
     */
    if (setvbuf(f, NULL, _IOLBF, 0) != 0) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }

    return f;
}


int
jr_log_open(const char *path, jr_log_level_t level)
{
    FILE  *f;

    jr_log_state.level = level;

    if (path == NULL) {
        return 0;
    }

    f = jr_log_fopen(path);
    if (f == NULL) {
        return -1;
    }

    jr_log_close();

    jr_log_state.file = f;
    jr_log_state.path = path;

    return 0;
}


int
jr_log_reopen(void)
{
    int    err;
    FILE  *f;

    if (jr_log_state.file == NULL) {
        jr_log(JR_LOG_INFO, "log is stderr, nothing to reopen");
        return 0;
    }

    f = jr_log_fopen(jr_log_state.path);
    if (f == NULL) {
        err = errno;
        jr_log(JR_LOG_ERROR, "cannot reopen log \"%s\": %s",
               jr_log_state.path, strerror(err));
        return -1;
    }

    /* a write error on the old file has nowhere better to be reported */
    fclose(jr_log_state.file);
    jr_log_state.file = f;

    jr_log(JR_LOG_INFO, "log reopened");

    return 0;
}


void
jr_log_echo(int on)
{
    jr_log_state.echo = on;
}


void
jr_log_hook(jr_log_hook_pt hook)
{
    jr_log_state.hook = hook;
}


void
jr_log_close(void)
{
    if (jr_log_state.file != NULL) {
        fclose(jr_log_state.file);
        jr_log_state.file = NULL;
        jr_log_state.path = NULL;
    }
}


void
jr_log(jr_log_level_t level, const char *fmt, ...)
{
    int         n;
    char        line[2048];
    size_t      len, start;
    time_t      now;
    va_list     ap;
    struct tm   tm;

    if (level > jr_log_state.level) {
        return;
    }

    now = time(NULL);
    gmtime_r(&now, &tm);

    len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
    len += snprintf(line + len, sizeof(line) - len, "[%s] ",
                    jr_log_levels[level]);
    start = len;

    va_start(ap, fmt);
    n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
    va_end(ap);

    if (n < 0) {
        n = 0;
    }

    /* a cut line ends in "...", so it is not mistaken for a whole one */
    if ((size_t) n >= sizeof(line) - len) {
        len = sizeof(line) - 4;
        memcpy(line + len, "...", 3);
        len += 3;

    } else {
        len += n;
    }

    line[len++] = '\n';

    /*
     * One fwrite per line, flushed by line buffering as one write(2) to an
     * O_APPEND file, so another process appending to the same file cannot
     * split it.  A failed write to the log has nowhere to be reported.
     */
    fwrite(line, 1, len, jr_log_state.file ? jr_log_state.file : stderr);

    if (jr_log_state.echo && level == JR_LOG_ERROR
        && jr_log_state.file != NULL)
    {
        fwrite(line, 1, len, stderr);
    }

    if (level == JR_LOG_ERROR && jr_log_state.hook != NULL) {
        line[len - 1] = '\0';
        jr_log_state.hook(line + start);
    }
}
