/*
 * The mails the jobrunner writes (jr_mail_msg.c, jr_report_msg.c): sign-in
 * codes (jr_mail.c), subscription confirmations (jr_subscribe.c),
 * newsletters (jr_newsletter.c) and analytics reports (jr_report.c), and
 * the building blocks they are made of: RFC 5322 text with CRLF line
 * ends, UTF-8 bodies, and headers that hold only ASCII (a subject with
 * other characters is sent as RFC 2047 encoded words).
 */

#ifndef JR_MAIL_H
#define JR_MAIL_H

#include <stddef.h>
#include <time.h>

#include <sqlite3.h>


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


/* A row of a report's top list: a page or a source. */
typedef struct {
    char        *key;
    long long    visitors;
    long long    views;
} jr_mail_row_t;

/* The analytics report (jr_report.c): its numbers come from blog_stats. */
typedef struct {
    const char          *from;
    const char          *from_addr;
    const char *const   *to;
    size_t               nto;
    const char          *title;       /* the blog's; may be empty */
    const char          *period;      /* "Weekly", "Monthly" */
    const char          *first;       /* "YYYY-MM-DD" */
    const char          *last;
    const char          *prev_first;  /* the period compared with */
    const char          *prev_last;
    const char          *labels[6];   /* the figures' */
    const char          *values[6];
    const char          *changes[6];
    size_t               nfigures;
    const jr_mail_row_t *pages;
    size_t               npages;
    const jr_mail_row_t *sources;
    size_t               nsources;
    time_t               now;
    const char          *message_id;
    const char          *boundary;    /* not in any part: random */
} jr_mail_report_t;

/*
 * The mail of a report, multipart/alternative: a text/plain part and a
 * text/html one with the same numbers, every value escaped in the HTML
 * and cut, without control characters, in both.  As
 * jr_mail_signin_message().
 */
char *jr_mail_report_message(const jr_mail_report_t *m, size_t *len);


/* The building blocks of the mails. */

/* Longest value written: a mail is no place for a novel. */
#define JR_MAIL_VALUE_MAX   200

/* A growing text; after a failed allocation it stays failed. */
typedef struct {
    char    *data;           /* NUL-terminated */
    size_t   len;
    size_t   size;
    int      failed;
} jr_mail_buf_t;

typedef struct {
    const char          *from;
    const char          *from_addr;
    const char *const   *to;
    size_t               nto;
    const char          *subject;      /* UTF-8 */
    time_t               now;
    const char          *message_id;
    int                  automatic;    /* Auto-Submitted: auto-generated */
} jr_mail_head_t;

#define jr_mail_puts(b, s)  jr_mail_put(b, s, strlen(s))

void jr_mail_put(jr_mail_buf_t *b, const char *s, size_t n);

/* Short fixed lines only: values go through jr_mail_text(). */
void jr_mail_printf(jr_mail_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A value, at most JR_MAIL_VALUE_MAX bytes (cut before a UTF-8
 * continuation byte, not inside a character), control characters as
 * spaces: a name cannot end a header line or start a new one.
 * jr_mail_html() is the same, HTML-escaped.
 */
void jr_mail_text(jr_mail_buf_t *b, const char *s);
void jr_mail_html(jr_mail_buf_t *b, const char *s);

/*
 * A header value: as it is when it is printable ASCII, otherwise as
 * RFC 2047 "B" encoded words of whole UTF-8 characters, on folded lines.
 */
void jr_mail_header_text(jr_mail_buf_t *b, const char *s, size_t len);

/* Date, From, To, Subject, Message-ID, MIME-Version, Auto-Submitted. */
void jr_mail_head(jr_mail_buf_t *b, const jr_mail_head_t *h);

/*
 * The blog's title from data.db's settings, malloc'ed ("" when none), or
 * NULL with the SQLite error in *rc.
 */
char *jr_mail_blog_title(sqlite3 *db, int *rc);

#endif /* JR_MAIL_H */
