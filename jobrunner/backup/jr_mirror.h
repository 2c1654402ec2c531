/*
 * Mirrors ([mirror], jr_mirror_conf.h): the media folder and the backup's
 * objects copied to a bucket incrementally, and tiers of those copies.
 *
 * Two job kinds (jobs/jr_kinds.h), enqueued by their timers:
 *
 *   "mirror"       the live copy, PREFIX/live/: files of media_root under
 *                  media/, uploaded when new or changed (size and ETag
 *                  against the MD5 computed here); the [backup] prefix's
 *                  objects under replica/, copied server side when new;
 *                  with delete = on, objects whose source is gone deleted;
 *   "mirror_tier"  one tier, a server-side image of the one below it:
 *                  daily/ of live/, 1-week/ of daily/, 2-week/ of 1-week/.
 *
 * The work runs in a pool thread, one run at a time (a lock: a tier never
 * copies a live copy being written), with synchronous S3 requests on the
 * mirror's own client, which the mirror kind's start hook opens for both
 * kinds.  Counters go to /metrics, a failed run raises the alert
 * "mirror.failed".
 */

#ifndef JR_MIRROR_H
#define JR_MIRROR_H

#include "core/jr_config.h"
#include "s3/jr_s3.h"


typedef struct jr_mirror_s  jr_mirror_t;

#endif /* JR_MIRROR_H */
