/*
 * Unit tests of the newsletter's signed links (lib/blog_newsletter.c),
 * against tokens made by Python's hmac and base64 modules, not only
 * against each other.
 */

#include <string.h>

#include "blog_newsletter.h"
#include "tap.h"


#define KEY  "0123456789abcdef0123456789abcdef"

/* python3: HMAC-SHA256(KEY, "unsubscribe:" + b64url("42"))[:16] */
#define UNSUB_42  "NDI.ytu3ZDh6BK9xQTfQpJ6SZA"

/* the same for "confirm:" and "1000 2000 ada@example.org\nAda" */
#define CONFIRM   "MTAwMCAyMDAwIGFkYUBleGFtcGxlLm9yZwpBZGE.Sm5ZGsZVCJGFUgVd4BtfQA"


int
main(void)
{
    int                n;
    char               tok[BLOG_NL_TOKEN_MAX + 1], out[BLOG_NL_TOKEN_MAX];
    blog_nl_confirm_t  c;

    n = blog_nl_unsubscribe_sign(KEY, 42, tok, sizeof(tok));
    is_int(n, (int) strlen(UNSUB_42), "an unsubscribe token");
    is_str(tok, UNSUB_42, "... is Python's");

    n = blog_nl_open(KEY, BLOG_NL_UNSUBSCRIBE, tok, strlen(tok), out,
                     sizeof(out));
    is_int(n, 2, "it opens");
    is_str(out, "42", "... to its subscriber");

    is_int(blog_nl_open(KEY, BLOG_NL_CONFIRM, tok, strlen(tok), out,
                        sizeof(out)), -1, "not as a confirm token");
    is_int(blog_nl_open(KEY "x", BLOG_NL_UNSUBSCRIBE, tok, strlen(tok), out,
                        sizeof(out)), -1, "nor with another key");

    tok[0] = 'M';
    is_int(blog_nl_open(KEY, BLOG_NL_UNSUBSCRIBE, tok, strlen(tok), out,
                        sizeof(out)), -1, "an altered payload is refused");
    strcpy(tok, UNSUB_42);
    tok[strlen(tok) - 1] = 'B';
    is_int(blog_nl_open(KEY, BLOG_NL_UNSUBSCRIBE, tok, strlen(tok), out,
                        sizeof(out)), -1, "an altered MAC is refused");
    is_int(blog_nl_open(KEY, BLOG_NL_UNSUBSCRIBE, "NDI", 3, out,
                        sizeof(out)), -1, "no MAC at all");
    is_int(blog_nl_open(KEY, BLOG_NL_UNSUBSCRIBE, ".ytu3ZDh6BK9xQTfQpJ6SZA",
                        23, out, sizeof(out)), -1, "no payload");
    is_int(blog_nl_open(KEY, BLOG_NL_UNSUBSCRIBE, "", 0, out, sizeof(out)),
           -1, "empty");

    n = blog_nl_confirm_sign(KEY, 1000, 2000, "ada@example.org", "Ada", tok,
                             sizeof(tok));
    is_int(n, (int) strlen(CONFIRM), "a confirm token");
    is_str(tok, CONFIRM, "... is Python's");

    n = blog_nl_open(KEY, BLOG_NL_CONFIRM, tok, strlen(tok), out,
                     sizeof(out));
    ok(n > 0, "it opens");
    is_int(blog_nl_confirm_parse(out, (size_t) n, &c), 0, "... and parses");
    is_int((int) c.issued, 1000, "issued");
    is_int((int) c.expires, 2000, "expires");
    is_int((int) c.email_len, 15, "the address's length");
    ok(strncmp(c.email, "ada@example.org", 15) == 0, "the address");
    is_int((int) c.name_len, 3, "the name's length");
    ok(strncmp(c.name, "Ada", 3) == 0, "the name");

    strcpy(out, "1000 2000 not-an-address\nAda");
    is_int(blog_nl_confirm_parse(out, strlen(out), &c), -1,
           "a payload without an address is refused");
    strcpy(out, "2000 1000 ada@example.org\nAda");
    is_int(blog_nl_confirm_parse(out, strlen(out), &c), -1,
           "one that expires before it was issued");
    strcpy(out, "1000 2000 ada@example.org");
    is_int(blog_nl_confirm_parse(out, strlen(out), &c), -1,
           "one without a name line");

    ok(blog_email_valid("a@b", 3), "a@b is an address");
    ok(!blog_email_valid("a@b@c", 5), "a@b@c is not");
    ok(!blog_email_valid("a@b>\r\nRCPT", 11), "nor one that ends a command");

    return tap_done();
}
