/*
 * Redirects' paths and targets; see blog_redirect.h.
 */

#include <string.h>
#include <strings.h>

#include "blog_redirect.h"


static int
blog_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}


size_t
blog_redirect_from(const char *in, size_t len, char *out, const char **why)
{
    int            hi, lo;
    size_t         i, n, seg, path_len;
    const char    *query;
    unsigned char  c;

    *why = NULL;

    /* "/?p=123": a query is kept as sent, for the index's (see .h) */
    query = memchr(in, '?', len);
    path_len = query ? (size_t) (query - in) : len;

    if (query != NULL
        && !blog_redirect_query_valid(query + 1, len - path_len - 1))
    {
        *why = "has a query string that is empty or not printable ASCII";
        return 0;
    }

    if (len == 0 || in[0] != '/') {
        *why = "must start with \"/\"";
        return 0;
    }

    if (len > BLOG_REDIRECT_FROM_MAX) {
        *why = "is too long";
        return 0;
    }

    n = 0;

    for (i = 0; i < path_len; i++) {
        c = (unsigned char) in[i];

        if (c == '%') {
            hi = (i + 2 < path_len) ? blog_hex(in[i + 1]) : -1;
            lo = (i + 2 < path_len) ? blog_hex(in[i + 2]) : -1;

            if (hi < 0 || lo < 0) {
                *why = "has a \"%\" not followed by two hex digits";
                return 0;
            }

            c = (unsigned char) (hi << 4 | lo);
            i += 2;
        }

        if (c < 0x20 || c == 0x7f) {
            *why = "has a control character";
            return 0;
        }

        if (c == '#') {
            *why = "has a fragment, which browsers never send";
            return 0;
        }

        /* only "%3F" gives one here: the key's "?" must start its query */
        if (c == '?') {
            *why = "has an encoded \"?\" in its path";
            return 0;
        }

        if (c == '\\') {
            *why = "has a backslash";
            return 0;
        }

        out[n++] = (char) c;
    }

    n = blog_redirect_key_len(out, n);

    /* every segment a plain name: nginx merges "//" and resolves dots */
    seg = 1;

    for (i = 1; i <= n; i++) {
        if (i < n && out[i] != '/') {
            continue;
        }

        if (n > 1 && (i == seg
                      || (i - seg == 1 && out[seg] == '.')
                      || (i - seg == 2 && out[seg] == '.'
                          && out[seg + 1] == '.')))
        {
            *why = "has an empty, \".\" or \"..\" segment";
            return 0;
        }

        seg = i + 1;
    }

    if (query != NULL) {
        memcpy(out + n, query, len - path_len);
        n += len - path_len;
    }

    return n;
}


int
blog_redirect_query_valid(const char *q, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) q[i] <= 0x20 || (unsigned char) q[i] >= 0x7f
            || q[i] == '#')
        {
            return 0;
        }
    }

    return 1;
}


size_t
blog_redirect_key_len(const char *path, size_t len)
{
    while (len > 1 && path[len - 1] == '/') {
        len--;
    }

    return len;
}


int
blog_redirect_to_valid(const char *to, size_t len, const char **why)
{
    size_t  i, host;

    *why = NULL;

    if (len == 0) {
        *why = "is empty";
        return 0;
    }

    if (len > BLOG_REDIRECT_TO_MAX) {
        *why = "is too long";
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) to[i] <= 0x20 || (unsigned char) to[i] >= 0x7f) {
            *why = "has a space, a control or a non-ASCII character "
                   "(percent-encode it)";
            return 0;
        }

        if (to[i] == '\\') {
            *why = "has a backslash";
            return 0;
        }
    }

    if (to[0] == '/') {
        if (len > 1 && to[1] == '/') {
            *why = "starts with \"//\", another host: write http(s)://";
            return 0;
        }

        return 1;
    }

    if (len > 7 && strncasecmp(to, "http://", 7) == 0) {
        host = 7;

    } else if (len > 8 && strncasecmp(to, "https://", 8) == 0) {
        host = 8;

    } else {
        *why = "must be a local path (\"/...\") or an http:// or https:// URL";
        return 0;
    }

    if (to[host] == '/' || to[host] == '?' || to[host] == '#'
        || to[host] == '@' || to[host] == ':')
    {
        *why = "has no host";
        return 0;
    }

    return 1;
}


int
blog_redirect_status_valid(long status)
{
    return status == 301 || status == 302 || status == 308 || status == 410;
}


int
blog_redirect_aliases(sqlite3 *db, blog_stmts_t *cache, int64_t id,
    const char *aliases, int64_t now)
{
    int            rc;
    char          *list;
    const char    *p, *nl;
    sqlite3_stmt  *stmt;

    /* "\n" + aliases: each key then stands between two newlines */
    list = sqlite3_mprintf("\n%s", aliases);
    if (list == NULL) {
        return SQLITE_NOMEM;
    }

    rc = blog_stmt_prepare(cache, db,
             "DELETE FROM redirects WHERE post_id = ?1 AND origin = 'alias'"
             "  AND instr(?2, char(10) || from_path || char(10)) = 0",
             &stmt);

    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_text(stmt, 2, list, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        rc = (rc == SQLITE_DONE) ? SQLITE_OK : rc;
    }

    blog_stmt_done(cache, stmt);
    sqlite3_free(list);

    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = blog_stmt_prepare(cache, db,
             "INSERT INTO redirects (kind, from_path, post_id, status, origin,"
             "  created_at, updated_at)"
             " VALUES ('path', ?1, ?2, 301, 'alias', ?3, ?3)"
             " ON CONFLICT (kind, from_path) DO UPDATE"
             "  SET post_id = excluded.post_id, to_url = '', status = 301,"
             "      origin = 'alias', updated_at = excluded.updated_at"
             "  WHERE post_id IS NOT excluded.post_id OR to_url != ''"
             "     OR status != 301 OR origin != 'alias'",
             &stmt);
    if (rc != SQLITE_OK) {
        return rc;
    }

    for (p = aliases; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (nl == NULL) {
            break;
        }

        sqlite3_bind_text(stmt, 1, p, (int) (nl - p), SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, id);
        sqlite3_bind_int64(stmt, 3, now);

        rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);

        if (rc != SQLITE_DONE) {
            break;
        }

        rc = SQLITE_OK;
    }

    blog_stmt_done(cache, stmt);

    return rc;
}
