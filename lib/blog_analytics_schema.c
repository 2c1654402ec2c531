/*
 * analytics.db migrations.  Append new migrations at the end; never edit one
 * that has shipped.
 */

#include <stddef.h>

#include "blog_analytics_schema.h"


/* a view's columns: analytics_hits (4) and the views staged (7) */
#define BLOG_HITS_COLUMNS                                                     \
    "  day      INTEGER NOT NULL,"                                            \
    "  path     INTEGER NOT NULL,"                                            \
    "  visit    INTEGER NOT NULL,"                                            \
    "  n        INTEGER NOT NULL,"                                            \
    "  time_ms  INTEGER NOT NULL,"                                            \
    "  status   INTEGER NOT NULL,"                                            \
    "  ref_host INTEGER NOT NULL,"                                            \
    "  ref_path INTEGER NOT NULL"


static const char *const
    blog_analytics_migrations[BLOG_ANALYTICS_SCHEMA_VERSION] =
{
    /*
     * 1: the analytics tables as data.db had them at its version 9, column
     * for column, so that blog_split() copies rows as they are.  See data.db
     * migrations 4 to 7 (lib/blog_schema.c) for what each holds.
     */
    "CREATE TABLE analytics_daily ("
    "  day       INTEGER PRIMARY KEY,"
    "  views     INTEGER NOT NULL DEFAULT 0,"
    "  visitors  INTEGER NOT NULL DEFAULT 0,"
    "  bot_views INTEGER NOT NULL DEFAULT 0,"
    "  requests  INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE analytics_counts ("
    "  dim TEXT NOT NULL CHECK (dim IN ('path', 'post', 'referrer',"
    "        'country', 'browser', 'os', 'status', 'bot')),"
    "  day INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  n   INTEGER NOT NULL,"
    "  PRIMARY KEY (dim, day, key)"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_spools ("
    "  file   TEXT PRIMARY KEY,"
    "  offset INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_visitor_hashes ("
    "  day    INTEGER NOT NULL,"
    "  seq    INTEGER NOT NULL,"
    "  hashes BLOB NOT NULL,"
    "  PRIMARY KEY (day, seq)"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_path_totals ("
    "  path  TEXT PRIMARY KEY,"
    "  views INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_nats ("
    "  stream  TEXT PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  seq     INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_nodes ("
    "  node   TEXT PRIMARY KEY,"
    "  file   INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL"
    ") WITHOUT ROWID;",

    /*
     * 2: visits and their page views (docs/analytics.md).  A visit is a run
     * of one visitor's views with gaps under [events] visit_gap; a view
     * belongs to one visit.  Rows are kept for [jobrunner] raw_days, so that
     * any range and filter can be answered from them; a day that has
     * closed is also summed into analytics_rollup, per dimension, which
     * answers the unfiltered and one-filter questions for any range and
     * outlives the rows.
     *
     * visitor is the visitor's 64-bit hash under its day's salt
     * (jobrunner/events/jr_salt.c); the salt is gone after its day, so the
     * hash names no one afterwards, and a visitor counts once per day over
     * a range of days.  A visit belongs to the day it starts (UTC days
     * since 1970); times are Unix milliseconds.  Text columns are '' when
     * not known.  device is 'desktop', 'phone', 'tablet' or ''; channel is
     * 'direct', 'search', 'social', 'email', 'campaign' or 'referral'.
     */
    "CREATE TABLE analytics_visits ("
    "  id           INTEGER PRIMARY KEY,"
    "  day          INTEGER NOT NULL,"
    "  visitor      INTEGER NOT NULL,"
    "  start_ms     INTEGER NOT NULL,"
    "  end_ms       INTEGER NOT NULL,"
    "  views        INTEGER NOT NULL,"
    "  entry        TEXT NOT NULL,"
    "  exit         TEXT NOT NULL,"
    "  source       TEXT NOT NULL DEFAULT '',"
    "  channel      TEXT NOT NULL DEFAULT '',"
    "  ref_host     TEXT NOT NULL DEFAULT '',"
    "  ref_path     TEXT NOT NULL DEFAULT '',"
    "  utm_source   TEXT NOT NULL DEFAULT '',"
    "  utm_medium   TEXT NOT NULL DEFAULT '',"
    "  utm_campaign TEXT NOT NULL DEFAULT '',"
    "  country      TEXT NOT NULL DEFAULT '',"
    "  region       TEXT NOT NULL DEFAULT '',"
    "  device       TEXT NOT NULL DEFAULT '',"
    "  browser      TEXT NOT NULL DEFAULT '',"
    "  os           TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX analytics_visits_day ON analytics_visits (day);"
    "CREATE TABLE analytics_views ("
    "  id        INTEGER PRIMARY KEY,"
    "  visit     INTEGER NOT NULL,"
    "  day       INTEGER NOT NULL,"
    "  time_ms   INTEGER NOT NULL,"
    "  path      TEXT NOT NULL,"
    "  status    INTEGER NOT NULL,"
    "  ref_host  TEXT NOT NULL DEFAULT '',"
    "  ref_path  TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX analytics_views_day ON analytics_views (day);"
    "CREATE INDEX analytics_views_visit ON analytics_views (visit);"
    /*
     * A closed day's sums: dim '' (key '') is the site's, the others are
     * blog_stats's dimension names (lib/blog_stats.h) with one row per
     * value.  bounces are visits of one view; duration_ms sums the
     * visits' end_ms - start_ms.  For a page, views and visitors are its
     * own, visits those that saw it.
     */
    "CREATE TABLE analytics_rollup ("
    "  day         INTEGER NOT NULL,"
    "  dim         TEXT NOT NULL,"
    "  key         TEXT NOT NULL,"
    "  visitors    INTEGER NOT NULL,"
    "  visits      INTEGER NOT NULL,"
    "  views       INTEGER NOT NULL,"
    "  bounces     INTEGER NOT NULL,"
    "  duration_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (dim, day, key)"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_rolled ("
    "  day INTEGER PRIMARY KEY"
    ");"
    /*
     * A closed day's visits per segment: country and device, and with
     * by_source 1 the source too (with 0, source is '' and the row sums
     * every source).  The dashboard's filters on these three, in any mix,
     * are answered from here for the rolled days rather than from a month
     * of raw rows.  Summing segments counts a visitor once: a visitor is
     * one address and agent under the day's salt, so it has one country
     * and one device (an address over visitors_per_address aside); it may
     * come from two sources, so the rows of several sources are never
     * summed for visitors, the by_source 0 ones are.  Rows are summed
     * with the rollup's (jobrunner/events/jr_rollup.c), as many as the
     * day had segments (at most countries x devices x (sources + 1)).
     */
    "CREATE TABLE analytics_segments ("
    "  by_source   INTEGER NOT NULL,"
    "  day         INTEGER NOT NULL,"
    "  source      TEXT NOT NULL,"
    "  country     TEXT NOT NULL,"
    "  device      TEXT NOT NULL,"
    "  visitors    INTEGER NOT NULL,"
    "  visits      INTEGER NOT NULL,"
    "  views       INTEGER NOT NULL,"
    "  bounces     INTEGER NOT NULL,"
    "  duration_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (by_source, day, source, country, device)"
    ") WITHOUT ROWID;"
    /*
     * The same per page, as analytics_rollup has pages (its views; the
     * visits that saw it), for the pages' panel under a country or device
     * filter.  Rows lead with the country, so that one country's are
     * read alone: the dashboard's click on a country.
     */
    "CREATE TABLE analytics_page_segments ("
    "  country     TEXT NOT NULL,"
    "  day         INTEGER NOT NULL,"
    "  device      TEXT NOT NULL,"
    "  page        TEXT NOT NULL,"
    "  visitors    INTEGER NOT NULL,"
    "  visits      INTEGER NOT NULL,"
    "  views       INTEGER NOT NULL,"
    "  bounces     INTEGER NOT NULL,"
    "  duration_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (country, day, device, page)"
    ") WITHOUT ROWID;",

    /*
     * 3: a visit whose browser fetched the page's CSS beacon (the module's
     * blog_analytics_beacon, off by default) is a human's: a script that
     * sends a browser's User-Agent seldom loads stylesheets.  0 also for
     * every visit counted while the beacon was off.
     */
    "ALTER TABLE analytics_visits ADD COLUMN human INTEGER NOT NULL DEFAULT 0;",

    /*
     * 4: page views in one B-tree of integers (docs/analytics.md#storage).
     * A view was a rowid row with its path and referrer as text and two
     * indexes (day, visit): three B-trees and ~86 bytes a view, most of
     * ingestion's cost.  Now paths and referrers are interned in
     * analytics_strings (id 0 is ''), and a view is a row of
     * analytics_hits clustered by (day, path): a day's rows are a range
     * (rollup, retention, today's open visits), and a page's rows of a
     * day are a range in it, so a page filter over a month is a seek per
     * day rather than a read of every view.  n numbers a visit's views
     * (the jobrunner's: 1, 2, ... in the order it counted them); it makes
     * the key unique and orders views of the same millisecond.
     *
     * analytics_views stays as a view of the same columns (but id, now
     * n) for readers and for tools that write rows by hand: its triggers
     * intern the strings.  The jobrunner and blog_stats use the tables.
     */
    "CREATE TABLE analytics_strings ("
    "  id    INTEGER PRIMARY KEY,"
    "  value TEXT NOT NULL UNIQUE"
    ");"
    "INSERT INTO analytics_strings (id, value) VALUES (0, '');"
    "INSERT OR IGNORE INTO analytics_strings (value)"
    " SELECT path FROM analytics_views UNION SELECT ref_host"
    " FROM analytics_views UNION SELECT ref_path FROM analytics_views;"
    "CREATE TABLE analytics_hits ("
    BLOG_HITS_COLUMNS ","
    "  PRIMARY KEY (day, path, visit, n)"
    ") WITHOUT ROWID;"
    "INSERT INTO analytics_hits (day, path, visit, n, time_ms, status,"
    " ref_host, ref_path)"
    " SELECT w.day, p.id, w.visit,"
    " row_number() OVER (PARTITION BY w.visit ORDER BY w.time_ms, w.id),"
    " w.time_ms, w.status, h.id, r.id FROM analytics_views w"
    " JOIN analytics_strings p ON p.value = w.path"
    " JOIN analytics_strings h ON h.value = w.ref_host"
    " JOIN analytics_strings r ON r.value = w.ref_path;"
    "DROP TABLE analytics_views;"
    "CREATE VIEW analytics_views AS"
    " SELECT w.n AS n, w.visit AS visit, w.day AS day, w.time_ms AS time_ms,"
    " p.value AS path, w.status AS status, h.value AS ref_host,"
    " r.value AS ref_path FROM analytics_hits w"
    " JOIN analytics_strings p ON p.id = w.path"
    " JOIN analytics_strings h ON h.id = w.ref_host"
    " JOIN analytics_strings r ON r.id = w.ref_path;"
    /* n: after the visit's views of that page, a seek (day, path, visit) */
    "CREATE TRIGGER analytics_views_insert INSTEAD OF INSERT"
    " ON analytics_views BEGIN"
    " INSERT OR IGNORE INTO analytics_strings (value) VALUES (NEW.path),"
    " (coalesce(NEW.ref_host, '')), (coalesce(NEW.ref_path, ''));"
    " INSERT INTO analytics_hits (day, path, visit, n, time_ms, status,"
    " ref_host, ref_path) SELECT NEW.day, p.id, NEW.visit,"
    " coalesce((SELECT max(n) FROM analytics_hits WHERE day = NEW.day"
    " AND path = p.id AND visit = NEW.visit), 0) + 1,"
    " NEW.time_ms, NEW.status,"
    " (SELECT id FROM analytics_strings"
    " WHERE value = coalesce(NEW.ref_host, '')),"
    " (SELECT id FROM analytics_strings"
    " WHERE value = coalesce(NEW.ref_path, ''))"
    " FROM analytics_strings p WHERE p.value = NEW.path;"
    " END;"
    "CREATE TRIGGER analytics_views_delete INSTEAD OF DELETE"
    " ON analytics_views BEGIN"
    " DELETE FROM analytics_hits WHERE day = OLD.day AND path ="
    " (SELECT id FROM analytics_strings WHERE value = OLD.path)"
    " AND visit = OLD.visit AND n = OLD.n;"
    " END;",

    /*
     * 5: the rollup keeps visit:human (keys '0' and '1') as it keeps the
     * other visits' columns, so that the dashboard's Humans figure over a
     * month reads a row a day, not the month's visits.  Days rolled
     * before: from their visits while the rows are kept, else all '0'
     * (the site's row: the beacon came with migration 3, after them).
     */
    "INSERT INTO analytics_rollup (day, dim, key, visitors, visits, views,"
    " bounces, duration_ms)"
    " SELECT v.day, 'visit:human', v.human, count(DISTINCT v.visitor),"
    " count(*), total(v.views), total(v.views = 1),"
    " total(v.end_ms - v.start_ms)"
    " FROM analytics_visits v JOIN analytics_rolled r ON r.day = v.day"
    " GROUP BY v.day, v.human;"
    "INSERT INTO analytics_rollup (day, dim, key, visitors, visits, views,"
    " bounces, duration_ms)"
    " SELECT day, 'visit:human', '0', visitors, visits, views, bounces,"
    " duration_ms FROM analytics_rollup"
    " WHERE dim = '' AND day IN (SELECT day FROM analytics_rolled)"
    " AND day NOT IN (SELECT day FROM analytics_visits);",

    /*
     * 6: strings go with the views that used them (issue 18).  Before
     * migration 4 a view's text went with its row after raw_days; interned,
     * a string outlived its views, and a client sending a new Referer on
     * every request grew the file for ever.  last_day is the last day
     * (UTC days since 1970) of a view that used the string, kept by the
     * jobrunner (jobrunner/events/jr_strings.c) and the view's trigger; the
     * retention (jobrunner/events/jr_rollup.c) deletes the strings whose
     * last_day is before every view left, by the index.  Existing strings
     * take theirs from the views there are, one pass per column.
     */
    "ALTER TABLE analytics_strings"
    " ADD COLUMN last_day INTEGER NOT NULL DEFAULT 0;"
    "UPDATE analytics_strings SET last_day = u.day FROM (SELECT path AS id,"
    " max(day) AS day FROM analytics_hits GROUP BY path) AS u"
    " WHERE analytics_strings.id = u.id;"
    "UPDATE analytics_strings SET last_day = u.day FROM (SELECT ref_host AS id,"
    " max(day) AS day FROM analytics_hits GROUP BY ref_host) AS u"
    " WHERE analytics_strings.id = u.id AND last_day < u.day;"
    "UPDATE analytics_strings SET last_day = u.day FROM (SELECT ref_path AS id,"
    " max(day) AS day FROM analytics_hits GROUP BY ref_path) AS u"
    " WHERE analytics_strings.id = u.id AND last_day < u.day;"
    "CREATE INDEX analytics_strings_last_day ON analytics_strings (last_day);"
    "DROP TRIGGER analytics_views_insert;"
    "CREATE TRIGGER analytics_views_insert INSTEAD OF INSERT"
    " ON analytics_views BEGIN"
    " INSERT OR IGNORE INTO analytics_strings (value) VALUES (NEW.path),"
    " (coalesce(NEW.ref_host, '')), (coalesce(NEW.ref_path, ''));"
    " UPDATE analytics_strings SET last_day = NEW.day"
    " WHERE value IN (NEW.path, coalesce(NEW.ref_host, ''),"
    " coalesce(NEW.ref_path, '')) AND last_day < NEW.day;"
    " INSERT INTO analytics_hits (day, path, visit, n, time_ms, status,"
    " ref_host, ref_path) SELECT NEW.day, p.id, NEW.visit,"
    " coalesce((SELECT max(n) FROM analytics_hits WHERE day = NEW.day"
    " AND path = p.id AND visit = NEW.visit), 0) + 1,"
    " NEW.time_ms, NEW.status,"
    " (SELECT id FROM analytics_strings"
    " WHERE value = coalesce(NEW.ref_host, '')),"
    " (SELECT id FROM analytics_strings"
    " WHERE value = coalesce(NEW.ref_path, ''))"
    " FROM analytics_strings p WHERE p.value = NEW.path;"
    " END;",

    /*
     * 7: views staged in arrival order while the jobrunner reads a
     * backlog (issue 18).  A batch's views inserted into analytics_hits,
     * clustered by day and page, dirty a leaf per page of the site, the
     * same leaves every batch, which the WAL writes again each time; a
     * batch with more records waiting appends its views here instead (a
     * rowid table: a few pages), and the first batch without moves them
     * all in the key's order (jobrunner/events/jr_visits.c).  Empty but
     * for a backlog being read; no row moves.
     */
    "CREATE TABLE analytics_hits_staged ("
    BLOG_HITS_COLUMNS
    ");",

    /*
     * 8: views staged as packs, one row per batch of a backlog: its
     * views' columns as unsigned LEB128 varints, eight a view, in the
     * order of analytics_hits' columns (jobrunner/events/jr_visits.c).
     * One INSERT a batch rather than one per view; the jobrunner keeps
     * them in memory too, and sorts them there for their move.  Views a
     * jobrunner killed mid-file left in migration 7's table are moved
     * into analytics_hits here, as its next start would have, and that
     * table goes.
     */
    "CREATE TABLE analytics_hits_packs ("
    "  id    INTEGER PRIMARY KEY,"
    "  views INTEGER NOT NULL,"
    "  hits  BLOB NOT NULL"
    ");"
    "DELETE FROM analytics_rolled WHERE day IN"
    " (SELECT DISTINCT day FROM analytics_hits_staged);"
    "INSERT INTO analytics_hits (day, path, visit, n, time_ms, status,"
    " ref_host, ref_path) SELECT day, path, visit, n, time_ms, status,"
    " ref_host, ref_path FROM analytics_hits_staged"
    " ORDER BY day, path, visit, n;"
    "DROP TABLE analytics_hits_staged;",

    /*
     * 9: packs the jobrunner could not decode at start, moved aside with
     * why (jobrunner/events/jr_visits.c).  A corrupt pack is counted and
     * skipped, so that analytics data never stops the jobrunner's other
     * work; its bytes are kept here rather than logged (a pack is up to
     * 1.3 MB) for whoever wants to look at them.  pack is its id in
     * analytics_hits_packs, whose ids are taken again once it is empty.
     */
    "CREATE TABLE analytics_hits_packs_bad ("
    "  id     INTEGER PRIMARY KEY,"
    "  pack   INTEGER NOT NULL,"
    "  views  INTEGER,"
    "  hits   BLOB,"
    "  reason TEXT NOT NULL,"
    "  time   INTEGER NOT NULL"
    ");",

    /*
     * 10: a view is no longer a row (issue 18).  A B-tree insert per view,
     * staged and moved (migrations 7 and 8), was a quarter of ingestion's
     * cost.  Now a batch writes, per day and page it has views of, one
     * row of analytics_hit_packs: those views packed (lib/blog_hitpack.h),
     * seq 0, 1, 2... per day and page.  A batch
     * of 20,000 requests writes some 300 rows rather than 7,000.
     *
     * analytics_hits is now a view of the same columns, through
     * blog_hits() (registered on every connection by blog_db_open(), or
     * loaded from build/blog_sqlite.so): a WHERE on day and path reaches
     * the packs' key, so the readers' SQL stays as it was.  The rows there
     * were become a pack per day and page, ordered by visit and n.
     * analytics_views and its triggers keep their meaning: an INSERT
     * appends a pack of its one view (n as before: after the visit's views
     * of that page), a DELETE takes the view out of its pack, and a pack
     * left empty goes.  Views a killed jobrunner left staged in
     * analytics_hits_packs (migration 8) are packed by its next start
     * (jobrunner/events/jr_visits.c), which reads their format.  A pack
     * of analytics_hit_packs the jobrunner finds corrupt at start is moved
     * aside into analytics_hits_packs_bad as a staged one is, with its day
     * and path (pack is then its seq).
     */
    "CREATE TABLE analytics_hit_packs ("
    "  day   INTEGER NOT NULL,"
    "  path  INTEGER NOT NULL,"
    "  seq   INTEGER NOT NULL,"
    "  views INTEGER NOT NULL,"
    "  hits  BLOB NOT NULL,"
    "  PRIMARY KEY (day, path, seq)"
    ") WITHOUT ROWID;"
    /* the key's order: the subquery's is that of the groups' rows */
    "INSERT INTO analytics_hit_packs (day, path, seq, views, hits)"
    " SELECT day, path, 0, count(*), blog_hits_pack(visit, n, time_ms,"
    " status, ref_host, ref_path) FROM (SELECT * FROM analytics_hits"
    " ORDER BY day, path, visit, n) GROUP BY day, path;"
    "DROP TRIGGER analytics_views_insert;"
    "DROP TRIGGER analytics_views_delete;"
    "DROP TABLE analytics_hits;"
    "CREATE VIEW analytics_hits AS"
    " SELECT p.day AS day, p.path AS path, h.visit AS visit, h.n AS n,"
    " h.time_ms AS time_ms, h.status AS status, h.ref_host AS ref_host,"
    " h.ref_path AS ref_path"
    " FROM analytics_hit_packs AS p, blog_hits(p.hits) AS h;"
    "CREATE TRIGGER analytics_views_insert INSTEAD OF INSERT"
    " ON analytics_views BEGIN"
    " INSERT OR IGNORE INTO analytics_strings (value) VALUES (NEW.path),"
    " (coalesce(NEW.ref_host, '')), (coalesce(NEW.ref_path, ''));"
    " UPDATE analytics_strings SET last_day = NEW.day"
    " WHERE value IN (NEW.path, coalesce(NEW.ref_host, ''),"
    " coalesce(NEW.ref_path, '')) AND last_day < NEW.day;"
    " INSERT INTO analytics_hit_packs (day, path, seq, views, hits)"
    " SELECT NEW.day, p.id, coalesce((SELECT max(seq)"
    " FROM analytics_hit_packs WHERE day = NEW.day AND path = p.id), -1) + 1,"
    " 1, blog_hits_pack(NEW.visit, coalesce((SELECT max(n)"
    " FROM analytics_hits WHERE day = NEW.day AND path = p.id"
    " AND visit = NEW.visit), 0) + 1, NEW.time_ms, NEW.status,"
    " (SELECT id FROM analytics_strings"
    " WHERE value = coalesce(NEW.ref_host, '')),"
    " (SELECT id FROM analytics_strings"
    " WHERE value = coalesce(NEW.ref_path, '')))"
    " FROM analytics_strings p WHERE p.value = NEW.path;"
    " END;"
    /* a pack of that view alone goes, another loses it */
    "CREATE TRIGGER analytics_views_delete INSTEAD OF DELETE"
    " ON analytics_views BEGIN"
    " DELETE FROM analytics_hit_packs WHERE day = OLD.day AND path ="
    " (SELECT id FROM analytics_strings WHERE value = OLD.path)"
    " AND blog_hits_drop(hits, OLD.visit, OLD.n) IS NULL;"
    " UPDATE analytics_hit_packs SET views = views - 1,"
    " hits = blog_hits_drop(hits, OLD.visit, OLD.n)"
    " WHERE day = OLD.day AND path ="
    " (SELECT id FROM analytics_strings WHERE value = OLD.path)"
    " AND blog_hits_drop(hits, OLD.visit, OLD.n) <> hits;"
    " END;"
    "ALTER TABLE analytics_hits_packs_bad ADD COLUMN day INTEGER;"
    "ALTER TABLE analytics_hits_packs_bad ADD COLUMN path INTEGER;",

    /*
     * 11: a closed day's visits per pair of a filter and a breakdown (issue
     * 18).  A click on a country, a device or a source asks every panel
     * again under that filter: the segments answer the panels of those
     * three, the pages' segments the pages', and the others (entry and
     * exit pages, channels, referrers, UTM values, regions, browsers, OS,
     * the beacon's mark) read a month of raw visits, 445,000 rows at a
     * million views, 120-280 ms each.  Here they read a few thousand.
     * fdim is the filter's dimension (visit:country, visit:device or
     * visit:source) and fkey its value; dim and key the breakdown's, as
     * analytics_rollup's, the dimensions as ids of analytics_pair_dims (a
     * third of a row's bytes as names).  Summing a day's rows of several
     * countries or devices counts a visitor once, of several sources not
     * (as for the segments).  Rows are summed with the rollup's, one
     * statement per pair (jobrunner/events/jr_rollup.c), and go with the
     * raw rows after raw_days (at a million views a month, some 38,000
     * rows a day).
     *
     * A day is read from here only once it is in analytics_pairs_rolled:
     * the days rolled up before this migration have no rows until the
     * jobrunner sums them (after the days not rolled up yet), and are read
     * from their raw rows meanwhile.  A day taken out of analytics_rolled
     * (a late view) goes out of here with it, by the trigger.
     */
    "CREATE TABLE analytics_pair_dims ("
    "  id          INTEGER PRIMARY KEY,"
    "  name        TEXT NOT NULL UNIQUE"
    ");"
    "INSERT INTO analytics_pair_dims (id, name) VALUES"
    " (1, 'visit:country'), (2, 'visit:device'), (3, 'visit:source'),"
    " (4, 'visit:entry_page'), (5, 'visit:exit_page'), (6, 'visit:channel'),"
    " (7, 'visit:referrer'), (8, 'visit:utm_source'),"
    " (9, 'visit:utm_medium'), (10, 'visit:utm_campaign'),"
    " (11, 'visit:region'), (12, 'visit:browser'), (13, 'visit:os'),"
    " (14, 'visit:human');"
    "CREATE TABLE analytics_pairs ("
    "  day         INTEGER NOT NULL,"
    "  fdim        INTEGER NOT NULL,"
    "  dim         INTEGER NOT NULL,"
    "  fkey        TEXT NOT NULL,"
    "  key         TEXT NOT NULL,"
    "  visitors    INTEGER NOT NULL,"
    "  visits      INTEGER NOT NULL,"
    "  views       INTEGER NOT NULL,"
    "  bounces     INTEGER NOT NULL,"
    "  duration_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (day, fdim, dim, fkey, key)"
    ") WITHOUT ROWID;"
    "CREATE TABLE analytics_pairs_rolled ("
    "  day INTEGER PRIMARY KEY"
    ");"
    "CREATE TRIGGER analytics_rolled_delete AFTER DELETE ON analytics_rolled"
    " BEGIN DELETE FROM analytics_pairs_rolled WHERE day = OLD.day; END;"
};


const blog_schema_t  blog_analytics_schema = {
    "analytics database", blog_analytics_migrations,
    BLOG_ANALYTICS_SCHEMA_VERSION
};
