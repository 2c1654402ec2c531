/*
 * jobrunner: the ngx_blog sidecar.  main() only; everything else lives in
 * files the unit tests can link.
 */

#include <stdio.h>

#include <sqlite3.h>

#include "core/jr_cmdline.h"
#include "core/jr_config.h"
#include "core/jr_db.h"
#include "backup/jr_restore.h"
#include "core/jr_runner.h"


int
main(int argc, char *argv[])
{
    int            rc;
    char           err[JR_CONFIG_ERRLEN];
    uint64_t       target;
    jr_config_t    cf;
    jr_cmdline_t   cmd;

    /*
     * SQLite's memory statistics cost a process-wide mutex at every
     * malloc and free, even on the NOMUTEX connections; nothing here
     * reads them (sqlite3_memory_used()).  Set before SQLite starts.
     */
    if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK) {
        fprintf(stderr, "jobrunner: cannot configure SQLite\n");
        return 1;
    }

    if (jr_db_page_cache() != 0) {
        fprintf(stderr, "jobrunner: no memory reserved for SQLite's page "
                "cache: its pages come from malloc()\n");
    }

    switch (jr_cmdline_parse(&cmd, argc, argv, stderr)) {

    case JR_CMDLINE_HELP:
        jr_cmdline_usage(stdout);
        return 0;

    case JR_CMDLINE_ERROR:
        return 1;

    case JR_CMDLINE_RUN:
    case JR_CMDLINE_TEST:
    case JR_CMDLINE_RESTORE:
        break;
    }

    if (jr_config_load(&cf, cmd.conf, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    if (cmd.action == JR_CMDLINE_TEST) {
        fprintf(stderr, "%s: configuration ok\n", cmd.conf);
        jr_config_free(&cf);
        return 0;
    }

    if (cmd.action == JR_CMDLINE_RESTORE) {
        if (cmd.time && jr_restore_time(cmd.time, &target) != 0) {
            fprintf(stderr, "jobrunner: invalid time \"%s\" (expected "
                    "2026-05-01T12:00:00Z or Unix seconds)\n", cmd.time);
            jr_config_free(&cf);
            return 1;
        }

        rc = jr_restore(&cf, cmd.output, cmd.time ? target : 0, cmd.force,
                        stderr);
        jr_config_free(&cf);
        return rc;
    }

    rc = jr_runner_run(&cf);

    jr_config_free(&cf);

    return rc;
}
