/*
 * blogctl user add NAME [EMAIL], user passwd NAME, user list: the admin
 * panel's accounts.  Passwords are read from standard input, without echo
 * when it is a terminal, and stored as argon2id hashes (blog_secret.h).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl_commands.h"
#include "ctl_db.h"
#include "ctl_util.h"
#include "blog_secret.h"


#define CTL_USER_NAME_MAX  64


/* A user name: what the sign-in form accepts, and safe in any listing. */
static int
ctl_user_name_valid(const char *s)
{
    size_t  n;

    n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@");

    return n > 0 && n <= CTL_USER_NAME_MAX && s[n] == '\0';
}


/* One line from f without its line break; 0, or -1 at EOF or error. */
static int
ctl_read_line(FILE *f, char *buf, size_t size)
{
    size_t  n;

    if (fgets(buf, (int) size, f) == NULL) {
        return -1;
    }

    n = strlen(buf);

    /* a line that does not fit would be cut without a word */
    if (n == size - 1 && buf[n - 1] != '\n' && !feof(f)) {
        return -1;
    }

    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }

    return 0;
}


static int
ctl_prompt(const char *prompt, char *buf, size_t size)
{
    int             rc;
    struct termios  old, quiet;

    fputs(prompt, stderr);
    fflush(stderr);

    if (tcgetattr(STDIN_FILENO, &old) != 0) {
        return -1;
    }

    quiet = old;
    quiet.c_lflag &= ~(tcflag_t) ECHO;
    quiet.c_lflag |= ECHONL;

    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
        return -1;
    }

    rc = ctl_read_line(stdin, buf, size);

    (void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);

    return rc;
}


/* Reads the password and hashes it into hash. */
static int
ctl_read_password(char *hash)
{
    int     rc;
    char    pw[BLOG_PASSWORD_MAX + 2], again[BLOG_PASSWORD_MAX + 2];
    size_t  len;

    if (isatty(STDIN_FILENO)) {
        if (ctl_prompt("Password: ", pw, sizeof(pw)) != 0
            || ctl_prompt("Password again: ", again, sizeof(again)) != 0)
        {
            ctl_error("no password read");
            return CTL_ERROR;
        }

        if (strcmp(pw, again) != 0) {
            explicit_bzero(pw, sizeof(pw));
            explicit_bzero(again, sizeof(again));
            ctl_error("the passwords differ");
            return CTL_ERROR;
        }

        explicit_bzero(again, sizeof(again));

    } else if (ctl_read_line(stdin, pw, sizeof(pw)) != 0) {
        ctl_error("no password on standard input (one line, at most %d "
                  "bytes)", BLOG_PASSWORD_MAX);
        return CTL_ERROR;
    }

    len = strlen(pw);

    if (len < BLOG_PASSWORD_MIN || len > BLOG_PASSWORD_MAX) {
        explicit_bzero(pw, sizeof(pw));
        ctl_error("a password has %d to %d bytes", BLOG_PASSWORD_MIN,
                  BLOG_PASSWORD_MAX);
        return CTL_ERROR;
    }

    rc = blog_password_hash(pw, len, hash);
    explicit_bzero(pw, sizeof(pw));

    if (rc != 0) {
        ctl_error("cannot hash the password: %s", strerror(errno));
        return CTL_ERROR;
    }

    return CTL_OK;
}


/* sql has ?1 name, ?2 hash, ?3 now, and ?4 email unless email is NULL */
static int
ctl_user_write(sqlite3 *db, const char *sql, const char *name,
    const char *hash, const char *email)
{
    int            rc;
    sqlite3_stmt  *stmt;

    if (ctl_db_prepare(db, sql, &stmt) != CTL_OK) {
        return CTL_ERROR;
    }

    if (sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(stmt, 2, hash, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 3, (int64_t) time(NULL)) != SQLITE_OK
        || (email != NULL
            && sqlite3_bind_text(stmt, 4, email, -1, SQLITE_STATIC)
               != SQLITE_OK))
    {
        rc = ctl_db_fail(db);

    } else {
        rc = sqlite3_step(stmt);

        if (rc == SQLITE_CONSTRAINT_UNIQUE) {
            ctl_error("user \"%s\" exists already (use \"user passwd\")",
                      name);
            rc = CTL_ERROR;

        } else if (rc != SQLITE_DONE) {
            rc = ctl_db_fail(db);

        } else if (sqlite3_changes(db) == 0) {
            ctl_error("no user \"%s\"", name);
            rc = CTL_ERROR;

        } else {
            rc = CTL_OK;
        }
    }

    sqlite3_finalize(stmt);

    return rc;
}


int
ctl_cmd_user_add(sqlite3 *db, char *const *args)
{
    char         hash[BLOG_PASSWORD_HASH_SIZE];
    const char  *email;

    if (!ctl_user_name_valid(args[0])) {
        ctl_error("invalid user name \"%s\": 1 to %d of a-z A-Z 0-9 . _ - @",
                  args[0], CTL_USER_NAME_MAX);
        return CTL_ERROR;
    }

    email = args[1] != NULL ? args[1] : "";

    if (strchr(email, '@') == NULL && *email != '\0') {
        ctl_error("invalid e-mail address \"%s\"", email);
        return CTL_ERROR;
    }

    if (ctl_read_password(hash) != CTL_OK) {
        return CTL_ERROR;
    }

    if (ctl_user_write(db,
            "INSERT INTO users (name, password_hash, email, created_at,"
            "  updated_at) VALUES (?1, ?2, ?4, ?3, ?3)",
            args[0], hash, email) != CTL_OK)
    {
        return CTL_ERROR;
    }

    printf("user %s added\n", args[0]);

    return CTL_OK;
}


int
ctl_cmd_user_passwd(sqlite3 *db, char *const *args)
{
    char  hash[BLOG_PASSWORD_HASH_SIZE];

    if (ctl_read_password(hash) != CTL_OK) {
        return CTL_ERROR;
    }

    if (ctl_user_write(db,
            "UPDATE users SET password_hash = ?2, updated_at = ?3"
            " WHERE name = ?1",
            args[0], hash, NULL) != CTL_OK)
    {
        return CTL_ERROR;
    }

    printf("password of %s changed\n", args[0]);

    return CTL_OK;
}


int
ctl_cmd_user_list(sqlite3 *db, char *const *args)
{
    int            rc;
    char           when[CTL_ISO8601_SIZE];
    const char    *name, *email;
    sqlite3_stmt  *stmt;

    (void) args;

    if (ctl_db_prepare(db,
            "SELECT name, email, created_at FROM users ORDER BY name",
            &stmt) != CTL_OK)
    {
        return CTL_ERROR;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        name = (const char *) sqlite3_column_text(stmt, 0);
        email = (const char *) sqlite3_column_text(stmt, 1);

        if (name == NULL || email == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }

        ctl_iso8601(sqlite3_column_int64(stmt, 2), when);
        printf("%s\t%s\t%s\n", name, *email ? email : "-", when);
    }

    rc = (rc == SQLITE_DONE) ? CTL_OK : ctl_db_fail(db);
    sqlite3_finalize(stmt);

    return rc;
}
