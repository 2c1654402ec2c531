/*
 * Encoder and decoder of access events; the format is in blog_event.h.
 */

#include <string.h>

#include "blog_event.h"


static const size_t  blog_event_limits[BLOG_EVENT_NFIELDS] = {
    BLOG_EVENT_METHOD_MAX,
    BLOG_EVENT_PATH_MAX,
    BLOG_EVENT_REFERRER_MAX,
    BLOG_EVENT_AGENT_MAX,
    BLOG_EVENT_SLUG_MAX,
    BLOG_EVENT_REF_PATH_MAX,
    BLOG_EVENT_PARAM_MAX,
    BLOG_EVENT_PARAM_MAX,
    BLOG_EVENT_PARAM_MAX,
    BLOG_EVENT_PARAM_MAX,
    BLOG_EVENT_PARAM_MAX
};

/* The query parameters kept, in field order from BLOG_EVENT_UTM_SOURCE. */
static const struct {
    const char  *name;
    size_t       len;
} blog_event_params[BLOG_EVENT_PARAMS] = {
    { "utm_source", 10 },
    { "utm_medium", 10 },
    { "utm_campaign", 12 },
    { "ref", 3 },
    { "source", 6 }
};

static const char *const  blog_event_errors[] = {
    "ok", "truncated", "bad magic", "unknown version", "bad field count",
    "bad address family", "field too long", "trailing bytes"
};


static unsigned char *
blog_event_put(unsigned char *p, uint64_t v, int n)
{
    int  i;

    for (i = 0; i < n; i++) {
        *p++ = (unsigned char) (v >> (8 * i));
    }

    return p;
}


static uint64_t
blog_event_get(const unsigned char *p, int n)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = n - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }

    return v;
}


size_t
blog_event_encode(unsigned char *buf, const blog_event_t *ev)
{
    int             i;
    size_t          len;
    unsigned char  *p;

    p = buf;
    *p++ = 'B';
    *p++ = 'E';
    *p++ = BLOG_EVENT_VERSION;
    *p++ = ev->flags;
    p = blog_event_put(p, ev->time_ms, 8);
    p = blog_event_put(p, ev->bytes, 8);
    p = blog_event_put(p, ev->request_us, 4);
    p = blog_event_put(p, ev->status, 2);
    *p++ = ev->family;
    *p++ = BLOG_EVENT_NFIELDS;

    memset(p, 0, 16);
    if (ev->family == BLOG_EVENT_ADDR_V4) {
        memcpy(p, ev->addr, 4);

    } else if (ev->family == BLOG_EVENT_ADDR_V6) {
        memcpy(p, ev->addr, 16);
    }

    p += 16;

    for (i = 0; i < BLOG_EVENT_NFIELDS; i++) {
        len = ev->field[i].len;
        if (len > blog_event_limits[i]) {
            len = blog_event_limits[i];
        }

        p = blog_event_put(p, len, 2);

        /* an empty field may have no data pointer: memcpy() must not see it */
        if (len) {
            memcpy(p, ev->field[i].data, len);
            p += len;
        }
    }

    return p - buf;
}


void
blog_event_frame(unsigned char *buf, size_t len)
{
    (void) blog_event_put(buf, len, BLOG_EVENT_FRAME);
}


int
blog_event_next(const unsigned char *buf, size_t size, size_t *pos,
    const unsigned char **rec, size_t *len)
{
    size_t  n;

    if (*pos >= size) {
        return 0;
    }

    if (size - *pos < BLOG_EVENT_FRAME) {
        return -1;
    }

    n = (size_t) blog_event_get(buf + *pos, BLOG_EVENT_FRAME);

    if (n > size - *pos - BLOG_EVENT_FRAME) {
        return -1;
    }

    *rec = buf + *pos + BLOG_EVENT_FRAME;
    *len = n;
    *pos += BLOG_EVENT_FRAME + n;

    return 1;
}


/*
 * The nfields fields from p, which must end at last.  Inlined with nfields
 * a constant: the loop unrolled, each limit an immediate, and what is left
 * is the chain of loads a length at a time.
 */
static inline __attribute__((always_inline)) blog_event_rc_e
blog_event_fields(blog_event_t *ev, const unsigned char *p,
    const unsigned char *last, const int nfields)
{
    int     i;
    size_t  n;

    for (i = 0; i < nfields; i++) {
        if (last - p < 2) {
            return BLOG_EVENT_ETRUNCATED;
        }

        n = (size_t) blog_event_get(p, 2);
        p += 2;

        if (n > blog_event_limits[i]) {
            return BLOG_EVENT_ELENGTH;
        }

        if ((size_t) (last - p) < n) {
            return BLOG_EVENT_ETRUNCATED;
        }

        ev->field[i].data = (const char *) p;
        ev->field[i].len = n;
        p += n;
    }

    return p == last ? BLOG_EVENT_OK : BLOG_EVENT_ETRAILING;
}


blog_event_rc_e
blog_event_decode(blog_event_t *ev, const unsigned char *buf, size_t len)
{
    int  nfields;

    if (len < BLOG_EVENT_HEADER) {
        return BLOG_EVENT_ETRUNCATED;
    }

    if (buf[0] != 'B' || buf[1] != 'E') {
        return BLOG_EVENT_EMAGIC;
    }

    if (buf[2] < 1 || buf[2] > BLOG_EVENT_VERSION) {
        return BLOG_EVENT_EVERSION;
    }

    nfields = buf[2] < 3 ? BLOG_EVENT_NFIELDS_V2 : BLOG_EVENT_NFIELDS;

    if (buf[27] != nfields) {
        return BLOG_EVENT_EFIELDS;
    }

    ev->flags = buf[3];

    /* version 1 had no page flag: what was not a file was a page */
    if (buf[2] == 1) {
        ev->flags &= BLOG_EVENT_F_ASSET;
        ev->flags |= (ev->flags & BLOG_EVENT_F_ASSET) ? 0 : BLOG_EVENT_F_PAGE;
    }
    ev->time_ms = blog_event_get(buf + 4, 8);
    ev->bytes = blog_event_get(buf + 12, 8);
    ev->request_us = (uint32_t) blog_event_get(buf + 20, 4);
    ev->status = (uint16_t) blog_event_get(buf + 24, 2);
    ev->family = buf[26];

    if (ev->family != BLOG_EVENT_ADDR_NONE && ev->family != BLOG_EVENT_ADDR_V4
        && ev->family != BLOG_EVENT_ADDR_V6)
    {
        return BLOG_EVENT_EFAMILY;
    }

    memcpy(ev->addr, buf + 28, 16);

    /* two calls, each of a constant count: see blog_event_fields() */
    if (nfields == BLOG_EVENT_NFIELDS) {
        return blog_event_fields(ev, buf + BLOG_EVENT_HEADER, buf + len,
                                 BLOG_EVENT_NFIELDS);
    }

    /* the fields an older version did not have are empty */
    memset(ev->field, 0, sizeof(ev->field));

    return blog_event_fields(ev, buf + BLOG_EVENT_HEADER, buf + len,
                             BLOG_EVENT_NFIELDS_V2);
}


static int
blog_event_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}


/*
 * Decodes the value of len bytes into dst, at most BLOG_EVENT_PARAM_MAX
 * bytes of it: "+" is a space, %XX a byte, a "%" not followed by two hex
 * digits itself.  Returns the decoded length.
 */
static size_t
blog_event_unescape(char *dst, const char *src, size_t len)
{
    int          hi, lo;
    size_t       n;
    const char  *p, *last;

    n = 0;
    last = src + len;

    for (p = src; p < last && n < BLOG_EVENT_PARAM_MAX; p++) {
        if (*p == '+') {
            dst[n++] = ' ';

        } else if (*p == '%' && last - p >= 3
                   && (hi = blog_event_hex((unsigned char) p[1])) >= 0
                   && (lo = blog_event_hex((unsigned char) p[2])) >= 0)
        {
            dst[n++] = (char) (hi << 4 | lo);
            p += 2;

        } else {
            dst[n++] = *p;
        }
    }

    return n;
}


void
blog_event_query(blog_event_t *ev, const char *args, size_t len, char *buf)
{
    int                i;
    size_t             nlen;
    const char        *p, *last, *end, *eq;
    blog_event_str_t  *f;

    last = args + len;

    for (p = args; p < last; p = end + 1) {
        end = memchr(p, '&', last - p);
        if (end == NULL) {
            end = last;
        }

        eq = memchr(p, '=', end - p);
        if (eq == NULL) {
            continue;
        }

        nlen = eq - p;

        for (i = 0; i < BLOG_EVENT_PARAMS; i++) {
            f = &ev->field[BLOG_EVENT_UTM_SOURCE + i];

            if (f->len == 0 && nlen == blog_event_params[i].len
                && memcmp(p, blog_event_params[i].name, nlen) == 0)
            {
                f->data = buf + i * BLOG_EVENT_PARAM_MAX;
                f->len = blog_event_unescape(buf + i * BLOG_EVENT_PARAM_MAX,
                                             eq + 1, end - eq - 1);
                break;
            }
        }
    }
}


const char *
blog_event_strerror(blog_event_rc_e rc)
{
    if ((size_t) rc >= sizeof(blog_event_errors) / sizeof(char *)) {
        return "unknown";
    }

    return blog_event_errors[rc];
}
