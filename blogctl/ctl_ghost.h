/*
 * A Ghost export's parts that are not posts' fields: the body of a post,
 * made Markdown-ready HTML from its editor document (ctl_ghost_body.c).
 */

#ifndef CTL_GHOST_H
#define CTL_GHOST_H

#include <jansson.h>


/* The string of key in object o, or NULL. */
const char *ctl_ghost_str(json_t *o, const char *key);

/*
 * The HTML of post's body (free it): its "lexical" or "mobiledoc", or
 * Ghost's "html" when a card is not understood (a "note" line on stdout
 * says so), with its feature image first and "__GHOST_URL__" dropped.
 * where names the post in messages.  CTL_OK, or CTL_ERROR (reported).
 */
int ctl_ghost_body(json_t *post, const char *where, char **html);

/* Drops Ghost 5's "__GHOST_URL__" from s, in place: paths from the root. */
void ctl_ghost_url(char *s);

#endif /* CTL_GHOST_H */
