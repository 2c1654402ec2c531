/*
 * "Current visitors": the visitors with a view in the last five minutes,
 * from analytics.db's views and their visits (blog_analytics_schema.c).  The
 * panel's dashboard shows the number as it makes the page; the jobrunner
 * publishes it on the realtime hub (BLOG_CURRENT_TOPIC, for admins only)
 * so that the figure stays live (docs/dashboard.md).
 */

#ifndef BLOG_CURRENT_H
#define BLOG_CURRENT_H

#include <stdint.h>

#include <sqlite3.h>


#define BLOG_CURRENT_WINDOW_MS  (5 * 60 * 1000)

/* The hub's topic and event of the number, {"visitors": N} */
#define BLOG_CURRENT_TOPIC      "analytics.current"
#define BLOG_CURRENT_EVENT      "current"

/*
 * The distinct visitors with a view within the window before now_ms (Unix
 * milliseconds) into *n.  Returns SQLite's result code.
 */
int blog_current_visitors(sqlite3 *db, int64_t now_ms, int64_t *n);

#endif /* BLOG_CURRENT_H */
