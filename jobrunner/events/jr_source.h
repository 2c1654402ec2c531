/*
 * Where a visit came from: its source (a name, as Plausible shows it) and
 * its channel, from the referrer's host and the campaign parameters of
 * the landing page's address (docs/analytics.md, "Sources").
 *
 *   source   the utm_source, ref or source parameter, the first given,
 *            as given; else the known name of the referrer's host
 *            ("Google", "Hacker News"); else the host without "www.";
 *            else "" (direct)
 *   channel  "email" for a utm_medium of e-mail or newsletter, or a host
 *            of webmail; "campaign" for any other utm_medium or a
 *            utm_campaign; else "search" or "social" for a host of the
 *            table; else "referral" when there is a source; else
 *            "direct"
 */

#ifndef JR_SOURCE_H
#define JR_SOURCE_H

#include <stddef.h>

#include "blog_event.h"

typedef struct {
    const char  *source;        /* into the event or static */
    size_t       len;
    const char  *channel;       /* static */
} jr_source_t;

/* Classifies the decoded event ev (host lowercased by the encoder). */
void jr_source_classify(const blog_event_t *ev, jr_source_t *out);

#endif /* JR_SOURCE_H */
