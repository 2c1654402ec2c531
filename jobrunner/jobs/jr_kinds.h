/*
 * The kinds of jobs, each defined in its own file with the hooks of
 * jr_kind_t (jr_jobs.h), and the table of them the runner gives the
 * dispatcher.  The dispatcher and the timers include none of this.
 */

#ifndef JR_KINDS_H
#define JR_KINDS_H

#include "jobs/jr_jobs.h"


/* Every kind, in the order they start; NULL-terminated. */
extern const jr_kind_t *const  jr_kinds[];

/* jr_thumb.c: "thumb", the variants of one image */
extern const jr_kind_t  jr_thumb_kind;

/* jr_scan.c: "thumb_scan", the media root walked for new images */
extern const jr_kind_t  jr_scan_kind;

/* jr_card.c: "card", the social card of a post without a picture */
extern const jr_kind_t  jr_card_kind;

/* jr_ttl.c: "ttl_cleanup", expired rows of ttl.db deleted */
extern const jr_kind_t  jr_ttl_kind;

/* jr_retention.c: "retention", old files and old done jobs deleted */
extern const jr_kind_t  jr_retention_kind;

/* jr_cronhook.c: "cronhook", a signed call to a module endpoint */
extern const jr_kind_t  jr_cronhook_kind;

/* jr_comment.c: "comment", a reader's new comment, queued by the module */
extern const jr_kind_t  jr_comment_kind;

/* mail/jr_mail.c: "mail", a sign-in code asked for on the panel, e-mailed */
extern const jr_kind_t  jr_mail_kind;

/* mail/jr_subscribe.c: "subscribe", a newsletter's confirmation link */
extern const jr_kind_t  jr_subscribe_kind;

/* mail/jr_newsletter.c: "newsletter", a post sent to the subscribers */
extern const jr_kind_t  jr_newsletter_kind;

/* mail/jr_report.c: "report", the weekly or monthly analytics e-mailed */
extern const jr_kind_t  jr_report_kind;

/* backup/jr_mirror.c: "mirror", the live copy; "mirror_tier", a tier */
extern const jr_kind_t  jr_mirror_kind;
extern const jr_kind_t  jr_mirror_tier_kind;

#endif /* JR_KINDS_H */
