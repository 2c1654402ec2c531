/*
 * The jobrunner's log: one file (or stderr), one line per event, each line
 * prefixed with the UTC time and the level.  The file is opened in append
 * mode and reopened on SIGHUP, so logrotate can rename it under us.
 */

#ifndef JR_LOG_H
#define JR_LOG_H

typedef enum {
    JR_LOG_ERROR = 0,
    JR_LOG_WARN,
    JR_LOG_NOTICE,              /* worth reading at info, quiet at warn */
    JR_LOG_INFO,
    JR_LOG_DEBUG
} jr_log_level_t;

/*
 * Maps "error", "warn", "notice", "info", "debug" to a level.  Returns -1 for any
 * other name.
 */
int jr_log_level_parse(const char *name);

/*
 * Starts logging to path (NULL: stderr) at the given level.  path must stay
 * valid until jr_log_close(), since SIGHUP reopens it.  Returns 0, or -1
 * with errno set when the file cannot be opened; logging then still goes to
 * stderr.
 */
int jr_log_open(const char *path, jr_log_level_t level);

/*
 * Opens the log path anew and swaps it in, so lines go to the file by that
 * name, not to the one logrotate renamed, and logs "log reopened" there.
 * On failure the old file stays in use and the failure is logged to it.
 * Returns 0 or -1.  With stderr there is nothing to reopen: it logs so.
 */
int jr_log_reopen(void);

/*
 * While echo is on, error lines go to stderr as well as to the log file, so
 * a failed start shows on the terminal that ran it, not only in the file.
 */
void jr_log_echo(int on);

/* Closes the log file; later lines go to stderr. */
void jr_log_close(void);

/*
 * A function called with the message of every error line (without the
 * time and level), after it is written: the realtime hub makes alerts of
 * them.  NULL removes it.
 */
typedef void (*jr_log_hook_pt)(const char *message);

void jr_log_hook(jr_log_hook_pt hook);

void jr_log(jr_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* JR_LOG_H */
