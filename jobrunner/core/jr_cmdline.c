/*
 * Command line parsing, kept out of jr_main.c so that file holds only
 * main().
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/jr_cmdline.h"
#include "core/jr_config.h"


/* "jobrunner restore [-c FILE] [-t TIME] [-f] -o OUTPUT" */
static jr_cmdline_action_t
jr_cmdline_restore(jr_cmdline_t *cmd, int argc, char *const argv[],
    FILE *err)
{
    int  c;

    cmd->action = JR_CMDLINE_RESTORE;

    while ((c = getopt(argc, argv, "+c:t:o:fh")) != -1) {
        switch (c) {

        case 'c':
            cmd->conf = optarg;
            break;

        case 't':
            cmd->time = optarg;
            break;

        case 'o':
            cmd->output = optarg;
            break;

        case 'f':
            cmd->force = 1;
            break;

        case 'h':
            cmd->action = JR_CMDLINE_HELP;
            return cmd->action;

        default:
            if (optopt == 'c' || optopt == 't' || optopt == 'o') {
                fprintf(err, "jobrunner: option -%c needs a value\n",
                        optopt);
            } else {
                fprintf(err, "jobrunner: unknown option -%c\n", optopt);
            }

            goto usage;
        }
    }

    if (optind < argc) {
        fprintf(err, "jobrunner: unexpected argument \"%s\"\n", argv[optind]);
        goto usage;
    }

    if (cmd->output == NULL) {
        fprintf(err, "jobrunner: restore needs -o OUTPUT\n");
        goto usage;
    }

    return cmd->action;

usage:

    jr_cmdline_usage(err);
    cmd->action = JR_CMDLINE_ERROR;

    return cmd->action;
}


jr_cmdline_action_t
jr_cmdline_parse(jr_cmdline_t *cmd, int argc, char *const argv[], FILE *err)
{
    int  c;

    cmd->action = JR_CMDLINE_RUN;
    cmd->conf = JR_CONFIG_DEFAULT_FILE;
    cmd->output = NULL;
    cmd->time = NULL;
    cmd->force = 0;

    /* our own messages, in the same form as every other error we print */
    opterr = 0;

    if (argc > 1 && strcmp(argv[1], "restore") == 0) {
        return jr_cmdline_restore(cmd, argc - 1, argv + 1, err);
    }

    /* "+": stop at the first operand instead of permuting argv (GNU) */
    while ((c = getopt(argc, argv, "+c:th")) != -1) {
        switch (c) {

        case 'c':
            cmd->conf = optarg;
            break;

        case 't':
            cmd->action = JR_CMDLINE_TEST;
            break;

        case 'h':
            cmd->action = JR_CMDLINE_HELP;
            return cmd->action;

        default:
            if (optopt == 'c') {
                fprintf(err, "jobrunner: option -c needs a file name\n");
            } else {
                fprintf(err, "jobrunner: unknown option -%c\n", optopt);
            }

            goto usage;
        }
    }

    if (optind < argc) {
        fprintf(err, "jobrunner: unexpected argument \"%s\"\n", argv[optind]);
        goto usage;
    }

    return cmd->action;

usage:

    jr_cmdline_usage(err);
    cmd->action = JR_CMDLINE_ERROR;

    return cmd->action;
}


void
jr_cmdline_usage(FILE *out)
{
    fprintf(out,
        "usage: jobrunner [-t] [-c FILE]\n"
        "       jobrunner restore [-c FILE] [-t TIME] [-f] -o OUTPUT\n"
        "\n"
        "  -c FILE    configuration file (default: " JR_CONFIG_DEFAULT_FILE ")\n"
        "  -t         test the configuration and exit\n"
        "  -h         show this help and exit\n"
        "\n"
        "restore: rebuild data_db from the backup in the bucket of [s3]\n"
        "  -o OUTPUT  the database file to write\n"
        "  -t TIME    as of TIME (2026-05-01T12:00:00Z, or Unix seconds);\n"
        "             default: the latest state\n"
        "  -f         replace OUTPUT if it exists\n");
}
