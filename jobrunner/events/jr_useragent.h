/*
 * A small user-agent classifier: bot or not (and which), browser and
 * operating system, device, by substrings in a fixed order.  It is meant for a
 * blog's traffic report, not for content negotiation: an unknown agent is
 * "Other", never an error.
 */

#ifndef JR_USERAGENT_H
#define JR_USERAGENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The ids of a kind of name are below this: a counter per name is an
 * array's slot (jr_analytics.c), with no string hashed.
 */
#define JR_UA_IDS  32

typedef enum {
    JR_UA_BOT = 0,
    JR_UA_BROWSER,
    JR_UA_OS
} jr_ua_kind_e;

typedef struct {
    const char  *bot;       /* NULL for a person's browser */
    const char  *browser;
    const char  *os;
    const char  *device;    /* "desktop", "phone" or "tablet" */
    uint8_t      bot_id;    /* their ids: jr_ua_name(kind, id) is the name */
    uint8_t      browser_id;
    uint8_t      os_id;
} jr_ua_t;

typedef struct jr_ua_cache_s  jr_ua_cache_t;

/* Classifies len bytes of user agent.  The strings are static. */
void jr_ua_classify(const char *ua, size_t len, jr_ua_t *out);

/* The name of a bot, browser or OS id; NULL for an id that names none. */
const char *jr_ua_name(jr_ua_kind_e kind, unsigned id);

/*
 * The same through a cache of recent agents: a site sees few distinct
 * ones, and a lookup is cheaper than the substring searches.  cache may
 * be NULL (no caching).
 */
jr_ua_cache_t *jr_ua_cache_create(void);
void jr_ua_lookup(jr_ua_cache_t *cache, const char *ua, size_t len,
    jr_ua_t *out);
void jr_ua_cache_free(jr_ua_cache_t *cache);

#endif /* JR_USERAGENT_H */
