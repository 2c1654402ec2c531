/*
 * Country (and region) of a client address, from a MaxMind database: a GeoIP2 / GeoLite2
 * .mmdb file (libmaxminddb), or the legacy GeoIP .dat files that Debian's
 * geoip-database package installs in /usr/share/GeoIP (libGeoIP).
 */

#ifndef JR_GEO_H
#define JR_GEO_H

#include <stdint.h>

typedef struct jr_geo_s  jr_geo_t;

/*
 * Opens the databases: path (.mmdb, or a legacy .dat for IPv4) and path6
 * (a legacy .dat for IPv6), either may be NULL.  Returns the handle, or
 * NULL after logging why.  With no database at all every address is
 * unknown.
 */
jr_geo_t *jr_geo_open(const char *path, const char *path6);

/*
 * The ISO 3166 country code of the address (family 4 or 6, 16 bytes), or
 * "--" when it is not known.  The string is valid until the next call.
 */
const char *jr_geo_country(jr_geo_t *geo, int family, const uint8_t *addr);

/*
 * As jr_geo_country(), and *region the ISO 3166-2 code of the address's
 * first subdivision ("US-CA"), from a GeoIP2 / GeoLite2 City .mmdb that
 * has it, or "".  Both strings are valid until the next call.
 */
const char *jr_geo_locate(jr_geo_t *geo, int family, const uint8_t *addr,
    const char **region);

/*
 * Asks the CPU for the cache's slot of the address, for a record read
 * ahead of the one being counted: a miss each otherwise.
 */
void jr_geo_prefetch(jr_geo_t *geo, int family, const uint8_t *addr);

void jr_geo_close(jr_geo_t *geo);

#endif /* JR_GEO_H */
