/*
 * The mails the jobrunner writes (jr_mail_msg.c), for the "mail" job
 * (jr_mail.c) and its unit test: RFC 5322 text with CRLF line ends, a
 * text/plain UTF-8 body sent as 8bit, and headers that hold only ASCII
 * (a subject with other characters is sent as RFC 2047 encoded words).
 */

#ifndef JR_MAIL_H
#define JR_MAIL_H

#include <stddef.h>
#include <time.h>


typedef struct {
    const char  *from;        /* the From: header as configured */
    const char  *from_addr;   /* its address: Message-ID's domain */
    const char  *to;
    const char  *name;        /* the user's name */
    const char  *title;       /* the blog's title; may be empty */
    const char  *code;        /* as shown: "7KQ2M-X9RT4" */
    const char  *address;     /* where the code was asked from */
    time_t       asked_at;
    long         ttl;         /* seconds the code is valid */
    time_t       now;         /* the Date: header */
    const char  *message_id;  /* unique: random hex */
} jr_mail_signin_t;

/*
 * The mail of a sign-in code: malloc'ed, NUL-terminated, its length in
 * *len.  Control characters in the name, title and address are written
 * as spaces, so no value can add a header.  NULL when out of memory.
 */
char *jr_mail_signin_message(const jr_mail_signin_t *m, size_t *len);


/* A newsletter's confirmation mail (jr_subscribe.c). */
typedef struct {
    const char  *from;
    const char  *from_addr;
    const char  *to;
    const char  *name;        /* the reader's, may be empty */
    const char  *title;       /* the blog's title; may be empty */
    const char  *link;        /* the signed confirmation URL */
    long         ttl;         /* seconds the link works */
    time_t       now;
    const char  *message_id;
} jr_mail_confirm_t;

char *jr_mail_confirm_message(const jr_mail_confirm_t *m, size_t *len);


/*
 * One message of a newsletter (jr_newsletter.c): the text and HTML
 * rendered once for every subscriber, with each mark in them replaced
 * by this subscriber's unsubscribe URL, which the List-Unsubscribe
 * header has too (RFC 8058's one-click POST).  The parts are sent in
 * base64, so no line of the rendering can be too long for SMTP.
 */
typedef struct {
    const char  *from;
    const char  *from_addr;
    const char  *to;
    const char  *subject;
    const char  *text;
    const char  *html;
    const char  *mark;
    const char  *unsubscribe;
    time_t       now;
    const char  *message_id;  /* the same on every attempt */
} jr_mail_letter_t;

char *jr_mail_letter_message(const jr_mail_letter_t *m, size_t *len);

#endif /* JR_MAIL_H */
