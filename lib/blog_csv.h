/*
 * CSV (RFC 4180) for the panel's subscriber import and export: records
 * read from an upload, fields written for a spreadsheet.  Pure C, no
 * nginx types, so that it can be unit-tested and fuzzed alone.
 */

#ifndef BLOG_CSV_H
#define BLOG_CSV_H

#include <stddef.h>


typedef struct {
    size_t  off;            /* in the caller's out buffer */
    size_t  len;
} blog_csv_field_t;


/*
 * The record of text[0..len) that starts at *pos: its fields, unquoted,
 * into out (which holds at least len - *pos bytes), at most max of them
 * in f.  CRLF, a bare LF or the end of the text ends a record; a quoted
 * field may hold commas, quotes ("") and line breaks.  A UTF-8 BOM at
 * the start is skipped.  *pos moves to the next record.
 *
 * Returns the number of fields (more than max when the record has more:
 * only max are stored), 0 at the end of the text, or -1 for a record that
 * is not CSV (an unclosed quote, text after a closing quote); *pos then
 * moves past the line, so a caller can report it and go on.
 */
int blog_csv_record(const char *text, size_t len, size_t *pos, char *out,
    blog_csv_field_t *f, size_t max);

/* Bytes blog_csv_field() may write for a value of len bytes. */
#define BLOG_CSV_FIELD_MAX(len)  (2 * (len) + 3)

/*
 * Writes a value as a field, into out (BLOG_CSV_FIELD_MAX(len) bytes):
 * quoted, its quotes doubled, when it holds a comma, a quote, CR or LF.
 * A value that a spreadsheet would take for a formula (it starts with =,
 * +, -, @, TAB or CR) gets a ' before it, so that opening the export
 * never runs what a reader typed as a name.  Returns the length.
 */
size_t blog_csv_field(const char *s, size_t len, char *out);

#endif /* BLOG_CSV_H */
