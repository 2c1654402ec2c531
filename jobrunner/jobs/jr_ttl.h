/*
 * ttl.db, the module's rows with an expiry (jr_ttl.c), for the kinds that
 * read or write it in a pool thread: "ttl_cleanup" and "mail".
 */

#ifndef JR_TTL_H
#define JR_TTL_H

#include <stddef.h>

#include <sqlite3.h>


/*
 * A connection of a pool thread's own to ttl.db, migrated; NULL with the
 * reason in err.  Close it with sqlite3_close().
 */
sqlite3 *jr_ttl_open(const char *path, char *err, size_t errlen);

#endif /* JR_TTL_H */
