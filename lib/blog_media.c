/*
 * The image types an upload may have (blog_media.h).
 */

#include <string.h>

#include "blog_media.h"


static const blog_image_t  blog_images[] = {
    { "jpg", "image/jpeg" },
    { "png", "image/png" },
    { "gif", "image/gif" },
    { "webp", "image/webp" },
    { "avif", "image/avif" }
};


const blog_image_t *
blog_image_type(const unsigned char *p, size_t len)
{
    size_t  box, i;

    if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) {
        return &blog_images[0];
    }

    if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
        return &blog_images[1];
    }

    if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0
                     || memcmp(p, "GIF89a", 6) == 0))
    {
        return &blog_images[2];
    }

    if (len >= 12 && memcmp(p, "RIFF", 4) == 0
        && memcmp(p + 8, "WEBP", 4) == 0)
    {
        return &blog_images[3];
    }

    /* ISO BMFF: an "ftyp" box whose major or a compatible brand is AVIF */
    if (len >= 16 && memcmp(p + 4, "ftyp", 4) == 0) {
        box = (size_t) p[0] << 24 | (size_t) p[1] << 16 | (size_t) p[2] << 8
              | p[3];
        box = (box < len) ? box : len;

        for (i = 8; i + 4 <= box; i += 4) {
            if (i == 12) {
                continue;                   /* the minor version */
            }

            if (memcmp(p + i, "avif", 4) == 0
                || memcmp(p + i, "avis", 4) == 0)
            {
                return &blog_images[4];
            }
        }
    }

    return NULL;
}
