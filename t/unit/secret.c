/*
 * Unit tests of password hashing and random tokens.
 */

#include <string.h>

#include "blog_secret.h"
#include "tap.h"


int
main(void)
{
    char  h1[BLOG_PASSWORD_HASH_SIZE], h2[BLOG_PASSWORD_HASH_SIZE];
    char  t1[65], t2[65];

    is_int(blog_password_hash("correct horse", 13, h1), 0, "hash");
    ok(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0,
       "argon2id PHC string with the documented parameters: %s", h1);
    is_int(blog_password_hash("correct horse", 13, h2), 0, "hash again");
    ok(strcmp(h1, h2) != 0, "a fresh salt each time");

    is_int(blog_password_verify(h1, "correct horse", 13), 1, "right password");
    is_int(blog_password_verify(h1, "correct horsf", 13), 0, "wrong password");
    is_int(blog_password_verify(h1, "correct horse ", 14), 0, "longer one");
    is_int(blog_password_verify(h1, "", 0), 0, "empty one");
    is_int(blog_password_verify("$2y$10$bcrypt", "x", 1), -1,
           "not an argon2id hash");
    is_int(blog_password_verify("$argon2id$garbage", "x", 1), -1,
           "a broken hash");

    is_int(blog_password_hash("short", 5, h2), -1, "too short refused");

    is_int(blog_random_hex(t1, 32), 0, "random token");
    is_int(blog_random_hex(t2, 32), 0, "another");
    is_int((int) strlen(t1), 64, "64 hex digits for 256 bits");
    ok(strspn(t1, "0123456789abcdef") == 64, "lowercase hex");
    ok(strcmp(t1, t2) != 0, "tokens differ");

    return tap_done();
}
