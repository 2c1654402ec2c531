/*
 * Secrets: argon2id password hashes and random tokens.  Pure C with
 * libargon2, shared by blogctl (user add, user passwd) and the module
 * (sign-in, sessions, CSRF tokens).
 *
 * Password hashes use argon2id with t = 2 passes over m = 19 MiB with
 * p = 1 lane, a 16-byte salt and a 32-byte tag: the minimum OWASP's
 * Password Storage Cheat Sheet recommends, about 30 ms on one core.  The
 * parameters are stored in each hash (a PHC string, "$argon2id$v=19$m=
 * 19456,t=2,p=1$salt$tag"), so raising them later leaves old hashes valid.
 */

#ifndef BLOG_SECRET_H
#define BLOG_SECRET_H

#include <stddef.h>

#define BLOG_ARGON2_T         2
#define BLOG_ARGON2_M_KIB     19456
#define BLOG_ARGON2_P         1
#define BLOG_ARGON2_SALT      16
#define BLOG_ARGON2_TAG       32

/* Room for the PHC string of the parameters above, with its NUL. */
#define BLOG_PASSWORD_HASH_SIZE  128

/* Longer passwords are refused: hashing is per byte of input. */
#define BLOG_PASSWORD_MAX     1024
#define BLOG_PASSWORD_MIN     8

/*
 * Hashes pw[0..len) with a random salt into out (BLOG_PASSWORD_HASH_SIZE
 * bytes).  Returns 0, or -1 (no randomness, no memory, length out of
 * bounds).
 */
int blog_password_hash(const char *pw, size_t len, char *out);

/*
 * Checks pw[0..len) against a PHC string in constant time.  Returns 1 for
 * a match, 0 for none, -1 when hash is not an argon2id hash or the check
 * could not run.
 */
int blog_password_verify(const char *hash, const char *pw, size_t len);

/*
 * n random bytes from the kernel (getrandom), written as 2n lowercase hex
 * digits and a NUL to out.  Returns 0, or -1.
 */
int blog_random_hex(char *out, size_t n);

#endif /* BLOG_SECRET_H */
