/*
 * The text of the analytics report's mail; see jr_mail.h.
 *
 * Both parts are 8bit UTF-8 with lines well under SMTP's 998 bytes: each
 * value is cut to JR_MAIL_VALUE_MAX and every row is a line of its own.
 * The HTML is a table per list with inline styles only, as mail readers
 * want it, and no image or link to load.
 */

#include <stdlib.h>
#include <string.h>

#include "mail/jr_mail.h"


static void jr_report_text(jr_mail_buf_t *b, const jr_mail_report_t *m);
static void jr_report_html(jr_mail_buf_t *b, const jr_mail_report_t *m);


char *
jr_mail_report_message(const jr_mail_report_t *m, size_t *len)
{
    jr_mail_buf_t   b, subject;
    jr_mail_head_t  h;

    memset(&b, 0, sizeof(b));
    memset(&subject, 0, sizeof(subject));

    jr_mail_puts(&subject, m->period);
    jr_mail_puts(&subject, " analytics");

    if (m->title[0] != '\0') {
        jr_mail_puts(&subject, " of ");
        jr_mail_text(&subject, m->title);
    }

    jr_mail_printf(&subject, ": %s to %s", m->first, m->last);

    if (subject.failed) {
        return NULL;
    }

    h.from = m->from;
    h.from_addr = m->from_addr;
    h.to = m->to;
    h.nto = m->nto;
    h.subject = subject.data;
    h.now = m->now;
    h.message_id = m->message_id;
    h.automatic = 1;

    jr_mail_head(&b, &h);
    free(subject.data);

    jr_mail_printf(&b, "Content-Type: multipart/alternative;"
                   " boundary=\"%s\"\r\n\r\n", m->boundary);

    jr_mail_printf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\n\r\n", m->boundary);
    jr_report_text(&b, m);

    jr_mail_printf(&b, "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\n\r\n", m->boundary);
    jr_report_html(&b, m);

    jr_mail_printf(&b, "\r\n--%s--\r\n", m->boundary);

    if (b.failed) {
        free(b.data);
        return NULL;
    }

    *len = b.len;

    return b.data;
}


static void
jr_report_list_text(jr_mail_buf_t *b, const char *title,
    const jr_mail_row_t *rows, size_t n)
{
    size_t  i;

    jr_mail_printf(b, "\r\n%s (visitors, views)\r\n", title);

    if (n == 0) {
        jr_mail_puts(b, "  none\r\n");
    }

    for (i = 0; i < n; i++) {
        jr_mail_printf(b, "  %lld  %lld  ", rows[i].visitors, rows[i].views);
        jr_mail_text(b, rows[i].key[0] ? rows[i].key : "(none)");
        jr_mail_puts(b, "\r\n");
    }
}


static void
jr_report_text(jr_mail_buf_t *b, const jr_mail_report_t *m)
{
    size_t  i;

    jr_mail_puts(b, m->period);
    jr_mail_puts(b, " analytics");

    if (m->title[0] != '\0') {
        jr_mail_puts(b, " of ");
        jr_mail_text(b, m->title);
    }

    jr_mail_printf(b, "\r\n%s to %s (UTC), compared with %s to %s\r\n\r\n",
                   m->first, m->last, m->prev_first, m->prev_last);

    for (i = 0; i < m->nfigures; i++) {
        jr_mail_printf(b, "%-16s %10s  %s\r\n", m->labels[i], m->values[i],
                       m->changes[i]);
    }

    jr_report_list_text(b, "Top pages", m->pages, m->npages);
    jr_report_list_text(b, "Top sources", m->sources, m->nsources);
}


static void
jr_report_list_html(jr_mail_buf_t *b, const char *title,
    const jr_mail_row_t *rows, size_t n)
{
    size_t  i;

    jr_mail_printf(b, "<h2 style=\"font-size:16px\">%s</h2>\r\n", title);

    if (n == 0) {
        jr_mail_puts(b, "<p>None.</p>\r\n");
        return;
    }

    jr_mail_puts(b, "<table cellpadding=\"4\" style=\"border-collapse:"
                 "collapse\">\r\n<tr><th align=\"left\">Value</th>"
                 "<th align=\"right\">Visitors</th>"
                 "<th align=\"right\">Views</th></tr>\r\n");

    for (i = 0; i < n; i++) {
        jr_mail_puts(b, "<tr><td>");
        jr_mail_html(b, rows[i].key[0] ? rows[i].key : "(none)");
        jr_mail_printf(b, "</td><td align=\"right\">%lld</td>"
                       "<td align=\"right\">%lld</td></tr>\r\n",
                       rows[i].visitors, rows[i].views);
    }

    jr_mail_puts(b, "</table>\r\n");
}


static void
jr_report_html(jr_mail_buf_t *b, const jr_mail_report_t *m)
{
    size_t  i;

    jr_mail_puts(b, "<!doctype html>\r\n<html><head><meta charset=\"utf-8\">"
                 "</head>\r\n<body style=\"font-family:sans-serif\">\r\n"
                 "<h1 style=\"font-size:20px\">");
    jr_mail_puts(b, m->period);
    jr_mail_puts(b, " analytics");

    if (m->title[0] != '\0') {
        jr_mail_puts(b, " of ");
        jr_mail_html(b, m->title);
    }

    jr_mail_printf(b, "</h1>\r\n<p>%s to %s (UTC), compared with %s to %s"
                   "</p>\r\n", m->first, m->last, m->prev_first,
                   m->prev_last);

    jr_mail_puts(b, "<table cellpadding=\"4\" style=\"border-collapse:"
                 "collapse\">\r\n");

    for (i = 0; i < m->nfigures; i++) {
        jr_mail_printf(b, "<tr><td>%s</td><td align=\"right\"><b>%s</b></td>"
                       "<td>%s</td></tr>\r\n", m->labels[i], m->values[i],
                       m->changes[i]);
    }

    jr_mail_puts(b, "</table>\r\n");

    jr_report_list_html(b, "Top pages", m->pages, m->npages);
    jr_report_list_html(b, "Top sources", m->sources, m->nsources);

    jr_mail_puts(b, "</body></html>\r\n");
}
