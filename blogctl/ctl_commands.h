/*
 * The blogctl commands.  Each gets the open database and its arguments,
 * already counted by the CLI, reports its own errors and returns CTL_OK or
 * CTL_ERROR.
 */

#ifndef CTL_COMMANDS_H
#define CTL_COMMANDS_H

#include <sqlite3.h>


int ctl_cmd_import(sqlite3 *db, char *const *args);     /* DIR | FILE.xml */
int ctl_cmd_import_hugo(sqlite3 *db, char *const *args); /* DIR */
int ctl_cmd_import_jekyll(sqlite3 *db, char *const *args); /* DIR */
int ctl_cmd_import_ghost(sqlite3 *db, char *const *args); /* FILE.json */
int ctl_cmd_list(sqlite3 *db, char *const *args);       /* none */
int ctl_cmd_newsletter_test(sqlite3 *db, char *const *args); /* SLUG ADDR */
int ctl_cmd_rerender(sqlite3 *db, char *const *args);   /* none */
int ctl_cmd_revisions(sqlite3 *db, char *const *args);  /* SLUG */
int ctl_cmd_rollback(sqlite3 *db, char *const *args);   /* SLUG REV */
int ctl_cmd_set(sqlite3 *db, char *const *args);        /* KEY VALUE */
int ctl_cmd_user_add(sqlite3 *db, char *const *args);   /* NAME [EMAIL] */
int ctl_cmd_user_passwd(sqlite3 *db, char *const *args); /* NAME */
int ctl_cmd_user_list(sqlite3 *db, char *const *args);  /* none */

#endif /* CTL_COMMANDS_H */
