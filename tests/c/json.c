#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *text;
    size_t len;
    size_t pos;
    char *err;
    size_t err_len;
    int depth;
} parser;

static void fail(parser *p, const char *what) {
    if (p->err != NULL && p->err_len > 0 && p->err[0] == '\0') {
        snprintf(p->err, p->err_len, "%s at byte %lu", what, (unsigned long)p->pos);
    }
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static json_value *new_value(json_type type, parser *p) {
    json_value *v = (json_value *)calloc(1, sizeof *v);
    if (v == NULL) {
        fail(p, "out of memory");
        return NULL;
    }
    v->type = type;
    v->raw = p->text + p->pos;
    return v;
}

static int push(json_value *v, json_value *item, char *key) {
    json_value **items = (json_value **)realloc(v->items, (v->count + 1) * sizeof *items);
    if (items == NULL) return 0;
    v->items = items;
    if (v->type == JSON_OBJECT) {
        char **keys = (char **)realloc(v->keys, (v->count + 1) * sizeof *keys);
        if (keys == NULL) return 0;
        v->keys = keys;
        v->keys[v->count] = key;
    }
    v->items[v->count++] = item;
    return 1;
}

static int hex4(parser *p, unsigned long *out) {
    unsigned long value = 0;
    int i;
    if (p->pos + 4 > p->len) return 0;
    for (i = 0; i < 4; i++) {
        char c = p->text[p->pos++];
        value <<= 4;
        if (c >= '0' && c <= '9') value |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f') value |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') value |= (unsigned long)(c - 'A' + 10);
        else return 0;
    }
    *out = value;
    return 1;
}

static size_t put_utf8(char *out, unsigned long cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string starting at the opening quote; returns a malloc'd decoded copy. */
static char *parse_string(parser *p, size_t *out_len) {
    size_t start = ++p->pos, cap = 16, n = 0;
    char *out = (char *)malloc(cap);
    (void)start;
    if (out == NULL) return NULL;
    for (;;) {
        unsigned char c;
        if (n + 5 > cap) {
            char *bigger;
            cap *= 2;
            bigger = (char *)realloc(out, cap);
            if (bigger == NULL) break;
            out = bigger;
        }
        if (p->pos >= p->len) {
            fail(p, "unterminated string");
            break;
        }
        c = (unsigned char)p->text[p->pos++];
        if (c == '"') {
            out[n] = '\0';
            *out_len = n;
            return out;
        }
        if (c < 0x20) {
            fail(p, "control character in string");
            break;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        if (p->pos >= p->len) {
            fail(p, "unterminated escape");
            break;
        }
        c = (unsigned char)p->text[p->pos++];
        switch (c) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned long cp, low;
            if (!hex4(p, &cp)) {
                fail(p, "bad \\u escape");
                goto error;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->pos + 2 > p->len || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u') {
                    fail(p, "lone surrogate");
                    goto error;
                }
                p->pos += 2;
                if (!hex4(p, &low) || low < 0xDC00 || low > 0xDFFF) {
                    fail(p, "bad surrogate pair");
                    goto error;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail(p, "lone surrogate");
                goto error;
            }
            n += put_utf8(out + n, cp);
            break;
        }
        default:
            fail(p, "bad escape");
            goto error;
        }
    }
error:
    free(out);
    return NULL;
}

static json_value *parse_value(parser *p);

static json_value *parse_container(parser *p, json_type type) {
    char close = type == JSON_ARRAY ? ']' : '}';
    json_value *v = new_value(type, p);
    if (v == NULL) return NULL;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->text[p->pos] == close) {
        p->pos++;
        v->raw_len = (size_t)(p->text + p->pos - v->raw);
        return v;
    }
    for (;;) {
        char *key = NULL;
        json_value *item;
        skip_ws(p);
        if (type == JSON_OBJECT) {
            size_t key_len;
            if (p->pos >= p->len || p->text[p->pos] != '"') {
                fail(p, "expected a key");
                goto error;
            }
            key = parse_string(p, &key_len);
            if (key == NULL) goto error;
            skip_ws(p);
            if (p->pos >= p->len || p->text[p->pos] != ':') {
                free(key);
                fail(p, "expected ':'");
                goto error;
            }
            p->pos++;
        }
        item = parse_value(p);
        if (item == NULL || !push(v, item, key)) {
            free(key);
            json_free(item);
            goto error;
        }
        skip_ws(p);
        if (p->pos < p->len && p->text[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->text[p->pos] == close) {
            p->pos++;
            v->raw_len = (size_t)(p->text + p->pos - v->raw);
            return v;
        }
        fail(p, "expected ',' or a closing bracket");
        goto error;
    }
error:
    json_free(v);
    return NULL;
}

static int literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->pos + n <= p->len && memcmp(p->text + p->pos, word, n) == 0) {
        p->pos += n;
        return 1;
    }
    return 0;
}

static json_value *parse_value(parser *p) {
    json_value *v;
    char c;
    skip_ws(p);
    if (p->pos >= p->len) {
        fail(p, "unexpected end");
        return NULL;
    }
    if (++p->depth > 200) {
        fail(p, "nested too deeply");
        return NULL;
    }
    c = p->text[p->pos];
    if (c == '{' || c == '[') {
        v = parse_container(p, c == '{' ? JSON_OBJECT : JSON_ARRAY);
        p->depth--;
        return v;
    }
    p->depth--;
    if (c == '"') {
        v = new_value(JSON_STRING, p);
        if (v == NULL) return NULL;
        v->string = parse_string(p, &v->string_len);
        if (v->string == NULL) {
            free(v);
            return NULL;
        }
    } else if (c == 't' || c == 'f' || c == 'n') {
        v = new_value(c == 'n' ? JSON_NULL : JSON_BOOL, p);
        if (v == NULL) return NULL;
        v->boolean = c == 't';
        if (!literal(p, c == 't' ? "true" : c == 'f' ? "false" : "null")) {
            fail(p, "bad literal");
            free(v);
            return NULL;
        }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        char buf[64];
        size_t start = p->pos, n;
        v = new_value(JSON_NUMBER, p);
        if (v == NULL) return NULL;
        while (p->pos < p->len && strchr("+-0123456789.eE", p->text[p->pos]) != NULL) p->pos++;
        n = p->pos - start;
        if (n >= sizeof buf) {
            fail(p, "number too long");
            free(v);
            return NULL;
        }
        memcpy(buf, p->text + start, n);
        buf[n] = '\0';
        v->number = strtod(buf, NULL);
    } else {
        fail(p, "unexpected character");
        return NULL;
    }
    v->raw_len = (size_t)(p->text + p->pos - v->raw);
    return v;
}

json_value *json_parse(const char *text, size_t len, char *err, size_t err_len) {
    parser p;
    json_value *v;
    p.text = text;
    p.len = len;
    p.pos = 0;
    p.err = err;
    p.err_len = err_len;
    p.depth = 0;
    if (err != NULL && err_len > 0) err[0] = '\0';
    v = parse_value(&p);
    if (v == NULL) return NULL;
    skip_ws(&p);
    if (p.pos != len) {
        fail(&p, "trailing characters");
        json_free(v);
        return NULL;
    }
    return v;
}

void json_free(json_value *v) {
    size_t i;
    if (v == NULL) return;
    for (i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys != NULL) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    free(v);
}

char *json_read_file(const char *path, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL) return NULL;
    for (;;) {
        size_t got;
        if (n + 4096 + 1 > cap) {
            char *bigger;
            cap = cap == 0 ? 65536 : cap * 2;
            bigger = (char *)realloc(buf, cap);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    buf[n] = '\0';
    if (out_len != NULL) *out_len = n;
    return buf;
}

const json_value *json_get(const json_value *object, const char *key) {
    size_t i;
    if (object == NULL || object->type != JSON_OBJECT) return NULL;
    for (i = 0; i < object->count; i++) {
        if (strcmp(object->keys[i], key) == 0) return object->items[i];
    }
    return NULL;
}

const json_value *json_at(const json_value *array, size_t index) {
    if (array == NULL || (array->type != JSON_ARRAY && array->type != JSON_OBJECT) || index >= array->count) {
        return NULL;
    }
    return array->items[index];
}

const char *json_str(const json_value *object, const char *key) {
    const json_value *v = json_get(object, key);
    return v != NULL && v->type == JSON_STRING ? v->string : NULL;
}

int json_equal(const json_value *a, const json_value *b) {
    size_t i;
    if (a == NULL || b == NULL) return a == b;
    if (a->type != b->type) return 0;
    switch (a->type) {
    case JSON_NULL: return 1;
    case JSON_BOOL: return a->boolean == b->boolean;
    case JSON_NUMBER: return a->number == b->number;
    case JSON_STRING: return a->string_len == b->string_len && memcmp(a->string, b->string, a->string_len) == 0;
    case JSON_ARRAY:
        if (a->count != b->count) return 0;
        for (i = 0; i < a->count; i++) {
            if (!json_equal(a->items[i], b->items[i])) return 0;
        }
        return 1;
    case JSON_OBJECT:
        if (a->count != b->count) return 0;
        for (i = 0; i < a->count; i++) {
            if (!json_equal(a->items[i], json_get(b, a->keys[i]))) return 0;
        }
        return 1;
    }
    return 0;
}

char *json_raw(const json_value *v) {
    char *out = (char *)malloc(v->raw_len + 1);
    if (out == NULL) return NULL;
    memcpy(out, v->raw, v->raw_len);
    out[v->raw_len] = '\0';
    return out;
}
