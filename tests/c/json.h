/* A small JSON reader for the C tests: parses a whole document into a tree, keeps each value's
 * source text (to hand JSON fragments to the library unchanged) and compares trees. Plain C99,
 * no dependencies. Not a general-purpose library: it trusts nothing but is only as fast as
 * the tests need. */
#ifndef WW_TEST_JSON_H
#define WW_TEST_JSON_H

#include <stddef.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value {
    json_type type;
    const char *raw;   /* the value's text in the parsed document */
    size_t raw_len;
    int boolean;       /* JSON_BOOL */
    double number;     /* JSON_NUMBER */
    char *string;      /* JSON_STRING: decoded UTF-8, NUL-terminated (may also hold NULs) */
    size_t string_len;
    size_t count;      /* JSON_ARRAY / JSON_OBJECT */
    struct json_value **items;
    char **keys;       /* JSON_OBJECT: decoded keys */
} json_value;

/* Parses `len` bytes of `text` (which must outlive the tree). Returns NULL on a syntax error
 * and writes a message into `err` (when not NULL). */
json_value *json_parse(const char *text, size_t len, char *err, size_t err_len);
void json_free(json_value *value);

/* Reads a whole file into a NUL-terminated malloc'd buffer; NULL on failure. */
char *json_read_file(const char *path, size_t *out_len);

/* Member of an object (NULL when absent or `object` is not an object). */
const json_value *json_get(const json_value *object, const char *key);
/* Item of an array (NULL when out of range). */
const json_value *json_at(const json_value *array, size_t index);
/* The string of a member, or NULL when absent or not a string. */
const char *json_str(const json_value *object, const char *key);
/* Deep equality (object member order ignored; numbers compared by value). */
int json_equal(const json_value *a, const json_value *b);
/* A malloc'd NUL-terminated copy of the value's source text. */
char *json_raw(const json_value *value);

#endif
