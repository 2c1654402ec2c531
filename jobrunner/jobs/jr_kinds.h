/*
 * The kinds of jobs, each in its own file, and the parts of the
 * dispatcher that start and stop with it.
 */

#ifndef JR_KINDS_H
#define JR_KINDS_H

#include "jobs/jr_jobs.h"


/* jr_thumb.c: "thumb", the variants of one image */
extern const jr_kind_t  jr_thumb_kind;

/* jr_scan.c: "thumb_scan", the media root walked for new images */
extern const jr_kind_t  jr_scan_kind;

/* jr_ttl.c: "ttl_cleanup", expired rows of ttl.db deleted */
extern const jr_kind_t  jr_ttl_kind;

/* jr_retention.c: "retention", old files and old done jobs deleted */
extern const jr_kind_t  jr_retention_kind;

/* jr_cronhook.c: "cronhook", a signed call to a module endpoint */
extern const jr_kind_t  jr_cronhook_kind;

/* jr_comment.c: "comment", a reader's new comment, queued by the module */
extern const jr_kind_t  jr_comment_kind;

/* jr_mail.c: "mail", a sign-in code asked for on the panel, e-mailed */
extern const jr_kind_t  jr_mail_kind;

/* jr_mirror.c: "mirror", the live copy; "mirror_tier", a tier of it */
extern const jr_kind_t  jr_mirror_kind;
extern const jr_kind_t  jr_mirror_tier_kind;


/* jr_thumb.c: libvips set up for the pool threads; 0 or -1 (logged) */
int jr_thumb_init(jr_jobs_t *jobs);
void jr_thumb_shutdown(void);

/*
 * The widths and formats asked for, as recorded in media.params, so a
 * change of configuration makes the variants again: "320,640;original,webp".
 */
void jr_thumb_params(const jr_jobs_conf_t *jc, char *buf, size_t size);

/* Whether a file name is one the thumbnailer takes (by its extension). */
int jr_thumb_candidate(const char *name);

/* jr_scan.c: the watch on the media root, and scans on request */
int jr_scan_start(jr_jobs_t *jobs);
void jr_scan_request(jr_jobs_t *jobs);
void jr_scan_free(jr_jobs_t *jobs);

/* jr_timers.c: the [timers] and cronhook schedules */
int jr_timers_start(jr_jobs_t *jobs);
void jr_timers_free(jr_jobs_t *jobs);

/* jr_ttl.c: opens and migrates ttl.db once at start; 0 or -1 (logged) */
int jr_ttl_check(const char *path);

/*
 * jr_ttl.c: a connection of a pool thread's own to ttl.db, migrated; NULL
 * with the reason in err.  Close it with sqlite3_close().
 */
sqlite3 *jr_ttl_open(const char *path, char *err, size_t errlen);

#endif /* JR_KINDS_H */
