/*
 * The SMTP client; see jr_smtp.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/jr_smtp.h"


/*
 * libcurl reads the message from here: its signature, then the message
 * itself, not copied behind it.
 */
static size_t
jr_smtp_read(char *buf, size_t size, size_t n, void *data)
{
    size_t      len, part;
    jr_smtp_t  *s = data;

    len = 0;

    if (s->off < s->head_len) {
        len = s->head_len - s->off;
        if (len > size * n) {
            len = size * n;
        }

        memcpy(buf, s->head + s->off, len);
        s->off += len;
    }

    part = s->head_len + s->len - s->off;
    if (part > size * n - len) {
        part = size * n - len;
    }

    memcpy(buf + len, s->msg + (s->off - s->head_len), part);
    s->off += part;

    return len + part;
}


static void
jr_smtp_unsign(jr_smtp_t *s)
{
    free(s->head);
    s->head = NULL;
    s->head_len = 0;
}


int
jr_smtp_open(jr_smtp_t *s, const jr_mail_conf_t *mc)
{
    CURLcode  rc;

    memset(s, 0, sizeof(jr_smtp_t));
    s->mc = mc;

    s->curl = curl_easy_init();
    if (s->curl == NULL) {
        return -1;
    }

    /* signals are the loop's: libcurl must not use them in a thread */
    rc = curl_easy_setopt(s->curl, CURLOPT_URL, mc->smtp_url)
         | curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps")
         | curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L)
         | curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, (long) mc->timeout)
         | curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->err)
         | curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L)
         | curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, jr_smtp_read)
         | curl_easy_setopt(s->curl, CURLOPT_READDATA, s)
         | curl_easy_setopt(s->curl, CURLOPT_USE_SSL,
                            mc->starttls == JR_STARTTLS_OFF
                            ? (long) CURLUSESSL_NONE
                            : mc->starttls == JR_STARTTLS_TRY
                            ? (long) CURLUSESSL_TRY : (long) CURLUSESSL_ALL);

    if (rc == CURLE_OK && mc->username != NULL) {
        rc = curl_easy_setopt(s->curl, CURLOPT_USERNAME, mc->username)
             | curl_easy_setopt(s->curl, CURLOPT_PASSWORD, mc->password);
    }

    if (rc == CURLE_OK && mc->ca_file != NULL) {
        rc = curl_easy_setopt(s->curl, CURLOPT_CAINFO, mc->ca_file);
    }

    if (rc != CURLE_OK) {
        curl_easy_cleanup(s->curl);
        s->curl = NULL;
        return -1;
    }

    return 0;
}


int
jr_smtp_send(jr_smtp_t *s, const char *to, const char *msg, size_t len)
{
    return jr_smtp_send_all(s, &to, 1, msg, len);
}


int
jr_smtp_send_all(jr_smtp_t *s, const char *const *to, size_t nto,
    const char *msg, size_t len)
{
    char                from[JR_MAIL_ADDR_MAX + 3], rcpt[JR_MAIL_ADDR_MAX + 3];
    size_t              i;
    unsigned            last;
    struct curl_slist  *list, *more;

    snprintf(from, sizeof(from), "<%s>", s->mc->from_addr);

    s->msg = msg;
    s->len = len;
    s->off = 0;
    s->reply = 0;
    s->err[0] = '\0';

    if (s->mc->dkim != NULL) {
        s->head = jr_dkim_sign(s->mc->dkim, msg, len, time(NULL),
                               &s->head_len);
        if (s->head == NULL) {
            s->rc = CURLE_OUT_OF_MEMORY;
            snprintf(s->err, sizeof(s->err), "cannot sign the mail with "
                     "DKIM (%s)", jr_dkim_algorithm(s->mc->dkim));
            return -1;
        }
    }

    list = NULL;

    for (i = 0; i < nto; i++) {
        snprintf(rcpt, sizeof(rcpt), "<%s>", to[i]);

        more = curl_slist_append(list, rcpt);
        if (more == NULL) {
            curl_slist_free_all(list);
            jr_smtp_unsign(s);
            s->rc = CURLE_OUT_OF_MEMORY;
            return -1;
        }

        list = more;
    }

    /* the connection's last message closes it (QUIT): the next opens one */
    last = (s->mc->per_connection > 0
            && s->sent + 1 >= s->mc->per_connection);

    s->rc = curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from)
            | curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, list)
            | curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE,
                               (curl_off_t) (s->head_len + len))
            | curl_easy_setopt(s->curl, CURLOPT_FORBID_REUSE, (long) last);

    if (s->rc == CURLE_OK) {
        s->rc = curl_easy_perform(s->curl);
    }

    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->reply);

    /* the list must outlive the transfer only */
    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(list);
    jr_smtp_unsign(s);

    s->sent = last ? 0 : s->sent + 1;

    return s->rc == CURLE_OK ? 0 : -1;
}


/*
 * A reply of 5xx is the server's "never": the recipient or the sender
 * refused, or the credentials; so are TLS that cannot be had or trusted.
 * They are configuration to fix, or an address to stop writing to, not
 * weather to wait out.
 */
int
jr_smtp_permanent(const jr_smtp_t *s)
{
    return (s->reply >= 500 && s->reply <= 599)
           || s->rc == CURLE_LOGIN_DENIED
           || s->rc == CURLE_USE_SSL_FAILED
           || s->rc == CURLE_PEER_FAILED_VERIFICATION
           || s->rc == CURLE_SSL_CACERT_BADFILE
           || s->rc == CURLE_UNSUPPORTED_PROTOCOL;
}


void
jr_smtp_error(const jr_smtp_t *s, char *buf, size_t size)
{
    char  reply[40];

    reply[0] = '\0';

    if (s->reply > 0) {
        snprintf(reply, sizeof(reply), " (last SMTP reply %ld)", s->reply);
    }

    snprintf(buf, size, "%s: %s%s%s%s", s->mc->smtp_url,
             curl_easy_strerror(s->rc), s->err[0] ? ": " : "", s->err, reply);
}


void
jr_smtp_close(jr_smtp_t *s)
{
    if (s->curl != NULL) {
        curl_easy_cleanup(s->curl);
        s->curl = NULL;
    }
}
