/*
 * The statements the reader pages run: the module prepares each once per
 * worker, and t/unit/reader_plans.c checks that none of them scans a
 * table that grows with the site or sorts into a temporary B-tree, so a
 * page costs what it shows, not what the site holds.
 */

#ifndef BLOG_READER_H
#define BLOG_READER_H

#include "blog_schema.h"       /* BLOG_RELATED */

typedef enum {
    BLOG_STMT_DATA_VERSION = 0,
    BLOG_STMT_BEGIN,
    BLOG_STMT_COMMIT,
    BLOG_STMT_SETTINGS,
    BLOG_STMT_LISTING,
    BLOG_STMT_LISTING_STATS,
    BLOG_STMT_POST,
    BLOG_STMT_POST_TAGS,
    BLOG_STMT_TAG,
    BLOG_STMT_FEED,
    BLOG_STMT_SITEMAP_PARTS,
    BLOG_STMT_SITEMAP_PART,
    BLOG_STMT_SITEMAP_POSTS,
    BLOG_STMT_SITEMAP_TAGS,
    BLOG_STMT_COMMENTS,
    BLOG_STMT_MEDIA,
    BLOG_STMT_VIEWS,
    BLOG_STMT_CARD,
    BLOG_STMT_SEARCH,
    BLOG_STMT_SEARCH_COUNT,
    BLOG_STMT_SEARCH_FLOOR,
    BLOG_STMT_NEIGHBOURS,
    BLOG_STMT_RELATED,
    BLOG_STMT_REDIRECT,
    BLOG_STMT_N
} blog_stmt_e;

extern const char *const  blog_reader_sql[BLOG_STMT_N];

#endif /* BLOG_READER_H */
