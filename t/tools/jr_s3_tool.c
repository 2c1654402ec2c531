/*
 * A command-line driver of the jobrunner's S3 client, for t/61-s3.t: each
 * command is one operation, run on an event loop (jr_s3_start) or, with
 * -s, synchronously (jr_s3_perform), and prints its result in one line:
 *
 *     ok [etag=E] [size=N] attempts=N
 *     error CODE status=N attempts=N MESSAGE        (exit status 1)
 *
 *     jr_s3_tool [-s] -c jobrunner.conf COMMAND ARGS
 *
 *     put KEY FILE          get KEY FILE           head KEY
 *     rm KEY                copy SRC DST           upload KEY FILE
 *     ls PREFIX MAX         (one page after another, MAX keys each;
 *                            prints "page N: KEY SIZE ..." lines)
 *     lsall PREFIX          (jr_s3_list_all)
 *     mpu KEY FILE PARTSIZE (create, parts, complete by hand)
 *     mpu-abort KEY         (create, one part, abort)
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jr_config.h"
#include "s3/jr_s3.h"


static uv_loop_t   loop;
static jr_s3_t    *s3;
static int         sync_mode;
static int         failed;


static void
print_result(const jr_s3_result_t *r)
{
    if (!r->ok) {
        printf("error %s status=%ld attempts=%u %s\n", r->code, r->status,
               r->attempts, r->message);
        failed = 1;
        return;
    }

    printf("ok");

    if (r->etag[0]) {
        printf(" etag=%s", r->etag);
    }

    if (r->size) {
        printf(" size=%llu", (unsigned long long) r->size);
    }

    printf(" attempts=%u\n", r->attempts);
}


/* Runs req, one way or the other, and leaves its result to done(). */
static void
run(jr_s3_req_t *req, jr_s3_done_pt done, void *data)
{
    if (req == NULL) {
        printf("error OutOfMemory\n");
        exit(1);
    }

    if (sync_mode) {
        (void) jr_s3_perform(req);
        done(req, data);
        jr_s3_req_free(req);
        return;
    }

    if (jr_s3_start(req, done, data) != 0) {
        printf("error cannot start\n");
        exit(1);
    }

    uv_run(&loop, UV_RUN_DEFAULT);
}


static void
done_print(jr_s3_req_t *req, void *data)
{
    (void) data;

    print_result(jr_s3_result(req));
}


static void
done_get(jr_s3_req_t *req, void *data)
{
    FILE                  *f;
    const jr_s3_result_t  *r;

    r = jr_s3_result(req);
    print_result(r);

    if (r->ok && !sync_mode) {
        f = fopen(data, "wb");
        if (f == NULL || fwrite(r->body, 1, r->body_len, f) != r->body_len
            || fclose(f) != 0)
        {
            printf("error cannot write %s\n", (char *) data);
            failed = 1;
        }
    }
}


static void
done_list_page(jr_s3_req_t *req, void *data)
{
    size_t                 i;
    char                 **token = data;
    const jr_s3_result_t  *r;

    r = jr_s3_result(req);
    free(*token);
    *token = NULL;

    if (!r->ok) {
        print_result(r);
        return;
    }

    printf("page %zu:", r->list.nobjects);

    for (i = 0; i < r->list.nobjects; i++) {
        printf(" %s %llu", r->list.objects[i].key,
               (unsigned long long) r->list.objects[i].size);
    }

    printf("\n");

    if (r->list.truncated) {
        *token = strdup(r->list.next_token);
    }
}


static void
print_list(const jr_s3_result_t *r, const jr_s3_list_t *list)
{
    size_t  i;

    if (!r->ok) {
        print_result(r);
        return;
    }

    for (i = 0; i < list->nobjects; i++) {
        printf("%s %llu %s\n", list->objects[i].key,
               (unsigned long long) list->objects[i].size,
               list->objects[i].etag ? list->objects[i].etag : "-");
    }

    printf("ok objects=%zu\n", list->nobjects);
}


static void
done_list_all(const jr_s3_result_t *r, jr_s3_list_t *list, void *data)
{
    (void) data;

    print_list(r, list);
}


static void
done_upload(const jr_s3_upload_result_t *r, void *data)
{
    (void) data;

    if (!r->ok) {
        printf("error %s %s\n", r->code, r->message);
        failed = 1;
        return;
    }

    printf("ok etag=%s size=%llu parts=%u\n", r->etag,
           (unsigned long long) r->size, r->parts);
}


static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE           *f;
    long            n;
    unsigned char  *buf;

    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(2);
    }

    rewind(f);
    buf = malloc((size_t) n + 1);

    if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(2);
    }

    fclose(f);
    *len = (size_t) n;

    return buf;
}


/* A multipart upload driven by hand, one request at a time. */
static void
mpu(const char *key, const char *path, size_t part_size, int abort_it)
{
    char                  *id, **etags;
    size_t                 len, off, n, i;
    jr_s3_req_t           *req;
    unsigned char         *buf;
    const jr_s3_result_t  *r;

    buf = slurp(path, &len);
    sync_mode = 1;

    req = jr_s3_mpu_create_req(s3, key);
    if (req == NULL || jr_s3_perform(req) != 0) {
        print_result(jr_s3_result(req));
        exit(1);
    }

    id = strdup(jr_s3_result(req)->upload_id);
    jr_s3_req_free(req);

    etags = calloc(len / part_size + 2, sizeof(char *));
    n = 0;

    for (off = 0; off < len || n == 0; off += part_size) {
        req = jr_s3_mpu_part_req(s3, key, id, (unsigned) n + 1, buf + off,
                                 len - off < part_size ? len - off
                                                       : part_size);
        if (req == NULL || jr_s3_perform(req) != 0) {
            print_result(jr_s3_result(req));
            exit(1);
        }

        etags[n++] = strdup(jr_s3_result(req)->etag);
        jr_s3_req_free(req);

        if (abort_it) {
            break;
        }
    }

    req = abort_it ? jr_s3_mpu_abort_req(s3, key, id)
                   : jr_s3_mpu_complete_req(s3, key, id, etags, n);
    (void) jr_s3_perform(req);
    r = jr_s3_result(req);
    print_result(r);
    jr_s3_req_free(req);

    for (i = 0; i < n; i++) {
        free(etags[i]);
    }

    free(etags);
    free(id);
    free(buf);
}


int
main(int argc, char **argv)
{
    int            c, fd;
    char           err[JR_CONFIG_ERRLEN], *token;
    const char    *conf, *cmd;
    size_t         len;
    jr_config_t    cf;
    jr_s3_req_t   *req;
    jr_s3_list_t   list;
    unsigned char *buf;
    jr_s3_result_t res;

    conf = NULL;

    while ((c = getopt(argc, argv, "sc:")) != -1) {
        switch (c) {
        case 's':
            sync_mode = 1;
            break;
        case 'c':
            conf = optarg;
            break;
        default:
            return 2;
        }
    }

    if (conf == NULL || optind >= argc) {
        fprintf(stderr, "usage: jr_s3_tool [-s] -c CONF COMMAND ARGS\n");
        return 2;
    }

    if (jr_config_load(&cf, conf, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }

    if (cf.s3.line == 0) {
        fprintf(stderr, "%s: no [s3]\n", conf);
        return 2;
    }

    if (uv_loop_init(&loop) != 0) {
        return 2;
    }

    s3 = jr_s3_open(&cf.s3, &loop);
    if (s3 == NULL) {
        return 2;
    }

    cmd = argv[optind];
    argv += optind + 1;
    argc -= optind + 1;
    buf = NULL;

#define NEED(n)  if (argc < (n)) { fprintf(stderr, "%s: arguments\n", cmd);  \
                                   return 2; }

    if (strcmp(cmd, "put") == 0) {
        NEED(2);
        buf = slurp(argv[1], &len);
        run(jr_s3_put_req(s3, argv[0], buf, len), done_print, NULL);

    } else if (strcmp(cmd, "get") == 0) {
        NEED(2);
        req = jr_s3_get_req(s3, argv[0]);

        if (sync_mode && req) {
            fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd == -1) {
                return 2;
            }

            jr_s3_req_output(req, fd);
            run(req, done_get, argv[1]);
            close(fd);

        } else {
            run(req, done_get, argv[1]);
        }

    } else if (strcmp(cmd, "head") == 0) {
        NEED(1);
        run(jr_s3_head_req(s3, argv[0]), done_print, NULL);

    } else if (strcmp(cmd, "rm") == 0) {
        NEED(1);
        run(jr_s3_delete_req(s3, argv[0]), done_print, NULL);

    } else if (strcmp(cmd, "copy") == 0) {
        NEED(2);
        run(jr_s3_copy_req(s3, argv[0], argv[1]), done_print, NULL);

    } else if (strcmp(cmd, "ls") == 0) {
        NEED(2);
        token = NULL;

        do {
            run(jr_s3_list_req(s3, argv[0], NULL, token,
                               (unsigned) atoi(argv[1])),
                done_list_page, &token);
        } while (token != NULL);

    } else if (strcmp(cmd, "lsall") == 0) {
        NEED(1);

        if (sync_mode) {
            jr_s3_list_all_sync(s3, argv[0], &list, &res);
            print_list(&res, &list);
            jr_s3_list_free(&list);

        } else if (jr_s3_list_all(s3, argv[0], done_list_all, NULL) == 0) {
            uv_run(&loop, UV_RUN_DEFAULT);
        }

    } else if (strcmp(cmd, "upload") == 0) {
        NEED(2);
        if (jr_s3_upload(s3, argv[0], argv[1], done_upload, NULL) == 0) {
            uv_run(&loop, UV_RUN_DEFAULT);
        }

    } else if (strcmp(cmd, "mpu") == 0) {
        NEED(3);
        mpu(argv[0], argv[1], (size_t) atol(argv[2]), 0);

    } else if (strcmp(cmd, "mpu-abort") == 0) {
        NEED(2);
        mpu(argv[0], argv[1], 5 << 20, 1);

    } else {
        fprintf(stderr, "unknown command %s\n", cmd);
        return 2;
    }

    free(buf);

    /* the client closes its handles; the loop must then be empty */
    jr_s3_close(s3);
    uv_run(&loop, UV_RUN_DEFAULT);

    if (uv_loop_close(&loop) != 0) {
        printf("error handles left on the loop\n");
        return 1;
    }

    jr_s3_free(s3);
    jr_config_free(&cf);

    return failed;
}
