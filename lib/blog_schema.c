/*
 * data.db migrations.  Append new migrations at the end; never edit one that
 * has shipped, because files in the field already carry its effects.
 */

#include <stdio.h>
#include <stddef.h>

#include "blog_schema.h"
#include "blog_split.h"


/*
 * 8: what the reader pages read, kept current by triggers in the
 * transaction of every write, whoever makes it (blogctl, the panel, the
 * scheduler, a hand-typed UPDATE), so that a page costs what it shows,
 * not what the site holds.
 *
 * listing_posts: each listing's published posts, the index's (tag_id 0)
 * and each tag's, numbered by seq from 1, the oldest, in (published_at,
 * id) order: page N of a listing of n posts is seq n - N * per_page + 1 to
 * n - (N - 1) * per_page, one range of an index however deep.  Numbering
 * from the oldest makes the usual write, a post newer than all others,
 * one row; a post put in or taken out in the middle moves the seq of the
 * newer ones of its listings by one.  A published post without a date
 * counts as published at 0, the oldest, as ORDER BY put it before.
 *
 * listings: per listing, its number of posts and when it last changed
 * (the newest updated_at of a post put in or changed, or the time one was
 * taken out): the pages' Last-Modified without a scan.
 *
 * sitemap_parts: the sitemap's files.  Published posts and pages go into
 * the "posts" file of their id / BLOG_SITEMAP_URLS, tags with published
 * posts into the "tags" file of theirs (the first also holds the home
 * page), so each file has at most BLOG_SITEMAP_URLS URLs and keeps them
 * as the site grows; urls counts them and updated_at is the file's
 * lastmod.  posts_sitemap makes a file one range of an index.
 *
 * The migration fills the tables from the rows there are, then creates
 * the triggers.
 */
#define BLOG_STR(x)   BLOG_STR_(x)
#define BLOG_STR_(x)  #x
#define BLOG_PART(id) "(" id ") / " BLOG_STR(BLOG_SITEMAP_URLS)
#define BLOG_NOW      "CAST(strftime('%s', 'now') AS INTEGER)"
#define BLOG_LISTED(p)                                                        \
    "(" p ".type = 'post' AND " p ".status = 'published')"

/* a post's rows in the index's listing and in those of its tags */
#define BLOG_UNLIST(p)                                                        \
    "DELETE FROM listing_posts WHERE tag_id = 0 AND post_id = " p ".id;"     \
    "DELETE FROM listing_posts"                                               \
    " WHERE tag_id IN (SELECT tag_id FROM post_tags WHERE post_id = " p ".id)"\
    "   AND post_id = " p ".id;"

#define BLOG_LIST(p)                                                          \
    "INSERT INTO listing_posts (tag_id, post_id, published_at, seq)"          \
    "  SELECT 0, " p ".id, ifnull(" p ".published_at, 0), 0"                  \
    "   WHERE " BLOG_LISTED(p)                                                \
    "  UNION ALL"                                                             \
    "  SELECT tag_id, " p ".id, ifnull(" p ".published_at, 0), 0"             \
    "    FROM post_tags WHERE post_id = " p ".id AND " BLOG_LISTED(p) ";"

/* adds urls (1, 0 or -1) to a sitemap file and moves its lastmod on */
#define BLOG_SITEMAP_ADD(kind, id, urls, time)                                \
    "INSERT INTO sitemap_parts (kind, part, urls, updated_at)"                \
    "  VALUES ('" kind "', " BLOG_PART(id) ", " urls ", " time ")"            \
    "  ON CONFLICT DO UPDATE SET urls = urls + excluded.urls,"                \
    "    updated_at = max(updated_at, excluded.updated_at);"

/*
 * when posts_listing_moved fires: a post listed or unlisted (published or
 * not, a post or a page), or a listed one moved in time (migrations 8, 17)
 */
#define BLOG_LISTING_MOVED                                                    \
    " AFTER UPDATE OF type, status, published_at ON posts"                    \
    " WHEN " BLOG_LISTED("old") " != " BLOG_LISTED("new")                     \
    "   OR (" BLOG_LISTED("new")                                              \
    "       AND ifnull(old.published_at, 0) != ifnull(new.published_at, 0))"

#define BLOG_MIGRATION_LISTINGS                                               \
    "CREATE TABLE listing_posts ("                                            \
    "  tag_id       INTEGER NOT NULL,"                                        \
    "  post_id      INTEGER NOT NULL,"                                        \
    "  published_at INTEGER NOT NULL,"                                        \
    "  seq          INTEGER NOT NULL,"                                        \
    "  PRIMARY KEY (tag_id, post_id)"                                         \
    ") WITHOUT ROWID;"                                                        \
    "CREATE INDEX listing_posts_by_time"                                      \
    "  ON listing_posts (tag_id, published_at, post_id);"                     \
    "CREATE INDEX listing_posts_by_seq ON listing_posts (tag_id, seq);"       \
                                                                              \
    "CREATE TABLE listings ("                                                 \
    "  tag_id     INTEGER PRIMARY KEY,"                                       \
    "  posts      INTEGER NOT NULL,"                                          \
    "  updated_at INTEGER NOT NULL"                                           \
    ");"                                                                      \
                                                                              \
    "CREATE TABLE sitemap_parts ("                                            \
    "  kind       TEXT NOT NULL CHECK (kind IN ('posts', 'tags')),"           \
    "  part       INTEGER NOT NULL,"                                          \
    "  urls       INTEGER NOT NULL,"                                          \
    "  updated_at INTEGER NOT NULL,"                                          \
    "  PRIMARY KEY (kind, part)"                                              \
    ") WITHOUT ROWID;"                                                        \
    "CREATE INDEX posts_sitemap ON posts (status, id, type, slug, updated_at);"\
                                                                              \
    "INSERT INTO listing_posts (tag_id, post_id, published_at, seq)"          \
    "  SELECT 0, id, ifnull(published_at, 0),"                                \
    "         row_number() OVER (ORDER BY ifnull(published_at, 0), id)"       \
    "    FROM posts p WHERE " BLOG_LISTED("p") ";"                            \
    "INSERT INTO listing_posts (tag_id, post_id, published_at, seq)"          \
    "  SELECT pt.tag_id, p.id, ifnull(p.published_at, 0),"                    \
    "         row_number() OVER (PARTITION BY pt.tag_id"                      \
    "                            ORDER BY ifnull(p.published_at, 0), p.id)"   \
    "    FROM post_tags pt JOIN posts p ON p.id = pt.post_id"                 \
    "   WHERE " BLOG_LISTED("p") ";"                                          \
    "INSERT INTO listings (tag_id, posts, updated_at)"                        \
    "  SELECT 0, count(*), ifnull(max(updated_at), 0)"                        \
    "    FROM posts p WHERE " BLOG_LISTED("p") ";"                            \
    "INSERT INTO listings (tag_id, posts, updated_at)"                        \
    "  SELECT pt.tag_id, count(*), max(p.updated_at)"                         \
    "    FROM post_tags pt JOIN posts p ON p.id = pt.post_id"                 \
    "   WHERE " BLOG_LISTED("p") " GROUP BY pt.tag_id;"                       \
    "INSERT INTO sitemap_parts (kind, part, urls, updated_at)"                \
    "  SELECT 'posts', " BLOG_PART("id") ", count(*), max(updated_at)"        \
    "    FROM posts WHERE status = 'published' GROUP BY " BLOG_PART("id") ";" \
    "INSERT INTO sitemap_parts (kind, part, urls, updated_at)"                \
    "  SELECT 'tags', " BLOG_PART("tag_id") ","                               \
    "         sum(tag_id != 0 AND posts > 0), max(updated_at)"                \
    "    FROM listings GROUP BY " BLOG_PART("tag_id") ";"                     \
                                                                              \
    /* a row put in a listing takes its place: the newer ones move up */     \
    "CREATE TRIGGER listing_posts_insert AFTER INSERT ON listing_posts BEGIN" \
    "  UPDATE listing_posts SET seq = seq + 1"                                \
    "   WHERE tag_id = new.tag_id"                                            \
    "     AND (published_at, post_id) > (new.published_at, new.post_id);"     \
    "  UPDATE listing_posts SET seq = 1 + ifnull(("                           \
    "      SELECT seq FROM listing_posts"                                     \
    "       WHERE tag_id = new.tag_id"                                        \
    "         AND (published_at, post_id) < (new.published_at, new.post_id)"  \
    "       ORDER BY published_at DESC, post_id DESC LIMIT 1), 0)"            \
    "   WHERE tag_id = new.tag_id AND post_id = new.post_id;"                 \
    "  INSERT INTO listings (tag_id, posts, updated_at)"                      \
    "    SELECT new.tag_id, 1, updated_at FROM posts WHERE id = new.post_id"  \
    "    ON CONFLICT DO UPDATE SET posts = posts + 1,"                        \
    "      updated_at = max(updated_at, excluded.updated_at);"                \
    "END;"                                                                    \
    "CREATE TRIGGER listing_posts_delete AFTER DELETE ON listing_posts BEGIN" \
    "  UPDATE listing_posts SET seq = seq - 1"                                \
    "   WHERE tag_id = old.tag_id AND seq > old.seq;"                         \
    "  UPDATE listings SET posts = posts - 1,"                                \
    "    updated_at = max(updated_at, " BLOG_NOW ")"                          \
    "   WHERE tag_id = old.tag_id;"                                           \
    "END;"                                                                    \
                                                                              \
    "CREATE TRIGGER posts_listed AFTER INSERT ON posts"                       \
    " WHEN " BLOG_LISTED("new") " BEGIN "                                     \
    BLOG_LIST("new")                                                          \
    "END;"                                                                    \
    /* published or not, a post or a page, or moved in time */               \
    "CREATE TRIGGER posts_listing_moved"                                      \
    BLOG_LISTING_MOVED                                                        \
    " BEGIN "                                                                 \
    BLOG_UNLIST("old")                                                        \
    BLOG_LIST("new")                                                          \
    "END;"                                                                    \
    "CREATE TRIGGER posts_listing_changed AFTER UPDATE ON posts"              \
    " WHEN " BLOG_LISTED("new") " BEGIN"                                      \
    "  UPDATE listings SET updated_at = max(updated_at, new.updated_at)"      \
    "   WHERE tag_id = 0;"                                                    \
    "  UPDATE listings SET updated_at = max(updated_at, new.updated_at)"      \
    "   WHERE tag_id IN (SELECT tag_id FROM post_tags"                        \
    "                     WHERE post_id = new.id);"                           \
    "END;"                                                                    \
    /* with foreign_keys on, the cascade may have taken its tags first */    \
    "CREATE TRIGGER posts_unlisted AFTER DELETE ON posts"                     \
    " WHEN " BLOG_LISTED("old") " BEGIN "                                     \
    BLOG_UNLIST("old")                                                        \
    "END;"                                                                    \
    "CREATE TRIGGER post_tags_listed AFTER INSERT ON post_tags BEGIN"         \
    "  INSERT INTO listing_posts (tag_id, post_id, published_at, seq)"        \
    "    SELECT new.tag_id, id, ifnull(published_at, 0), 0 FROM posts p"      \
    "     WHERE id = new.post_id AND " BLOG_LISTED("p") ";"                   \
    "END;"                                                                    \
    "CREATE TRIGGER post_tags_unlisted AFTER DELETE ON post_tags BEGIN"       \
    "  DELETE FROM listing_posts"                                             \
    "   WHERE tag_id = old.tag_id AND post_id = old.post_id;"                 \
    "END;"                                                                    \
    "CREATE TRIGGER tags_unlisted AFTER DELETE ON tags BEGIN"                 \
    "  DELETE FROM listings WHERE tag_id = old.id;"                           \
    "END;"                                                                    \
                                                                              \
    "CREATE TRIGGER posts_sitemap_insert AFTER INSERT ON posts"               \
    " WHEN new.status = 'published' BEGIN "                                   \
    BLOG_SITEMAP_ADD("posts", "new.id", "1", "new.updated_at")                \
    "END;"                                                                    \
    "CREATE TRIGGER posts_sitemap_update AFTER UPDATE ON posts"               \
    " WHEN old.status = 'published' OR new.status = 'published' BEGIN "       \
    BLOG_SITEMAP_ADD("posts", "new.id",                                       \
                     "(new.status = 'published') - (old.status = 'published')",\
                     "CASE WHEN new.status = 'published'"                     \
                     " THEN new.updated_at ELSE " BLOG_NOW " END")            \
    "END;"                                                                    \
    "CREATE TRIGGER posts_sitemap_delete AFTER DELETE ON posts"               \
    " WHEN old.status = 'published' BEGIN "                                   \
    BLOG_SITEMAP_ADD("posts", "old.id", "-1", BLOG_NOW)                       \
    "END;"                                                                    \
    /* a tag is in the sitemap while it has published posts */               \
    "CREATE TRIGGER listings_sitemap_insert AFTER INSERT ON listings BEGIN "  \
    BLOG_SITEMAP_ADD("tags", "new.tag_id",                                    \
                     "(new.tag_id != 0 AND new.posts > 0)", "new.updated_at") \
    "END;"                                                                    \
    "CREATE TRIGGER listings_sitemap_update AFTER UPDATE ON listings BEGIN "  \
    BLOG_SITEMAP_ADD("tags", "new.tag_id",                                    \
                     "(new.tag_id != 0)"                                      \
                     " * ((new.posts > 0) - (old.posts > 0))",                \
                     "new.updated_at")                                        \
    "END;"                                                                    \
    "CREATE TRIGGER listings_sitemap_delete AFTER DELETE ON listings"         \
    " WHEN old.tag_id != 0 AND old.posts > 0 BEGIN "                          \
    BLOG_SITEMAP_ADD("tags", "old.tag_id", "-1", BLOG_NOW)                    \
    "END;"


/*
 * 11: full-text search over the published posts and pages (SQLite FTS5).
 *
 * search indexes title, summary, body and tags of search_source, a view
 * of the published rows: external content, so the text is kept once, in
 * posts.  The body indexed is the Markdown source, not body_html: the
 * triggers below run in every writer's connection (blogctl, the panel,
 * the scheduler, the sqlite3 shell), where no C function strips tags, and
 * Markdown is the author's text with a little punctuation, which the
 * tokenizer drops, where HTML would index attribute values as words.
 * tags is the post's tag names in name order, so that the same tags
 * always give the same text.
 *
 * An external-content index removes a row by being told its old text,
 * which must be what was indexed: each trigger names the old text from
 * old.* or from the tables as they were, and puts the new text in.  A
 * post's row changes when it is published, edited, unpublished or
 * deleted (before the delete: a cascade may take its tags next), when it
 * gets or loses a tag, and when a tag is renamed or deleted (before the
 * delete, for the same cascade).  Ranking is bm25 with a title match
 * worth ten of the body's, a summary's or a tag's four.
 */
#define BLOG_SEARCH_TAGS(name, filter)                                        \
    "ifnull((SELECT group_concat(name, ' ') FROM ("                           \
    "   SELECT " name " AS name FROM tags t WHERE " filter                    \
    "    ORDER BY 1, t.id)), '')"
#define BLOG_SEARCH_TAGS_OF(post)                                             \
    "t.id IN (SELECT tag_id FROM post_tags WHERE post_id = " post ")"

/* the rows of search_source s that "where" picks: put in, or taken out */
#define BLOG_SEARCH_ADD(where)                                                \
    "INSERT INTO search (rowid, title, summary, body, tags)"                  \
    "  SELECT id, title, summary, body, tags FROM search_source s"            \
    "   WHERE " where ";"
#define BLOG_SEARCH_DROP(tags, where)                                         \
    "INSERT INTO search (search, rowid, title, summary, body, tags)"          \
    "  SELECT 'delete', id, title, summary, body, " tags                      \
    "    FROM search_source s WHERE " where ";"

#define BLOG_MIGRATION_SEARCH                                                 \
    "CREATE VIEW search_source AS"                                            \
    "  SELECT p.id AS id, p.title AS title, p.summary AS summary,"            \
    "         p.body_md AS body, "                                            \
              BLOG_SEARCH_TAGS("t.name", BLOG_SEARCH_TAGS_OF("p.id"))         \
    "           AS tags"                                                      \
    "    FROM posts p WHERE p.status = 'published';"                          \
    "CREATE VIRTUAL TABLE search USING fts5 ("                                \
    "  title, summary, body, tags,"                                           \
    "  content = 'search_source', content_rowid = 'id',"                      \
    "  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'"            \
    ");"                                                                      \
    "INSERT INTO search (search, rank)"                                       \
    "  VALUES ('rank', 'bm25(10.0, 4.0, 1.0, 4.0)');"                         \
    "INSERT INTO search (search) VALUES ('rebuild');"                         \
                                                                              \
    "CREATE TRIGGER posts_search_insert AFTER INSERT ON posts"                \
    " WHEN new.status = 'published' BEGIN "                                   \
    BLOG_SEARCH_ADD("id = new.id")                                            \
    "END;"                                                                    \
    /* an edit leaves the tags as they are */                                \
    "CREATE TRIGGER posts_search_update"                                      \
    " AFTER UPDATE OF id, title, summary, body_md, status ON posts"           \
    " WHEN old.status = 'published' OR new.status = 'published' BEGIN"        \
    "  INSERT INTO search (search, rowid, title, summary, body, tags)"        \
    "    SELECT 'delete', old.id, old.title, old.summary, old.body_md, "      \
           BLOG_SEARCH_TAGS("t.name", BLOG_SEARCH_TAGS_OF("old.id"))          \
    "     WHERE old.status = 'published';"                                    \
    BLOG_SEARCH_ADD("id = new.id")                                            \
    "END;"                                                                    \
    "CREATE TRIGGER posts_search_delete BEFORE DELETE ON posts"               \
    " WHEN old.status = 'published' BEGIN "                                   \
    BLOG_SEARCH_DROP("tags", "id = old.id")                                   \
    "END;"                                                                    \
    /* AFTER: an INSERT OR IGNORE that inserts nothing changes nothing */    \
    "CREATE TRIGGER post_tags_search_insert AFTER INSERT ON post_tags BEGIN " \
    BLOG_SEARCH_DROP(BLOG_SEARCH_TAGS("t.name",                               \
                         BLOG_SEARCH_TAGS_OF("s.id")                      \
                         " AND t.id != new.tag_id"),                          \
                     "id = new.post_id")                                      \
    BLOG_SEARCH_ADD("id = new.post_id")                                       \
    "END;"                                                                    \
    "CREATE TRIGGER post_tags_search_delete AFTER DELETE ON post_tags BEGIN " \
    BLOG_SEARCH_DROP(BLOG_SEARCH_TAGS("t.name",                               \
                         "(" BLOG_SEARCH_TAGS_OF("s.id")                      \
                         " OR t.id = old.tag_id)"),                           \
                     "id = old.post_id")                                      \
    BLOG_SEARCH_ADD("id = old.post_id")                                       \
    "END;"                                                                    \
    "CREATE TRIGGER tags_search_rename AFTER UPDATE OF name ON tags"          \
    " WHEN old.name IS NOT new.name BEGIN "                                   \
    BLOG_SEARCH_DROP(BLOG_SEARCH_TAGS(                                        \
                         "CASE t.id WHEN old.id THEN old.name ELSE t.name END",\
                         BLOG_SEARCH_TAGS_OF("s.id")),                        \
                     "id IN (SELECT post_id FROM post_tags"                   \
                     "        WHERE tag_id = old.id)")                        \
    BLOG_SEARCH_ADD("id IN (SELECT post_id FROM post_tags"                    \
                    "        WHERE tag_id = new.id)")                         \
    "END;"                                                                    \
    /* the posts lose the tag now: its post_tags rows may outlive it */      \
    "CREATE TRIGGER tags_search_delete BEFORE DELETE ON tags BEGIN "          \
    BLOG_SEARCH_DROP("tags", "id IN (SELECT post_id FROM post_tags"           \
                             "        WHERE tag_id = old.id)")                \
    "INSERT INTO search (rowid, title, summary, body, tags)"                  \
    "  SELECT id, title, summary, body, "                                     \
         BLOG_SEARCH_TAGS("t.name",                                           \
                          BLOG_SEARCH_TAGS_OF("s.id") " AND t.id != old.id")  \
    "    FROM search_source s"                                                \
    "   WHERE id IN (SELECT post_id FROM post_tags WHERE tag_id = old.id);"   \
    "END;"


/*
 * 14: redirects, read by the module only for a request that found nothing
 * (ngx_http_blog_pages.c), so pages that exist pay nothing for them.
 *
 * kind 'path': from_path is a URL path as a reader sends it, from the
 * site's root, percent-decoded, without a trailing '/' (blog_redirect.h);
 * written by the panel, by aliases in front matter and by importers.
 * kind 'post' or 'page': from_path is a slug the post had, under that
 * kind's route; written by the triggers below, whoever renames the post
 * (the panel, blogctl, a hand-typed UPDATE).
 *
 * A row with post_id leads to that post wherever it is now, so chains
 * collapse by themselves: a -> b, then b -> c, and a leads to c.  A row
 * without one leads to to_url (a local path or an http(s) URL), or says
 * 410 Gone.  A post that takes a slug again takes its URL back: its own
 * kind's row for that slug is deleted.
 */
#define BLOG_MIGRATION_REDIRECTS                                              \
    "CREATE TABLE redirects ("                                                \
    "  id         INTEGER PRIMARY KEY,"                                       \
    "  kind       TEXT NOT NULL CHECK (kind IN ('path', 'post', 'page')),"    \
    "  from_path  TEXT NOT NULL,"                                             \
    "  post_id    INTEGER REFERENCES posts (id) ON DELETE CASCADE,"           \
    "  to_url     TEXT NOT NULL DEFAULT '',"                                  \
    "  status     INTEGER NOT NULL DEFAULT 301"                               \
    "               CHECK (status IN (301, 302, 308, 410)),"                  \
    "  origin     TEXT NOT NULL,"                                             \
    "  created_at INTEGER NOT NULL,"                                          \
    "  updated_at INTEGER NOT NULL,"                                          \
    "  UNIQUE (kind, from_path),"                                             \
    "  CHECK (post_id IS NOT NULL OR to_url != '' OR status = 410)"           \
    ");"                                                                      \
    "CREATE INDEX redirects_by_post ON redirects (post_id)"                   \
    "  WHERE post_id IS NOT NULL;"                                            \
    "CREATE TRIGGER redirects_slug_taken AFTER INSERT ON posts BEGIN "        \
    "  DELETE FROM redirects WHERE kind = new.type AND from_path = new.slug;" \
    "END;"                                                                    \
    "CREATE TRIGGER redirects_slug_moved AFTER UPDATE OF slug, type ON posts" \
    " WHEN old.slug != new.slug OR old.type != new.type BEGIN "               \
    "  DELETE FROM redirects WHERE kind = new.type AND from_path = new.slug;" \
    "  INSERT INTO redirects (kind, from_path, post_id, status, origin,"      \
    "    created_at, updated_at)"                                             \
    "  VALUES (old.type, old.slug, new.id, 301, 'slug', " BLOG_NOW ","        \
    "    " BLOG_NOW ")"                                                       \
    "  ON CONFLICT (kind, from_path) DO UPDATE SET post_id = excluded.post_id,"\
    "    to_url = '', status = 301, origin = 'slug',"                         \
    "    updated_at = excluded.updated_at;"                                   \
    "END;"                                                                    \
    /* without foreign keys on, as blogctl and the module run */             \
    "CREATE TRIGGER redirects_post_deleted AFTER DELETE ON posts BEGIN "      \
    "  DELETE FROM redirects WHERE post_id = old.id;"                         \
    "END;"


/*
 * A post published now, with its newsletter on, gets its newsletter and
 * the job that sends it, once: a post unpublished and published again
 * already has its row.
 */
#define BLOG_NEWSLETTER_TRIGGER(name, on, when)                               \
    "CREATE TRIGGER newsletter_" name " AFTER " on " ON posts"               \
    " WHEN new.type = 'post' AND new.status = 'published'"                   \
    "  AND new.newsletter = 1" when                                          \
    "  AND ifnull(new.published_at, 0) > " BLOG_NOW " - 86400 BEGIN "         \
    "  INSERT INTO job_outbox (kind, dedupe_key, payload, run_after,"         \
    "    created_at)"                                                         \
    "  SELECT 'newsletter', 'newsletter:' || new.id,"                         \
    "    json_object('post', new.id), " BLOG_NOW ", " BLOG_NOW                \
    "   WHERE NOT EXISTS (SELECT 1 FROM newsletters WHERE post_id = new.id);" \
    "  INSERT INTO newsletters (post_id, subject, created_at)"                \
    "  VALUES (new.id, new.title, " BLOG_NOW ")"                              \
    "  ON CONFLICT (post_id) DO NOTHING;"                                     \
    "END;"

/*
 * 17: each published post's related posts, kept in related_posts by the
 * triggers that keep listing_posts (migration 8), so that a post page reads
 * BLOG_RELATED rows by key instead of ranking its candidates.
 *
 * The lists are those the page ranked before (session 8's definition):
 * among a post's neighbours, the BLOG_RELATED_NEAR posts just before and
 * after it in each of its tags' listings, the BLOG_RELATED sharing the
 * most tags with it, then the nearest to it in time, the newer first at an
 * equal distance, then the greater id.  place numbers them from 1.
 *
 * Being neighbours is symmetric, so a write changes only the lists of the
 * post written and of its neighbours; the work is bounded by what a post
 * has, not by the site:
 *
 * - a post put in or taken out of its listings (published, unpublished,
 *   deleted, made a page, moved in time): it and its neighbours in each
 *   of its tags' listings, before and after the move;
 * - a tag T given or taken: the post, its neighbours in T's listing
 *   (whose windows gain or lose it), and those of its neighbours in its
 *   other tags' listings that have T (the count of tags they share moved).
 *   The others' lists cannot change.
 *
 * Each trigger puts the posts so marked into related_todo, then ranks them
 * all in one statement and empties it, so a post marked twice by one
 * write is ranked once and the table is empty between writes (a trigger
 * cannot use a temporary table).  A post no longer listed ranks to no
 * rows, so its list goes.  The migration 8 triggers that list and unlist
 * posts are made again with these steps around their bodies: SQLite does
 * not order the triggers of one event, and ranking needs the listings'
 * seq as the write leaves them.  A title or date edit of a post that
 * stays where it is changes no list: the page reads the posts' rows.
 */
#define BLOG_REL_NEAR  BLOG_STR(BLOG_RELATED_NEAR)

/* the posts within BLOG_RELATED_NEAR of post p in the listings of tags */
#define BLOG_REL_NEIGHBOURS(p, tags)                                          \
    "SELECT l.post_id FROM (" tags ") m"                                      \
    "  JOIN listing_posts s ON s.tag_id = m.tag_id AND s.post_id = " p        \
    "  JOIN listing_posts l ON l.tag_id = m.tag_id"                           \
    "   AND l.seq BETWEEN s.seq - " BLOG_REL_NEAR                             \
    "                 AND s.seq + " BLOG_REL_NEAR

/* post p and its neighbours under all its tags */
#define BLOG_REL_MARK(p)                                                      \
    "INSERT OR IGNORE INTO related_todo (post_id) VALUES (" p ");"            \
    "INSERT OR IGNORE INTO related_todo (post_id) "                           \
    BLOG_REL_NEIGHBOURS(p, "SELECT tag_id FROM post_tags"                     \
                           " WHERE post_id = " p) ";"

/*
 * post p and those of its neighbours, under tag t or its others, that have
 * tag t (post_tags' row of p and t may be gone: t is named anyway)
 */
#define BLOG_REL_MARK_TAG(p, t)                                               \
    "INSERT OR IGNORE INTO related_todo (post_id) VALUES (" p ");"            \
    "INSERT OR IGNORE INTO related_todo (post_id) "                           \
    BLOG_REL_NEIGHBOURS(p, "SELECT tag_id FROM post_tags"                     \
                           " WHERE post_id = " p " UNION SELECT " t)          \
    " WHERE EXISTS (SELECT 1 FROM post_tags h"                                \
    "                WHERE h.post_id = l.post_id AND h.tag_id = " t ");"

/*
 * ranks the lists of the posts in related_todo as the page did: the tags
 * shared are counted by looking each candidate's tags up among the
 * post's.  The CROSS JOINs keep their order: the planner, which cannot
 * know that related_todo holds a few rows, would scan post_tags.
 */
#define BLOG_REL_RANK                                                         \
    "DELETE FROM related_posts"                                               \
    " WHERE post_id IN (SELECT post_id FROM related_todo);"                   \
    "INSERT INTO related_posts (post_id, place, related_id)"                  \
    "  SELECT pid, place, cid"                                                \
    "    FROM (SELECT pid, cid, row_number() OVER (PARTITION BY pid"          \
    "                 ORDER BY shared DESC, far, at DESC, cid DESC) AS place" \
    "            FROM (SELECT d.post_id AS pid, l.post_id AS cid,"            \
    "                         l.published_at AS at,"                          \
    "                         abs(l.published_at - s.published_at) AS far,"   \
    "                         (SELECT count(*) FROM post_tags b"              \
    "                           CROSS JOIN post_tags a"                       \
    "                              ON a.post_id = d.post_id"                  \
    "                             AND a.tag_id = b.tag_id"                    \
    "                           WHERE b.post_id = l.post_id) AS shared"       \
    "                    FROM related_todo d"                                 \
    "                   CROSS JOIN post_tags m ON m.post_id = d.post_id"      \
    "                   CROSS JOIN listing_posts s ON s.tag_id = m.tag_id"    \
    "                     AND s.post_id = d.post_id"                          \
    "                   CROSS JOIN listing_posts l ON l.tag_id = m.tag_id"    \
    "                     AND l.seq BETWEEN s.seq - " BLOG_REL_NEAR           \
    "                                   AND s.seq + " BLOG_REL_NEAR           \
    "                     AND l.seq <> s.seq"                                 \
    "                   GROUP BY d.post_id, l.post_id))"                      \
    "   WHERE place <= " BLOG_STR(BLOG_RELATED) ";"                           \
    "DELETE FROM related_todo;"

#define BLOG_MIGRATION_RELATED                                                \
    "CREATE TABLE related_posts ("                                            \
    "  post_id    INTEGER NOT NULL,"                                          \
    "  place      INTEGER NOT NULL,"                                          \
    "  related_id INTEGER NOT NULL,"                                          \
    "  PRIMARY KEY (post_id, place)"                                          \
    ") WITHOUT ROWID;"                                                        \
    "CREATE TABLE related_todo (post_id INTEGER PRIMARY KEY);"                \
                                                                              \
    "INSERT INTO related_todo (post_id)"                                      \
    "  SELECT post_id FROM listing_posts WHERE tag_id = 0;"                   \
    BLOG_REL_RANK                                                             \
                                                                              \
    "DROP TRIGGER posts_listed;"                                              \
    "CREATE TRIGGER posts_listed AFTER INSERT ON posts"                       \
    " WHEN " BLOG_LISTED("new") " BEGIN "                                     \
    BLOG_LIST("new")                                                          \
    BLOG_REL_MARK("new.id")                                                   \
    BLOG_REL_RANK                                                             \
    "END;"                                                                    \
    "DROP TRIGGER posts_listing_moved;"                                       \
    "CREATE TRIGGER posts_listing_moved"                                      \
    BLOG_LISTING_MOVED                                                        \
    " BEGIN "                                                                 \
    BLOG_REL_MARK("old.id")                                                   \
    BLOG_UNLIST("old")                                                        \
    BLOG_LIST("new")                                                          \
    BLOG_REL_MARK("new.id")                                                   \
    BLOG_REL_RANK                                                             \
    "END;"                                                                    \
    "DROP TRIGGER posts_unlisted;"                                            \
    "CREATE TRIGGER posts_unlisted AFTER DELETE ON posts"                     \
    " WHEN " BLOG_LISTED("old") " BEGIN "                                     \
    BLOG_REL_MARK("old.id")                                                   \
    BLOG_UNLIST("old")                                                        \
    BLOG_REL_RANK                                                             \
    "END;"                                                                    \
    "DROP TRIGGER post_tags_listed;"                                          \
    "CREATE TRIGGER post_tags_listed AFTER INSERT ON post_tags BEGIN"         \
    "  INSERT INTO listing_posts (tag_id, post_id, published_at, seq)"        \
    "    SELECT new.tag_id, id, ifnull(published_at, 0), 0 FROM posts p"      \
    "     WHERE id = new.post_id AND " BLOG_LISTED("p") ";"                   \
    BLOG_REL_MARK_TAG("new.post_id", "new.tag_id")                            \
    BLOG_REL_RANK                                                             \
    "END;"                                                                    \
    "DROP TRIGGER post_tags_unlisted;"                                        \
    "CREATE TRIGGER post_tags_unlisted AFTER DELETE ON post_tags BEGIN "      \
    BLOG_REL_MARK_TAG("old.post_id", "old.tag_id")                            \
    "  DELETE FROM listing_posts"                                             \
    "   WHERE tag_id = old.tag_id AND post_id = old.post_id;"                 \
    BLOG_REL_RANK                                                             \
    "END;"

static const char *const blog_migrations[BLOG_SCHEMA_VERSION] = {

    /* 1: content.  Times are Unix seconds (UTC). */
    "CREATE TABLE posts ("
    "  id           INTEGER PRIMARY KEY,"
    "  type         TEXT NOT NULL DEFAULT 'post'"
    "                 CHECK (type IN ('post', 'page')),"
    "  slug         TEXT NOT NULL UNIQUE,"
    "  title        TEXT NOT NULL,"
    "  summary      TEXT NOT NULL DEFAULT '',"
    "  body_md      TEXT NOT NULL,"
    "  body_html    TEXT NOT NULL,"
    "  status       TEXT NOT NULL DEFAULT 'draft'"
    "                 CHECK (status IN ('draft', 'published', 'scheduled')),"
    "  published_at INTEGER,"
    "  created_at   INTEGER NOT NULL,"
    "  updated_at   INTEGER NOT NULL,"
    "  source       TEXT"
    ");"
    "CREATE INDEX posts_listing ON posts (type, status, published_at DESC);"

    "CREATE TABLE tags ("
    "  id   INTEGER PRIMARY KEY,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL"
    ");"

    "CREATE TABLE post_tags ("
    "  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,"
    "  tag_id  INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,"
    "  PRIMARY KEY (post_id, tag_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX post_tags_by_tag ON post_tags (tag_id, post_id);"

    /*
     * Every saved state of a post, numbered from 1 per post.  tags is the
     * comma-separated tag names as the author wrote them.
     */
    "CREATE TABLE revisions ("
    "  id           INTEGER PRIMARY KEY,"
    "  post_id      INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,"
    "  rev          INTEGER NOT NULL,"
    "  type         TEXT NOT NULL,"
    "  title        TEXT NOT NULL,"
    "  summary      TEXT NOT NULL,"
    "  body_md      TEXT NOT NULL,"
    "  status       TEXT NOT NULL,"
    "  published_at INTEGER,"
    "  tags         TEXT NOT NULL,"
    "  created_at   INTEGER NOT NULL,"
    "  origin       TEXT NOT NULL,"
    "  UNIQUE (post_id, rev)"
    ");"

    /* Site-wide settings: title, description, author, base_url. */
    "CREATE TABLE settings ("
    "  key   TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO settings (key, value) VALUES"
    "  ('title', 'ngx_blog'),"
    "  ('description', ''),"
    "  ('author', '');",

    /*
     * 2: the jobrunner's durable job queue, the media files it has made
     * variants of, and its timers.  Times are Unix seconds (UTC).
     *
     * A job is queued, leased by a worker until lease_until, then done or
     * back to queued with run_after pushed out (attempts counts leases), or
     * dead after too many attempts or a failure that cannot heal.  The
     * dedupe_key makes enqueueing idempotent: one job per media file
     * version, one per timer slot.
     */
    "CREATE TABLE jobs ("
    "  id          INTEGER PRIMARY KEY,"
    "  kind        TEXT NOT NULL,"
    "  dedupe_key  TEXT UNIQUE,"
    "  payload     TEXT NOT NULL DEFAULT '{}',"
    "  state       TEXT NOT NULL DEFAULT 'queued'"
    "                CHECK (state IN ('queued', 'leased', 'done', 'dead')),"
    "  attempts    INTEGER NOT NULL DEFAULT 0,"
    "  run_after   INTEGER NOT NULL,"
    "  lease_until INTEGER,"
    "  lease_owner TEXT,"
    "  last_error  TEXT,"
    "  created_at  INTEGER NOT NULL,"
    "  updated_at  INTEGER NOT NULL"
    ");"
    "CREATE INDEX jobs_due ON jobs (state, run_after);"

    /*
     * An image under the media root (path relative to it) as it was when
     * its variants were made: size, mtime and params (the widths and
     * formats asked for) tell whether it must be made again.  width and
     * height are after EXIF orientation, as browsers show it.
     */
    "CREATE TABLE media ("
    "  id          INTEGER PRIMARY KEY,"
    "  path        TEXT NOT NULL UNIQUE,"
    "  hash        TEXT NOT NULL,"
    "  size        INTEGER NOT NULL,"
    "  mtime       INTEGER NOT NULL,"
    "  params      TEXT NOT NULL,"
    "  format      TEXT NOT NULL,"
    "  width       INTEGER NOT NULL,"
    "  height      INTEGER NOT NULL,"
    "  updated_at  INTEGER NOT NULL"
    ");"

    /* A resized copy, path relative to the media root. */
    "CREATE TABLE media_variants ("
    "  media_id INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,"
    "  format   TEXT NOT NULL,"
    "  width    INTEGER NOT NULL,"
    "  height   INTEGER NOT NULL,"
    "  path     TEXT NOT NULL,"
    "  bytes    INTEGER NOT NULL,"
    "  PRIMARY KEY (media_id, format, width)"
    ") WITHOUT ROWID;"

    /* The last slot (scheduled time) each timer was enqueued for. */
    "CREATE TABLE timers ("
    "  name      TEXT PRIMARY KEY,"
    "  last_slot INTEGER NOT NULL"
    ") WITHOUT ROWID;",

    /*
     * 3: the admin panel and comments.  Times are Unix seconds (UTC).
     *
     * password_hash is an argon2id PHC string ($argon2id$v=19$m=...).
     */
    "CREATE TABLE users ("
    "  id            INTEGER PRIMARY KEY,"
    "  name          TEXT NOT NULL UNIQUE,"
    "  email         TEXT NOT NULL DEFAULT '',"
    "  password_hash TEXT NOT NULL,"
    "  created_at    INTEGER NOT NULL,"
    "  updated_at    INTEGER NOT NULL"
    ");"

    /*
     * Readers' comments: body_md as written, body_html rendered by cmark
     * in safe mode.  Only approved ones are shown; spam is kept out of
     * the queue but not deleted, so a mistake can be undone.
     */
    "CREATE TABLE comments ("
    "  id           INTEGER PRIMARY KEY,"
    "  post_id      INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,"
    "  author_name  TEXT NOT NULL,"
    "  author_email TEXT NOT NULL DEFAULT '',"
    "  body_md      TEXT NOT NULL,"
    "  body_html    TEXT NOT NULL,"
    "  status       TEXT NOT NULL DEFAULT 'pending'"
    "                 CHECK (status IN ('pending', 'approved', 'spam')),"
    "  address      TEXT NOT NULL DEFAULT '',"
    "  created_at   INTEGER NOT NULL,"
    "  updated_at   INTEGER NOT NULL"
    ");"
    "CREATE INDEX comments_by_post ON comments (post_id, status, created_at);"
    "CREATE INDEX comments_by_status ON comments (status, created_at);"

    /* Commenters whose comments skip the queue, by e-mail address. */
    "CREATE TABLE trusted_commenters ("
    "  email      TEXT PRIMARY KEY,"
    "  created_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"

    /*
     * Files uploaded through the admin panel, stored under the media root
     * as path = <first 2 hex digits>/<sha256>.<ext>.
     */
    "CREATE TABLE uploads ("
    "  sha256     TEXT PRIMARY KEY,"
    "  path       TEXT NOT NULL,"
    "  type       TEXT NOT NULL,"
    "  size       INTEGER NOT NULL,"
    "  name       TEXT NOT NULL,"
    "  user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,"
    "  created_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX uploads_by_time ON uploads (created_at);",

    /*
     * 4: analytics, aggregated by the jobrunner from the module's access
     * events, read by the module's analytics page.  day is the Unix day
     * (UTC): floor(time / 86400).
     *
     * analytics_daily: views and unique visitors of people, requests of
     * bots (flagged by their user agent, counted apart), all requests.
     */
    "CREATE TABLE analytics_daily ("
    "  day       INTEGER PRIMARY KEY,"
    "  views     INTEGER NOT NULL DEFAULT 0,"
    "  visitors  INTEGER NOT NULL DEFAULT 0,"
    "  bot_views INTEGER NOT NULL DEFAULT 0,"
    "  requests  INTEGER NOT NULL DEFAULT 0"
    ");"

    /*
     * Counts per day along one dimension: views per path and per post
     * slug, referrer hosts, countries, browsers, operating systems (views
     * of people), status codes (all requests), bots (by name).
     */
    "CREATE TABLE analytics_counts ("
    "  dim TEXT NOT NULL CHECK (dim IN ('path', 'post', 'referrer',"
    "        'country', 'browser', 'os', 'status', 'bot')),"
    "  day INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  n   INTEGER NOT NULL,"
    "  PRIMARY KEY (dim, day, key)"
    ") WITHOUT ROWID;"

    /*
     * Today's visitors: the first 16 bytes of SHA-256(salt, address,
     * user agent), with a salt of the day kept in ttl.db.  No cookie, no
     * address: once the day and its salt are gone the rows are deleted.
     */
    "CREATE TABLE analytics_visitors ("
    "  day  INTEGER NOT NULL,"
    "  hash BLOB NOT NULL,"
    "  PRIMARY KEY (day, hash)"
    ") WITHOUT ROWID;"

    /*
     * How far each spool file has been counted, written in the same
     * transaction as its counts, so a crash never counts a record twice.
     */
    "CREATE TABLE analytics_spools ("
    "  file   TEXT PRIMARY KEY,"
    "  offset INTEGER NOT NULL"
    ") WITHOUT ROWID;",

    /*
     * 5: a day's visitor hashes as one blob per batch (16 bytes each,
     * seq counting the batches of the day) instead of one row each: the
     * jobrunner keeps the day's set in memory, so a batch of a hundred
     * thousand new visitors is one insert, not a hundred thousand B-tree
     * insertions of random keys.
     */
    "DROP TABLE analytics_visitors;"
    "CREATE TABLE analytics_visitor_hashes ("
    "  day    INTEGER NOT NULL,"
    "  seq    INTEGER NOT NULL,"
    "  hashes BLOB NOT NULL,"
    "  PRIMARY KEY (day, seq)"
    ") WITHOUT ROWID;",

    /*
     * 6: the views of each path of all time, kept by the jobrunner in the
     * transaction of each batch, for the count a post page shows and the
     * realtime counter: one row to read instead of a sum over the days.
     */
    "CREATE TABLE analytics_path_totals ("
    "  path  TEXT PRIMARY KEY,"
    "  views INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO analytics_path_totals (path, views)"
    "  SELECT key, sum(n) FROM analytics_counts WHERE dim = 'path'"
    "  GROUP BY key;",

    /*
     * 7: events of several nodes through NATS JetStream, counted by the
     * consuming jobrunner (jr_nats_consume.c).  Both tables are written in
     * the transaction of the counts they account for.
     *
     * analytics_nats: per stream (and its creation time, so a stream made
     * anew starts over), the last stream sequence counted: a message
     * redelivered after a crash before its ack is not counted twice.
     */
    "CREATE TABLE analytics_nats ("
    "  stream  TEXT PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  seq     INTEGER NOT NULL"
    ") WITHOUT ROWID;"

    /*
     * analytics_nodes: per publishing node, the position (outbox file
     * number, offset) of the last message counted: a node publishes in
     * that order, so a message it publishes again after a crash, even past
     * JetStream's duplicate window, is not counted twice.
     */
    "CREATE TABLE analytics_nodes ("
    "  node   TEXT PRIMARY KEY,"
    "  file   INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL"
    ") WITHOUT ROWID;",

    BLOG_MIGRATION_LISTINGS,

    /*
     * 9: trusted commenters by what only they hold.  A commenter's browser
     * keeps a random token in a cookie; comments.commenter is its SHA-256
     * (hex), and trusting an author keeps that hash.  An e-mail address,
     * which anyone can type, trusts no one any more: the addresses
     * trusted before are dropped, and their authors' next comment waits
     * for approval (with a trust, their token is trusted from then on).
     */
    "ALTER TABLE comments ADD COLUMN commenter TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX comments_by_commenter ON comments (commenter)"
    "  WHERE commenter <> '';"
    "DROP TABLE trusted_commenters;"
    "CREATE TABLE trusted_commenters ("
    "  commenter  TEXT PRIMARY KEY,"
    "  created_at INTEGER NOT NULL"
    ") WITHOUT ROWID;",

    /*
     * 10: social cards, the pictures link previews show of a post without
     * one, made by the jobrunner ("card" jobs): the file under the media
     * root, named by the hash of what it shows, and the title it shows,
     * so that a page uses it only while the title is still the post's.
     */
    "CREATE TABLE cards ("
    "  post_id    INTEGER PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,"
    "  title      TEXT NOT NULL,"
    "  hash       TEXT NOT NULL,"
    "  path       TEXT NOT NULL,"
    "  width      INTEGER NOT NULL,"
    "  height     INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");",

    BLOG_MIGRATION_SEARCH,

    /*
     * 12: data.db changes when content does, and only then.  Analytics
     * moved to analytics.db and the job queue to queue.db
     * (blog_analytics_schema.h, blog_queue_schema.h): blog_split() copies
     * their rows there and commits before this migration drops them, in
     * one write lock of data.db.
     *
     * job_outbox: a job that must exist exactly when some content does
     * (an upload's thumbnails, a comment's notification), written in the
     * content's transaction; the jobrunner moves each row into queue.db's
     * jobs, its id as the job's outbox_id, and only then deletes it here.
     * AUTOINCREMENT: an id is never given again once the outbox is empty,
     * or the new row would meet an old job's outbox_id and be dropped.
     */
    BLOG_SPLIT_DROPPED
    "CREATE TABLE job_outbox ("
    "  id         INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind       TEXT NOT NULL,"
    "  dedupe_key TEXT,"
    "  payload    TEXT NOT NULL DEFAULT '{}',"
    "  run_after  INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL"
    ");",

    /*
     * 13: what a post page shows besides its body, computed from the
     * Markdown when the post is saved (lib/blog_post.c): its reading
     * time in minutes and its table of contents.  Existing posts get
     * their reading time here, words counted as blog_markdown_words()
     * does (runs of characters other than space, tab, CR, LF: the
     * replace()s fold runs of up to 64 spaces, which covers indented
     * code); their table of contents, heading ids and highlighted code
     * come with "blogctl rerender".
     */
    "ALTER TABLE posts ADD COLUMN reading_minutes INTEGER NOT NULL"
    "  DEFAULT 1;"
    "ALTER TABLE posts ADD COLUMN toc_html TEXT NOT NULL DEFAULT '';"
    "UPDATE posts SET reading_minutes = max(1, (words + 229) / 230)"
    "  FROM (SELECT id AS wid, CASE WHEN s = '' THEN 0"
    "               ELSE length(s) - length(replace(s, ' ', '')) + 1 END"
    "               AS words"
    "          FROM (SELECT id, trim(replace(replace(replace(replace("
    "                  replace(replace(replace(replace(replace(body_md,"
    "                  char(13), ' '), char(10), ' '), char(9), ' '),"
    "                  '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '),"
    "                  '  ', ' '), '  ', ' ')) AS s FROM posts))"
    " WHERE id = wid;",

    BLOG_MIGRATION_REDIRECTS,

    /*
     * 15: the newsletter (docs/newsletter.md).  People and what was
     * decided about them live here; the state of each message of a send
     * is hot and lives in queue.db (its migration 2).
     *
     * subscribers: one row per address that confirmed, or that an owner
     * brought in.
     *   email           the address, unique whatever its case
     *   name            what the reader typed, '' when nothing; shown
     *                   escaped, written in headers without control bytes
     *   status          pending: brought in by an owner (CSV import,
     *                     blogctl) and not confirmed yet, gets no
     *                     newsletter; a reader's form never makes one, as
     *                     the address is stored only when its link is
     *                     followed;
     *                   active: gets every newsletter;
     *                   unsubscribed: by its link (or the owner);
     *                   bounced: a 5xx answer to its RCPT or DATA
     *   source          how the row came: 'form', 'import', 'blogctl',
     *                   'admin'
     *   created_at      when the row was made
     *   confirmed_at    when the address was last confirmed (its link
     *                   followed or consent recorded); NULL when never.
     *                   A confirmation link older than this, or than
     *                   unsubscribed_at, is a used one
     *   unsubscribed_at when it last unsubscribed; NULL when never
     *   bounced_at      when the last hard bounce came; NULL when none
     *   updated_at      the last change of the row
     *
     * posts.newsletter: 1 (the default) sends the post to the
     * subscribers when it is published; 0 (front matter "newsletter:
     * false", the panel's post form) does not.
     *
     * newsletters: one per post, made by the triggers below when the post
     * is published (by anyone: the panel, blogctl, a scheduled time), in
     * the publishing transaction, with its "newsletter" job in job_outbox.
     *   post_id     the post; the row stays if the post is deleted, its
     *               send already made
     *   subject     the post's title when it was published
     *   status      queued: waits for its job; sending: rendered, its
     *               deliveries made in queue.db; sent: every delivery
     *               ended (sent, failed, bounced or skipped);
     *               cancelled: the owner stopped it
     *   html, text  the message body, rendered once by the jobrunner from
     *               the theme's newsletter templates with absolute links;
     *               NULL until then
     *   recipients  deliveries made (active subscribers at the start)
     *   sent, failed, bounced  final counts, written when the send ends
     *               (live counts are queue.db's deliveries)
     *   created_at  when the post was published; started_at when it was
     *               rendered; finished_at when it ended
     *
     * Only a post published within a day of its published_at sends: an
     * import of old posts, or a post published again, sends nothing.
     *
     * settings.newsletter_key: 64 hex digits, the HMAC-SHA256 key of the
     * confirmation and unsubscribe links, made here once.  In data.db so
     * that the module (which checks links) and the jobrunner (which
     * writes them) share it and a restored backup keeps old links valid.
     */
    "CREATE TABLE subscribers ("
    "  id              INTEGER PRIMARY KEY,"
    "  email           TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  name            TEXT NOT NULL DEFAULT '',"
    "  status          TEXT NOT NULL DEFAULT 'pending'"
    "                    CHECK (status IN ('pending', 'active',"
    "                                      'unsubscribed', 'bounced')),"
    "  source          TEXT NOT NULL DEFAULT 'form',"
    "  created_at      INTEGER NOT NULL,"
    "  confirmed_at    INTEGER,"
    "  unsubscribed_at INTEGER,"
    "  bounced_at      INTEGER,"
    "  updated_at      INTEGER NOT NULL"
    ");"
    "CREATE INDEX subscribers_by_status ON subscribers (status, id);"
    "ALTER TABLE posts ADD COLUMN newsletter INTEGER NOT NULL DEFAULT 1"
    "  CHECK (newsletter IN (0, 1));"
    "CREATE TABLE newsletters ("
    "  id          INTEGER PRIMARY KEY,"
    "  post_id     INTEGER NOT NULL UNIQUE,"
    "  subject     TEXT NOT NULL,"
    "  status      TEXT NOT NULL DEFAULT 'queued'"
    "                CHECK (status IN ('queued', 'sending', 'sent',"
    "                                  'cancelled')),"
    "  html        TEXT,"
    "  text        TEXT,"
    "  recipients  INTEGER NOT NULL DEFAULT 0,"
    "  sent        INTEGER NOT NULL DEFAULT 0,"
    "  failed      INTEGER NOT NULL DEFAULT 0,"
    "  bounced     INTEGER NOT NULL DEFAULT 0,"
    "  created_at  INTEGER NOT NULL,"
    "  started_at  INTEGER,"
    "  finished_at INTEGER"
    ");"
    /* a key already there (a file put back together by hand) is kept */
    "INSERT INTO settings (key, value)"
    "  VALUES ('newsletter_key', lower(hex(randomblob(32))))"
    "  ON CONFLICT (key) DO NOTHING;"
    BLOG_NEWSLETTER_TRIGGER("inserted", "INSERT", "")
    BLOG_NEWSLETTER_TRIGGER("published", "UPDATE OF status",
                            " AND old.status != 'published'"),

    /*
     * 16: the name of a post's author, as the blog it was imported from
     * gave it (WordPress's dc:creator, Ghost's users, Hugo's and Jekyll's
     * author key); '' for none, and the post page shows no byline.  A
     * name, not a user: imported authors do not sign in here.
     */
    "ALTER TABLE posts ADD COLUMN author TEXT NOT NULL DEFAULT '';",

    /* 17: related_posts (above) */
    BLOG_MIGRATION_RELATED
};


const blog_schema_t  blog_data_schema = {
    "database", blog_migrations, BLOG_SCHEMA_VERSION
};


int
blog_schema_check(sqlite3 *db, const blog_schema_t *schema, int *version)
{
    int            rc;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    }

    *version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);

    return *version == schema->version ? SQLITE_OK : SQLITE_SCHEMA;
}


/*
 * Brings db from its PRAGMA user_version to the schema's version by running
 * migrations[v] for each version v it lacks, in one write transaction.
 */
int
blog_migrate(sqlite3 *db, const blog_schema_t *schema, char **err)
{
    int  rc;

    *err = NULL;

    rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, err);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, err);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = blog_migrate_locked(db, schema, err);
    if (rc != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }

    return sqlite3_exec(db, "COMMIT", NULL, NULL, err);
}


int
blog_migrate_locked(sqlite3 *db, const blog_schema_t *schema, char **err)
{
    int            rc, version, v;
    char           sql[64];
    sqlite3_stmt  *stmt;

    *err = NULL;

    /* read the version inside the write lock, so two migrators cannot race */
    rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_step(stmt);
    version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);

    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    }

    if (version > schema->version) {
        *err = sqlite3_mprintf("%s schema version %d is newer than this "
                               "build (%d)", schema->what, version,
                               schema->version);
        return SQLITE_SCHEMA;
    }

    if (version == schema->version) {
        return SQLITE_OK;
    }

    for (v = version; v < schema->version; v++) {
        rc = sqlite3_exec(db, schema->migrations[v], NULL, NULL, err);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }

    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", schema->version);

    return sqlite3_exec(db, sql, NULL, NULL, err);
}
