/*
 * The reader pages' SQL (blog_reader.h).  Listings, counts and the
 * sitemap's files are read from the tables that migration 8 keeps
 * current (lib/blog_schema.c).
 */

#include "blog_reader.h"


const char *const  blog_reader_sql[BLOG_STMT_N] = {

    /* BLOG_STMT_DATA_VERSION */
    "PRAGMA main.data_version",

    /*
     * BLOG_STMT_BEGIN, BLOG_STMT_COMMIT: a page's statements share one
     * read transaction, so it sees one snapshot and takes the file's locks
     * once, not once per statement.
     */
    "BEGIN",
    "COMMIT",

    /* BLOG_STMT_SETTINGS: a handful of rows, all of them used */
    "SELECT key, value FROM settings",

    /*
     * BLOG_STMT_LISTING: ?1 tag id (0: the index), ?2 and ?3 the seq of
     * the page's oldest and newest posts
     */
    "SELECT p.id, p.slug, p.title, p.summary, p.published_at, p.updated_at,"
    "       p.reading_minutes"
    " FROM listing_posts l JOIN posts p ON p.id = l.post_id"
    " WHERE l.tag_id = ?1 AND l.seq BETWEEN ?2 AND ?3"
    " ORDER BY l.seq DESC",

    /* BLOG_STMT_LISTING_STATS: ?1 tag id (0: the index) */
    "SELECT posts, updated_at FROM listings WHERE tag_id = ?1",

    /* BLOG_STMT_POST: ?1 slug, ?2 type */
    "SELECT id, slug, title, summary, published_at, updated_at,"
    "       reading_minutes, body_html, toc_html, author"
    " FROM posts WHERE slug = ?1 AND type = ?2 AND status = 'published'",

    /* BLOG_STMT_POST_TAGS: ?1 post id; the page sorts them by name */
    "SELECT t.slug, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id"
    " WHERE pt.post_id = ?1",

    /* BLOG_STMT_TAG: ?1 slug */
    "SELECT id, name FROM tags WHERE slug = ?1",

    /* BLOG_STMT_FEED: ?1 limit; the index's newest */
    "SELECT p.id, p.slug, p.title, p.summary, p.published_at, p.updated_at,"
    "       p.reading_minutes, p.body_html"
    " FROM listing_posts l JOIN posts p ON p.id = l.post_id"
    " WHERE l.tag_id = 0 ORDER BY l.seq DESC LIMIT ?1",

    /*
     * BLOG_STMT_SITEMAP_PARTS: the sitemap's files, one row per 50,000
     * URLs of the site; the first "tags" file holds the home page
     */
    "SELECT kind, part, urls, updated_at FROM sitemap_parts"
    " WHERE urls > 0 OR (kind = 'tags' AND part = 0)"
    " ORDER BY kind, part",

    /* BLOG_STMT_SITEMAP_PART: ?1 kind, ?2 part */
    "SELECT urls, updated_at FROM sitemap_parts"
    " WHERE kind = ?1 AND part = ?2",

    /* BLOG_STMT_SITEMAP_POSTS: ?1, ?2 the file's first and last id */
    "SELECT type, slug, updated_at FROM posts"
    " WHERE status = 'published' AND id BETWEEN ?1 AND ?2 ORDER BY id",

    /* BLOG_STMT_SITEMAP_TAGS: ?1, ?2 the file's first and last tag id */
    "SELECT t.slug, l.updated_at"
    " FROM listings l JOIN tags t ON t.id = l.tag_id"
    " WHERE l.tag_id BETWEEN ?1 AND ?2 AND l.posts > 0 ORDER BY l.tag_id",

    /* BLOG_STMT_COMMENTS: ?1 post id; the approved ones, oldest first */
    "SELECT id, author_name, body_html, created_at FROM comments"
    " WHERE post_id = ?1 AND status = 'approved'"
    " ORDER BY created_at, id",

    /* BLOG_STMT_MEDIA: ?1 path under the media root; variants may be none */
    "SELECT m.width, m.height, m.format, v.format, v.width, v.path"
    " FROM media m LEFT JOIN media_variants v ON v.media_id = m.id"
    " WHERE m.path = ?1 ORDER BY v.format, v.width",

    /*
     * BLOG_STMT_VIEWS: ?1 path; the jobrunner's count of all time, in
     * analytics.db, attached (blog_split.h)
     */
    "SELECT views FROM analytics.analytics_path_totals WHERE path = ?1",

    /* BLOG_STMT_CARD: ?1 post id; its card while it shows its title */
    "SELECT c.path, c.width, c.height FROM cards c"
    " JOIN posts p ON p.id = c.post_id AND p.title = c.title"
    " WHERE c.post_id = ?1",

    /*
     * BLOG_STMT_SEARCH: ?1 an FTS5 expression (blog_search_expr), ?2 and
     * ?3 the page's limit and offset, ?4 the least id ranked (see
     * BLOG_STMT_SEARCH_FLOOR); best first by the rank migration 11
     * sets, with a snippet of the body marked as blog_search.h says: the
     * body, where the words are, or else its start, even when they are
     * in the title (shown anyway) or the summary (made from the body)
     */
    "SELECT p.id, p.slug, p.title, p.summary, p.published_at, p.updated_at,"
    "       p.type, snippet(search, 2, CAST(x'ff5b' AS TEXT),"
    "                       CAST(x'ff5d' AS TEXT), '\xe2\x80\xa6', 24)"
    " FROM search JOIN posts p ON p.id = search.rowid"
    " WHERE search MATCH ?1 AND search.rowid >= ?4"
    " ORDER BY rank LIMIT ?2 OFFSET ?3",

    /*
     * BLOG_STMT_SEARCH_COUNT: ?1 as above, ?2 the most counted: the
     * matches past what the pages show are not read
     */
    "SELECT count(*) FROM (SELECT 1 FROM search WHERE search MATCH ?1"
    " LIMIT ?2)",

    /*
     * BLOG_STMT_SEARCH_FLOOR: ?1 as above, ?2 how many to rank, less one:
     * the id of the oldest of the newest matches ranked.  Ranking reads
     * every match it ranks, so a word most posts have is ranked among its
     * newest posts only, as many as the pages shown hold.
     */
    "SELECT rowid FROM search WHERE search MATCH ?1"
    " ORDER BY rowid DESC LIMIT 1 OFFSET ?2",

    /*
     * BLOG_STMT_NEIGHBOURS: ?1 post id; the published posts just before
     * (-1) and after (1) it in the index's order, by their seq.  A range
     * of three entries of listing_posts_by_seq, not "IN (s.seq - 1,
     * s.seq + 1)": SQLite builds an ephemeral table for an IN list of
     * expressions on every run, which made this 2.5 times as costly.
     */
    "SELECT l.seq - s.seq, p.slug, p.title"
    " FROM listing_posts s"
    " JOIN listing_posts l ON l.tag_id = 0"
    "  AND l.seq BETWEEN s.seq - 1 AND s.seq + 1 AND l.seq <> s.seq"
    " JOIN posts p ON p.id = l.post_id"
    " WHERE s.tag_id = 0 AND s.post_id = ?1",

    /*
     * BLOG_STMT_RELATED: ?1 post id; its BLOG_RELATED related posts in
     * order, as migration 17's triggers keep them at every write (posts
     * sharing the most tags with it among its neighbours in its tags'
     * listings, then the nearest in time: lib/blog_schema.c)
     */
    "SELECT p.id, p.slug, p.title, p.summary, p.published_at, p.updated_at,"
    "       p.reading_minutes"
    " FROM related_posts r JOIN posts p ON p.id = r.related_id"
    " WHERE r.post_id = ?1 ORDER BY r.place",

    /*
     * BLOG_STMT_REDIRECT: ?1 kind, ?2 from; only asked when nothing was
     * found.  A row that leads to a post leads nowhere while it is not
     * published: its type and slug are then NULL.
     */
    "SELECT r.status, r.to_url, r.post_id, p.type, p.slug"
    " FROM redirects r LEFT JOIN posts p"
    "   ON p.id = r.post_id AND p.status = 'published'"
    " WHERE r.kind = ?1 AND r.from_path = ?2"
};
