/*
 * One-time sign-in codes, shared by the jobrunner (which makes a code,
 * stores its hash in ttl.db and mails it) and the nginx module (which
 * checks what the user types against that hash).  Plain C and libcrypto.
 *
 * A code is 10 symbols of Crockford's base32 (0-9 and A-Z without I, L,
 * O, U), shown as two groups of five: "7KQ2M-X9RT4".  That is 50 bits:
 * with only its SHA-256 in ttl.db, a copy of the file does not give the
 * code back within its few minutes of life, as it would for 8 digits
 * (27 bits, a fraction of a second of hashing).  Typing is forgiving:
 * case, spaces and dashes do not matter, and O, I and L are read as 0,
 * 1 and 1.
 *
 * The hash binds the code to its purpose and user, so the same code of
 * two users are two rows, and a row of one user never signs in another:
 *
 *     hex(SHA-256("<purpose>:<user id>:<code without the dash>"))
 */

#ifndef BLOG_CODE_H
#define BLOG_CODE_H

#include <stddef.h>
#include <stdint.h>

/* Symbols of a code, and of its display form with the dash. */
#define BLOG_CODE_LEN        10
#define BLOG_CODE_SHOWN_LEN  11

/* 64 hex digits: the ttl.db key of a code. */
#define BLOG_CODE_HASH_LEN   64

/* The purpose of a code that signs in to the admin panel. */
#define BLOG_CODE_SIGNIN     "signin"

/*
 * A new random code (getrandom) in out, BLOG_CODE_LEN symbols and a NUL.
 * Returns 0, or -1 when the kernel gives no randomness.
 */
int blog_code_new(char *out);

/*
 * What a user typed, len bytes, as a code in out (BLOG_CODE_LEN + 1
 * bytes): case folded, spaces and dashes dropped, O, I, L mapped.
 * Returns 0, or -1 when it is not a code's shape.
 */
int blog_code_normalize(const char *in, size_t len, char *out);

/* "7KQ2MX9RT4" as "7KQ2M-X9RT4" in out (BLOG_CODE_SHOWN_LEN + 1 bytes). */
void blog_code_show(const char *code, char *out);

/*
 * The hash of a normalized code of purpose for user, as 64 lowercase hex
 * digits and a NUL in out.  Returns 0, or -1 when libcrypto fails.
 */
int blog_code_hash(const char *purpose, int64_t user, const char *code,
    char *out);

#endif /* BLOG_CODE_H */
