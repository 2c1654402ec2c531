/*
 * A minimal TAP producer for the C unit tests, read by prove.
 */

#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <stdarg.h>
#include <string.h>

static int  tap_count;
static int  tap_failed;

#define ok(cond, ...)                                                         \
    tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                \
    do {                                                                      \
        long long got_ = (got), want_ = (want);                               \
        if (!ok(got_ == want_, __VA_ARGS__)) {                                \
            printf("#   got %lld, want %lld\n", got_, want_);                 \
        }                                                                     \
    } while (0)

#define is_str(got, want, ...)                                                \
    do {                                                                      \
        const char *got_ = (got), *want_ = (want);                            \
        if (!ok(got_ != NULL && strcmp(got_, want_) == 0, __VA_ARGS__)) {     \
            printf("#   got \"%s\", want \"%s\"\n",                           \
                   got_ ? got_ : "(null)", want_);                            \
        }                                                                     \
    } while (0)

static int __attribute__((format(printf, 4, 5)))
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list  ap;

    tap_count++;
    printf("%sok %d - ", pass ? "" : "not ", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");

    if (!pass) {
        tap_failed++;
        printf("#   failed at %s line %d\n", file, line);
    }

    return pass;
}

static int
tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif /* TAP_H */
