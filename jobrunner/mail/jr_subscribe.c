/*
 * The "subscribe" job: a reader asked for the newsletter on the blog's
 * form (ngx_http_blog_newsletter.c), which queues, with what she typed
 * and nothing else,
 *
 *     {"email": "reader@example.org", "name": "Ada", "asked_at": 1777636800}
 *
 * whether or not the address is known, so that the page cannot tell.
 * Here the confirmation mail is written with a signed link
 * (blog_newsletter.h: issued now, expiring after [mail] confirm_ttl) and
 * sent; the address is stored only when the link is followed.  A rerun
 * after a crash between the send and the ack sends a second mail whose
 * link works as well as the first: either confirms, once.
 *
 * Without [mail] the link goes to the log at notice level, as sign-in
 * codes do, for "make run".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "blog_newsletter.h"
#include "blog_secret.h"
#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "core/jr_log.h"
#include "mail/jr_mail.h"
#include "mail/jr_newsletter.h"
#include "mail/jr_smtp.h"


/* A request older than this is not answered any more: it is stale. */
#define JR_SUBSCRIBE_STALE  86400


typedef struct {
    char          *email;
    char          *name;
    jr_nl_site_t   site;
    char          *link;
    long           reply;
} jr_subscribe_t;


static int
jr_subscribe_prepare(jr_work_t *w)
{
    char             err[256];
    json_t          *email, *name, *asked;
    const char      *s;
    jr_subscribe_t  *sb;

    email = json_object_get(w->payload, "email");
    name = json_object_get(w->payload, "name");
    asked = json_object_get(w->payload, "asked_at");

    if (!json_is_string(email) || !json_is_string(name)
        || !json_is_integer(asked)
        || !blog_email_valid(json_string_value(email),
                             json_string_length(email))
        || json_string_length(name) > BLOG_NL_NAME_MAX)
    {
        jr_work_fail(w, 1, "payload needs email (an address), name (at most "
                     "%d bytes) and asked_at", BLOG_NL_NAME_MAX);
        return -1;
    }

    for (s = json_string_value(name); *s; s++) {
        if ((unsigned char) *s < ' ' || *s == 0x7f) {
            jr_work_fail(w, 1, "the name has a control character");
            return -1;
        }
    }

    if (time(NULL) > json_integer_value(asked) + JR_SUBSCRIBE_STALE) {
        jr_work_fail(w, 1, "asked for over a day ago: not sent any more");
        return -1;
    }

    sb = calloc(1, sizeof(jr_subscribe_t));
    if (sb == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    w->data = sb;
    sb->email = strdup(json_string_value(email));
    sb->name = strdup(json_string_value(name));

    if (sb->email == NULL || sb->name == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    if (jr_nl_site_read(w->jobs->db, &sb->site, err, sizeof(err)) != 0) {
        jr_work_fail(w, 1, "%s", err);
        return -1;
    }

    return 0;
}


static void
jr_subscribe_work_thread(jr_work_t *w)
{
    int                    n;
    char                   token[BLOG_NL_TOKEN_MAX + 1], rnd[33], id[96];
    char                   err[JR_WORK_ERRLEN], *message;
    size_t                 len, size;
    time_t                 now;
    jr_smtp_t              smtp;
    jr_subscribe_t        *sb;
    jr_mail_confirm_t      msg;
    const jr_mail_conf_t  *mc;

    sb = w->data;
    mc = &w->jobs->cf->mail;
    now = time(NULL);

    n = blog_nl_confirm_sign(sb->site.key, now, now + mc->confirm_ttl,
                             sb->email, sb->name, token, sizeof(token));
    if (n < 0) {
        jr_work_fail(w, 1, "cannot sign the confirmation link");
        return;
    }

    size = strlen(sb->site.base_url) + sizeof(JR_NL_CONFIRM_ROUTE) + n;

    sb->link = malloc(size);
    if (sb->link == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return;
    }

    snprintf(sb->link, size, "%s" JR_NL_CONFIRM_ROUTE "%s",
             sb->site.base_url, token);

    /* without [mail], done() writes the link to the log */
    if (mc->smtp_url == NULL) {
        return;
    }

    if (blog_random_hex(rnd, 16) != 0) {
        jr_work_fail(w, 0, "no randomness from the kernel");
        return;
    }

    snprintf(id, sizeof(id), "confirm.%lld.%s", (long long) now, rnd);

    msg.from = mc->from;
    msg.from_addr = mc->from_addr;
    msg.to = sb->email;
    msg.name = sb->name;
    msg.title = sb->site.title;
    msg.link = sb->link;
    msg.ttl = (long) mc->confirm_ttl;
    msg.now = now;
    msg.message_id = id;

    message = jr_mail_confirm_message(&msg, &len);
    if (message == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return;
    }

    if (jr_smtp_open(&smtp, mc) != 0) {
        free(message);
        jr_work_fail(w, 0, "cannot create a libcurl handle");
        return;
    }

    if (jr_smtp_send(&smtp, sb->email, message, len) != 0) {
        jr_smtp_error(&smtp, err, sizeof(err));
        jr_work_fail(w, jr_smtp_permanent(&smtp), "%s", err);
    }

    sb->reply = smtp.reply;

    jr_smtp_close(&smtp);
    free(message);
}


/* libcrypto's per-thread state freed after each mail: see jr_mail.c */
static void
jr_subscribe_work(jr_work_t *w)
{
    jr_subscribe_work_thread(w);

    OPENSSL_thread_stop();
}


static void
jr_subscribe_done(jr_work_t *w)
{
    jr_subscribe_t  *sb;

    sb = w->data;

    if (sb == NULL || w->failed) {
        return;
    }

    if (w->jobs->cf->mail.smtp_url == NULL) {
        jr_log(JR_LOG_NOTICE, "subscribe job %lld: confirmation link for "
               "<%s>: %s (no [mail] smtp_url, so it is written here instead "
               "of sent)", (long long) w->job.id, sb->email, sb->link);
        return;
    }

    jr_log(JR_LOG_INFO, "subscribe job %lld: confirmation link sent to <%s> "
           "(SMTP %ld, attempt %u)", (long long) w->job.id, sb->email,
           sb->reply, w->job.attempts);
}


static void
jr_subscribe_free(jr_work_t *w)
{
    jr_subscribe_t  *sb;

    sb = w->data;

    if (sb == NULL) {
        return;
    }

    free(sb->email);
    free(sb->name);
    free(sb->link);
    jr_nl_site_free(&sb->site);
    free(sb);
}


const jr_kind_t  jr_subscribe_kind = {
    .name = "subscribe",
    .prepare = jr_subscribe_prepare,
    .work = jr_subscribe_work,
    .done = jr_subscribe_done,
    .free = jr_subscribe_free
};
