/*
 * User-agent classification; see jr_useragent.h.
 *
 * The order of each table matters: Edge and Opera say "Chrome" too,
 * Chrome says "Safari", Android says "Linux", iOS says "like Mac OS X".
 * Devices: an iPad, a Kindle or an Android without "Mobile" (Google's
 * rule for telling its tablets) is a tablet; "Mobile", an iPhone or a
 * phone's Android is a phone; the rest a desktop.  An iPad asking for
 * desktop sites says "Macintosh" and is counted a desktop: its agent is
 * a Mac's.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/jr_hash.h"
#include "events/jr_useragent.h"


#define JR_UA_CACHE_SLOTS  4096     /* a power of two */
#define JR_UA_CACHE_LEN    256      /* longer agents are not cached */


typedef struct {
    const char  *needle;
    const char  *name;
} jr_ua_rule_t;

typedef struct {
    uint64_t     hash;
    size_t       len;
    jr_ua_t      ua;
    char         text[JR_UA_CACHE_LEN];
} jr_ua_slot_t;

struct jr_ua_cache_s {
    jr_ua_slot_t  slot[JR_UA_CACHE_SLOTS];
};


/* Named bots first; the generic words after them catch the rest. */
static const jr_ua_rule_t  jr_ua_bots[] = {
    { "Googlebot", "Googlebot" },
    { "bingbot", "Bingbot" },
    { "YandexBot", "YandexBot" },
    { "Baiduspider", "Baiduspider" },
    { "DuckDuckBot", "DuckDuckBot" },
    { "Applebot", "Applebot" },
    { "GPTBot", "GPTBot" },
    { "ClaudeBot", "ClaudeBot" },
    { "AhrefsBot", "AhrefsBot" },
    { "SemrushBot", "SemrushBot" },
    { "facebookexternalhit", "Facebook" },
    { "Twitterbot", "Twitterbot" },
    { "Slackbot", "Slackbot" },
    { "HeadlessChrome", "HeadlessChrome" },
    { "curl/", "curl" },
    { "Wget/", "Wget" },
    { "python-requests", "python-requests" },
    { "Go-http-client", "Go-http-client" },
    { "bot", "other" },
    { "Bot", "other" },
    { "crawl", "other" },
    { "Crawl", "other" },
    { "spider", "other" },
    { "Spider", "other" },
    { "feed", "other" },
    { "Feed", "other" },
    { NULL, NULL },                 /* a person's */
    { NULL, "none" }                /* no agent at all: JR_UA_BOT_NONE */
};

#define JR_UA_BOT_NONE  (sizeof(jr_ua_bots) / sizeof(jr_ua_rule_t) - 1)

static const jr_ua_rule_t  jr_ua_browsers[] = {
    { "Edg/", "Edge" },
    { "EdgA/", "Edge" },
    { "EdgiOS/", "Edge" },
    { "OPR/", "Opera" },
    { "SamsungBrowser/", "Samsung Internet" },
    { "Firefox/", "Firefox" },
    { "FxiOS/", "Firefox" },
    { "CriOS/", "Chrome" },
    { "Chrome/", "Chrome" },
    { "Safari/", "Safari" },
    { "MSIE ", "Internet Explorer" },
    { "Trident/", "Internet Explorer" },
    { NULL, "Other" }
};

static const jr_ua_rule_t  jr_ua_systems[] = {
    { "Android", "Android" },
    { "iPhone", "iOS" },
    { "iPad", "iOS" },
    { "iPod", "iOS" },
    { "Windows", "Windows" },
    { "CrOS", "ChromeOS" },
    { "Macintosh", "macOS" },
    { "Mac OS X", "macOS" },
    { "Linux", "Linux" },
    { "FreeBSD", "FreeBSD" },
    { NULL, "Other" }
};


static const jr_ua_rule_t  jr_ua_devices[] = {
    { "iPad", "tablet" },
    { "Tablet", "tablet" },
    { "Kindle", "tablet" },
    { "Silk/", "tablet" },
    { "Mobile", "phone" },
    { "iPhone", "phone" },
    { "iPod", "phone" },
    { "Windows Phone", "phone" },
    { "Android", "tablet" },        /* an Android without "Mobile" */
    { NULL, "desktop" }
};

/* an id is a rule's index in its table: each fits below JR_UA_IDS */
_Static_assert(sizeof(jr_ua_bots) / sizeof(jr_ua_rule_t) <= JR_UA_IDS
               && sizeof(jr_ua_browsers) / sizeof(jr_ua_rule_t) <= JR_UA_IDS
               && sizeof(jr_ua_systems) / sizeof(jr_ua_rule_t) <= JR_UA_IDS,
               "a user agent's ids fit below JR_UA_IDS");


/* The index of the first rule that matches, or of the table's last row. */
static unsigned
jr_ua_match(const jr_ua_rule_t *rule, const char *ua, size_t len)
{
    unsigned  i;

    for (i = 0; rule[i].needle; i++) {
        if (memmem(ua, len, rule[i].needle, strlen(rule[i].needle)) != NULL) {
            break;
        }
    }

    return i;
}


void
jr_ua_classify(const char *ua, size_t len, jr_ua_t *out)
{
    /* a browser always says who it is: no agent at all is a script */
    out->bot_id = (uint8_t) (len ? jr_ua_match(jr_ua_bots, ua, len)
                                 : JR_UA_BOT_NONE);
    out->bot = jr_ua_bots[out->bot_id].name;

    out->browser_id = (uint8_t) jr_ua_match(jr_ua_browsers, ua, len);
    out->browser = jr_ua_browsers[out->browser_id].name;

    out->os_id = (uint8_t) jr_ua_match(jr_ua_systems, ua, len);
    out->os = jr_ua_systems[out->os_id].name;

    out->device = jr_ua_devices[jr_ua_match(jr_ua_devices, ua, len)].name;
}


const char *
jr_ua_name(jr_ua_kind_e kind, unsigned id)
{
    static const struct {
        const jr_ua_rule_t  *rules;
        size_t               n;
    } tables[] = {
        { jr_ua_bots, sizeof(jr_ua_bots) / sizeof(jr_ua_rule_t) },
        { jr_ua_browsers, sizeof(jr_ua_browsers) / sizeof(jr_ua_rule_t) },
        { jr_ua_systems, sizeof(jr_ua_systems) / sizeof(jr_ua_rule_t) }
    };

    if ((unsigned) kind >= sizeof(tables) / sizeof(tables[0])
        || id >= tables[kind].n)
    {
        return NULL;
    }

    return tables[kind].rules[id].name;
}


jr_ua_cache_t *
jr_ua_cache_create(void)
{
    return calloc(1, sizeof(jr_ua_cache_t));
}


void
jr_ua_lookup(jr_ua_cache_t *cache, const char *ua, size_t len, jr_ua_t *out)
{
    uint64_t       h;
    jr_ua_slot_t  *s;

    if (cache == NULL || len > JR_UA_CACHE_LEN) {
        jr_ua_classify(ua, len, out);
        return;
    }

    h = jr_hash(ua, len, 0);

    /* direct-mapped: a collision replaces the older agent */
    s = &cache->slot[(h ^ (h >> 32)) & (JR_UA_CACHE_SLOTS - 1)];

    if (s->ua.browser && s->hash == h && s->len == len
        && memcmp(s->text, ua, len) == 0)
    {
        *out = s->ua;
        return;
    }

    jr_ua_classify(ua, len, out);

    s->hash = h;
    s->len = len;
    s->ua = *out;
    if (len) {
        memcpy(s->text, ua, len);
    }
}


void
jr_ua_cache_free(jr_ua_cache_t *cache)
{
    free(cache);
}
