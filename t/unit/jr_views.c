/*
 * Unit tests of the views' window and the visitors' cap per address
 * (jobrunner/events/jr_views.c): repeats within 30 minutes, the cap and
 * what a view past it counts for, IPv6 by /64, a batch committed or
 * discarded, a new day, the marks of the visitors counted (known), a
 * record read ahead (peek and take).
 */

#include <stdio.h>
#include <string.h>

#include "tap.h"

#include "blog_event.h"
#include "events/jr_views.h"


#define T0      (20000ULL * 86400000ULL + 3600000ULL)     /* 01:00 UTC */
#define MINUTE  60000ULL

/* the defaults of [jobrunner] view_window and visitors_per_address */
#define WINDOW                   1800
#define JR_VISITORS_PER_ADDRESS  50


/* The visitor bytes of an IPv4 address and an agent; returns the length. */
static size_t
visitor4(char *buf, unsigned last, const char *agent)
{
    memset(buf, 0, JR_VISITOR_ADDR);
    buf[0] = BLOG_EVENT_ADDR_V4;
    buf[1] = 10;
    buf[4] = (char) last;
    memcpy(buf + JR_VISITOR_ADDR, agent, strlen(agent));

    return JR_VISITOR_ADDR + strlen(agent);
}


static int
view(jr_views_t *v, uint64_t t, char *visitor, size_t len,
    const char *path, size_t *out)
{
    int             rc;
    jr_views_key_t  k;

    jr_views_prepare(v, &k, t, visitor, len, path, strlen(path));
    rc = jr_views_check(v, &k, visitor, &len, path, strlen(path));
    if (out) {
        *out = len;
    }

    return rc;
}


static void
test_window(void)
{
    char         a[256], b[256];
    size_t       la, lb;
    jr_views_t  *v;

    v = jr_views_create(WINDOW, JR_VISITORS_PER_ADDRESS);
    la = visitor4(a, 1, "Firefox");
    lb = visitor4(b, 1, "Chrome");

    is_int(view(v, T0, a, la, "/posts/hello", NULL), 1, "a first view counts");
    is_int(view(v, T0 + 1000, a, la, "/posts/hello", NULL), 0,
           "the same visitor and path a second later: a repeat");
    is_int(view(v, T0 + 1000, a, la, "/about", NULL), 1,
           "another path counts");
    is_int(view(v, T0 + 1000, b, lb, "/posts/hello", NULL), 1,
           "another visitor counts");
    jr_views_commit(v);

    is_int(view(v, T0 + 29 * MINUTE, a, la, "/posts/hello", NULL), 0,
           "29 minutes later, after a commit: still a repeat");
    is_int(view(v, T0 + 30 * MINUTE, a, la, "/posts/hello", NULL), 1,
           "30 minutes after the counted view: counts again");
    is_int(view(v, T0 + 45 * MINUTE, a, la, "/posts/hello", NULL), 0,
           "the window runs from the last counted view");
    is_int(view(v, T0 + 10 * MINUTE, a, la, "/posts/hello", NULL), 0,
           "a record from before (a late spool) within the window: repeat");

    jr_views_free(v);
}


static void
test_cap(void)
{
    int          i, counted, addr_only;
    char         buf[256], agent[64];
    size_t       len, out;
    jr_views_t  *v;

    v = jr_views_create(WINDOW, JR_VISITORS_PER_ADDRESS);
    counted = 0;
    addr_only = 0;

    for (i = 0; i < 1000; i++) {
        snprintf(agent, sizeof(agent), "Mozilla/5.0 Firefox/%d.0", i);
        len = visitor4(buf, 7, agent);
        counted += view(v, T0 + (uint64_t) i, buf, len, "/posts/hello",
                        &out) == 1;
        addr_only += out == JR_VISITOR_ADDR;
    }

    is_int(counted, JR_VISITORS_PER_ADDRESS + 1,
           "1000 agents of one address: the cap's visitors and the address "
           "count a view each");
    is_int(addr_only, 1000 - JR_VISITORS_PER_ADDRESS,
           "past the cap a view is the address's alone");

    len = visitor4(buf, 7, "Mozilla/5.0 Firefox/3.0");
    is_int(view(v, T0 + 2000, buf, len, "/about", &out), 1,
           "an agent admitted before the cap still is itself");
    is_int(out, len, "... with its agent");

    len = visitor4(buf, 8, "Mozilla/5.0 Firefox/999.0");
    is_int(view(v, T0 + 2000, buf, len, "/posts/hello", &out), 1,
           "another address has its own cap");
    is_int(out, len, "... and is itself");

    /* IPv6: the /64 is the address */
    counted = 0;
    for (i = 0; i < 200; i++) {
        memset(buf, 0, JR_VISITOR_ADDR);
        buf[0] = BLOG_EVENT_ADDR_V6;
        buf[1] = 0x20;
        buf[2] = 0x01;
        buf[16] = (char) i;             /* the interface id changes */
        memcpy(buf + JR_VISITOR_ADDR, "Chrome", 6);
        len = JR_VISITOR_ADDR + 6;
        counted += view(v, T0 + 3000, buf, len, "/posts/hello", &out) == 1;
    }

    is_int(counted, JR_VISITORS_PER_ADDRESS + 1,
           "200 addresses of one /64: the cap's visitors and the /64");
    ok(out == JR_VISITOR_ADDR && buf[16] == 0,
       "... past the cap, the view is the /64's");

    jr_views_free(v);
}


static void
test_batches(void)
{
    int          i, counted;
    char         buf[256], agent[64];
    size_t       len;
    jr_views_t  *v;

    v = jr_views_create(WINDOW, JR_VISITORS_PER_ADDRESS);
    len = visitor4(buf, 1, "Firefox");

    is_int(view(v, T0, buf, len, "/", NULL), 1, "a view in a batch");
    jr_views_discard(v);
    is_int(view(v, T0, buf, len, "/", NULL), 1,
           "the batch discarded and read again: it counts again");
    jr_views_commit(v);
    is_int(view(v, T0, buf, len, "/", NULL), 0, "once committed, a repeat");

    /* the cap too is forgotten with a discarded batch */
    for (i = 0; i < JR_VISITORS_PER_ADDRESS; i++) {
        snprintf(agent, sizeof(agent), "Agent %d", i);
        len = visitor4(buf, 2, agent);
        (void) view(v, T0, buf, len, "/", NULL);
    }
    jr_views_discard(v);
    counted = 0;
    for (i = 0; i < JR_VISITORS_PER_ADDRESS; i++) {
        snprintf(agent, sizeof(agent), "Other %d", i);
        len = visitor4(buf, 2, agent);
        counted += view(v, T0, buf, len, "/", NULL);
    }
    is_int(counted, JR_VISITORS_PER_ADDRESS,
           "a discarded batch's visitors do not use up the cap");

    /* a large discarded batch leaves exactly what was committed */
    for (i = 0; i < 5000; i++) {
        snprintf(agent, sizeof(agent), "/kept/%d", i);
        len = visitor4(buf, 4, "Firefox");
        (void) view(v, T0 + 1, buf, len, agent, NULL);
    }
    jr_views_commit(v);
    for (i = 0; i < 20000; i++) {
        snprintf(agent, sizeof(agent), i % 4 ? "/gone/%d" : "/kept/%d", i);
        len = visitor4(buf, 4, "Firefox");
        (void) view(v, T0 + 2, buf, len, agent, NULL);
    }
    jr_views_discard(v);
    counted = 0;
    for (i = 0; i < 20000; i++) {
        snprintf(agent, sizeof(agent), i % 4 ? "/gone/%d" : "/kept/%d", i);
        len = visitor4(buf, 4, "Firefox");
        counted += view(v, T0 + 3, buf, len, agent, NULL) == 1;
    }
    is_int(counted, 15000 + 3750,
           "after a discard of 20000 views: the 1250 of them committed "
           "before are repeats, the rest count again");

    /* a new day: the tables start afresh */
    len = visitor4(buf, 1, "Firefox");
    is_int(view(v, T0 + 24 * 3600000ULL, buf, len, "/", NULL), 1,
           "the next day, the same view counts");

    /* many views: the table grows, and sheds what the window is past */
    counted = 0;
    for (i = 0; i < 100000; i++) {
        snprintf(agent, sizeof(agent), "/p/%d", i);
        len = visitor4(buf, 3, "Firefox");
        counted += view(v, T0 + 24 * 3600000ULL + (uint64_t) i * 100, buf,
                        len, agent, NULL);
        if (i % 1000 == 0) {
            jr_views_commit(v);
        }
    }
    is_int(counted, 100000, "100000 paths over 2.8 hours: all count");
    jr_views_commit(v);
    is_int(view(v, T0 + 24 * 3600000ULL + 99999ULL * 100, buf, len,
                "/p/99999", NULL), 0, "the last is still remembered");

    jr_views_free(v);
}


/* a view that counts, and whether its visitor is known (jr_views_known) */
static int
known(jr_views_t *v, uint64_t t, char *visitor, size_t len, const char *path)
{
    jr_views_key_t  k;

    jr_views_prepare(v, &k, t, visitor, len, path, strlen(path));
    if (jr_views_check(v, &k, visitor, &len, path, strlen(path)) != 1) {
        return -1;
    }

    return jr_views_known(v, &k);
}


static void
test_known(void)
{
    int          i, n;
    char         a[256], b[256], agent[64];
    size_t       la, lb;
    jr_views_t  *v;

    v = jr_views_create(WINDOW, JR_VISITORS_PER_ADDRESS);
    la = visitor4(a, 1, "Firefox");
    lb = visitor4(b, 1, "Chrome");

    is_int(known(v, T0, a, la, "/"), 0, "a new visitor is not known");
    is_int(known(v, T0, a, la, "/about"), 0,
           "nor its next view in the same batch: not committed yet");
    jr_views_discard(v);
    is_int(known(v, T0, a, la, "/"), 0,
           "the batch discarded: still not known");
    jr_views_commit(v);
    is_int(known(v, T0, a, la, "/tags"), 1,
           "once its batch committed, known");
    is_int(known(v, T0, b, lb, "/tags"), 0,
           "another agent of the address is another visitor");

    /* admitted by a view its caller did not count (a 404): not marked */
    jr_views_commit(v);
    la = visitor4(a, 2, "Firefox");
    is_int(view(v, T0, a, la, "/missing", NULL), 1,
           "a view the caller does not count as a visitor's");
    jr_views_commit(v);
    is_int(known(v, T0, a, la, "/"), 0,
           "its visitor is not known by it");
    jr_views_commit(v);
    is_int(known(v, T0, a, la, "/about"), 1, "... until counted");

    /* a salt forgotten: every mark goes, the batch's too */
    is_int(known(v, T0, b, lb, "/about"), 1, "known before");
    la = visitor4(a, 3, "Firefox");
    is_int(known(v, T0, a, la, "/"), 0, "a visitor of this batch");
    jr_views_unknown(v);
    jr_views_commit(v);
    is_int(known(v, T0, b, lb, "/posts"), 0, "after jr_views_unknown(): not");
    is_int(known(v, T0, a, la, "/posts"), 0, "nor the batch's");
    jr_views_commit(v);
    is_int(known(v, T0, b, lb, "/feed"), 1, "counted again: known again");

    /* past the cap the address alone is never known: it is no visitor
       admitted, and is counted every batch (as main counts it) */
    for (i = 0; i < JR_VISITORS_PER_ADDRESS + 10; i++) {
        snprintf(agent, sizeof(agent), "Agent %d", i);
        la = visitor4(a, 9, agent);
        (void) known(v, T0, a, la, "/");
    }
    jr_views_commit(v);
    n = 0;
    for (i = 0; i < JR_VISITORS_PER_ADDRESS + 10; i++) {
        snprintf(agent, sizeof(agent), "Agent %d", i);
        la = visitor4(a, 9, agent);
        n += known(v, T0, a, la, "/about") == 1;
    }
    is_int(n, JR_VISITORS_PER_ADDRESS,
           "of 60 agents of an address, the cap's 50 are known, the address "
           "alone is not");

    /* a new day: nobody is known */
    la = visitor4(a, 1, "Chrome");
    is_int(known(v, T0 + 24 * 3600000ULL, a, la, "/"), 0,
           "the next day, nobody is known");

    jr_views_free(v);
}


static void
test_peek(void)
{
    char            a[256];
    size_t          la;
    jr_views_t     *v;
    jr_views_key_t  k, p;

    v = jr_views_create(WINDOW, JR_VISITORS_PER_ADDRESS);
    la = visitor4(a, 1, "Firefox");

    is_int(jr_views_peek(v, &p, T0, a, la, "/", 1), 0,
           "no day yet: a record read ahead is not keyed");
    is_int(view(v, T0, a, la, "/", NULL), 1, "a first view counts");

    is_int(jr_views_peek(v, &p, T0 + 1000, a, la, "/about", 6), 1,
           "the day's record read ahead is keyed");
    jr_views_prepare(v, &k, T0 + 1000, a, la, "/about", 6);
    ok(p.day == k.day && p.sec == k.sec && p.hv == k.hv && p.rkey == k.rkey,
       "with the keys jr_views_prepare() makes");
    is_int(jr_views_take(v, &p, T0 + 1000), 1, "and taken as they are");
    is_int(jr_views_check(v, &p, a, &la, "/about", 6), 1, "it counts");
    is_int(view(v, T0 + 2000, a, la, "/about", NULL), 0,
           "its repeat is one");

    is_int(jr_views_peek(v, &p, T0 + 86400000ULL, a, la, "/", 1), 0,
           "a record of the next day read ahead: not keyed (no seed yet)");
    is_int(jr_views_peek(v, &p, T0 + 3000, a, la, "/tags", 5), 1,
           "a record read ahead of one that begins a day");
    is_int(view(v, T0 + 86400000ULL, a, la, "/", NULL), 1,
           "the next day's first view counts");
    is_int(jr_views_take(v, &p, T0 + 3000), 0,
           "the keys peeked under the day before are not taken");

    jr_views_free(v);
}


int
main(void)
{
    test_window();
    test_cap();
    test_batches();
    test_known();
    test_peek();

    return tap_done();
}
