/*
 * Unit tests of sign-in codes (blog_code.c, shared with the module), the
 * mail that carries them (jr_mail_msg.c) and the [mail] section
 * (jr_mail_conf.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tap.h"

#include "blog_code.h"
#include "blog_newsletter.h"
#include "core/jr_config.h"
#include "mail/jr_mail.h"


#define FILE_NAME  "/etc/blog/jobrunner.conf"
#define BASE       "[jobrunner]\ndata_db = d.db\n"


static jr_config_t  cf;
static char         err[JR_CONFIG_ERRLEN];


static void
test_codes(void)
{
    int   i, seen[256], spread;
    char  code[BLOG_CODE_LEN + 1], out[BLOG_CODE_LEN + 1];
    char  shown[BLOG_CODE_SHOWN_LEN + 1], hash[BLOG_CODE_HASH_LEN + 1];
    char  other[BLOG_CODE_LEN + 1], other_hash[BLOG_CODE_HASH_LEN + 1];

    is_int(blog_code_new(code), 0, "a new code");
    is_int(strlen(code), BLOG_CODE_LEN, "... of 10 symbols");
    is_int(strspn(code, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"), BLOG_CODE_LEN,
           "... of Crockford's base32");

    /* 1000 codes use every symbol, and no two are alike */
    memset(seen, 0, sizeof(seen));
    spread = 1;

    for (i = 0; i < 1000; i++) {
        blog_code_new(other);

        if (strcmp(other, code) == 0) {
            spread = 0;
        }

        for (size_t k = 0; k < BLOG_CODE_LEN; k++) {
            seen[(unsigned char) other[k]]++;
        }
    }

    for (i = 0; i < 32; i++) {
        if (seen[(unsigned char) "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[i]] == 0) {
            spread = 0;
        }
    }

    ok(spread, "every symbol turns up in 1000 codes");

    blog_code_show("7KQ2MX9RT4", shown);
    is_str(shown, "7KQ2M-X9RT4", "shown with a dash in the middle");

    is_int(blog_code_normalize("7KQ2M-X9RT4", 11, out), 0, "as shown");
    is_str(out, "7KQ2MX9RT4", "... normalized");
    is_int(blog_code_normalize(" 7kq2m x9rt4 ", 13, out), 0,
           "lowercase, with blanks");
    is_str(out, "7KQ2MX9RT4", "... the same code");
    is_int(blog_code_normalize("7KQ2M-X9RTO", 11, out), 0, "O for 0");
    is_str(out, "7KQ2MX9RT0", "... read as 0");
    is_int(blog_code_normalize("iL000-00000", 11, out), 0, "I and L");
    is_str(out, "1100000000", "... read as 1");
    is_int(blog_code_normalize("7KQ2M-X9RT", 10, out), -1, "too short");
    is_int(blog_code_normalize("7KQ2M-X9RT44", 12, out), -1, "too long");
    is_int(blog_code_normalize("7KQ2M-X9RTU", 11, out), -1, "U is no symbol");
    is_int(blog_code_normalize("7KQ2M_X9RT4", 11, out), -1, "nor is _");
    is_int(blog_code_normalize("", 0, out), -1, "empty");
    is_int(blog_code_normalize("7KQ2M\0X9RT4", 11, out), -1, "a NUL");

    /* printf 'signin:42:7KQ2MX9RT4' | sha256sum */
    is_int(blog_code_hash(BLOG_CODE_SIGNIN, 42, "7KQ2MX9RT4", hash), 0,
           "hash");
    is_str(hash, "8f12231ae885b27d1d681be6eef11d52"
           "f9b4afd24b4ffdcb72b6948faa3656e2", "... SHA-256 of purpose:user:code");
    blog_code_hash(BLOG_CODE_SIGNIN, 43, "7KQ2MX9RT4", other_hash);
    ok(strcmp(hash, other_hash) != 0, "... another user's differs");
}


static char *
message(const char *name, const char *title, size_t *len)
{
    jr_mail_signin_t  m;

    m.from = "Blog <blog@example.org>";
    m.from_addr = "blog@example.org";
    m.to = "admin@example.org";
    m.name = name;
    m.title = title;
    m.code = "7KQ2M-X9RT4";
    m.address = "192.0.2.1";
    m.asked_at = 1777636800;            /* 2026-05-01 12:00:00 UTC */
    m.ttl = 600;
    m.now = 1777636805;
    m.message_id = "1777636805.7.ABCDEFGHJK";

    return jr_mail_signin_message(&m, len);
}


static void
test_message(void)
{
    char        *msg, *p, want[256];
    size_t       len, i;
    int          lf;
    const char  *head = "Date: Fri, 01 May 2026 12:00:05 +0000\r\n"
                        "From: Blog <blog@example.org>\r\n"
                        "To: admin@example.org\r\n"
                        "Subject: Your sign-in code for Notes\r\n"
                        "Message-ID: <1777636805.7.ABCDEFGHJK@example.org>\r\n"
                        "MIME-Version: 1.0\r\n"
                        "Auto-Submitted: auto-generated\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 8bit\r\n"
                        "\r\n"
                        "Hello admin,\r\n";

    msg = message("admin", "Notes", &len);
    ok(msg != NULL, "a message");
    is_int(strlen(msg), len, "... of the length it says");

    ok(strncmp(msg, head, strlen(head)) == 0, "headers, in order");
    ok(strstr(msg, "sign in to Notes:\r\n\r\n    7KQ2M-X9RT4\r\n") != NULL,
       "the code on a line of its own");
    ok(strstr(msg, "within 10 minutes") != NULL, "how long it is valid");
    ok(strstr(msg, "on 2026-05-01 at 12:00 UTC from the address 192.0.2.1.")
       != NULL, "when and from where it was asked for");

    lf = 1;
    for (i = 0; i < len; i++) {
        if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r')) {
            lf = 0;
        }
    }

    ok(lf, "every line ends in CRLF");
    free(msg);

    /* a name or title cannot add a header or a line */
    msg = message("evil\r\nBcc: x@example.com", "T\nX-Bad: 1", &len);
    ok(msg != NULL && strstr(msg, "\r\nBcc:") == NULL
       && strstr(msg, "\nX-Bad") == NULL, "control characters are blanked");
    ok(msg != NULL && strstr(msg, "Hello evil  Bcc: x@example.com,") != NULL,
       "... as spaces");
    free(msg);

    /* no title: a generic subject and text */
    msg = message("admin", "", &len);
    ok(msg != NULL && strstr(msg, "\r\nSubject: Your sign-in code\r\n")
       != NULL, "no title: a plain subject");
    ok(msg != NULL && strstr(msg, "sign in to the blog's admin panel:")
       != NULL, "... and body");
    free(msg);

    /* a title that is not ASCII: encoded words of whole characters */
    msg = message("admin", "Notizen über das Netz, Ärger und Übermut "
                  "— ein sehr langer Titel", &len);
    ok(msg != NULL, "a UTF-8 title");

    p = msg ? strstr(msg, "\r\nSubject: ") : NULL;
    ok(p != NULL && strncmp(p + 11, "=?UTF-8?B?", 10) == 0,
       "... an encoded subject");

    /* decode the words back and compare */
    if (p != NULL) {
        char           out[512];
        size_t         n = 0;
        unsigned char  dec[256];
        int            k, words = 0;
        char          *w = p + 11, *end;

        while ((w = strstr(w, "=?UTF-8?B?")) != NULL
               && (size_t) (w - p) < 600)
        {
            w += 10;
            end = strstr(w, "?=");
            if (end == NULL) {
                break;
            }

            k = EVP_DecodeBlock(dec, (unsigned char *) w, (int) (end - w));
            while (k > 0 && end[-1] == '=') {
                k--;
                end--;
            }

            if (k <= 0 || n + (size_t) k >= sizeof(out)) {
                break;
            }

            memcpy(out + n, dec, (size_t) k);
            n += (size_t) k;
            words++;
            w = strstr(w, "?=") + 2;

            /* each word of whole characters: none ends in a lead byte */
            ok((dec[k - 1] & 0xc0) != 0xc0, "word %d ends on a "
               "character", words);

            if (strncmp(w, "\r\n =?", 5) != 0) {
                break;
            }
        }

        out[n] = '\0';
        snprintf(want, sizeof(want), "Your sign-in code for %s",
                 "Notizen über das Netz, Ärger und Übermut — ein sehr "
                 "langer Titel");
        is_str(out, want, "... that decodes back to the subject");
        ok(words >= 2, "... in folded words");
    }

    free(msg);
}


static int
parse(const char *text)
{
    err[0] = '\0';
    return jr_config_parse(&cf, FILE_NAME, text, strlen(text), err,
                           sizeof(err));
}


static void
fails(const char *text, const char *message, const char *name)
{
    is_int(parse(text), -1, "%s: refused", name);
    is_str(err, message, "%s: message", name);
}


static void
test_conf(void)
{
    is_int(parse(BASE), 0, "no [mail]");
    ok(cf.mail.smtp_url == NULL, "... no SMTP: codes go to the log");
    jr_config_free(&cf);

    is_int(parse(BASE "[mail]\nsmtp_url = smtps://mail.example.org:465\n"
                 "from = Blog <blog@example.org>\nusername = blog\n"
                 "password = pw ; a comment\nca_file = ca.pem\n"
                 "timeout = 1m\n"), 0, "a full [mail]");
    is_str(cf.mail.smtp_url, "smtps://mail.example.org:465", "smtp_url");
    is_str(cf.mail.from, "Blog <blog@example.org>", "from");
    is_str(cf.mail.from_addr, "blog@example.org", "... its address");
    is_str(cf.mail.username, "blog", "username");
    is_str(cf.mail.password, "pw", "password");
    is_str(cf.mail.ca_file, "/etc/blog/ca.pem", "ca_file, relative");
    is_int(cf.mail.timeout, 60, "timeout");
    is_int(cf.mail.starttls, JR_STARTTLS_REQUIRED, "starttls required");
    jr_config_free(&cf);

    is_int(parse(BASE "[mail]\nsmtp_url = smtp://127.0.0.1:2525\n"
                 "from = blog@example.org\nstarttls = off\n"
                 "[timers]\nretention = off\n"), 0,
           "[mail] among other sections");
    is_str(cf.mail.from_addr, "blog@example.org", "a bare from address");
    is_int(cf.mail.starttls, JR_STARTTLS_OFF, "starttls off");
    jr_config_free(&cf);

    setenv(JR_MAIL_ENV_USERNAME, "envuser", 1);
    setenv(JR_MAIL_ENV_PASSWORD, "envpw", 1);
    is_int(parse(BASE "[mail]\nsmtp_url = smtp://m.example.org:587\n"
                 "from = b@example.org\n"), 0, "credentials from the "
           "environment");
    is_str(cf.mail.username, "envuser", "... username");
    is_str(cf.mail.password, "envpw", "... password");
    jr_config_free(&cf);

    is_int(parse(BASE "[mail]\nsmtp_url = smtp://m.example.org:587\n"
                 "from = b@example.org\nusername = fileuser\n"
                 "password = filepw\n"), 0, "the file's win");
    is_str(cf.mail.username, "fileuser", "... username");
    is_str(cf.mail.password, "filepw", "... password");
    jr_config_free(&cf);

    fails(BASE "[mail]\nsmtp_url = smtp://m.example.org:25\n"
          "from = b@example.org\nstarttls = off\n",
          FILE_NAME ":6: [mail] sends its username and password over TLS "
          "only: use smtps:// or starttls = required",
          "credentials in the clear");

    unsetenv(JR_MAIL_ENV_USERNAME);
    unsetenv(JR_MAIL_ENV_PASSWORD);

    fails(BASE "[mail]\nsmtp_url = smtp://m.example.org:587\n"
          "from = b@example.org\npassword = hunter2-secret\n",
          FILE_NAME ":3: [mail] has a password but no username (in the file "
          "or in JOBRUNNER_SMTP_USERNAME)", "a password alone");

    fails(BASE "[mail]\nfrom = b@example.org\n",
          FILE_NAME ":3: missing required key \"smtp_url\" in [mail]",
          "no smtp_url");
    fails(BASE "[mail]\nsmtp_url = smtp://m.example.org\n",
          FILE_NAME ":3: missing required key \"from\" in [mail]",
          "no from");
    fails(BASE "[mail]\nsmtp_url = smtp://u:hunter2-secret@m.example.org\n",
          FILE_NAME ":4: smtp_url must not hold a user name or password: "
          "set username and password in [mail] instead",
          "credentials in the URL, not repeated");
    fails(BASE "[mail]\nsmtp_url = http://m.example.org\n",
          FILE_NAME ":4: invalid smtp_url \"http://m.example.org\" (expected "
          "smtp://HOST[:PORT] or smtps://HOST[:PORT])", "not SMTP");
    fails(BASE "[mail]\nsmtp_url = smtp://:25\n",
          FILE_NAME ":4: invalid smtp_url \"smtp://:25\" (no host)",
          "no host");
    fails(BASE "[mail]\nfrom = Blog <not an address>\n",
          FILE_NAME ":4: invalid from \"Blog <not an address>\" (expected an "
          "address, or a name and the address in <>: Blog "
          "<blog@example.org>)", "a bad from");
    fails(BASE "[mail]\nfrom = a@b@c\n",
          FILE_NAME ":4: invalid from \"a@b@c\" (expected an address, or a "
          "name and the address in <>: Blog <blog@example.org>)",
          "two @");
    fails(BASE "[mail]\nstarttls = maybe\n",
          FILE_NAME ":4: invalid starttls \"maybe\" (expected required, try "
          "or off)", "a bad starttls");
    fails(BASE "[mail]\ntimeout = 1h\n",
          FILE_NAME ":4: invalid timeout \"1h\" (expected a duration from 1s "
          "to 10m)", "a long timeout");
    fails(BASE "[mail]\nhost = x\n",
          /* more keys than an unknown key's message lists */
          FILE_NAME ":4: unknown key \"host\" in [mail]",
          "an unknown key");
    fails(BASE "[mail]\nusername = a\nusername = b\n",
          FILE_NAME ":5: duplicate key \"username\" (first set on line 4)",
          "a key twice");
    fails(BASE "[mail]\nsmtp_url = smtp://m\n[mail]\n",
          FILE_NAME ":5: duplicate section \"[mail]\" (first on line 3)",
          "[mail] twice");
    fails(BASE "[mail]\npassword =\n",
          FILE_NAME ":4: empty value for \"password\"", "an empty password");
    ok(strstr(err, "hunter2") == NULL, "no message repeats a password");

    ok(blog_email_valid("a@b", 3), "a@b is an address");
    ok(!blog_email_valid("@b", 2), "@b is not");
    ok(!blog_email_valid("a@", 2), "nor a@");
    ok(!blog_email_valid("a b@c", 5), "nor one with a blank");
    ok(!blog_email_valid("a@b>\r\nRCPT", 11), "nor one that ends a command");
}


int
main(void)
{
    test_codes();
    test_message();
    test_conf();

    return tap_done();
}
