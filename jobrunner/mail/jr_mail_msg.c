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

    jr_mail_printf(b, "\r\nMessage-ID: <%s@", h->message_id);
    jr_mail_text(b, domain);
    jr_mail_puts(b, ">\r\nMIME-Version: 1.0\r\n"
                 "Auto-Submitted: auto-generated\r\n");
}


char *
jr_mail_signin_message(const jr_mail_signin_t *m, size_t *len)
{
    long            min;
    struct tm       tm;
    jr_mail_buf_t   b, subject;
    jr_mail_head_t  h;

    memset(&b, 0, sizeof(b));
    memset(&subject, 0, sizeof(subject));

    jr_mail_puts(&subject, "Your sign-in code");
    if (m->title[0] != '\0') {
        jr_mail_puts(&subject, " for ");
        jr_mail_text(&subject, m->title);
    }

    if (subject.failed) {
        return NULL;
    }

    h.from = m->from;
    h.from_addr = m->from_addr;
    h.to = &m->to;
    h.nto = 1;
    h.subject = subject.data;
    h.now = m->now;
    h.message_id = m->message_id;

    jr_mail_head(&b, &h);

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

    free(subject.data);

    if (b.failed || subject.failed) {
        free(b.data);
        return NULL;
    }

    *len = b.len;

    return b.data;
}
