/*
 * Request header values the module reads from anyone: the session and
 * CSRF cookies' tokens, the Origin (or Referer) of a POST, the Referer's
 * host for the analytics, the content codings of Accept-Encoding.  Pure functions on byte ranges, no nginx types,
 * so that they can be unit-tested and fuzzed alone (t/fuzz).  Splitting
 * the Cookie header into name=value pairs is nginx's own parser
 * (ngx_http_parse_multi_header_lines); what it returns comes here.
 */

#ifndef BLOG_HEADER_H
#define BLOG_HEADER_H

#include <stddef.h>

/* A session or CSRF token: 256 random bits as lowercase hex. */
#define BLOG_TOKEN_LEN  64

/* Whether s[0..len) looks like a token, and nothing else. */
int blog_token_valid(const char *s, size_t len);

/*
 * Whether an Origin or Referer value names this host: "http://" or
 * "https://", then host (as the Host header has it, port included) exactly,
 * then the end or a '/'.  Case-insensitive; an empty host matches nothing.
 */
int blog_origin_match(const char *origin, size_t len, const char *host,
    size_t hlen);

/*
 * The host of an http(s) Referer, without credentials, port, path, query or
 * fragment; an IPv6 literal keeps its brackets.  Returns 1 with host[0..
 * *hlen) pointing into ref, or 0 when there is none (another scheme, no
 * host).  Not lowercased: the caller copies it.
 */
int blog_referrer_host(const char *ref, size_t len, const char **host,
    size_t *hlen);

/*
 * The path of an http(s) Referer: what follows its authority, up to its
 * query or fragment, which are dropped (a search's terms, a token), as
 * sent (not decoded).  Returns 1 with path[0..*plen) pointing into ref,
 * or 0 when there is no path (none, "/" alone, another scheme).
 */
int blog_referrer_path(const char *ref, size_t len, const char **path,
    size_t *plen);

/*
 * Whether an Accept-Encoding value lists the coding (case-insensitive)
 * with a q-value above zero: "br", "br;q=0.5", not "br;q=0", nor a q-value
 * that is not one ("q=1.5", "q=0.0001", "q=x"), which counts as zero as it
 * does in nginx's reading of gzip.  As in nginx, "*" does not stand for a
 * coding the client did not name.
 */
int blog_accepts_coding(const char *ae, size_t len, const char *coding,
    size_t clen);

#endif /* BLOG_HEADER_H */
