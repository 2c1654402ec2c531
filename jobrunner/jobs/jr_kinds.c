/*
 * The table of kinds; see jr_kinds.h.  A new kind is a file of its own
 * and a line here.
 */

#include <stddef.h>

#include "jobs/jr_kinds.h"


const jr_kind_t *const  jr_kinds[] = {
    /* before thumb_scan: libvips set up, the thumbnail folder made */
    &jr_thumb_kind,
    &jr_scan_kind,
    /* after thumb, which sets libvips up */
    &jr_card_kind,
    &jr_ttl_kind,
    &jr_retention_kind,
    &jr_cronhook_kind,
    &jr_comment_kind,
    &jr_mail_kind,
    &jr_subscribe_kind,
    &jr_newsletter_kind,
    /* after mail, whose libcurl it shares */
    &jr_report_kind,
    &jr_mirror_kind,
    &jr_mirror_tier_kind,
    NULL
};
