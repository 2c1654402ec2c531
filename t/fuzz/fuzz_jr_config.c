/*
 * libFuzzer target: the jobrunner's configuration (jr_config.c), read by
 * the configuration engine (jr_conf.c, on inih) into every section of the
 * jr_*_conf.c files: numbers, durations, sizes, schedules, addresses,
 * paths, secrets, named sections, the checks between sections.  The input
 * is the file's text.  Beyond "no crash" and no leak (on every error path
 * too), it checks the parser's promises: a configuration that loads has
 * its required data_db; one that does not gets a message naming the file,
 * and a line that exists when it names one.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/jr_config.h"
#include "core/jr_log.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define FUZZ_FILE  "/etc/blog/jobrunner.conf"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         err[JR_CONFIG_ERRLEN];
    size_t       i, lines;
    long         line;
    jr_config_t  cf;
    const char  *p;

    memset(&cf, 0, sizeof(cf));
    err[0] = '\0';

    if (jr_config_parse(&cf, FUZZ_FILE, (const char *) data, size, err,
                        sizeof(err))
        == 0)
    {
        if (cf.data_db == NULL || cf.data_db[0] != '/') {
            abort();
        }

        jr_config_free(&cf);
        return 0;
    }

    if (strncmp(err, FUZZ_FILE ":", sizeof(FUZZ_FILE)) != 0) {
        abort();
    }

    p = err + sizeof(FUZZ_FILE);

    if (*p >= '0' && *p <= '9') {
        line = strtol(p, NULL, 10);

        lines = 1;
        for (i = 0; i < size; i++) {
            lines += (data[i] == '\n');
        }

        if (line < 1 || (size_t) line > lines) {
            abort();
        }
    }

    jr_config_free(&cf);

    return 0;
}
