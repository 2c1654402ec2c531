/*
 * Daily salts; see jr_salt.h.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "blog_ttl_schema.h"
#include "core/jr_log.h"
#include "events/jr_salt.h"


#define JR_SALT_DAYS        8        /* salts held in memory at once */
#define JR_SALT_BUSY_MS     5000

#define JR_DAY              86400


typedef struct {
    int64_t        day;
    int            used;
    unsigned char  salt[JR_SALT_LEN];
} jr_salt_day_t;

struct jr_salt_s {
    sqlite3        *db;
    sqlite3_stmt   *insert;
    sqlite3_stmt   *select;
    sqlite3_stmt   *expire;
    uint64_t        lost;
    jr_salt_day_t   days[JR_SALT_DAYS];
};


static int jr_salt_load(jr_salt_t *s, int64_t day, unsigned char *salt);


jr_salt_t *
jr_salt_open(const char *path)
{
    int         rc;
    char       *err;
    jr_salt_t  *s;

    s = calloc(1, sizeof(jr_salt_t));
    if (s == NULL) {
        jr_log(JR_LOG_ERROR, "salts: out of memory");
        return NULL;
    }

    if (path == NULL) {
        return s;
    }

    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_busy_timeout(s->db, JR_SALT_BUSY_MS);
    }

    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "cannot open ttl database \"%s\": %s", path,
               s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        jr_salt_close(s);
        return NULL;
    }

    rc = blog_ttl_schema_migrate(s->db, &err);
    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "cannot migrate ttl database \"%s\": %s", path,
               err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        jr_salt_close(s);
        return NULL;
    }

    /* the first writer of a day's salt wins; everyone reads that one */
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO analytics_salts"
                           " (day, salt, expires_at) VALUES (?1, ?2, ?3)",
                           -1, &s->insert, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(s->db, "SELECT salt FROM analytics_salts"
                              " WHERE day = ?1", -1, &s->select, NULL)
           != SQLITE_OK
        || sqlite3_prepare_v2(s->db, "DELETE FROM analytics_salts"
                              " WHERE day < ?1", -1, &s->expire, NULL)
           != SQLITE_OK)
    {
        jr_log(JR_LOG_ERROR, "ttl database \"%s\": %s", path,
               sqlite3_errmsg(s->db));
        jr_salt_close(s);
        return NULL;
    }

    return s;
}


int
jr_salt_get(jr_salt_t *s, int64_t day, int64_t today,
    unsigned char salt[JR_SALT_LEN])
{
    int             i, stored;
    jr_salt_day_t  *d, *free_day;

    free_day = NULL;

    for (i = 0; i < JR_SALT_DAYS; i++) {
        d = &s->days[i];

        if (d->used && d->day == day) {
            memcpy(salt, d->salt, JR_SALT_LEN);
            return 0;
        }

        if (!d->used && free_day == NULL) {
            free_day = d;
        }
    }

    /* records from many days gone by: the oldest salt makes room */
    if (free_day == NULL) {
        free_day = &s->days[0];
        for (i = 1; i < JR_SALT_DAYS; i++) {
            if (s->days[i].day < free_day->day) {
                free_day = &s->days[i];
            }
        }

        s->lost++;
    }

    d = free_day;
    stored = s->db && (day == today || day == today + 1);

    if (stored) {
        if (jr_salt_load(s, day, d->salt) != 0) {
            return -1;
        }

    } else if (RAND_bytes(d->salt, JR_SALT_LEN) != 1) {
        jr_log(JR_LOG_ERROR, "salts: no random bytes");
        return -1;
    }

    d->day = day;
    d->used = 1;
    memcpy(salt, d->salt, JR_SALT_LEN);

    return 0;
}


/* Makes the day's salt in ttl.db unless another process did, and reads it. */
static int
jr_salt_load(jr_salt_t *s, int64_t day, unsigned char *salt)
{
    int            rc;
    unsigned char  fresh[JR_SALT_LEN];

    if (RAND_bytes(fresh, JR_SALT_LEN) != 1) {
        jr_log(JR_LOG_ERROR, "salts: no random bytes");
        return -1;
    }

    sqlite3_bind_int64(s->insert, 1, day);
    sqlite3_bind_blob(s->insert, 2, fresh, JR_SALT_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(s->insert, 3, (day + 1) * JR_DAY);

    rc = sqlite3_step(s->insert);
    sqlite3_reset(s->insert);
    OPENSSL_cleanse(fresh, JR_SALT_LEN);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "salts: cannot store: %s", sqlite3_errmsg(s->db));
        return -1;
    }

    sqlite3_bind_int64(s->select, 1, day);

    rc = sqlite3_step(s->select);
    if (rc != SQLITE_ROW || sqlite3_column_bytes(s->select, 0) != JR_SALT_LEN) {
        jr_log(JR_LOG_ERROR, "salts: cannot read the salt of day %lld: %s",
               (long long) day,
               rc == SQLITE_ROW ? "wrong length" : sqlite3_errmsg(s->db));
        sqlite3_reset(s->select);
        return -1;
    }

    memcpy(salt, sqlite3_column_blob(s->select, 0), JR_SALT_LEN);
    sqlite3_reset(s->select);

    return 0;
}


uint64_t
jr_salt_lost(jr_salt_t *s)
{
    return s->lost;
}


int
jr_salt_expire(jr_salt_t *s, int64_t today)
{
    int  i, rc;

    for (i = 0; i < JR_SALT_DAYS; i++) {
        if (s->days[i].used && s->days[i].day < today) {
            OPENSSL_cleanse(&s->days[i], sizeof(jr_salt_day_t));
            s->lost++;
        }
    }

    if (s->db == NULL) {
        return 0;
    }

    sqlite3_bind_int64(s->expire, 1, today);
    rc = sqlite3_step(s->expire);
    sqlite3_reset(s->expire);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "salts: cannot delete old salts: %s",
               sqlite3_errmsg(s->db));
        return -1;
    }

    return 0;
}


void
jr_salt_close(jr_salt_t *s)
{
    if (s == NULL) {
        return;
    }

    sqlite3_finalize(s->insert);
    sqlite3_finalize(s->select);
    sqlite3_finalize(s->expire);
    sqlite3_close(s->db);

    OPENSSL_cleanse(s, sizeof(jr_salt_t));
    free(s);
}
