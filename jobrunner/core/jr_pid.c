/*
 * Pid file.  Written to a temporary name and renamed into place, so a
 * reader never sees it empty or half written.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jr_log.h"
#include "core/jr_pid.h"


int
jr_pid_write(const char *path)
{
    int      fd, n, err;
    char     pid[32];
    char    *tmp;
    size_t   len;

    len = strlen(path);

    tmp = malloc(len + sizeof(".tmp"));
    if (tmp == NULL) {
        jr_log(JR_LOG_ERROR, "cannot write pid file \"%s\": out of memory",
               path);
        return -1;
    }

    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp", sizeof(".tmp"));

    n = snprintf(pid, sizeof(pid), "%ld\n", (long) getpid());

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        err = errno;
        goto failed;
    }

    errno = 0;

    if (write(fd, pid, n) != n) {
        /* a short write of a few bytes to a fresh file means a full disk */
        err = errno ? errno : ENOSPC;
        close(fd);
        unlink(tmp);
        goto failed;
    }

    if (close(fd) == -1 || rename(tmp, path) == -1) {
        err = errno;
        unlink(tmp);
        goto failed;
    }

    free(tmp);

    return 0;

failed:

    jr_log(JR_LOG_ERROR, "cannot write pid file \"%s\": %s", path,
           strerror(err));
    free(tmp);

    return -1;
}


void
jr_pid_remove(const char *path)
{
    if (unlink(path) == -1 && errno != ENOENT) {
        jr_log(JR_LOG_ERROR, "cannot remove pid file \"%s\": %s", path,
               strerror(errno));
    }
}
