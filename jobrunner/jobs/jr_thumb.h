/*
 * What the "thumb" kind (jr_thumb.c) shares with the scan that enqueues
 * its jobs (jr_scan.c).
 */

#ifndef JR_THUMB_H
#define JR_THUMB_H

#include <stddef.h>

#include "jobs/jr_jobs_conf.h"


/*
 * The widths and formats asked for, as recorded in media.params, so a
 * change of configuration makes the variants again: "320,640;original,webp".
 */
void jr_thumb_params(const jr_jobs_conf_t *jc, char *buf, size_t size);

/* Whether a file name is one the thumbnailer takes (by its extension). */
int jr_thumb_candidate(const char *name);

#endif /* JR_THUMB_H */
