/*
 * Unit tests of event intake: the wire format (blog_event.c), the batch
 * counters, the user-agent classifier and the configuration keys.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "blog_event.h"
#include "core/jr_config.h"
#include "events/jr_counts.h"
#include "events/jr_useragent.h"


static blog_event_t
sample(void)
{
    blog_event_t  ev;

    memset(&ev, 0, sizeof(ev));
    ev.time_ms = 1790000000123ULL;
    ev.bytes = 0x0102030405ULL;
    ev.request_us = 4500;
    ev.status = 404;
    ev.flags = BLOG_EVENT_F_ASSET;
    ev.family = BLOG_EVENT_ADDR_V6;
    memcpy(ev.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    ev.field[BLOG_EVENT_METHOD].data = "GET";
    ev.field[BLOG_EVENT_METHOD].len = 3;
    ev.field[BLOG_EVENT_PATH].data = "/posts/hello";
    ev.field[BLOG_EVENT_PATH].len = 12;
    ev.field[BLOG_EVENT_REFERRER].data = "example.org";
    ev.field[BLOG_EVENT_REFERRER].len = 11;
    ev.field[BLOG_EVENT_AGENT].data = "Mozilla/5.0";
    ev.field[BLOG_EVENT_AGENT].len = 11;

    return ev;
}


static void
test_roundtrip(void)
{
    int             i;
    size_t          len;
    unsigned char   buf[BLOG_EVENT_MAX];
    blog_event_t    ev, out;
    static char     long_path[3000];

    ev = sample();
    len = blog_event_encode(buf, &ev);

    is_int(len, BLOG_EVENT_HEADER + 2 * BLOG_EVENT_NFIELDS + 3 + 12 + 11 + 11,
           "encoded length");
    ok(memcmp(buf, "BE\x03", 3) == 0, "magic and version first");
    is_int(blog_event_decode(&out, buf, len), BLOG_EVENT_OK, "decodes");
    ok(out.time_ms == ev.time_ms && out.bytes == ev.bytes
       && out.request_us == ev.request_us && out.status == 404
       && out.flags == BLOG_EVENT_F_ASSET && out.family == 6
       && memcmp(out.addr, ev.addr, 16) == 0, "header fields survive");

    for (i = 0; i < BLOG_EVENT_NFIELDS; i++) {
        ok(out.field[i].len == ev.field[i].len
           && (ev.field[i].len == 0
               || memcmp(out.field[i].data, ev.field[i].data,
                         ev.field[i].len) == 0),
           "field %d survives", i);
    }

    /* an IPv4 address keeps only its 4 bytes */
    ev.family = BLOG_EVENT_ADDR_V4;
    len = blog_event_encode(buf, &ev);
    ok(blog_event_decode(&out, buf, len) == BLOG_EVENT_OK
       && memcmp(out.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16)
          == 0, "IPv4: the other 12 bytes are zero");

    /* fields longer than their limits are cut, and still decode */
    memset(long_path, 'a', sizeof(long_path));
    ev.field[BLOG_EVENT_PATH].data = long_path;
    ev.field[BLOG_EVENT_PATH].len = sizeof(long_path);
    ev.field[BLOG_EVENT_AGENT].data = long_path;
    ev.field[BLOG_EVENT_AGENT].len = sizeof(long_path);
    len = blog_event_encode(buf, &ev);
    ok(len <= BLOG_EVENT_MAX, "a record with long fields fits the buffer");
    ok(blog_event_decode(&out, buf, len) == BLOG_EVENT_OK
       && out.field[BLOG_EVENT_PATH].len == BLOG_EVENT_PATH_MAX
       && out.field[BLOG_EVENT_AGENT].len == BLOG_EVENT_AGENT_MAX,
       "long fields cut to their limits");
}


static void
test_refused(void)
{
    int             bad, i, n;
    size_t          len, cut;
    unsigned char   buf[BLOG_EVENT_MAX + 16], copy[BLOG_EVENT_MAX + 16];
    blog_event_t    ev, out;

    ev = sample();
    len = blog_event_encode(buf, &ev);

    bad = 0;
    for (cut = 0; cut < len; cut++) {
        bad += blog_event_decode(&out, buf, cut) == BLOG_EVENT_OK;
    }
    is_int(bad, 0, "every truncation of a record is refused");

    is_int(blog_event_decode(&out, buf, 10), BLOG_EVENT_ETRUNCATED,
           "shorter than the header: truncated");
    is_int(blog_event_decode(&out, buf, len - 1), BLOG_EVENT_ETRUNCATED,
           "last field cut: truncated");

    memcpy(copy, buf, len);
    copy[len] = 'x';
    is_int(blog_event_decode(&out, copy, len + 1), BLOG_EVENT_ETRAILING,
           "a byte too many: trailing");

    memcpy(copy, buf, len);
    copy[0] = 'X';
    is_int(blog_event_decode(&out, copy, len), BLOG_EVENT_EMAGIC, "magic");

    memcpy(copy, buf, len);
    copy[2] = 4;
    is_int(blog_event_decode(&out, copy, len), BLOG_EVENT_EVERSION,
           "version 4");

    /* version 1, before the page flag: what was no file was a page; the
       sample's version 3 fields are empty, 2 bytes of length each */
    memcpy(copy, buf, len);
    copy[2] = 1;
    copy[3] = 0;
    copy[27] = BLOG_EVENT_NFIELDS_V2;
    cut = len - 2 * (BLOG_EVENT_NFIELDS - BLOG_EVENT_NFIELDS_V2);
    ok(blog_event_decode(&out, copy, cut) == BLOG_EVENT_OK
       && out.flags == BLOG_EVENT_F_PAGE, "version 1: a page without the flag");
    copy[3] = BLOG_EVENT_F_ASSET | BLOG_EVENT_F_PAGE;
    ok(blog_event_decode(&out, copy, cut) == BLOG_EVENT_OK
       && out.flags == BLOG_EVENT_F_ASSET, "version 1: a file is no page");

    /* whatever ev held before: a field the version has not is empty */
    memset(&out, 0x5a, sizeof(out));
    ok(blog_event_decode(&out, copy, cut) == BLOG_EVENT_OK
       && out.field[BLOG_EVENT_REF_PATH].len == 0
       && out.field[BLOG_EVENT_SOURCE].len == 0
       && out.field[BLOG_EVENT_SOURCE].data == NULL,
       "version 1: the fields of version 3 are empty");

    memcpy(copy, buf, len);
    copy[27] = BLOG_EVENT_NFIELDS + 1;
    is_int(blog_event_decode(&out, copy, len), BLOG_EVENT_EFIELDS,
           "field count");

    memcpy(copy, buf, len);
    copy[26] = 5;
    is_int(blog_event_decode(&out, copy, len), BLOG_EVENT_EFAMILY,
           "address family");

    /* the method field claims 17 bytes: over its limit of 16 */
    memcpy(copy, buf, len);
    copy[BLOG_EVENT_HEADER] = 17;
    is_int(blog_event_decode(&out, copy, len), BLOG_EVENT_ELENGTH,
           "a length over the field's limit");

    /* a length that runs past the end */
    memcpy(copy, buf, len);
    copy[BLOG_EVENT_HEADER] = 0xff;
    copy[BLOG_EVENT_HEADER + 1] = 0xff;
    ok(blog_event_decode(&out, copy, len) != BLOG_EVENT_OK,
       "a length of 65535 is refused");

    is_str(blog_event_strerror(BLOG_EVENT_ETRAILING), "trailing bytes",
           "error names");
    is_str(blog_event_strerror((blog_event_rc_e) 99), "unknown",
           "unknown error code");

    /* random bytes after a valid header: never a crash, often refused */
    srand(7);
    bad = 0;
    for (i = 0; i < 20000; i++) {
        n = BLOG_EVENT_HEADER + rand() % 200;
        memcpy(copy, buf, BLOG_EVENT_HEADER);
        for (cut = BLOG_EVENT_HEADER; cut < (size_t) n; cut++) {
            copy[cut] = (unsigned char) rand();
        }
        if (blog_event_decode(&out, copy, n) == BLOG_EVENT_OK) {
            /* accepted: then every field lies inside the record */
            for (cut = 0; cut < BLOG_EVENT_NFIELDS; cut++) {
                bad += (const unsigned char *) out.field[cut].data
                       + out.field[cut].len > copy + n;
            }
        }
    }
    is_int(bad, 0, "20000 random records: fields never point outside");
}


static void
test_frames(void)
{
    int                   n, rc;
    size_t                pos, len, one;
    unsigned char         buf[3 * (BLOG_EVENT_FRAME + BLOG_EVENT_MAX)];
    blog_event_t          ev, out;
    const unsigned char  *rec;

    ev = sample();
    one = blog_event_encode(buf + BLOG_EVENT_FRAME, &ev);
    blog_event_frame(buf, one);
    memcpy(buf + BLOG_EVENT_FRAME + one, buf, BLOG_EVENT_FRAME + one);
    len = 2 * (BLOG_EVENT_FRAME + one);

    pos = 0;
    n = 0;
    while ((rc = blog_event_next(buf, len, &pos, &rec, &one)) == 1) {
        n += blog_event_decode(&out, rec, one) == BLOG_EVENT_OK;
    }
    ok(rc == 0 && n == 2 && pos == len, "two framed records in a datagram");

    pos = 0;
    n = 0;
    while ((rc = blog_event_next(buf, len - 1, &pos, &rec, &one)) == 1) {
        n++;
    }
    ok(rc == -1 && n == 1, "a frame cut at the end: one record, then -1");

    pos = 0;
    ok(blog_event_next(buf, 1, &pos, &rec, &one) == -1,
       "one byte: no frame fits");
    pos = 0;
    ok(blog_event_next(buf, 0, &pos, &rec, &one) == 0, "empty: the end");
}


static void
test_counts(void)
{
    int           i;
    char          key[32];
    size_t        j, found;
    int64_t       sum;
    jr_counts_t   c;

    memset(&c, 0, sizeof(c));

    ok(jr_counts_add(&c, 1, 100, "/a", 2, 1) == 0
       && jr_counts_add(&c, 1, 100, "/a", 2, 2) == 0
       && jr_counts_add(&c, 1, 101, "/a", 2, 1) == 0
       && jr_counts_add(&c, 2, 100, "/a", 2, 1) == 0
       && jr_counts_add(&c, 1, 100, "", 0, 5) == 0, "adds");
    is_int(c.used, 4, "distinct by dimension, day and key");

    found = 0;
    for (j = 0; j < c.cap; j++) {
        if (c.slot[j].key && c.slot[j].dim == 1 && c.slot[j].day == 100
            && c.slot[j].len == 2)
        {
            found = (size_t) c.slot[j].n;
        }
    }
    is_int(found, 3, "same counter summed");

    /* past the first table size: it grows and keeps everything */
    for (i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "/p/%d", i);
        jr_counts_add(&c, 3, 100, key, strlen(key), i);
        jr_counts_add(&c, 3, 100, key, strlen(key), 1);
    }

    sum = 0;
    found = 0;
    for (j = 0; j < c.cap; j++) {
        if (c.slot[j].key && c.slot[j].dim == 3) {
            sum += c.slot[j].n;
            found++;
        }
    }
    is_int(found, 5000, "5000 keys after growing");
    is_int(sum, 5000 * 4999 / 2 + 5000, "their counts intact");

    jr_counts_clear(&c);
    is_int(c.used, 0, "cleared");
    ok(jr_counts_add(&c, 1, 1, "x", 1, 1) == 0 && c.used == 1,
       "usable after clearing");
    jr_counts_free(&c);
}


/* The counter (dim, day, key) of the map, or -1. */
static int64_t
counts_get(jr_counts_t *c, uint32_t dim, int64_t day, const char *key)
{
    size_t  j;

    for (j = 0; j < c->cap; j++) {
        if (c->slot[j].key && c->slot[j].dim == dim && c->slot[j].day == day
            && c->slot[j].len == strlen(key)
            && memcmp(c->slot[j].key, key, c->slot[j].len) == 0)
        {
            return c->slot[j].n;
        }
    }

    return -1;
}


static void
test_counts_rows(void)
{
    int                      d, i;
    int64_t                 *row;
    jr_counts_t              c;
    static const jr_counts_name_t  names[] = {
        { 7, 0, "" }, { 8, 3, "200" }, { 8, 3, "404" }, { 9, 2, "FR" }
    };

    memset(&c, 0, sizeof(c));
    jr_counts_names(&c, names, 4);

    /* 6 days: past JR_COUNTS_ROWS the rows are folded on the way */
    for (d = 0; d < 6; d++) {
        for (i = 0; i <= d; i++) {
            row = jr_counts_row(&c, 100 + d);
            if (row == NULL) {
                ok(0, "day %d: a row", d);
                return;
            }
            row[0]++;
            row[1] += 2;
        }
    }

    /* back to a day already counted, and one by key, as a status 999 */
    jr_counts_row(&c, 100)[3] += 5;
    jr_counts_add(&c, 8, 100, "999", 3, 1);
    jr_counts_add(&c, 8, 105, "200", 3, 1);

    ok(jr_counts_fold(&c) == 0, "folded");
    is_int(c.nrows, 0, "no row left");

    for (d = 0; d < 6; d++) {
        ok(counts_get(&c, 7, 100 + d, "") == d + 1
           && counts_get(&c, 8, 100 + d, "200") == 2 * (d + 1) + (d == 5),
           "day %d: its counts, by index and by key summed", d);
        ok(counts_get(&c, 8, 100 + d, "404") == -1,
           "day %d: an index never added to makes no counter", d);
    }

    is_int(counts_get(&c, 9, 100, "FR"), 5, "a day's row after a fold");
    is_int(counts_get(&c, 8, 100, "999"), 1, "a key beside the rows");

    ok(jr_counts_fold(&c) == 0 && counts_get(&c, 7, 100, "") == 1,
       "a second fold adds nothing");

    jr_counts_row(&c, 200)[2]++;
    jr_counts_clear(&c);
    ok(c.used == 0 && c.nrows == 0, "cleared, rows too");
    row = jr_counts_row(&c, 200);
    ok(row != NULL && row[2] == 0, "a cleared row counts from 0");
    jr_counts_free(&c);
}


static void
test_agents(void)
{
    size_t          i;
    jr_ua_t         ua;
    jr_ua_cache_t  *cache;

    static const struct {
        const char  *agent;
        const char  *bot, *browser, *os, *device;
    } cases[] = {
        { "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 "
          "Firefox/120.0", NULL, "Firefox", "Linux", "desktop" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
          NULL, "Chrome", "Windows", "desktop" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0",
          NULL, "Edge", "Windows", "desktop" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
          "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 "
          "Safari/604.1", NULL, "Safari", "iOS", "phone" },
        { "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
          NULL, "Chrome", "Android", "phone" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.1 Safari/605.1.15",
          NULL, "Safari", "macOS", "desktop" },
        { "Mozilla/5.0 (compatible; Googlebot/2.1; "
          "+http://www.google.com/bot.html)", "Googlebot", "Other", "Other", "desktop" },
        { "curl/7.88.1", "curl", "Other", "Other", "desktop" },
        { "SomeCrawler/1.0", "other", "Other", "Other", "desktop" },
        { "", "none", "Other", "Other", "desktop" },
        { "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
          NULL, "Safari", "iOS", "tablet" },
        { "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0 Safari/537.36",
          NULL, "Chrome", "Android", "tablet" },
    };

    cache = jr_ua_cache_create();
    ok(cache != NULL, "cache made");

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* twice: the second answer comes from the cache */
        jr_ua_lookup(cache, cases[i].agent, strlen(cases[i].agent), &ua);
        jr_ua_lookup(cache, cases[i].agent, strlen(cases[i].agent), &ua);

        ok(((ua.bot == NULL && cases[i].bot == NULL)
            || (ua.bot && cases[i].bot && strcmp(ua.bot, cases[i].bot) == 0))
           && strcmp(ua.browser, cases[i].browser) == 0
           && strcmp(ua.os, cases[i].os) == 0
           && strcmp(ua.device, cases[i].device) == 0,
           "%s / %s / %s / %s", cases[i].bot ? cases[i].bot : "person",
           cases[i].browser, cases[i].os, cases[i].device);

        ok(jr_ua_name(JR_UA_BOT, ua.bot_id) == ua.bot
           && jr_ua_name(JR_UA_BROWSER, ua.browser_id) == ua.browser
           && jr_ua_name(JR_UA_OS, ua.os_id) == ua.os,
           "its ids name them");
    }

    jr_ua_cache_free(cache);

    ok(jr_ua_name(JR_UA_OS, JR_UA_IDS) == NULL
       && jr_ua_name((jr_ua_kind_e) 3, 0) == NULL, "no name past the ids");
}


static void
fails(const char *line, const char *message)
{
    char          text[512], err[JR_CONFIG_ERRLEN];
    jr_config_t   cf;

    snprintf(text, sizeof(text), "[jobrunner]\ndata_db = d.db\n%s\n", line);

    ok(jr_config_parse(&cf, "/etc/blog/jobrunner.conf", text, strlen(text),
                       err, sizeof(err)) == -1, "refused: %s", line);
    is_str(err, message, "message for: %s", line);
}


static void
test_config(void)
{
    char          err[JR_CONFIG_ERRLEN];
    jr_config_t   cf;
    const char   *text;

    text = "[jobrunner]\n"
           "data_db = d.db\n"
           "events_socket = run/events.sock\n"
           "events_socket_mode = 0660\n"
           "spool_dir = /var/spool/blog\n"
           "spool_scan_ms = 500\n"
           "batch_size = 5000\n"
           "batch_interval_ms = 100\n"
           "geoip_db = /usr/share/GeoIP/GeoIP.dat\n"
           "geoip6_db = /usr/share/GeoIP/GeoIPv6.dat\n"
           "metrics_listen = [::1]:9420\n";

    if (!ok(jr_config_parse(&cf, "/etc/blog/jobrunner.conf", text,
                            strlen(text), err, sizeof(err)) == 0,
            "all event keys parse"))
    {
        printf("#   %s\n", err);
        return;
    }

    is_str(cf.events.socket, "/etc/blog/run/events.sock",
           "relative socket path from the file's folder");
    is_int(cf.events.socket_mode, 0660, "socket mode in octal");
    is_str(cf.events.spool_dir, "/var/spool/blog", "spool_dir");
    is_int(cf.events.spool_scan_ms, 500, "spool_scan_ms");
    is_int(cf.events.batch_size, 5000, "batch_size");
    is_int(cf.events.batch_interval_ms, 100, "batch_interval_ms");
    is_str(cf.events.geoip6_db, "/usr/share/GeoIP/GeoIPv6.dat", "geoip6_db");
    is_int(cf.events.metrics.ss_family, AF_INET6, "metrics on IPv6");
    jr_config_free(&cf);

    text = "[jobrunner]\ndata_db = d.db\n";
    ok(jr_config_parse(&cf, "j.conf", text, strlen(text), err, sizeof(err))
       == 0 && cf.events.socket == NULL && cf.events.batch_size == 10000
       && cf.events.batch_interval_ms == 200
       && cf.events.metrics.ss_family == 0, "defaults: no intake");
    jr_config_free(&cf);

    fails("batch_size = 0", "/etc/blog/jobrunner.conf:3: invalid batch_size "
          "\"0\" (expected 1..1000000)");
    fails("batch_size = 10k", "/etc/blog/jobrunner.conf:3: invalid "
          "batch_size \"10k\" (expected 1..1000000)");
    fails("batch_interval_ms = -5", "/etc/blog/jobrunner.conf:3: invalid "
          "batch_interval_ms \"-5\" (expected 1..60000)");
    fails("spool_scan_ms = 99999999999", "/etc/blog/jobrunner.conf:3: "
          "invalid spool_scan_ms \"99999999999\" (expected 10..3600000)");
    fails("events_socket_mode = 666", "/etc/blog/jobrunner.conf:3: invalid "
          "events_socket_mode \"666\" (expected an octal mode such as 0660)");
    fails("events_socket_mode = 0999", "/etc/blog/jobrunner.conf:3: invalid "
          "events_socket_mode \"0999\" (expected an octal mode such as "
          "0660)");
    fails("metrics_listen = 9420", "/etc/blog/jobrunner.conf:3: invalid "
          "metrics_listen \"9420\" (expected ADDRESS:PORT, such as "
          "127.0.0.1:9420 or [::1]:9420)");
    fails("metrics_listen = localhost:9420", "/etc/blog/jobrunner.conf:3: "
          "invalid metrics_listen \"localhost:9420\" (expected ADDRESS:PORT, "
          "such as 127.0.0.1:9420 or [::1]:9420)");
    fails("metrics_listen = 127.0.0.1:0", "/etc/blog/jobrunner.conf:3: "
          "invalid metrics_listen \"127.0.0.1:0\" (expected ADDRESS:PORT, "
          "such as 127.0.0.1:9420 or [::1]:9420)");
    fails("events_sockett = x", "/etc/blog/jobrunner.conf:3: unknown key "
          "\"events_sockett\" in [jobrunner]");
    fails("events_socket =", "/etc/blog/jobrunner.conf:3: empty value for "
          "\"events_socket\"");
}


int
main(void)
{
    test_roundtrip();
    test_refused();
    test_frames();
    test_counts();
    test_counts_rows();
    test_agents();
    test_config();

    return tap_done();
}
