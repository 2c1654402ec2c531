/*
 * application/x-www-form-urlencoded, as browsers send it (WHATWG URL
 * standard, "application/x-www-form-urlencoded parser"), but strict about
 * broken escapes: a form the panel made never has one, so one is an attack
 * or a bug, and an error says so better than a guess.
 */

#include <stdlib.h>
#include <string.h>

#include "blog_form.h"


static int
blog_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = (char) (c | 0x20);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* Decodes s[0..n) to d, NUL-terminated; returns the length, or -1. */
static long
blog_form_decode(const char *s, size_t n, char *d)
{
    int     hi, lo;
    char   *start;
    size_t  i;

    start = d;

    for (i = 0; i < n; i++) {
        if (s[i] == '+') {
            *d++ = ' ';
            continue;
        }

        if (s[i] != '%') {
            if (s[i] == '\0') {
                return -1;
            }

            *d++ = s[i];
            continue;
        }

        if (n - i < 3) {
            return -1;
        }

        hi = blog_hex(s[i + 1]);
        lo = blog_hex(s[i + 2]);

        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            return -1;
        }

        *d++ = (char) (hi << 4 | lo);
        i += 2;
    }

    *d = '\0';

    return d - start;
}


blog_form_rc_e
blog_form_parse(blog_form_t *form, const char *buf, size_t len)
{
    long          vlen;
    char         *d;
    size_t        i, n, seg;
    const char   *p, *end, *amp, *eq;
    blog_field_t  *f;

    form->fields = NULL;
    form->n = 0;
    form->mem = NULL;

    n = 1;
    for (i = 0; i < len; i++) {
        n += (buf[i] == '&');
    }

    if (n > BLOG_FORM_MAX_FIELDS * 4) {
        return BLOG_FORM_BAD;
    }

    /* decoding never grows a string; each field adds two NULs */
    form->mem = malloc(len + 2 * n);
    form->fields = malloc(n * sizeof(blog_field_t));

    if (form->mem == NULL || form->fields == NULL) {
        blog_form_free(form);
        return BLOG_FORM_NOMEM;
    }

    d = form->mem;
    end = buf + len;

    for (p = buf; p < end; p = amp + 1) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        seg = amp - p;

        if (seg == 0) {
            continue;
        }

        if (form->n == BLOG_FORM_MAX_FIELDS) {
            blog_form_free(form);
            return BLOG_FORM_BAD;
        }

        eq = memchr(p, '=', seg);

        f = &form->fields[form->n];
        f->name = d;

        vlen = blog_form_decode(p, (eq ? eq : amp) - p, d);
        if (vlen < 0) {
            blog_form_free(form);
            return BLOG_FORM_BAD;
        }

        d += vlen + 1;
        f->value = d;

        vlen = eq ? blog_form_decode(eq + 1, amp - eq - 1, d) : 0;
        if (vlen < 0) {
            blog_form_free(form);
            return BLOG_FORM_BAD;
        }

        if (eq == NULL) {
            *d = '\0';
        }

        d += vlen + 1;
        f->len = (size_t) vlen;
        form->n++;

        if (amp == end) {
            break;
        }
    }

    return BLOG_FORM_OK;
}


const blog_field_t *
blog_form_get(const blog_form_t *form, const char *name)
{
    size_t  i;

    for (i = 0; i < form->n; i++) {
        if (strcmp(form->fields[i].name, name) == 0) {
            return &form->fields[i];
        }
    }

    return NULL;
}


void
blog_form_free(blog_form_t *form)
{
    free(form->fields);
    free(form->mem);

    form->fields = NULL;
    form->mem = NULL;
    form->n = 0;
}


int
blog_utf8_valid(const char *s, size_t len)
{
    size_t         i, k, need;
    unsigned int   cp, min;
    unsigned char  c;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c < 0x80) {
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            need = 1; cp = c & 0x1f; min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2; cp = c & 0x0f; min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3; cp = c & 0x07; min = 0x10000;

        } else {
            return 0;
        }

        if (len - i - 1 < need) {
            return 0;
        }

        for (k = 1; k <= need; k++) {
            c = (unsigned char) s[i + k];
            if ((c & 0xc0) != 0x80) {
                return 0;
            }

            cp = cp << 6 | (c & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }

        i += need;
    }

    return 1;
}


size_t
blog_utf8_chars(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        n += ((unsigned char) s[i] & 0xc0) != 0x80;
    }

    return n;
}
