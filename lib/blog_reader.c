/*
 * The reader pages' SQL (blog_reader.h).  Listings, counts and the
 * sitemap's files are read from the tables that migration 8 keeps
 * current (lib/blog_schema.c).
 */

#include "blog_reader.h"


const char *const  blog_reader_sql[BLOG_STMT_N] = {

    /* BLOG_STMT_DATA_VERSION */
    "PRAGMA data_version",

    /* BLOG_STMT_SETTINGS: a handful of rows, all of them used */
    "SELECT key, value FROM settings",

    /*
     * BLOG_STMT_LISTING: ?1 tag id (0: the index), ?2 and ?3 the seq of
     * the page's oldest and newest posts
     */
    "SELECT p.id, p.slug, p.title, p.summary, p.published_at, p.updated_at"
    " FROM listing_posts l JOIN posts p ON p.id = l.post_id"
    " WHERE l.tag_id = ?1 AND l.seq BETWEEN ?2 AND ?3"
    " ORDER BY l.seq DESC",

    /* BLOG_STMT_LISTING_STATS: ?1 tag id (0: the index) */
    "SELECT posts, updated_at FROM listings WHERE tag_id = ?1",

    /* BLOG_STMT_POST: ?1 slug, ?2 type */
    "SELECT id, slug, title, summary, published_at, updated_at, body_html"
    " FROM posts WHERE slug = ?1 AND type = ?2 AND status = 'published'",

    /* BLOG_STMT_POST_TAGS: ?1 post id; the page sorts them by name */
    "SELECT t.slug, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id"
    " WHERE pt.post_id = ?1",

    /* BLOG_STMT_TAG: ?1 slug */
    "SELECT id, name FROM tags WHERE slug = ?1",

    /* BLOG_STMT_FEED: ?1 limit; the index's newest */
    "SELECT p.id, p.slug, p.title, p.summary, p.published_at, p.updated_at,"
    "       p.body_html"
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

    /* BLOG_STMT_VIEWS: ?1 path; the jobrunner's count of all time */
    "SELECT views FROM analytics_path_totals WHERE path = ?1",

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
