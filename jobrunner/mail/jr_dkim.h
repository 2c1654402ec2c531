/*
 * DKIM signatures (RFC 6376) for the mails the jobrunner sends: RSA-SHA256
 * or Ed25519-SHA256 (RFC 8463), relaxed/relaxed canonicalisation.  The
 * key is read once, with the configuration ([mail] dkim_key_file), and a
 * signature is a header put before the message's own:
 *
 *     DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
 *      d=example.org; s=mail; t=1777636800; h=from:to:subject:...;
 *      bh=...; b=...
 *
 * The key is never logged or quoted: its file's name is, in errors.
 */

#ifndef JR_DKIM_H
#define JR_DKIM_H

#include <stddef.h>
#include <time.h>


typedef struct jr_dkim_s  jr_dkim_t;


/*
 * Reads the PEM private key in file: RSA of 1024 bits or more (RFC 8301),
 * or Ed25519.  The file must be a regular file that neither its group
 * nor others can write and others cannot read: a key anyone on the
 * machine can read signs for anyone.  NULL with the reason in err.
 */
jr_dkim_t *jr_dkim_load(const char *domain, const char *selector,
    const char *file, char *err, size_t errlen);

void jr_dkim_free(jr_dkim_t *dk);

/* "rsa-sha256" or "ed25519-sha256". */
const char *jr_dkim_algorithm(const jr_dkim_t *dk);

/*
 * The DKIM-Signature header field of msg (RFC 5322 text, CRLF line ends),
 * with its CRLF, to be put before the message: malloc'ed, NUL-terminated,
 * its length in *len.  NULL when out of memory or the signing failed.
 * Safe in several threads at once.
 */
char *jr_dkim_sign(const jr_dkim_t *dk, const char *msg, size_t len,
    time_t now, size_t *hlen);

/*
 * *msg (malloc'ed, *len bytes) replaced by itself signed: its
 * DKIM-Signature first.  The old text is wiped and freed.  0, or -1 with
 * *msg as it was.
 */
int jr_dkim_prepend(const jr_dkim_t *dk, char **msg, size_t *len,
    time_t now);

/*
 * The "relaxed" canonical forms of RFC 6376 3.4.2 and 3.4.4, for the unit
 * tests.  A header field is given as it is in the message (its folded
 * lines, without the last CRLF); out holds len + 1 bytes.  A body: out
 * holds len + 2 bytes.  Both return the length written.
 */
size_t jr_dkim_relaxed_header(const char *field, size_t len, char *out);
size_t jr_dkim_relaxed_body(const char *body, size_t len, char *out);

#endif /* JR_DKIM_H */
