/*
 * blogctl: the command line of ngx_blog.  This file is the CLI only:
 * options, the command table, exit codes.  The commands are in ctl_*.c.
 *
 * Exit codes: 0 success, 1 error (reported on stderr as "blogctl: ..."),
 * 2 bad usage.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_commands.h"
#include "ctl_db.h"
#include "ctl_util.h"


typedef struct {
    const char  *name;        /* one word, or two: "user add" */
    int          nargs;
    int          optargs;     /* how many more it may take */
    int          writes;      /* opening creates and migrates the file */
    int        (*run)(sqlite3 *db, char *const *args);
} ctl_command_t;


static const ctl_command_t  ctl_commands[] = {
    /* init: opening for writing is all it takes */
    { "init",        0, 0, 1, NULL },
    /* before "import": a folder named "hugo" is "import ./hugo", etc. */
    { "import hugo", 1, 6, 1, ctl_cmd_import_hugo },
    { "import jekyll", 1, 6, 1, ctl_cmd_import_jekyll },
    { "import ghost", 1, 6, 1, ctl_cmd_import_ghost },
    { "import",      1, 6, 1, ctl_cmd_import },
    { "list",        0, 0, 0, ctl_cmd_list },
    { "newsletter test", 2, 0, 1, ctl_cmd_newsletter_test },
    { "rerender",    0, 0, 1, ctl_cmd_rerender },
    { "revisions",   1, 0, 0, ctl_cmd_revisions },
    { "rollback",    2, 0, 1, ctl_cmd_rollback },
    { "set",         2, 0, 1, ctl_cmd_set },
    { "user add",    1, 1, 1, ctl_cmd_user_add },
    { "user passwd", 1, 0, 1, ctl_cmd_user_passwd },
    { "user list",   0, 0, 0, ctl_cmd_user_list },
    { NULL,          0, 0, 0, NULL }
};


static void
ctl_usage(FILE *f)
{
    fputs("usage: blogctl [-d DB] COMMAND [ARG...]\n"
          "\n"
          "  init                create or migrate the database\n"
          "  import DIR          import the *.md files of DIR\n"
          "  import FILE.xml     import a WordPress export (WXR)\n"
          "  import hugo DIR     import a Hugo content folder\n"
          "  import jekyll DIR   import a Jekyll site\n"
          "  import ghost FILE.json  import a Ghost export\n"
          "    --uploads DIR     with the images they link to, found in DIR\n"
          "    --media DIR       the blog's media folder (default: ./media\n"
          "                      beside the database)\n"
          "    --media-url URL   its URL (default: /media/)\n"
          "  list                list posts and pages\n"
          "  newsletter test SLUG ADDRESS\n"
          "                      mail the post's newsletter to one address\n"
          "  rerender            render every post again with this build\n"
          "  revisions SLUG      list the revisions of a post\n"
          "  rollback SLUG REV   make revision REV current again\n"
          "  set KEY VALUE       set title, description, author, base_url, post_route\n"
          "  user add NAME [EMAIL]  add an admin user; password on stdin\n"
          "  user passwd NAME    change a user's password; password on stdin\n"
          "  user list           list the admin users\n"
          "\n"
          "  -d DB               the database file (default: data.db)\n",
          f);
}


int
main(int argc, char **argv)
{
    int                   c, rc, words, n;
    size_t                len;
    sqlite3              *db;
    const char           *path;
    const ctl_command_t  *cmd;

    path = "data.db";

    /* '+': options end at the command, so its arguments may start with '-' */
    opterr = 0;

    while ((c = getopt(argc, argv, "+d:h")) != -1) {
        switch (c) {

        case 'd':
            path = optarg;
            break;

        case 'h':
            ctl_usage(stdout);
            return 0;

        default:
            if (optopt == 'd') {
                ctl_error("option -d needs a file name");

            } else {
                ctl_error("unknown option -%c", optopt);
            }

            ctl_usage(stderr);
            return 2;
        }
    }

    if (optind >= argc) {
        ctl_usage(stderr);
        return 2;
    }

    for (cmd = ctl_commands; cmd->name != NULL; cmd++) {
        len = strlen(argv[optind]);

        if (strcmp(cmd->name, argv[optind]) == 0) {
            break;
        }

        /* a two-word command: "user add" */
        if (strncmp(cmd->name, argv[optind], len) == 0
            && cmd->name[len] == ' ' && optind + 1 < argc
            && strcmp(cmd->name + len + 1, argv[optind + 1]) == 0)
        {
            break;
        }
    }

    if (cmd->name == NULL) {
        ctl_error("unknown command \"%s\"", argv[optind]);
        ctl_usage(stderr);
        return 2;
    }

    words = strchr(cmd->name, ' ') != NULL ? 2 : 1;
    n = argc - optind - words;

    if (n < cmd->nargs || n > cmd->nargs + cmd->optargs) {
        ctl_error("%s takes %s%d argument%s", cmd->name,
                  cmd->optargs ? "at least " : "", cmd->nargs,
                  cmd->nargs == 1 ? "" : "s");
        ctl_usage(stderr);
        return 2;
    }

    db = ctl_db_open(path, cmd->writes);
    if (db == NULL) {
        return 1;
    }

    rc = (cmd->run != NULL) ? cmd->run(db, argv + optind + words) : CTL_OK;

    ctl_db_close(db);

    /* a full disk must not pass for a listing */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ctl_error("stdout: %s", strerror(errno));
        rc = CTL_ERROR;
    }

    return rc == CTL_OK ? 0 : 1;
}
