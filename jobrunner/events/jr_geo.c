/*
 * Country lookups; see jr_geo.h.
 *
 * Both libraries are supported because neither alone covers what a
 * Debian machine has: libmaxminddb reads the current .mmdb format (which
 * Debian does not ship: GeoLite2 needs a MaxMind account), libGeoIP reads
 * the legacy .dat files that Debian's geoip-database does ship.  The file
 * name decides: ".mmdb" is opened with libmaxminddb, anything else with
 * libGeoIP.
 *
 * Lookups go through a cache: a blog's readers come back, and a cache
 * hit is cheaper than a tree walk.  Two ways a set, a set one cache line
 * (the most recent address first), so that two readers whose addresses
 * share a set do not push each other out at every view: direct-mapped,
 * a third of the bench's 50,000 readers did, and the tree walks were 5%
 * of an ingestion's CPU.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <GeoIP.h>
#include <maxminddb.h>

#include "events/jr_geo.h"
#include "core/jr_table.h"
#include "core/jr_log.h"


#define JR_GEO_CACHE_SETS   65536   /* a power of two: 4 MB */
#define JR_GEO_REGION_LEN   8       /* "CC-" and up to 3, and the NUL */


typedef struct {
    uint8_t   family;
    uint8_t   addr[16];
    char      country[3];
    char      region[JR_GEO_REGION_LEN];
    uint8_t   pad[4];                   /* 32 bytes: two a cache line */
} jr_geo_slot_t;

struct jr_geo_s {
    MMDB_s          mmdb;
    int             has_mmdb;
    GeoIP          *dat4;
    GeoIP          *dat6;
    jr_geo_slot_t  *slot;               /* JR_GEO_CACHE_SETS of 2 */
};


static int jr_geo_open_one(jr_geo_t *geo, const char *path, int v6);
static void jr_geo_lookup(jr_geo_t *geo, int family, const uint8_t *addr,
    char *country, char *region);
static void jr_geo_region(MMDB_lookup_result_s *res, const char *country,
    char *region);


jr_geo_t *
jr_geo_open(const char *path, const char *path6)
{
    jr_geo_t  *geo;

    geo = calloc(1, sizeof(jr_geo_t));
    if (geo == NULL) {
        jr_log(JR_LOG_ERROR, "geo: out of memory");
        return NULL;
    }

    /* page-aligned: a set is one cache line */
    geo->slot = jr_table_alloc(JR_GEO_CACHE_SETS * 2 * sizeof(jr_geo_slot_t));
    if (geo->slot == NULL) {
        jr_log(JR_LOG_ERROR, "geo: out of memory");
        free(geo);
        return NULL;
    }

    if ((path && jr_geo_open_one(geo, path, 0) != 0)
        || (path6 && jr_geo_open_one(geo, path6, 1) != 0))
    {
        jr_geo_close(geo);
        return NULL;
    }

    return geo;
}


/* A UTC date, for the log; one caller at a time (the loop, at start). */
static const char *
jr_geo_date(time_t t)
{
    struct tm          tm;
    static char        date[16];

    if (gmtime_r(&t, &tm) == NULL
        || strftime(date, sizeof(date), "%Y-%m-%d", &tm) == 0)
    {
        return "at an unknown date";
    }

    return date;
}


static int
jr_geo_open_one(jr_geo_t *geo, const char *path, int v6)
{
    int      rc, edition;
    size_t   len;
    GeoIP   *gi;

    len = strlen(path);

    if (len > 5 && strcmp(path + len - 5, ".mmdb") == 0) {
        if (v6 || geo->has_mmdb) {
            jr_log(JR_LOG_ERROR, "geo: \"%s\": an .mmdb file covers IPv6 "
                   "too; give it as geoip_db only", path);
            return -1;
        }

        rc = MMDB_open(path, MMDB_MODE_MMAP, &geo->mmdb);
        if (rc != MMDB_SUCCESS) {
            jr_log(JR_LOG_ERROR, "geo: cannot open \"%s\": %s", path,
                   MMDB_strerror(rc));
            return -1;
        }

        geo->has_mmdb = 1;

        /* which file, and how old: a stale database misplaces readers */
        jr_log(JR_LOG_INFO, "geo: countries from \"%s\" (%s, built %s)",
               path, geo->mmdb.metadata.database_type,
               jr_geo_date((time_t) geo->mmdb.metadata.build_epoch));
        return 0;
    }

    gi = GeoIP_open(path, GEOIP_MEMORY_CACHE | GEOIP_SILENCE);
    if (gi == NULL) {
        jr_log(JR_LOG_ERROR, "geo: cannot open \"%s\" as a GeoIP database",
               path);
        return -1;
    }

    edition = GeoIP_database_edition(gi);

    if (edition != (v6 ? GEOIP_COUNTRY_EDITION_V6 : GEOIP_COUNTRY_EDITION)) {
        jr_log(JR_LOG_ERROR, "geo: \"%s\" is not a GeoIP %s country "
               "database (edition %d)", path, v6 ? "IPv6" : "IPv4", edition);
        GeoIP_delete(gi);
        return -1;
    }

    if (v6) {
        geo->dat6 = gi;
    } else {
        geo->dat4 = gi;
    }

    jr_log(JR_LOG_INFO, "geo: %s countries from \"%s\"",
           v6 ? "IPv6" : "IPv4", path);

    return 0;
}


const char *
jr_geo_country(jr_geo_t *geo, int family, const uint8_t *addr)
{
    const char  *region;

    return jr_geo_locate(geo, family, addr, &region);
}


/* The cache's set of an address of len bytes: its two slots. */
static inline jr_geo_slot_t *
jr_geo_slot(jr_geo_t *geo, const uint8_t *addr, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;
    for (i = 0; i < len; i++) {
        h = (h ^ addr[i]) * 16777619u;
    }

    return &geo->slot[2 * ((h ^ (h >> 16)) & (JR_GEO_CACHE_SETS - 1))];
}


void
jr_geo_prefetch(jr_geo_t *geo, int family, const uint8_t *addr)
{
    if (family == 4 || family == 6) {
        __builtin_prefetch(jr_geo_slot(geo, addr, family == 4 ? 4 : 16));
    }
}



/*
 * Whether the cache's slot s holds the address: compared by constant
 * lengths, which the compiler makes two loads, not a call to memcmp()
 * (once per page view).
 */
static inline int
jr_geo_holds(const jr_geo_slot_t *s, int family, const uint8_t *addr)
{
    if (s->family != family) {
        return 0;
    }

    return family == 4 ? memcmp(s->addr, addr, 4) == 0
                       : memcmp(s->addr, addr, 16) == 0;
}

const char *
jr_geo_locate(jr_geo_t *geo, int family, const uint8_t *addr,
    const char **region)
{
    size_t          len;
    jr_geo_slot_t  *s, t;

    if (family != 4 && family != 6) {
        *region = "";
        return "--";
    }

    len = family == 4 ? 4 : 16;
    s = jr_geo_slot(geo, addr, len);

    if (!jr_geo_holds(&s[0], family, addr)) {
        if (jr_geo_holds(&s[1], family, addr)) {
            t = s[1];

        } else {
            /* the older of the two goes */
            memset(&t, 0, sizeof(jr_geo_slot_t));
            t.family = (uint8_t) family;
            memcpy(t.addr, addr, len);
            jr_geo_lookup(geo, family, addr, t.country, t.region);
        }

        s[1] = s[0];
        s[0] = t;
    }

    *region = s->region;

    return s->country;
}


static void
jr_geo_lookup(jr_geo_t *geo, int family, const uint8_t *addr, char *country,
    char *region)
{
    int                     rc, mmdb_error;
    uint32_t                ipnum;
    const char             *cc;
    geoipv6_t               in6;
    MMDB_entry_data_s       data;
    struct sockaddr_in      sin;
    struct sockaddr_in6     sin6;
    MMDB_lookup_result_s    res;

    cc = NULL;
    region[0] = '\0';

    if (geo->has_mmdb) {
        if (family == 4) {
            memset(&sin, 0, sizeof(sin));
            sin.sin_family = AF_INET;
            memcpy(&sin.sin_addr, addr, 4);
            res = MMDB_lookup_sockaddr(&geo->mmdb, (struct sockaddr *) &sin,
                                       &mmdb_error);
        } else {
            memset(&sin6, 0, sizeof(sin6));
            sin6.sin6_family = AF_INET6;
            memcpy(&sin6.sin6_addr, addr, 16);
            res = MMDB_lookup_sockaddr(&geo->mmdb, (struct sockaddr *) &sin6,
                                       &mmdb_error);
        }

        if (mmdb_error == MMDB_SUCCESS && res.found_entry) {
            rc = MMDB_get_value(&res.entry, &data, "country", "iso_code",
                                NULL);
            if (rc == MMDB_SUCCESS && data.has_data
                && data.type == MMDB_DATA_TYPE_UTF8_STRING
                && data.data_size == 2)
            {
                memcpy(country, data.utf8_string, 2);
                country[2] = '\0';
                jr_geo_region(&res, country, region);
                return;
            }
        }

    } else if (family == 4 && geo->dat4) {
        ipnum = ((uint32_t) addr[0] << 24) | ((uint32_t) addr[1] << 16)
                | ((uint32_t) addr[2] << 8) | addr[3];
        cc = GeoIP_country_code_by_ipnum(geo->dat4, ipnum);

    } else if (family == 6 && geo->dat6) {
        memcpy(&in6, addr, 16);
        cc = GeoIP_country_code_by_ipnum_v6(geo->dat6, in6);
    }

    /* libGeoIP answers "--" for addresses it has no country for */
    if (cc && strlen(cc) == 2) {
        memcpy(country, cc, 3);
        return;
    }

    memcpy(country, "--", 3);
}


void
jr_geo_close(jr_geo_t *geo)
{
    if (geo == NULL) {
        return;
    }

    if (geo->has_mmdb) {
        MMDB_close(&geo->mmdb);
    }

    if (geo->dat4) {
        GeoIP_delete(geo->dat4);
    }

    if (geo->dat6) {
        GeoIP_delete(geo->dat6);
    }

    jr_table_free(geo->slot, JR_GEO_CACHE_SETS * 2 * sizeof(jr_geo_slot_t));
    free(geo);
}


/* The country and a City database's first subdivision ("GB-ENG"), when it
   has one. */
static void
jr_geo_region(MMDB_lookup_result_s *res, const char *country, char *region)
{
    MMDB_entry_data_s  data;

    if (MMDB_get_value(&res->entry, &data, "subdivisions", "0", "iso_code",
                       NULL)
        != MMDB_SUCCESS
        || !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING
        || data.data_size == 0 || data.data_size > JR_GEO_REGION_LEN - 4)
    {
        return;
    }

    memcpy(region, country, 2);
    region[2] = '-';
    memcpy(region + 3, data.utf8_string, data.data_size);
    region[3 + data.data_size] = '\0';
}
