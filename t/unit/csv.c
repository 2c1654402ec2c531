/*
 * Unit tests of CSV records and fields (lib/blog_csv.c): RFC 4180's
 * quoting, line ends, a BOM, malformed records skipped to the next line,
 * the formula guard; fields written are read back the same.
 */

#include <stdio.h>
#include <string.h>

#include "tap.h"

#include "blog_csv.h"


/* The records of text as "a|b;c|d;" (fields by |, records by ;), -1 as "!". */
static const char *
records(const char *text, size_t len)
{
    int                n, k;
    char               out[512];
    size_t             pos, o;
    blog_csv_field_t   f[8];
    static char        all[1024];

    pos = 0;
    o = 0;

    while ((n = blog_csv_record(text, len, &pos, out, f, 8)) != 0) {
        if (n < 0) {
            all[o++] = '!';
            all[o++] = ';';
            continue;
        }

        for (k = 0; k < n && k < 8; k++) {
            memcpy(all + o, out + f[k].off, f[k].len);
            o += f[k].len;
            all[o++] = (k + 1 < n) ? '|' : ';';
        }
    }

    all[o] = '\0';

    return all;
}


#define records_are(text, want, ...)                                          \
    is_str(records(text, sizeof(text) - 1), want, __VA_ARGS__)


static void
test_read(void)
{
    records_are("", "", "no text, no records");
    records_are("a,b\r\nc,d\r\n", "a|b;c|d;", "CRLF records");
    records_are("a,b\nc,d", "a|b;c|d;", "LF records, the last without");
    records_are("\xef\xbb\xbf" "a,b\n", "a|b;", "a BOM is skipped");
    records_are("a,,c\n", "a||c;", "an empty field");
    records_are("a,\n", "a|;", "an empty last field");
    records_are("\n", ";", "an empty line: one empty field");
    records_are("\"a,b\",c\n", "a,b|c;", "a comma in quotes");
    records_are("\"say \"\"hi\"\"\",x\n", "say \"hi\"|x;", "doubled quotes");
    records_are("\"two\r\nlines\",x\n", "two\r\nlines|x;",
                "a line break in quotes");
    records_are("\"\",x\n", "|x;", "an empty quoted field");
    records_are("a\"b,c\n", "a\"b|c;", "a quote inside an unquoted field");
    records_are("a\rb,c\n", "a\rb|c;", "a bare CR inside a field");
    records_are("\"open,x\nnext,y\n", "!;next|y;",
                "an unclosed quote: bad, the next line read");
    records_are("\"a\"b,c\nd,e\n", "!;d|e;",
                "text after a closing quote: bad, the next line read");
    records_are("a,b,c,d,e,f,g,h,i,j\n", "a|b|c|d|e|f|g|h|",
                "more fields than room: counted, the first stored");
}


static void
field_is(const char *in, const char *want, const char *what)
{
    char    out[256];
    size_t  n;

    n = blog_csv_field(in, strlen(in), out);
    out[n] = '\0';
    is_str(out, want, "write: %s", what);
    ok(n <= BLOG_CSV_FIELD_MAX(strlen(in)), "... within its bound");
}


static void
test_write(void)
{
    int                n;
    char               text[256], out[256];
    size_t             pos, len;
    blog_csv_field_t   f[2];

    field_is("ada@example.org", "ada@example.org", "plain: as it is");
    field_is("", "", "empty");
    field_is("Lovelace, Ada", "\"Lovelace, Ada\"", "a comma: quoted");
    field_is("say \"hi\"", "\"say \"\"hi\"\"\"", "quotes doubled");
    field_is("a\r\nb", "\"a\r\nb\"", "a line break: quoted");
    field_is("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"",
             "a formula: guarded, inside the quotes");
    field_is("=1+2", "'=1+2", "= guarded");
    field_is("+1", "'+1", "+ guarded");
    field_is("-2", "'-2", "- guarded");
    field_is("@SUM(A1)", "'@SUM(A1)", "@ guarded");
    field_is("\tx", "'\tx", "a tab guarded");
    field_is("a=b", "a=b", "= not first: as it is");

    /* written, then read back */
    len = blog_csv_field("Lovelace, \"Ada\"\r\n", 17, text);
    text[len++] = ',';
    len += blog_csv_field("x", 1, text + len);
    pos = 0;
    n = blog_csv_record(text, len, &pos, out, f, 2);
    is_int(n, 2, "a written record reads back as two fields");
    ok(n == 2 && f[0].len == 17
       && memcmp(out + f[0].off, "Lovelace, \"Ada\"\r\n", 17) == 0,
       "... the first as it was");
}


int
main(void)
{
    test_read();
    test_write();

    return tap_done();
}
