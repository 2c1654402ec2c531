/*
 * The access-event wire format, shared by the nginx module (which encodes
 * one record per request) and the jobrunner (which decodes them).  Pure C,
 * no nginx or libuv types: both sides compile blog_event.c.
 *
 * Records travel in frames: a 2-byte little-endian length, then the
 * record.  A datagram holds one or more frames (a worker batches the
 * records of a few milliseconds into one sendto()), and a spool file is
 * frames end to end.  Within a record all integers are little-endian,
 * written byte by byte, so neither side depends on the other's alignment
 * or byte order:
 *
 *   offset  size  field
 *        0     2  magic "BE"
 *        2     1  version (BLOG_EVENT_VERSION; 1 and 2 are still read)
 *        3     1  flags (BLOG_EVENT_F_*)
 *        4     8  time, Unix milliseconds
 *       12     8  bytes sent
 *       20     4  request time, microseconds
 *       24     2  status
 *       26     1  address family: 0 none, 4 IPv4, 6 IPv6
 *       27     1  number of fields that follow (BLOG_EVENT_NFIELDS;
 *                 BLOG_EVENT_NFIELDS_V2 in versions 1 and 2)
 *       28    16  address (IPv4 in the first 4 bytes, the rest zero)
 *       44        fields, each a 2-byte length and that many bytes, in
 *                 blog_event_field_e order
 *
 * The decoder trusts nothing: every length is checked against the bytes
 * that are left and against the field's limit, and a record must end
 * exactly where its last field does.
 *
 * Version 3 added the referrer's path and five parameters of the query
 * string (blog_event_query()); a record of version 1 or 2 decodes with
 * them empty.
 */

#ifndef BLOG_EVENT_H
#define BLOG_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define BLOG_EVENT_VERSION      3
#define BLOG_EVENT_HEADER       44

/* The request was for a file (media, theme asset): not a page view. */
#define BLOG_EVENT_F_ASSET      0x01

/*
 * The blog's page handler answered it (index, post, page, tag, feed,
 * sitemap, 404): the only requests that may count as page views.  New in
 * version 2; a version 1 record (a spool file or a stream written before
 * an upgrade) is decoded with it set unless F_ASSET is, as version 1
 * counted views.
 */
#define BLOG_EVENT_F_PAGE       0x02

/*
 * The CSS beacon of a page (blog_analytics_beacon): the module answered
 * it itself, a browser that rendered the page fetched it.  Never a view:
 * the jobrunner marks the visitor's visit as a human's.  A spare bit of
 * version 3, so the version stays: a jobrunner of before, which knows no
 * such bit, counts the record as a request that is no page (neither
 * F_PAGE nor F_ASSET is set), as it should.
 */
#define BLOG_EVENT_F_BEACON     0x04

#define BLOG_EVENT_ADDR_NONE    0
#define BLOG_EVENT_ADDR_V4      4
#define BLOG_EVENT_ADDR_V6      6

typedef enum {
    BLOG_EVENT_METHOD = 0,
    BLOG_EVENT_PATH,
    BLOG_EVENT_REFERRER,        /* the host of the Referer, lowercased */
    BLOG_EVENT_AGENT,
    BLOG_EVENT_SLUG,            /* the post served, or empty */
    BLOG_EVENT_NFIELDS_V2,

    /* version 3: the Referer's path (no query, no fragment), as sent */
    BLOG_EVENT_REF_PATH = BLOG_EVENT_NFIELDS_V2,

    /* version 3: these query parameters' values, decoded, and no others */
    BLOG_EVENT_UTM_SOURCE,
    BLOG_EVENT_UTM_MEDIUM,
    BLOG_EVENT_UTM_CAMPAIGN,
    BLOG_EVENT_REF,             /* ?ref= */
    BLOG_EVENT_SOURCE,          /* ?source= */
    BLOG_EVENT_NFIELDS
} blog_event_field_e;

/* Longer values are cut by the encoder and refused by the decoder. */
#define BLOG_EVENT_METHOD_MAX     16
#define BLOG_EVENT_PATH_MAX       1024
#define BLOG_EVENT_REFERRER_MAX   255
#define BLOG_EVENT_AGENT_MAX      512
#define BLOG_EVENT_SLUG_MAX       255
#define BLOG_EVENT_REF_PATH_MAX   255
#define BLOG_EVENT_PARAM_MAX      100     /* each of the five parameters */

#define BLOG_EVENT_PARAMS       (BLOG_EVENT_NFIELDS - BLOG_EVENT_UTM_SOURCE)

/* The largest record: a buffer this size always holds one. */
#define BLOG_EVENT_MAX                                                        \
    (BLOG_EVENT_HEADER + 2 * BLOG_EVENT_NFIELDS + BLOG_EVENT_METHOD_MAX       \
     + BLOG_EVENT_PATH_MAX + BLOG_EVENT_REFERRER_MAX + BLOG_EVENT_AGENT_MAX   \
     + BLOG_EVENT_SLUG_MAX + BLOG_EVENT_REF_PATH_MAX                        \
     + BLOG_EVENT_PARAMS * BLOG_EVENT_PARAM_MAX)

/* Bytes of length before each record, in datagrams and spool files. */
#define BLOG_EVENT_FRAME        2

/* The largest datagram a worker sends: frames of whole records. */
#define BLOG_EVENT_DGRAM_MAX    32768

typedef struct {
    const char  *data;
    size_t       len;
} blog_event_str_t;

typedef struct {
    uint64_t          time_ms;
    uint64_t          bytes;
    uint32_t          request_us;
    uint16_t          status;
    uint8_t           flags;
    uint8_t           family;
    uint8_t           addr[16];
    blog_event_str_t  field[BLOG_EVENT_NFIELDS];
} blog_event_t;

typedef enum {
    BLOG_EVENT_OK = 0,
    BLOG_EVENT_ETRUNCATED,      /* shorter than its header or a field */
    BLOG_EVENT_EMAGIC,
    BLOG_EVENT_EVERSION,
    BLOG_EVENT_EFIELDS,         /* wrong field count */
    BLOG_EVENT_EFAMILY,
    BLOG_EVENT_ELENGTH,         /* a field longer than its limit */
    BLOG_EVENT_ETRAILING        /* bytes after the last field */
} blog_event_rc_e;

/*
 * Writes ev into buf (at least BLOG_EVENT_MAX bytes), cutting fields to
 * their limits.  Returns the record's length.
 */
size_t blog_event_encode(unsigned char *buf, const blog_event_t *ev);

/* Writes the frame's length before a record of len bytes. */
void blog_event_frame(unsigned char *buf, size_t len);

/*
 * The next frame of the size bytes in buf, from *pos: sets *rec and *len
 * to its record and moves *pos past it.  Returns 1 for a frame, 0 at the
 * end, -1 when a frame runs past the end (the rest cannot be framed).
 */
int blog_event_next(const unsigned char *buf, size_t size, size_t *pos,
    const unsigned char **rec, size_t *len);

/*
 * Reads the record of len bytes in buf into ev, whose strings then point
 * into buf.  Returns BLOG_EVENT_OK or why the record is refused.
 */
blog_event_rc_e blog_event_decode(blog_event_t *ev, const unsigned char *buf,
    size_t len);

/*
 * Sets the fields BLOG_EVENT_UTM_SOURCE to BLOG_EVENT_SOURCE of ev from
 * the query string args of len bytes (without the "?"): the values of
 * utm_source, utm_medium, utm_campaign, ref and source, %XX and "+"
 * decoded, each cut to BLOG_EVENT_PARAM_MAX bytes, into buf (at least
 * BLOG_EVENT_PARAMS * BLOG_EVENT_PARAM_MAX bytes), which ev then points
 * into.  The first of a repeated parameter wins; every other parameter is
 * ignored, so nothing else of the query string is ever recorded.
 */
void blog_event_query(blog_event_t *ev, const char *args, size_t len,
    char *buf);

/* A short name for a decode result, for logs and metrics. */
const char *blog_event_strerror(blog_event_rc_e rc);

#endif /* BLOG_EVENT_H */
