/*
 * The configuration engine: INI text, read with inih, into structs whose
 * sections declare their keys, in the manner of nginx's ngx_command_t and
 * ngx_conf_set_*_slot().
 *
 * A section is a jr_conf_section_t: a table of keys, each a name, a type
 * (the setter that checks and stores a value), the field of the section's
 * struct it goes to, bounds and a default, and a few hooks.  The engine
 * does what is the same for every section:
 *
 *   - "[name]" once ("duplicate section"), "[name.NAME]" for sections of
 *     which there are several, unknown sections and keys, keys before any
 *     section, duplicate keys ("first set on line N"), empty values;
 *   - the values: numbers, file modes, durations, sizes, on/off, words
 *     from a list, listen addresses, paths (relative to the file's folder),
 *     strings with a check, secrets, schedules;
 *   - defaults, values from the environment, required keys, sections that
 *     need or exclude another;
 *   - errors as "FILE:LINE: message", or "FILE: message" when no line is
 *     to blame;
 *   - freeing: strings freed, secrets wiped first, by one routine.
 *
 * A section's file keeps what is its own: its table, checks of single
 * values (a bucket name, a subject), types only it has, and a finish hook
 * for what involves several keys or sections.
 *
 * The caller (jr_config.c) gives a table of parts: each a section and
 * where in the caller's struct its own struct is.  Several parts may have
 * the same name ([jobrunner] has keys of several subsystems) and the same
 * struct (jobs' sections).  Parts are finished in the table's order.
 */

#ifndef JR_CONF_H
#define JR_CONF_H

#include <stddef.h>
#include <stdint.h>


/* The longest NAME of "[section.NAME]". */
#define JR_CONF_NAME_MAX  64

typedef struct jr_conf_s          jr_conf_t;
typedef struct jr_conf_key_s      jr_conf_key_t;
typedef struct jr_conf_section_s  jr_conf_section_t;

/*
 * A type: its setter checks value and stores it into the key's field of
 * conf (the section's struct, or its element for "[name.NAME]").  It
 * returns 0, or -1 after jr_conf_error() or jr_conf_invalid().
 */
typedef int (*jr_conf_set_pt)(jr_conf_t *cf, const jr_conf_key_t *key,
    void *conf, const char *value);

/* jr_conf_type_t.flags */
#define JR_CONF_HEAP      0x01     /* the field is a malloc'ed string, which
                                      the engine frees; its default is set
                                      when the section is finished */
#define JR_CONF_SECRET    0x02     /* never quoted in a message, wiped
                                      before it is freed */

typedef struct {
    jr_conf_set_pt   set;
    unsigned         flags;
} jr_conf_type_t;

/*
 * A key: { name, &type, JR_CONF_FIELD(struct, member), and what else it
 * has by name }, such as
 *
 *     { "timeout", &jr_conf_duration, JR_CONF_FIELD(jr_s3_conf_t, timeout),
 *       .max = 3600, .def = "30s" },
 */
struct jr_conf_key_s {
    const char            *name;
    const jr_conf_type_t  *type;
    size_t                 offset;    /* of the field in the struct */
    size_t                 size;      /* of the field: numbers 4 or 8 bytes */
    uint64_t               min;       /* numbers, sizes */
    uint64_t               max;       /* numbers, sizes, durations */
    const char            *def;       /* the default, written as in a file */
    const void            *data;      /* more for the type: see each */
    const char            *env;       /* a string's variable, taken as it is
                                         when the file does not set it */
    int                    required;
};

/* The offset and size of a field, for a key's table entry. */
#define JR_CONF_FIELD(type, member)                                           \
    .offset = offsetof(type, member), .size = sizeof(((type *) 0)->member)

/*
 * The types.  What each stores, and what its key's data is:
 *
 *   jr_conf_number    unsigned decimal, min..max
 *   jr_conf_mode      a file mode in octal with a leading 0: "0660"
 *   jr_conf_duration  "30s", "10m", "2h", "7d" in seconds, at most max (0:
 *                     ten years); data: examples for the message, such as
 *                     "12h or 7d"
 *   jr_conf_size      bytes: "65536", "64K", "16M", "5G"; min..max
 *   jr_conf_flag      on or off: 1 or 0, in an int
 *   jr_conf_enum      a word of data's list (jr_conf_enum_t[], ended by a
 *                     NULL name): its value
 *   jr_conf_listen    "127.0.0.1:9420" or "[::1]:9420" into a struct
 *                     sockaddr_storage; data: examples for the message
 *   jr_conf_path      relative to the file's folder; data: a word that
 *                     means none (the field stays NULL), such as "-"
 *   jr_conf_string    a copy; data: a jr_conf_check_t, or NULL
 *   jr_conf_secret    as jr_conf_string, JR_CONF_SECRET
 *   jr_conf_schedule  a timer's schedule as written (jr_schedule.h);
 *                     data: the word that turns the timer off ("off"), or
 *                     NULL
 */
extern const jr_conf_type_t  jr_conf_number;
extern const jr_conf_type_t  jr_conf_mode;
extern const jr_conf_type_t  jr_conf_duration;
extern const jr_conf_type_t  jr_conf_size;
extern const jr_conf_type_t  jr_conf_flag;
extern const jr_conf_type_t  jr_conf_enum;
extern const jr_conf_type_t  jr_conf_listen;
extern const jr_conf_type_t  jr_conf_path;
extern const jr_conf_type_t  jr_conf_string;
extern const jr_conf_type_t  jr_conf_secret;
extern const jr_conf_type_t  jr_conf_schedule;

typedef struct {
    const char  *name;
    unsigned     value;
} jr_conf_enum_t;

/* A string's check: valid() returns 0 for a good value; the message
   says "invalid KEY "VALUE" (expect)". */
typedef struct {
    int        (*valid)(const char *value);
    const char  *expect;
} jr_conf_check_t;

/* jr_conf_link_t.rule */
#define JR_CONF_NEEDS     0
#define JR_CONF_EXCLUDES  1

/* Another section this one needs, or cannot be with, and the message. */
typedef struct {
    const char  *section;
    unsigned     rule;
    const char  *message;
} jr_conf_link_t;

/* jr_conf_section_t.flags */
#define JR_CONF_IMPLICIT  0x01     /* there without "[name]" (finished, its
                                      defaults set), which may come more
                                      than once: [jobrunner], [timers] */
#define JR_CONF_NAMED     0x02     /* "[name.NAME]": an element each */

struct jr_conf_section_s {
    const char            *name;
    unsigned               flags;
    const jr_conf_key_t   *keys;      /* ended by a NULL name */
    const jr_conf_link_t  *links;     /* ended by a NULL section, or NULL */

    /* where the int for the line of "[name]" is, in the struct or in each
       element (implicit sections have none) */
    size_t                 line;

    /* JR_CONF_NAMED: the elements, an array in the struct; in each its
       NAME (see JR_CONF_ELEMENTS) */
    size_t                 elts;      /* a pointer to the first */
    size_t                 nelts;     /* a size_t */
    size_t                 elt_size;
    size_t                 elt_name;  /* a char * */

    /* what an unknown key is called ("key"), and more for its message */
    const char            *what;
    const char            *hint;

    /* after the whole file, if the section was given (or is implicit);
       conf is the section's struct, not an element */
    int                  (*finish)(jr_conf_t *cf, void *conf);

    /* frees what the engine does not: memory that no key holds */
    void                 (*free)(void *conf);
};

/*
 * For a JR_CONF_NAMED section: its elements are an array of etype at
 * member array of ptype (the section's struct), their number at member
 * count; each has a "char *name" and an "int line".
 */
#define JR_CONF_ELEMENTS(ptype, array, count, etype)                          \
    .elts = offsetof(ptype, array), .nelts = offsetof(ptype, count),          \
    .elt_size = sizeof(etype), .elt_name = offsetof(etype, name),             \
    .line = offsetof(etype, line)

typedef struct {
    const jr_conf_section_t  *section;
    size_t                    offset;    /* of its struct in the caller's */
} jr_conf_part_t;


/*
 * Parses len bytes of text, the file named file, into the parts of root,
 * which the caller has zeroed, and finishes the parts in their order.
 * Returns 0, or -1 with the message in err; either way jr_conf_free() of
 * each part releases what it holds.
 */
int jr_conf_parse(const jr_conf_part_t *parts, size_t nparts, void *root,
    const char *file, const char *text, size_t len, char *err,
    size_t errlen);

/* Sets the defaults of a zeroed struct (those of its strings excepted). */
void jr_conf_init(const jr_conf_section_t *section, void *conf);

/* Frees what a section's struct holds and clears those fields. */
void jr_conf_free(const jr_conf_section_t *section, void *conf);


/*
 * For setters and finish hooks.  The errors return -1.
 *
 * jr_conf_error(): the message for the line the engine is at: the key
 * being set, or the section being finished (none for an implicit one).
 * jr_conf_error_at(): for line, or as jr_conf_error() when line is 0.
 * jr_conf_invalid(): "invalid KEY "VALUE" (fmt...)", the value left out
 * for a secret.
 */
int jr_conf_error(jr_conf_t *cf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int jr_conf_error_at(jr_conf_t *cf, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int jr_conf_invalid(jr_conf_t *cf, const jr_conf_key_t *key,
    const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Digits only (no sign, blank or wrap-around), min..max: 0 or -1. */
int jr_conf_uint(const char *value, uint64_t min, uint64_t max, uint64_t *n);

/* The line key was set on, in the section being read or finished; 0 if
   it was not. */
int jr_conf_line(jr_conf_t *cf, const char *key);

/* The struct of a section that was given (or is implicit), else NULL. */
void *jr_conf_get(jr_conf_t *cf, const char *section);

/* The value of a string or path key of a section, or NULL. */
const char *jr_conf_value(jr_conf_t *cf, const char *section,
    const char *key);

/* Overwrites n bytes so that it is not optimised away: secrets. */
void jr_conf_wipe(void *p, size_t n);

#endif /* JR_CONF_H */
