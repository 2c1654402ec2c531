/*
 * The jobrunner's command line.
 */

#ifndef JR_CMDLINE_H
#define JR_CMDLINE_H

#include <stdio.h>

typedef enum {
    JR_CMDLINE_RUN = 0,
    JR_CMDLINE_TEST,      /* -t: check the configuration and exit */
    JR_CMDLINE_HELP,      /* -h */
    JR_CMDLINE_RESTORE,   /* restore [-t TIME] [-f] -o OUTPUT */
    JR_CMDLINE_ERROR      /* a usage error, already reported */
} jr_cmdline_action_t;

typedef struct {
    jr_cmdline_action_t   action;
    const char           *conf;     /* -c FILE */
    const char           *output;   /* restore -o OUTPUT */
    const char           *time;     /* restore -t TIME, or NULL */
    int                   force;    /* restore -f */
} jr_cmdline_t;

/*
 * Parses argv; on a usage error writes the reason and the usage to err.
 * Returns the action, also in cmd->action.
 */
jr_cmdline_action_t jr_cmdline_parse(jr_cmdline_t *cmd, int argc,
    char *const argv[], FILE *err);

void jr_cmdline_usage(FILE *out);

#endif /* JR_CMDLINE_H */
