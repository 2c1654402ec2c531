/*
 * The Stats API's JSON (blog_stats.h): a query read from Plausible's
 * Stats API v2 shape, and an answer written in it.  jansson escapes what
 * it writes, so a hostile referrer or campaign is a JSON string whatever
 * it holds.
 */

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "blog_stats.h"


#define BLOG_STATS_MAX_DEPTH  4      /* of "and" in filters */


static int blog_stats_parse_names(json_t *list, const char *field,
    int (*find)(const char *, size_t), int *out, size_t max, size_t *n,
    char *err);
static int blog_stats_parse_range(blog_stats_query_t *q, json_t *v,
    int64_t today, char *err);
static int blog_stats_parse_filters(blog_stats_query_t *q, json_t *list,
    int depth, char *err);
static int blog_stats_parse_filter(blog_stats_query_t *q, json_t *f,
    int depth, char *err);
static int blog_stats_parse_order(blog_stats_query_t *q, json_t *list,
    char *err);
static int blog_stats_parse_include(blog_stats_query_t *q, json_t *v,
    char *err);
static json_t *blog_stats_json_value(blog_stats_metric_e m, double v);
static json_t *blog_stats_json_query(const blog_stats_query_t *q,
    const blog_stats_result_t *res);
static int blog_stats_fail(char *err, const char *field, const char *why);


static const char *const  blog_stats_ops[] = { "is", "is_not", "contains" };


int
blog_stats_parse(blog_stats_query_t *q, const char *json, size_t len,
    int64_t today, char *err)
{
    int           rc, ids[BLOG_STATS_MAX_DIMS];
    size_t        i, n;
    json_t       *root, *v, *limit, *offset;
    const char   *key;
    json_error_t  jerr;

    blog_stats_query_init(q);
    err[0] = '\0';

    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, BLOG_STATS_ERROR_SIZE,
                 "the body is not JSON (line %d, column %d)", jerr.line,
                 jerr.column);
        return BLOG_STATS_EQUERY;
    }

    rc = json_is_object(root)
         ? BLOG_STATS_OK : blog_stats_fail(err, "the body", "an object");

    /* Plausible's site_id is accepted and unused: a location is one site */
    json_object_foreach(root, key, v) {
        if (rc != BLOG_STATS_OK) {
            break;
        }

        if (strcmp(key, "site_id") == 0) {
            if (!json_is_string(v)) {
                rc = blog_stats_fail(err, "site_id", "a string");
            }

        } else if (strcmp(key, "metrics") == 0) {
            rc = blog_stats_parse_names(v, "metrics",
                                        blog_stats_metric_find,
                                        (int *) q->metrics,
                                        BLOG_STATS_MAX_METRICS,
                                        &q->nmetrics, err);

        } else if (strcmp(key, "date_range") == 0) {
            rc = blog_stats_parse_range(q, v, today, err);

        } else if (strcmp(key, "dimensions") == 0) {
            rc = blog_stats_parse_names(v, "dimensions", blog_stats_dim_find,
                                        ids, BLOG_STATS_MAX_DIMS, &n, err);
            for (i = 0; rc == BLOG_STATS_OK && i < n; i++) {
                q->dims[i] = ids[i];
            }

            q->ndims = rc == BLOG_STATS_OK ? n : 0;

        } else if (strcmp(key, "filters") == 0) {
            rc = blog_stats_parse_filters(q, v, 0, err);

        } else if (strcmp(key, "order_by") == 0) {
            /* after dimensions, wherever it is in the object: below */

        } else if (strcmp(key, "pagination") == 0) {
            limit = json_object_get(v, "limit");
            offset = json_object_get(v, "offset");

            if (!json_is_object(v)
                || json_object_size(v)
                   != (size_t) ((limit != NULL) + (offset != NULL))
                || (limit && !json_is_integer(limit))
                || (offset && !json_is_integer(offset)))
            {
                rc = blog_stats_fail(err, "pagination",
                                     "an object of integers limit and "
                                     "offset");
            } else {
                q->limit = limit ? json_integer_value(limit) : 0;
                q->offset = offset ? json_integer_value(offset) : 0;

                if (limit && q->limit <= 0) {
                    q->limit = -1;                  /* refused by run */
                }
            }

        } else if (strcmp(key, "include") == 0) {
            rc = blog_stats_parse_include(q, v, err);

        } else {
            rc = blog_stats_fail(err, "the body", "made of site_id, metrics, "
                                 "date_range, dimensions, filters, order_by, "
                                 "pagination and include only");
        }
    }

    if (rc == BLOG_STATS_OK) {
        v = json_object_get(root, "order_by");

        if (v != NULL) {
            rc = blog_stats_parse_order(q, v, err);
        }
    }

    if (rc == BLOG_STATS_OK && q->nmetrics == 0) {
        rc = blog_stats_fail(err, "metrics", "given, with one metric or more");
    }

    if (rc == BLOG_STATS_OK && json_object_get(root, "date_range") == NULL) {
        rc = blog_stats_fail(err, "date_range", "given");
    }

    json_decref(root);

    if (rc != BLOG_STATS_OK) {
        blog_stats_query_free(q);
    }

    return rc;
}


/* A list of distinct known names, as their ids. */
static int
blog_stats_parse_names(json_t *list, const char *field,
    int (*find)(const char *, size_t), int *out, size_t max, size_t *n,
    char *err)
{
    int      id;
    size_t   i, j;
    json_t  *v;

    if (!json_is_array(list) || json_array_size(list) > max) {
        return blog_stats_fail(err, field, max == BLOG_STATS_MAX_METRICS
                                           ? "a list of up to 6 names"
                                           : "a list of up to 3 names");
    }

    json_array_foreach(list, i, v) {
        id = json_is_string(v) ? find(json_string_value(v),
                                      json_string_length(v))
                               : -1;
        if (id < 0) {
            return blog_stats_fail(err, field, "known names "
                                   "(docs/analytics-api.md)");
        }

        for (j = 0; j < i; j++) {
            if (out[j] == id) {
                return blog_stats_fail(err, field, "names given once");
            }
        }

        out[i] = id;
    }

    *n = json_array_size(list);

    return BLOG_STATS_OK;
}


static int
blog_stats_parse_range(blog_stats_query_t *q, json_t *v, int64_t today,
    char *err)
{
    json_t  *from, *to;

    if (json_is_string(v)) {
        if (blog_range_named(&q->range, json_string_value(v),
                             json_string_length(v), today)
            == 0)
        {
            return BLOG_STATS_OK;
        }

    } else if (json_is_array(v) && json_array_size(v) == 2) {
        from = json_array_get(v, 0);
        to = json_array_get(v, 1);

        if (json_is_string(from) && json_is_string(to)
            && blog_range_dates(&q->range, json_string_value(from),
                                json_string_length(from),
                                json_string_value(to),
                                json_string_length(to))
               == 0)
        {
            return BLOG_STATS_OK;
        }
    }

    return blog_stats_fail(err, "date_range", "day, yesterday, 7d, 28d, 30d, "
                           "91d, month, last_month, 6mo, 12mo, year, all, or "
                           "[from, to] as YYYY-MM-DD, from not after to");
}


/* A list of filters, all of which apply. */
static int
blog_stats_parse_filters(blog_stats_query_t *q, json_t *list, int depth,
    char *err)
{
    int      rc;
    size_t   i;
    json_t  *f;

    if (!json_is_array(list)) {
        return blog_stats_fail(err, "filters", "a list");
    }

    json_array_foreach(list, i, f) {
        rc = blog_stats_parse_filter(q, f, depth, err);
        if (rc != BLOG_STATS_OK) {
            return rc;
        }
    }

    return BLOG_STATS_OK;
}


/* [op, dimension, [values]] or ["and", [filters]] */
static int
blog_stats_parse_filter(blog_stats_query_t *q, json_t *f, int depth,
    char *err)
{
    int                   dim;
    size_t                i, op;
    json_t               *name, *values, *v;
    const char           *s;
    blog_stats_filter_t  *filter;

    s = json_string_value(json_array_get(f, 0));

    if (!json_is_array(f) || s == NULL) {
        return blog_stats_fail(err, "filters", "lists [operator, dimension, "
                               "[values]] or [\"and\", [filters]]");
    }

    if (strcmp(s, "and") == 0 && json_array_size(f) == 2) {
        if (depth == BLOG_STATS_MAX_DEPTH) {
            return blog_stats_fail(err, "filters", "nested 4 deep at most");
        }

        return blog_stats_parse_filters(q, json_array_get(f, 1), depth + 1,
                                        err);
    }

    for (op = 0; op < 3; op++) {
        if (strcmp(s, blog_stats_ops[op]) == 0) {
            break;
        }
    }

    name = json_array_get(f, 1);
    values = json_array_get(f, 2);
    dim = json_is_string(name) ? blog_stats_dim_find(json_string_value(name),
                                                     json_string_length(name))
                               : -1;

    if (op == 3 || json_array_size(f) != 3) {
        return blog_stats_fail(err, "filters", "made with is, is_not, "
                               "contains and and (or and not are not "
                               "supported)");
    }

    if (dim < 0 || dim >= BLOG_STATS_TIME_DAY) {
        return blog_stats_fail(err, "filters", "on known dimensions that "
                               "are not time ones");
    }

    if (!json_is_array(values) || json_array_size(values) == 0
        || json_array_size(values) > BLOG_STATS_MAX_VALUES)
    {
        return blog_stats_fail(err, "filters", "given 1 to 16 values");
    }

    if (q->nfilters == BLOG_STATS_MAX_FILTERS) {
        return blog_stats_fail(err, "filters", "8 at most");
    }

    filter = &q->filters[q->nfilters++];
    filter->dim = dim;
    filter->op = op;
    filter->nvalues = 0;

    json_array_foreach(values, i, v) {
        if (!json_is_string(v) || json_string_length(v) > BLOG_STATS_MAX_VALUE
            || strlen(json_string_value(v)) != json_string_length(v))
        {
            return blog_stats_fail(err, "filters", "given values that are "
                                   "strings of up to 1024 bytes, without "
                                   "NUL");
        }

        filter->values[i] = strdup(json_string_value(v));
        if (filter->values[i] == NULL) {
            return blog_stats_fail(err, "filters", "within memory");
        }

        filter->nvalues++;
    }

    return BLOG_STATS_OK;
}


/* [[name, "asc" | "desc"], ...]: a metric or a dimension of the query */
static int
blog_stats_parse_order(blog_stats_query_t *q, json_t *list, char *err)
{
    int          id;
    size_t       i, j;
    json_t      *o, *name, *dir;
    const char  *d;

    if (!json_is_array(list) || json_array_size(list) > BLOG_STATS_MAX_ORDER) {
        return blog_stats_fail(err, "order_by", "a list of up to 4 pairs");
    }

    json_array_foreach(list, i, o) {
        name = json_array_get(o, 0);
        dir = json_array_get(o, 1);
        d = json_string_value(dir);

        if (json_array_size(o) != 2 || !json_is_string(name) || d == NULL
            || (strcmp(d, "asc") != 0 && strcmp(d, "desc") != 0))
        {
            return blog_stats_fail(err, "order_by", "pairs [name, \"asc\" "
                                   "or \"desc\"]");
        }

        q->order[i].desc = d[0] == 'd';
        id = blog_stats_metric_find(json_string_value(name),
                                    json_string_length(name));

        if (id >= 0) {
            q->order[i].is_dim = 0;
            q->order[i].id = id;
            continue;
        }

        id = blog_stats_dim_find(json_string_value(name),
                                 json_string_length(name));

        for (j = 0; j < q->ndims && (int) q->dims[j] != id; j++) {
            /* in the query's dimensions? */
        }

        if (id < 0 || j == q->ndims) {
            return blog_stats_fail(err, "order_by", "names of metrics, or of "
                                   "the query's dimensions");
        }

        q->order[i].is_dim = 1;
        q->order[i].id = id;
    }

    q->norder = json_array_size(list);

    return BLOG_STATS_OK;
}


/* {"comparisons": {"mode": "previous_period"}, "total_rows": true} */
static int
blog_stats_parse_include(blog_stats_query_t *q, json_t *v, char *err)
{
    json_t      *value, *mode;
    const char  *key;

    if (!json_is_object(v)) {
        return blog_stats_fail(err, "include", "an object");
    }

    json_object_foreach(v, key, value) {
        if (strcmp(key, "total_rows") == 0 && json_is_boolean(value)) {
            q->total_rows = json_is_true(value);
            continue;
        }

        if (strcmp(key, "comparisons") == 0) {
            if (json_is_null(value)) {
                continue;
            }

            mode = json_object_get(value, "mode");

            if (json_is_object(value) && json_object_size(value) == 1
                && json_is_string(mode)
                && strcmp(json_string_value(mode), "previous_period") == 0)
            {
                q->compare = 1;
                continue;
            }
        }

        return blog_stats_fail(err, "include", "made of total_rows (a "
                               "boolean) and comparisons ({\"mode\": "
                               "\"previous_period\"})");
    }

    return BLOG_STATS_OK;
}


int
blog_stats_json(const blog_stats_query_t *q, const blog_stats_result_t *res,
    blog_buf_t *out)
{
    int                      rc;
    char                    *s;
    size_t                   i, j;
    json_t                  *root, *results, *row, *metrics, *dims;
    json_t                  *cmp, *pm, *change, *meta;
    double                   cur, prev;
    const blog_stats_row_t  *r;

    root = json_object();
    results = json_array();
    meta = json_object();

    rc = root && results && meta ? 0 : -1;

    if (rc == 0) {
        rc = json_object_set_new(root, "results", results);
        results = rc == 0 ? results : NULL;
    }

    for (i = 0; rc == 0 && i < res->nrows; i++) {
        r = &res->rows[i];
        row = json_object();
        metrics = json_array();
        dims = json_array();

        if (row == NULL || json_array_append_new(results, row) != 0) {
            json_decref(metrics);
            json_decref(dims);
            rc = -1;
            break;
        }

        if (json_object_set_new(row, "metrics", metrics) != 0
            || json_object_set_new(row, "dimensions", dims) != 0)
        {
            rc = -1;
            break;
        }

        for (j = 0; rc == 0 && j < q->nmetrics; j++) {
            rc = json_array_append_new(metrics,
                     blog_stats_json_value(q->metrics[j],
                         blog_stats_metric(&r->sums, q->metrics[j])));
        }

        for (j = 0; rc == 0 && j < q->ndims; j++) {
            rc = json_array_append_new(dims, json_string(r->dims[j]));
        }

        if (rc != 0 || !r->has_prev) {
            continue;
        }

        /*
         * Plausible's comparison: the previous period's metrics, and the
         * change: the difference in points for the bounce rate, else in
         * percent of the previous value (null when it was 0).
         */
        cmp = json_object();
        pm = json_array();
        change = json_array();

        if (cmp == NULL || json_object_set_new(row, "comparison", cmp) != 0
            || json_object_set_new(cmp, "dimensions", json_deep_copy(dims))
               != 0
            || json_object_set_new(cmp, "metrics", pm) != 0
            || json_object_set_new(cmp, "change", change) != 0)
        {
            rc = -1;
            break;
        }

        for (j = 0; rc == 0 && j < q->nmetrics; j++) {
            cur = blog_stats_metric(&r->sums, q->metrics[j]);
            prev = blog_stats_metric(&r->prev, q->metrics[j]);

            rc = json_array_append_new(pm,
                     blog_stats_json_value(q->metrics[j], prev));

            if (rc == 0) {
                rc = json_array_append_new(change,
                         q->metrics[j] == BLOG_STATS_BOUNCE_RATE
                         ? json_integer((json_int_t) (round(cur)
                                                      - round(prev)))
                         : prev == 0 ? json_null()
                         : json_integer((json_int_t)
                                        round(100 * (cur - prev) / prev)));
            }
        }
    }

    if (rc == 0) {
        rc = json_object_set_new(root, "meta", meta);
        meta = rc == 0 ? meta : NULL;
    }

    if (rc == 0 && q->total_rows) {
        rc = json_object_set_new(meta, "total_rows",
                                 json_integer(res->total_rows));
    }

    if (rc == 0) {
        rc = json_object_set_new(meta, "source",
                                 json_string(res->rollup ? "rollup" : "raw"));
    }

    if (rc == 0) {
        rc = json_object_set_new(root, "query",
                                 blog_stats_json_query(q, res));
    }

    s = NULL;

    if (rc == 0) {
        s = json_dumps(root, JSON_COMPACT);
        rc = s == NULL || blog_buf_append(out, s, strlen(s)) != 0 ? -1 : 0;
        free(s);
    }

    if (root == NULL) {
        json_decref(results);
        json_decref(meta);
    }

    json_decref(root);

    return rc;
}


/* Counts and seconds as integers, views per visit with two decimals. */
static json_t *
blog_stats_json_value(blog_stats_metric_e m, double v)
{
    if (m == BLOG_STATS_VIEWS_PER_VISIT) {
        return json_real(round(v * 100) / 100);
    }

    return json_integer((json_int_t) round(v));
}


/*
 * The query as it ran: named ranges as their dates, defaults filled in.
 * NULL when out of memory (jansson's calls take a NULL value and fail).
 */
static json_t *
blog_stats_json_query(const blog_stats_query_t *q,
    const blog_stats_result_t *res)
{
    int                         bad;
    char                        from[BLOG_RANGE_DATE_SIZE];
    char                        to[BLOG_RANGE_DATE_SIZE];
    size_t                      i, j;
    json_t                     *query, *a, *values;
    const blog_stats_filter_t  *flt;

    query = json_object();
    if (query == NULL) {
        return NULL;
    }

    a = json_array();
    bad = json_object_set_new(query, "metrics", a);

    for (i = 0; !bad && i < q->nmetrics; i++) {
        bad = json_array_append_new(a, json_string(
                  blog_stats_metric_names[q->metrics[i]]));
    }

    blog_range_format(res->range.from, from);
    blog_range_format(res->range.to, to);
    bad |= json_object_set_new(query, "date_range",
                               json_pack("[ss]", from, to));

    a = json_array();
    bad |= json_object_set_new(query, "dimensions", a);

    for (i = 0; !bad && i < q->ndims; i++) {
        bad = json_array_append_new(a, json_string(
                  blog_stats_dim_names[q->dims[i]]));
    }

    a = json_array();
    bad |= json_object_set_new(query, "filters", a);

    for (i = 0; !bad && i < q->nfilters; i++) {
        flt = &q->filters[i];
        values = json_array();

        for (j = 0; values && !bad && j < flt->nvalues; j++) {
            bad = json_array_append_new(values, json_string(flt->values[j]));
        }

        /* "o" takes values' reference, or drops it when pack fails */
        bad |= json_array_append_new(a,
                   json_pack("[sso]", blog_stats_ops[flt->op],
                             blog_stats_dim_names[flt->dim], values));
    }

    a = json_array();
    bad |= json_object_set_new(query, "order_by", a);

    for (i = 0; !bad && i < q->norder; i++) {
        bad = json_array_append_new(a, json_pack("[ss]",
                  q->order[i].is_dim ? blog_stats_dim_names[q->order[i].id]
                                     : blog_stats_metric_names[q->order[i].id],
                  q->order[i].desc ? "desc" : "asc"));
    }

    bad |= json_object_set_new(query, "pagination",
               json_pack("{sIsI}", "limit",
                         (json_int_t) (q->limit > 0 ? q->limit
                                                    : BLOG_STATS_DEFAULT_LIMIT),
                         "offset", (json_int_t) q->offset));

    if (q->compare) {
        blog_range_format(res->prev_range.from, from);
        blog_range_format(res->prev_range.to, to);
        bad |= json_object_set_new(query, "comparison_date_range",
                                   json_pack("[ss]", from, to));
    }

    if (bad) {
        json_decref(query);
        return NULL;
    }

    return query;
}


static int
blog_stats_fail(char *err, const char *field, const char *why)
{
    snprintf(err, BLOG_STATS_ERROR_SIZE, "%s: must be %s", field, why);

    return BLOG_STATS_EQUERY;
}


int
blog_stats_error_json(const char *err, blog_buf_t *out)
{
    int      rc;
    char    *s;
    json_t  *root;

    root = json_pack("{ss}", "error", err);
    s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    rc = s == NULL || blog_buf_append(out, s, strlen(s)) != 0 ? -1 : 0;

    free(s);
    json_decref(root);

    return rc;
}
