/*
 * Unit tests of the line diff.
 */

#include <stdlib.h>
#include <string.h>

#include "blog_diff.h"
#include "tap.h"


static char  buf[4096];


/* The diff as "op line" rows joined by '|'. */
static const char *
diff(const char *a, const char *b)
{
    char              *p;
    size_t             i, n;
    blog_diff_line_t  *d;

    if (blog_diff_lines(a, strlen(a), b, strlen(b), &d, &n) != 0) {
        return "(failed)";
    }

    p = buf;
    *p = '\0';

    for (i = 0; i < n; i++) {
        *p++ = d[i].op;
        memcpy(p, d[i].line, d[i].len);
        p += d[i].len;
        *p++ = '|';
    }

    *p = '\0';
    free(d);

    return buf;
}


int
main(void)
{
    size_t             n;
    blog_diff_line_t  *d;

    is_str(diff("a\nb\nc\n", "a\nb\nc\n"), " a| b| c|", "equal texts");
    is_str(diff("a\nb\nc\n", "a\nx\nc\n"), " a|-b|+x| c|", "one line changed");
    is_str(diff("a\nc\n", "a\nb\nc\n"), " a|+b| c|", "one line added");
    is_str(diff("a\nb\nc", "a\nc"), " a|-b| c|", "one line removed, no final "
           "newline");
    is_str(diff("", "x\ny\n"), "+x|+y|", "from nothing");
    is_str(diff("x\ny\n", ""), "-x|-y|", "to nothing");
    is_str(diff("", ""), "", "nothing at all");
    is_str(diff("1\n2\n3\n4\n", "0\n2\n4\n5\n"), "-1|+0| 2|-3| 4|+5|",
           "changes at both ends and inside");
    is_str(diff("a\n\nb\n", "a\nb\n"), " a|-| b|", "an empty line removed");

    ok(blog_diff_lines("a", 1, "b", 1, &d, &n) == 0 && n == 2,
       "two lines for a replaced one");
    free(d);

    return tap_done();
}
