/*
 * Sources and channels of visits; see jr_source.h.
 *
 * The table is small on purpose: the sites that send a blog most of its
 * readers.  A host matches an entry exactly, after a leading "www." or
 * "m." is dropped, or, for an entry ending in ".", by its first labels
 * ("google." is google.com, google.co.uk...).
 */

#include <string.h>

#include "events/jr_source.h"


typedef struct {
    const char  *host;
    const char  *name;
    const char  *channel;
} jr_source_rule_t;

static const jr_source_rule_t  jr_source_hosts[] = {
    { "google.", "Google", "search" },
    { "bing.com", "Bing", "search" },
    { "duckduckgo.com", "DuckDuckGo", "search" },
    { "search.yahoo.com", "Yahoo!", "search" },
    { "yandex.", "Yandex", "search" },
    { "baidu.com", "Baidu", "search" },
    { "ecosia.org", "Ecosia", "search" },
    { "search.brave.com", "Brave", "search" },
    { "kagi.com", "Kagi", "search" },
    { "startpage.com", "Startpage", "search" },
    { "qwant.com", "Qwant", "search" },
    { "news.ycombinator.com", "Hacker News", "social" },
    { "reddit.com", "Reddit", "social" },
    { "old.reddit.com", "Reddit", "social" },
    { "lobste.rs", "Lobsters", "social" },
    { "t.co", "Twitter", "social" },
    { "twitter.com", "Twitter", "social" },
    { "x.com", "Twitter", "social" },
    { "facebook.com", "Facebook", "social" },
    { "l.facebook.com", "Facebook", "social" },
    { "lm.facebook.com", "Facebook", "social" },
    { "instagram.com", "Instagram", "social" },
    { "linkedin.com", "LinkedIn", "social" },
    { "lnkd.in", "LinkedIn", "social" },
    { "mastodon.social", "Mastodon", "social" },
    { "bsky.app", "Bluesky", "social" },
    { "threads.net", "Threads", "social" },
    { "youtube.com", "YouTube", "social" },
    { "pinterest.com", "Pinterest", "social" },
    { "mail.google.com", "Gmail", "email" },
    { "outlook.live.com", "Outlook", "email" },
    { "mail.yahoo.com", "Yahoo! Mail", "email" },
    { "mail.proton.me", "Proton Mail", "email" },
    { NULL, NULL, NULL }
};

/* The parameters that name a source, the first given winning. */
static const int  jr_source_tags[3] = {
    BLOG_EVENT_UTM_SOURCE, BLOG_EVENT_REF, BLOG_EVENT_SOURCE
};


static int
jr_source_is(const blog_event_str_t *f, const char *s)
{
    size_t  len;

    len = strlen(s);

    return f->len == len && strncasecmp(f->data, s, len) == 0;
}


static const jr_source_rule_t *
jr_source_find(const char *host, size_t len)
{
    size_t                   n;
    const jr_source_rule_t  *r;

    for (r = jr_source_hosts; r->host; r++) {
        n = strlen(r->host);

        if (r->host[n - 1] == '.' ? len > n && memcmp(host, r->host, n) == 0
                                  : len == n && memcmp(host, r->host, n) == 0)
        {
            return r;
        }
    }

    return NULL;
}


void
jr_source_classify(const blog_event_t *ev, jr_source_t *out)
{
    int                      i;
    size_t                   len;
    const char              *host;
    const blog_event_str_t  *f, *medium;
    const jr_source_rule_t  *r;

    f = &ev->field[BLOG_EVENT_REFERRER];
    host = f->data;
    len = f->len;

    if (len > 4 && memcmp(host, "www.", 4) == 0) {
        host += 4;
        len -= 4;

    } else if (len > 2 && memcmp(host, "m.", 2) == 0) {
        host += 2;
        len -= 2;
    }

    r = len ? jr_source_find(host, len) : NULL;

    out->source = r ? r->name : host;
    out->len = r ? strlen(r->name) : len;

    /* a tagged link names its source: it wins over the referrer */
    for (i = 0; i < 3; i++) {
        f = &ev->field[jr_source_tags[i]];

        if (f->len) {
            out->source = f->data;
            out->len = f->len;
            break;
        }
    }

    medium = &ev->field[BLOG_EVENT_UTM_MEDIUM];

    if (jr_source_is(medium, "email") || jr_source_is(medium, "e-mail")
        || jr_source_is(medium, "newsletter")
        || (r && strcmp(r->channel, "email") == 0))
    {
        out->channel = "email";

    } else if (medium->len || ev->field[BLOG_EVENT_UTM_CAMPAIGN].len) {
        out->channel = "campaign";

    } else if (r) {
        out->channel = r->channel;

    } else {
        out->channel = out->len ? "referral" : "direct";
    }
}
