/*
 * The text of the mails; see jr_mail.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mail/jr_mail.h"


/* Bytes of text per RFC 2047 encoded word: 60 of base64, under 75. */
#define JR_MAIL_WORD_BYTES  45


void
jr_mail_put(jr_mail_buf_t *b, const char *s, size_t n)
{
    char    *p;
    size_t   size;

    if (b->failed) {
        return;
    }

    if (b->len + n + 1 > b->size) {
        size = b->size ? b->size : 1024;

        while (size < b->len + n + 1) {
            size *= 2;
        }

        p = realloc(b->data, size);
        if (p == NULL) {
            b->failed = 1;
            return;
        }

        b->data = p;
        b->size = size;
    }

    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}


void
jr_mail_printf(jr_mail_buf_t *b, const char *fmt, ...)
{
    int      n;
    char     line[512];
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);

    /* only short fixed lines come here; values go through jr_mail_text */
    if (n < 0 || (size_t) n >= sizeof(line)) {
        b->failed = 1;
        return;
    }

    jr_mail_put(b, line, (size_t) n);
}


/* s cut to JR_MAIL_VALUE_MAX bytes, before a whole UTF-8 character. */
static size_t
jr_mail_cut(const char *s)
{
    size_t  n;

    n = strlen(s);

    if (n > JR_MAIL_VALUE_MAX) {
        n = JR_MAIL_VALUE_MAX;

        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    return n;
}


void
jr_mail_text(jr_mail_buf_t *b, const char *s)
{
    char    c;
    size_t  n, i;

    n = jr_mail_cut(s);

    for (i = 0; i < n; i++) {
        c = s[i];

        if ((unsigned char) c < ' ' || c == 0x7f) {
            c = ' ';
        }

        jr_mail_put(b, &c, 1);
    }
}


void
jr_mail_html(jr_mail_buf_t *b, const char *s)
{
    size_t       n, i;
    const char  *e;

    n = jr_mail_cut(s);

    for (i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        default: e = NULL;
        }

        if (e) {
            jr_mail_puts(b, e);

        } else {
            jr_mail_put(b, (unsigned char) s[i] < ' ' || s[i] == 0x7f
                           ? " " : &s[i], 1);
        }
    }
}


/*
 * A header value: as it is when it is printable ASCII, otherwise as
 * RFC 2047 "B" encoded words of whole UTF-8 characters, on folded lines.
 */
void
jr_mail_header_text(jr_mail_buf_t *b, const char *s, size_t len)
{
    int      ascii;
    size_t   i, n;
    char     word[4 * JR_MAIL_WORD_BYTES / 3 + 4];

    ascii = 1;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < ' ' || (unsigned char) s[i] > '~') {
            ascii = 0;
            break;
        }
    }

    if (ascii) {
        jr_mail_put(b, s, len);
        return;
    }

    for (i = 0; i < len; i += n) {
        n = len - i;

        if (n > JR_MAIL_WORD_BYTES) {
            n = JR_MAIL_WORD_BYTES;

            while (n > 1 && ((unsigned char) s[i + n] & 0xc0) == 0x80) {
                n--;
            }
        }

        EVP_EncodeBlock((unsigned char *) word, (const unsigned char *) s + i,
                        (int) n);

        if (i) {
            jr_mail_puts(b, "\r\n ");
        }

        jr_mail_puts(b, "=?UTF-8?B?");
        jr_mail_put(b, word, strlen(word));
        jr_mail_puts(b, "?=");
    }
}


void
jr_mail_head(jr_mail_buf_t *b, const jr_mail_head_t *h)
{
    size_t          i;
    const char     *domain;
    struct tm       tm;

    static const char *const  days[] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
    };

    static const char *const  months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
        "Nov", "Dec"
    };

    domain = strrchr(h->from_addr, '@');
    domain = domain ? domain + 1 : "localhost";

    /* the names of days and months by hand: RFC 5322's, not a locale's */
    gmtime_r(&h->now, &tm);
    jr_mail_printf(b, "Date: %s, %02d %s %d %02d:%02d:%02d +0000\r\n",
                   days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);

    jr_mail_puts(b, "From: ");
    jr_mail_text(b, h->from);
    jr_mail_puts(b, "\r\nTo: ");

    for (i = 0; i < h->nto; i++) {
        if (i) {
            jr_mail_puts(b, ",\r\n ");
        }

        jr_mail_text(b, h->to[i]);
    }

    jr_mail_puts(b, "\r\nSubject: ");
    jr_mail_header_text(b, h->subject, strlen(h->subject));

    jr_mail_puts(b, "\r\nMessage-ID: <");
    jr_mail_text(b, h->message_id);
    jr_mail_puts(b, "@");
    jr_mail_text(b, domain);
    jr_mail_puts(b, ">\r\nMIME-Version: 1.0\r\n");

    /* RFC 3834: no vacation reply to a code or a report */
    if (h->automatic) {
        jr_mail_puts(b, "Auto-Submitted: auto-generated\r\n");
    }
}


/*
 * The head of a mail to one address, its subject made in subject (one
 * line of text, cut and cleaned by jr_mail_text); automatic as in
 * jr_mail_head_t.
 */
static void
jr_mail_headers(jr_mail_buf_t *b, const char *from, const char *from_addr,
    const char *to, jr_mail_buf_t *subject, const char *message_id,
    time_t now, int automatic)
{
    jr_mail_head_t  h;

    if (subject->failed) {
        b->failed = 1;
        return;
    }

    h.from = from;
    h.from_addr = from_addr;
    h.to = &to;
    h.nto = 1;
    h.subject = subject->len ? subject->data : "";
    h.now = now;
    h.message_id = message_id;
    h.automatic = automatic;

    jr_mail_head(b, &h);
}


/* The message in b, or NULL when something failed; frees subject. */
static char *
jr_mail_end(jr_mail_buf_t *b, jr_mail_buf_t *subject, size_t *len)
{
    free(subject->data);

    if (b->failed || subject->failed) {
        free(b->data);
        return NULL;
    }

    *len = b->len;

    return b->data;
}


char *
jr_mail_signin_message(const jr_mail_signin_t *m, size_t *len)
{
    long            min;
    struct tm       tm;
    jr_mail_buf_t   b, subject;

    memset(&b, 0, sizeof(b));
    memset(&subject, 0, sizeof(subject));

    jr_mail_puts(&subject, "Your sign-in code");
    if (m->title[0] != '\0') {
        jr_mail_puts(&subject, " for ");
        jr_mail_text(&subject, m->title);
    }

    jr_mail_headers(&b, m->from, m->from_addr, m->to, &subject,
                    m->message_id, m->now, 1);

    jr_mail_puts(&b, "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n"
                "\r\n");

    jr_mail_puts(&b, "Hello ");
    jr_mail_text(&b, m->name);
    jr_mail_puts(&b, ",\r\n\r\nhere is your code to sign in to ");

    if (m->title[0] != '\0') {
        jr_mail_text(&b, m->title);

    } else {
        jr_mail_puts(&b, "the blog's admin panel");
    }

    min = m->ttl / 60 > 0 ? m->ttl / 60 : 1;

    jr_mail_printf(&b, ":\r\n\r\n    %s\r\n\r\n", m->code);
    jr_mail_printf(&b, "It signs in once, within %ld minute%s of this "
                   "mail.\r\n", min, min == 1 ? "" : "s");

    gmtime_r(&m->asked_at, &tm);
    jr_mail_printf(&b, "It was asked for on %04d-%02d-%02d at %02d:%02d UTC "
                   "from the address ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min);
    jr_mail_text(&b, m->address);
    jr_mail_puts(&b, ".\r\n\r\nIf that was not you, you can ignore this "
                "mail: nobody can sign in\r\nwithout the code.\r\n");

    return jr_mail_end(&b, &subject, len);
}


char *
jr_mail_confirm_message(const jr_mail_confirm_t *m, size_t *len)
{
    long            hours;
    jr_mail_buf_t   b, subject;

    memset(&b, 0, sizeof(b));
    memset(&subject, 0, sizeof(subject));

    jr_mail_puts(&subject, "Confirm your subscription");
    if (m->title[0] != '\0') {
        jr_mail_puts(&subject, " to ");
        jr_mail_text(&subject, m->title);
    }

    jr_mail_headers(&b, m->from, m->from_addr, m->to, &subject,
                    m->message_id, m->now, 1);

    jr_mail_puts(&b, "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n"
                "\r\n");

    jr_mail_puts(&b, "Hello");
    if (m->name[0] != '\0') {
        jr_mail_puts(&b, " ");
        jr_mail_text(&b, m->name);
    }

    jr_mail_puts(&b, ",\r\n\r\nsomeone, probably you, asked to get the new "
                "posts of ");
    jr_mail_text(&b, m->title[0] != '\0' ? m->title : "this blog");
    jr_mail_puts(&b, "\r\nby e-mail at this address. To confirm, open this "
                "link:\r\n\r\n");
    jr_mail_put(&b, m->link, strlen(m->link));

    hours = m->ttl / 3600 > 0 ? m->ttl / 3600 : 1;

    jr_mail_printf(&b, "\r\n\r\nIt works once, for %ld hour%s. If you did "
                   "not ask, ignore this mail:\r\nwithout the link nothing "
                   "is stored and nothing more is sent.\r\n",
                   hours, hours == 1 ? "" : "s");

    return jr_mail_end(&b, &subject, len);
}


/*
 * data[0..len) in base64, 76 characters a line, with each mark replaced
 * by with: the body of a part, whatever its line lengths.
 */
static void
jr_mail_base64(jr_mail_buf_t *b, const char *data, size_t len,
    const char *mark, const char *with)
{
    size_t          n, mlen;
    const char     *p, *end, *hit;
    jr_mail_buf_t   t;
    unsigned char   line[80];

    memset(&t, 0, sizeof(t));
    mlen = strlen(mark);
    end = data + len;

    for (p = data; p < end; p = hit + mlen) {
        hit = memmem(p, end - p, mark, mlen);
        if (hit == NULL) {
            jr_mail_put(&t, p, end - p);
            break;
        }

        jr_mail_put(&t, p, hit - p);
        jr_mail_puts(&t, with);
    }

    if (t.failed) {
        b->failed = 1;
        return;
    }

    for (p = t.data; t.data != NULL && p < t.data + t.len; p += n) {
        n = (size_t) (t.data + t.len - p);
        if (n > 57) {
            n = 57;
        }

        EVP_EncodeBlock(line, (const unsigned char *) p, (int) n);
        jr_mail_puts(b, (char *) line);
        jr_mail_puts(b, "\r\n");
    }

    free(t.data);
}


#define JR_MAIL_BOUNDARY  "=_blog-newsletter_="


char *
jr_mail_letter_message(const jr_mail_letter_t *m, size_t *len)
{
    jr_mail_buf_t  b, subject;

    memset(&b, 0, sizeof(b));
    memset(&subject, 0, sizeof(subject));

    jr_mail_text(&subject, m->subject);

    jr_mail_headers(&b, m->from, m->from_addr, m->to, &subject,
                    m->message_id, m->now, 0);

    /* RFC 2369 and RFC 8058: the one-click POST to the signed link */
    jr_mail_puts(&b, "List-Unsubscribe: <");
    jr_mail_text(&b, m->unsubscribe);
    jr_mail_puts(&b, ">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click"
                "\r\nPrecedence: bulk\r\n"
                "Content-Type: multipart/alternative; boundary=\""
                JR_MAIL_BOUNDARY "\"\r\n"
                "\r\n"
                "--" JR_MAIL_BOUNDARY "\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n"
                "\r\n");

    jr_mail_base64(&b, m->text, strlen(m->text), m->mark, m->unsubscribe);

    jr_mail_puts(&b, "\r\n--" JR_MAIL_BOUNDARY "\r\n"
                "Content-Type: text/html; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n"
                "\r\n");

    jr_mail_base64(&b, m->html, strlen(m->html), m->mark, m->unsubscribe);

    jr_mail_puts(&b, "\r\n--" JR_MAIL_BOUNDARY "--\r\n");

    return jr_mail_end(&b, &subject, len);
}
