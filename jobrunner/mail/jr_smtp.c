/*
 * SMTP through libcurl (jr_smtp.h).
 */

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "mail/jr_smtp.h"


typedef struct {
    const char  *data;
    size_t       len;
    size_t       sent;
} jr_smtp_body_t;


/* libcurl reads the message from here. */
static size_t
jr_smtp_read(char *buf, size_t size, size_t n, void *data)
{
    size_t           len;
    jr_smtp_body_t  *b = data;

    len = b->len - b->sent;
    if (len > size * n) {
        len = size * n;
    }

    memcpy(buf, b->data + b->sent, len);
    b->sent += len;

    return len;
}


/*
 * A reply of 5xx is the server's "never": the recipient or the sender
 * refused, or the credentials; so are TLS that cannot be had or trusted.
 * They are configuration to fix, not weather to wait out.
 */
static int
jr_smtp_permanent(CURLcode rc, long reply)
{
    return (reply >= 500 && reply <= 599)
           || rc == CURLE_LOGIN_DENIED
           || rc == CURLE_USE_SSL_FAILED
           || rc == CURLE_PEER_FAILED_VERIFICATION
           || rc == CURLE_SSL_CACERT_BADFILE
           || rc == CURLE_UNSUPPORTED_PROTOCOL;
}


int
jr_smtp_send(const jr_mail_conf_t *mc, const char *const *to, size_t nto,
    const char *message, size_t len, long *reply, int *permanent, char *err,
    size_t errlen)
{
    int                 rc;
    char                cerr[CURL_ERROR_SIZE], rcpt[JR_MAIL_ADDR_MAX + 3];
    char                from[JR_MAIL_ADDR_MAX + 3], last[40];
    size_t              i;
    CURL               *curl;
    jr_smtp_body_t      body;
    struct curl_slist  *list, *l;

    *reply = 0;
    *permanent = 0;

    snprintf(from, sizeof(from), "<%s>", mc->from_addr);

    curl = curl_easy_init();
    list = NULL;

    for (i = 0; i < nto; i++) {
        snprintf(rcpt, sizeof(rcpt), "<%s>", to[i]);

        l = curl_slist_append(list, rcpt);
        if (l == NULL) {
            break;
        }

        list = l;
    }

    if (curl == NULL || i < nto) {
        curl_slist_free_all(list);
        curl_easy_cleanup(curl);
        snprintf(err, errlen, "cannot create a libcurl handle");
        return -1;
    }

    body.data = message;
    body.len = len;
    body.sent = 0;
    cerr[0] = '\0';

    /* signals are the loop's: libcurl must not use them in a thread */
    rc = curl_easy_setopt(curl, CURLOPT_URL, mc->smtp_url)
         | curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps")
         | curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L)
         | curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long) mc->timeout)
         | curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr)
         | curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from)
         | curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, list)
         | curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L)
         | curl_easy_setopt(curl, CURLOPT_READFUNCTION, jr_smtp_read)
         | curl_easy_setopt(curl, CURLOPT_READDATA, &body)
         | curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                            (curl_off_t) len)
         | curl_easy_setopt(curl, CURLOPT_USE_SSL,
                            mc->starttls == JR_STARTTLS_OFF
                            ? (long) CURLUSESSL_NONE
                            : mc->starttls == JR_STARTTLS_TRY
                            ? (long) CURLUSESSL_TRY : (long) CURLUSESSL_ALL);

    if (rc == CURLE_OK && mc->username != NULL) {
        rc = curl_easy_setopt(curl, CURLOPT_USERNAME, mc->username)
             | curl_easy_setopt(curl, CURLOPT_PASSWORD, mc->password);
    }

    if (rc == CURLE_OK && mc->ca_file != NULL) {
        rc = curl_easy_setopt(curl, CURLOPT_CAINFO, mc->ca_file);
    }

    if (rc == CURLE_OK) {
        rc = curl_easy_perform(curl);
    }

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, reply);

    curl_slist_free_all(list);
    curl_easy_cleanup(curl);

    if (rc == CURLE_OK) {
        return 0;
    }

    last[0] = '\0';

    if (*reply > 0) {
        snprintf(last, sizeof(last), " (last SMTP reply %ld)", *reply);
    }

    *permanent = jr_smtp_permanent((CURLcode) rc, *reply);

    snprintf(err, errlen, "%s: %s%s%s%s", mc->smtp_url,
             curl_easy_strerror((CURLcode) rc), cerr[0] ? ": " : "", cerr,
             last);

    return -1;
}
