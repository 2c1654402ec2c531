/*
 * Unit tests of DKIM signing (jr_dkim.c): the relaxed canonical forms of
 * RFC 6376 3.4.2 and 3.4.4 at their edges, the key file's checks, the
 * header written for both algorithms, and [mail]'s dkim_* keys.  That
 * the signatures verify is t/57-dkim.t's, with an independent verifier.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tap.h"

#include "core/jr_config.h"
#include "mail/jr_dkim.h"


static char  dir[] = "/tmp/jr_dkim.XXXXXX";


static void
header_is(const char *in, const char *want, const char *what)
{
    char    out[256];
    size_t  n;

    n = jr_dkim_relaxed_header(in, strlen(in), out);
    out[n] = '\0';
    is_str(out, want, "header: %s", what);
}


static void
body_is(const char *in, size_t len, const char *want, const char *what)
{
    char    out[256];
    size_t  n;

    n = jr_dkim_relaxed_body(in, len, out);
    out[n] = '\0';
    ok(n <= len + 2, "body: %s: within len + 2", what);
    is_str(out, want, "body: %s", what);
}


static void
test_canon(void)
{
    /* RFC 6376 3.4.5's example */
    header_is("A: X", "a:X", "the RFC's first field");
    header_is("B : Y\t\r\n\tZ  ", "b:Y Z", "the RFC's folded one");

    header_is("SUBJECT:hello", "subject:hello", "the name in lowercase");
    header_is("Subject:   a  \t b   ", "subject:a b",
              "runs of blanks as one, none at the ends");
    header_is("Subject: : b", "subject:: b",
              "a value that starts with a colon keeps its blank");
    header_is("Subject: a:b", "subject:a:b", "a colon in the value");
    header_is("Subject:", "subject:", "an empty value");
    header_is("Subject: \r\n x", "subject:x", "a fold before the value");
    header_is("To: a@b.c,\r\n  d@e.f", "to:a@b.c, d@e.f",
              "a fold inside the value");

    body_is("", 0, "", "an empty body stays empty");
    body_is("\r\n\r\n", 4, "", "only empty lines: empty");
    body_is(" \t\r\n \r\n", 7, "", "only blank lines: empty");
    body_is("a", 1, "a\r\n", "a CRLF is added to the last line");
    body_is("a\r\n", 3, "a\r\n", "a CRLF kept");
    body_is("a\r\n\r\n\r\n", 7, "a\r\n", "empty lines at the end dropped");
    body_is("a \t\r\n", 5, "a\r\n", "blanks at a line's end dropped");
    body_is("a\r\n \r\nb\r\n", 9, "a\r\n\r\nb\r\n",
            "a blank line inside the body stays, emptied");
    body_is("a\r\n\r\n\r\nb", 8, "a\r\n\r\n\r\nb\r\n",
            "empty lines inside the body stay");
    body_is("  a  \t b\r\n", 10, " a b\r\n",
            "runs of blanks as one space, at a line's start too");
    body_is("a\nb\r\n", 5, "a\nb\r\n", "a bare LF is no line end");
    body_is("a \n b\r\n", 7, "a \n b\r\n",
            "... so blanks before it are not at a line's end");
}


/* Writes a new key of the type to dir/name with the mode; its path. */
static const char *
key_file(const char *type, const char *name, mode_t mode)
{
    FILE         *f;
    EVP_PKEY     *key;
    static char   path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    if (strcmp(type, "RSA") == 0) {
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 1024);

    } else if (strcmp(type, "EC") == 0) {
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    } else {
        key = EVP_PKEY_Q_keygen(NULL, NULL, type);
    }

    f = fopen(path, "w");

    if (key == NULL || f == NULL
        || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
    {
        printf("Bail out! cannot write a %s key to %s\n", type, path);
        exit(1);
    }

    fclose(f);
    EVP_PKEY_free(key);
    chmod(path, mode);

    return path;
}


static void
test_keys(void)
{
    char         err[512], *h;
    size_t       len;
    jr_dkim_t   *dk;
    const char  *path, *head;
    const char  *msg = "From: Blog <blog@example.org>\r\n"
                       "To: a@example.net\r\n"
                       "Subject: Hello\r\n"
                       "X-Other: not signed\r\n"
                       "\r\n"
                       "Hello\r\n";

    path = key_file("ED25519", "ed.key", 0600);
    dk = jr_dkim_load("example.org", "mail", path, err, sizeof(err));
    ok(dk != NULL, "an Ed25519 key of mode 0600 is read");
    is_str(dk ? jr_dkim_algorithm(dk) : "", "ed25519-sha256",
           "... as ed25519-sha256");

    h = dk ? jr_dkim_sign(dk, msg, strlen(msg), 1777636800, &len) : NULL;
    ok(h != NULL && strlen(h) == len, "a signature header");
    head = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; "
           "d=example.org; s=mail;\r\n t=1777636800; "
           "h=from:subject:to:from;\r\n bh=";
    ok(h && strncmp(h, head, strlen(head)) == 0,
       "... signs From, Subject, To and a second From");
    ok(h && strstr(h, "x-other") == NULL, "... not the others");
    ok(h && len > 2 && strcmp(h + len - 2, "\r\n") == 0
       && strstr(h, "\r\n b=") != NULL, "... ends with b= and a CRLF");
    free(h);

    h = dk ? jr_dkim_sign(dk, "From: x\r\nno colon\r\n\r\n", 22, 0, &len)
           : NULL;
    ok(h == NULL, "a header line with no colon is not signed");
    h = dk ? jr_dkim_sign(dk, "From: x\r\n", 9, 0, &len) : NULL;
    ok(h == NULL, "nor a message without its empty line");
    jr_dkim_free(dk);

    path = key_file("RSA", "rsa.key", 0640);
    dk = jr_dkim_load("example.org", "mail", path, err, sizeof(err));
    ok(dk != NULL, "an RSA key of mode 0640 is read");
    is_str(dk ? jr_dkim_algorithm(dk) : "", "rsa-sha256", "... as rsa-sha256");
    h = dk ? jr_dkim_sign(dk, msg, strlen(msg), 0, &len) : NULL;
    ok(h && strstr(h, "a=rsa-sha256;") != NULL, "... and signs");
    free(h);
    jr_dkim_free(dk);

    chmod(path, 0644);
    dk = jr_dkim_load("example.org", "mail", path, err, sizeof(err));
    ok(dk == NULL, "a key others can read is refused");
    ok(strstr(err, "has mode 0644") != NULL && strstr(err, "chmod 0600"),
       "... saying its mode and what to do (%s)", err);
    ok(strstr(err, "PRIVATE") == NULL, "... quoting nothing of the key");

    chmod(path, 0620);
    dk = jr_dkim_load("example.org", "mail", path, err, sizeof(err));
    ok(dk == NULL, "a key its group can write is refused");

    path = key_file("EC", "ec.key", 0600);
    ok(path != NULL, "an EC key");
    dk = jr_dkim_load("example.org", "mail", path, err, sizeof(err));
    ok(dk == NULL && strstr(err, "expected an Ed25519 key or an RSA key"),
       "... is refused: DKIM has no ECDSA");

    dk = jr_dkim_load("example.org", "mail", dir, err, sizeof(err));
    ok(dk == NULL && strstr(err, "not a regular file"),
       "a folder is no key file");
}


static int
parse(const char *mail)
{
    char  text[1024], err[JR_CONFIG_ERRLEN];
    int   rc;
    jr_config_t  cf;

    snprintf(text, sizeof(text), "[jobrunner]\ndata_db = d.db\n[mail]\n"
             "smtp_url = smtp://127.0.0.1:25\nstarttls = off\n"
             "from = Blog <blog@example.org>\n%s", mail);

    memset(&cf, 0, sizeof(cf));
    rc = jr_config_parse(&cf, "/tmp/none/jobrunner.conf", text, strlen(text),
                         err, sizeof(err));

    if (rc != 0) {
        printf("# %s\n", err);
    }

    jr_config_free(&cf);

    return rc;
}


static void
test_conf(void)
{
    char  line[512];

    is_int(parse(""), 0, "[mail] without DKIM");

    snprintf(line, sizeof(line), "dkim_key_file = %s/ed.key\n"
             "dkim_selector = mail\n", dir);
    is_int(parse(line), 0, "dkim_key_file and dkim_selector");

    snprintf(line, sizeof(line), "dkim_key_file = %s/ed.key\n"
             "dkim_selector = 2026a.mail\ndkim_domain = example.org\n", dir);
    is_int(parse(line), 0, "... and dkim_domain");

    snprintf(line, sizeof(line), "dkim_key_file = %s/ed.key\n", dir);
    is_int(parse(line), -1, "a key without a selector is refused");
    is_int(parse("dkim_selector = mail\n"), -1,
           "a selector without a key too");

    snprintf(line, sizeof(line), "dkim_key_file = %s/ed.key\n"
             "dkim_selector = mail;x=y\n", dir);
    is_int(parse(line), -1, "a selector that is no DNS name is refused");

    snprintf(line, sizeof(line), "dkim_key_file = %s/rsa.key\n"
             "dkim_selector = mail\n", dir);
    is_int(parse(line), -1, "a key file of the wrong mode stops the start");
}


int
main(void)
{
    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }

    test_canon();
    test_keys();
    test_conf();

    unlink(key_file("ED25519", "ed.key", 0600));
    unlink(key_file("RSA", "rsa.key", 0600));
    unlink(key_file("EC", "ec.key", 0600));
    rmdir(dir);

    return tap_done();
}
