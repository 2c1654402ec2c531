/*
 * Command line parsing, kept out of jr_main.c so that file holds only
 * main().
 */

#include <stdio.h>
#include <unistd.h>

#include "jr_cmdline.h"
#include "jr_config.h"


jr_cmdline_action_t
jr_cmdline_parse(jr_cmdline_t *cmd, int argc, char *const argv[], FILE *err)
{
    int  c;

    cmd->action = JR_CMDLINE_RUN;
    cmd->conf = JR_CONFIG_DEFAULT_FILE;

    /* our own messages, in the same form as every other error we print */
    opterr = 0;

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
        "\n"
        "  -c FILE  configuration file (default: " JR_CONFIG_DEFAULT_FILE ")\n"
        "  -t       test the configuration and exit\n"
        "  -h       show this help and exit\n");
}
