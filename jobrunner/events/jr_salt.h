/*
 * The secret salt of each day, for counting unique visitors without
 * cookies: a visitor is SHA-256(salt, address, user agent), and with the
 * salt gone at the end of its day the hashes of that day can no longer be
 * tied to anyone.
 *
 * The salt of today (and of tomorrow, for records stamped a moment after
 * midnight) is random, made once and kept in ttl.db, so a restart in the
 * same day does not count everyone again; it expires when its day ends.
 * Without ttl.db it lives in memory only.  A record of a day that is over
 * (replayed late from a spool) gets a salt of that day made afresh and
 * kept in memory only, until the next day starts.
 */

#ifndef JR_SALT_H
#define JR_SALT_H

#include <stdint.h>

#define JR_SALT_LEN  32

typedef struct jr_salt_s  jr_salt_t;

/*
 * Opens (creating and migrating) ttl.db at path, or keeps salts in memory
 * only when path is NULL.  Returns the handle, or NULL after logging why.
 */
jr_salt_t *jr_salt_open(const char *path);

/*
 * The salt of day (a Unix day), today being the current one.  Returns 0,
 * or -1 after logging why.
 */
int jr_salt_get(jr_salt_t *s, int64_t day, int64_t today,
    unsigned char salt[JR_SALT_LEN]);

/*
 * How many times a salt was forgotten (expired, or made room for another
 * day's): what was hashed under it no longer names the same visitors.
 */
uint64_t jr_salt_lost(jr_salt_t *s);

/*
 * Forgets the salts of the days before today, in memory and in ttl.db.
 * Returns 0, or -1 after logging why (memory is wiped all the same).
 */
int jr_salt_expire(jr_salt_t *s, int64_t today);

void jr_salt_close(jr_salt_t *s);

#endif /* JR_SALT_H */
