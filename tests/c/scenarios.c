/* The runner of the shared state scenarios (the JSON files of tests/vectors/scenarios): each
 * step is forwarded to ww_service_call on a service made fresh for each scenario by a
 * `service_maker` (over the in-memory store, or over a store the test implements), and its
 * answer checked against the step's expectations. */
#define _POSIX_C_SOURCE 200809L

#include "scenarios.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* --- a growing text buffer ------------------------------------------------------------------ */

typedef struct {
    char *data;
    size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap == 0 ? 256 : t->cap;
        char *bigger;
        while (cap < t->len + n + 1) cap *= 2;
        bigger = (char *)realloc(t->data, cap);
        if (bigger == NULL) abort();
        t->data = bigger;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void put_str(text *t, const char *s) { put(t, s, strlen(s)); }

/* Appends `s` (`n` bytes) as a JSON string literal. */
static void put_quoted(text *t, const char *s, size_t n) {
    size_t i;
    put(t, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(t, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(t, esc, 6);
        } else {
            put(t, (const char *)&s[i], 1);
        }
    }
    put(t, "\"", 1);
}

/* --- scenario state ------------------------------------------------------------------------- */

#define MAX_SAVED 512

typedef struct {
    char *name;
    char *value; /* the sid, or the exported record */
    char *uri;   /* the factor's binding.uri, when it had one */
    char *codes; /* the JSON text of the factor's binding.codes, when it had them */
} saved_value;

typedef struct {
    const char *file;
    size_t step;
    const char *note;
    saved_value saved[MAX_SAVED];
    size_t count;
} scenario;

static saved_value *find_saved(scenario *sc, const char *name) {
    size_t i;
    for (i = 0; i < sc->count; i++) {
        if (strcmp(sc->saved[i].name, name) == 0) return &sc->saved[i];
    }
    return NULL;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *out = (char *)malloc(n + 1);
    if (out == NULL) abort();
    memcpy(out, s, n + 1);
    return out;
}

static void save(scenario *sc, const char *name, const char *value, const char *uri) {
    saved_value *slot = find_saved(sc, name);
    if (slot == NULL) {
        if (!CHECK(sc->count < MAX_SAVED, "%s: too many saved values", sc->file)) return;
        slot = &sc->saved[sc->count++];
        slot->name = dup_str(name);
        slot->value = NULL;
        slot->uri = NULL;
        slot->codes = NULL;
    }
    free(slot->value);
    slot->value = value != NULL ? dup_str(value) : NULL;
    if (uri != NULL) {
        free(slot->uri);
        slot->uri = dup_str(uri);
    }
}

static void free_scenario(scenario *sc) {
    size_t i;
    for (i = 0; i < sc->count; i++) {
        free(sc->saved[i].name);
        free(sc->saved[i].value);
        free(sc->saved[i].uri);
        free(sc->saved[i].codes);
    }
    sc->count = 0;
}

/* The code an authenticator app shows at `at` for the key in `uri`, computed with the C ABI's
 * own URI parser and TOTP generator. Returns 0 on failure. */
int app_code(const char *uri, uint64_t at, char *code, size_t cap) {
    char *key_json = NULL, err[128];
    json_value *key = NULL;
    ww_totp *totp = NULL;
    uint8_t secret[128];
    size_t len = 0, code_len = 0;
    int ok = 0;
    if (ww_key_uri_parse(uri, &key_json) != WW_STATUS_OK) goto done;
    key = json_parse(key_json, strlen(key_json), err, sizeof err);
    if (key == NULL) goto done;
    if (ww_base32_decode(json_str(key, "secret_base32"), secret, sizeof secret, &len) != WW_STATUS_OK) goto done;
    if (ww_totp_new(secret, len, algorithm_number(json_str(key, "algorithm")), (uint32_t)json_get(key, "digits")->number,
                    (uint64_t)json_get(key, "period")->number, 0, &totp) != WW_STATUS_OK) {
        goto done;
    }
    ok = ww_totp_generate(totp, at, code, cap, &code_len) == WW_STATUS_OK;
done:
    ww_totp_free(totp);
    json_free(key);
    ww_string_free(key_json);
    return ok;
}

/* Writes the recovery code {"recovery": name, "index": i, "spelling"?: "loose"} names, as a JSON
 * string: the i-th of the codes saved as `name`, as shown or (loose) upper case with a space for
 * the hyphen. */
static int recovery_code(scenario *sc, const json_value *v, text *out) {
    const json_value *name = json_get(v, "recovery"), *index = json_get(v, "index");
    const char *spelling = json_str(v, "spelling");
    char err[128], code[64];
    json_value *codes;
    const json_value *item;
    saved_value *s;
    size_t i, n;
    if (!CHECK(name != NULL && name->type == JSON_STRING && index != NULL && index->type == JSON_NUMBER,
               "%s step %lu: a recovery code needs a name and an index", sc->file, (unsigned long)sc->step)) {
        return 0;
    }
    s = find_saved(sc, name->string);
    if (!CHECK(s != NULL && s->codes != NULL, "%s step %lu: no recovery codes saved as %s", sc->file,
               (unsigned long)sc->step, name->string)) {
        return 0;
    }
    codes = json_parse(s->codes, strlen(s->codes), err, sizeof err);
    item = codes != NULL ? json_at(codes, (size_t)index->number) : NULL;
    if (!CHECK(item != NULL && item->type == JSON_STRING && item->string_len < sizeof code, "%s step %lu: no code %d",
               sc->file, (unsigned long)sc->step, (int)index->number)) {
        json_free(codes);
        return 0;
    }
    n = item->string_len;
    memcpy(code, item->string, n + 1);
    json_free(codes);
    if (spelling != NULL) {
        if (!CHECK(strcmp(spelling, "loose") == 0, "unknown spelling %s", spelling)) return 0;
        for (i = 0; i < n; i++) code[i] = code[i] == '-' ? ' ' : (char)toupper((unsigned char)code[i]);
    }
    put_quoted(out, code, n);
    return 1;
}

/* Writes `v` as JSON with "$name", {"totp": name, "at": T} and {"recovery": name, "index": i}
 * resolved. */
static int resolve(scenario *sc, const json_value *v, text *out) {
    size_t i;
    switch (v->type) {
    case JSON_STRING:
        if (v->string[0] == '$') {
            saved_value *s = find_saved(sc, v->string + 1);
            if (!CHECK(s != NULL && s->value != NULL, "%s step %lu: nothing saved as %s", sc->file, (unsigned long)sc->step,
                       v->string)) {
                return 0;
            }
            put_quoted(out, s->value, strlen(s->value));
            return 1;
        }
        put(out, v->raw, v->raw_len);
        return 1;
    case JSON_OBJECT: {
        const json_value *totp = json_get(v, "totp"), *at = json_get(v, "at");
        if (v->count == 2 && totp != NULL && at != NULL && totp->type == JSON_STRING && at->type == JSON_NUMBER) {
            saved_value *s = find_saved(sc, totp->string);
            char code[WW_CODE_BUFFER_SIZE];
            if (!CHECK(s != NULL && s->uri != NULL, "%s step %lu: no key URI saved as %s", sc->file,
                       (unsigned long)sc->step, totp->string)) {
                return 0;
            }
            if (!CHECK(app_code(s->uri, (uint64_t)at->number, code, sizeof code), "%s step %lu: no code from %s",
                       sc->file, (unsigned long)sc->step, s->uri)) {
                return 0;
            }
            put_quoted(out, code, strlen(code));
            return 1;
        }
        if (json_get(v, "recovery") != NULL) return recovery_code(sc, v, out);
        put(out, "{", 1);
        for (i = 0; i < v->count; i++) {
            if (i > 0) put(out, ",", 1);
            put_quoted(out, v->keys[i], strlen(v->keys[i]));
            put(out, ":", 1);
            if (!resolve(sc, v->items[i], out)) return 0;
        }
        put(out, "}", 1);
        return 1;
    }
    case JSON_ARRAY:
        put(out, "[", 1);
        for (i = 0; i < v->count; i++) {
            if (i > 0) put(out, ",", 1);
            if (!resolve(sc, v->items[i], out)) return 0;
        }
        put(out, "]", 1);
        return 1;
    default:
        put(out, v->raw, v->raw_len);
        return 1;
    }
}

/* `want` is contained in `got`: objects as subsets (recursively), everything else exactly. */
static int subset(const json_value *want, const json_value *got) {
    size_t i;
    if (want->type != JSON_OBJECT) return json_equal(want, got);
    if (got == NULL || got->type != JSON_OBJECT) return 0;
    for (i = 0; i < want->count; i++) {
        if (!subset(want->items[i], json_get(got, want->keys[i]))) return 0;
    }
    return 1;
}

#define STEP_CHECK(cond, ...)                                                                                       \
    do {                                                                                                            \
        if (!(cond)) {                                                                                              \
            fprintf(stderr, "  in %s, step %lu (%s): answer %s\n", sc->file, (unsigned long)sc->step,                \
                    sc->note != NULL ? sc->note : op, answer_text != NULL ? answer_text : "(none)");               \
        }                                                                                                           \
        CHECK(cond, __VA_ARGS__);                                                                                   \
    } while (0)

/* The items of a page of a list operation (`{"items": [...], "next_page_token": ...}`), or NULL
 * when the answer is no page. */
const json_value *page_items(const json_value *answer) {
    const json_value *items = json_get(answer, "items"), *token = json_get(answer, "next_page_token");
    if (answer == NULL || answer->type != JSON_OBJECT || answer->count != 2) return NULL;
    if (items == NULL || items->type != JSON_ARRAY || token == NULL) return NULL;
    if (token->type != JSON_STRING && token->type != JSON_NULL) return NULL;
    return items;
}

static void check_expect(scenario *sc, const char *op, const json_value *expect, ww_status st, const char *answer_text) {
    char err[128];
    json_value *answer = NULL;
    const json_value *e;
    size_t i;
    const char *want_error = json_str(expect, "error");
    if (want_error != NULL) {
        STEP_CHECK(st != WW_STATUS_OK && strcmp(ww_status_kind(st), want_error) == 0, "%s: %s, wanted error %s", op,
                   ww_status_kind(st), want_error);
        STEP_CHECK(answer_text == NULL, "%s: a failed call wrote its out-parameter", op);
        return;
    }
    STEP_CHECK(st == WW_STATUS_OK, "%s failed: %s (%s)", op, ww_status_kind(st), last_message());
    if (st != WW_STATUS_OK) return;
    answer = json_parse(answer_text, strlen(answer_text), err, sizeof err);
    STEP_CHECK(answer != NULL, "%s: the answer is not JSON: %s", op, err);
    if (answer == NULL) return;
    if ((e = json_get(expect, "status")) != NULL) {
        STEP_CHECK(json_equal(e, json_get(answer, "status")), "%s: status, wanted %s", op, e->string);
    }
    if ((e = json_get(expect, "result")) != NULL) {
        STEP_CHECK(json_equal(e, json_get(answer, "result")), "%s: result, wanted %s", op, e->string);
    }
    if ((e = json_get(expect, "result_offset")) != NULL) {
        STEP_CHECK(json_equal(e, json_get(answer, "result_offset")), "%s: result_offset, wanted %.*s", op,
                   (int)e->raw_len, e->raw);
    }
    if ((e = json_get(expect, "fields")) != NULL) {
        STEP_CHECK(subset(e, answer), "%s: fields, wanted %.*s", op, (int)e->raw_len, e->raw);
    }
    if ((e = json_get(expect, "absent")) != NULL) {
        for (i = 0; i < e->count; i++) {
            STEP_CHECK(json_get(answer, e->items[i]->string) == NULL, "%s: %s must be absent", op, e->items[i]->string);
        }
    }
    if ((e = json_get(expect, "count")) != NULL) {
        const json_value *items = page_items(answer);
        STEP_CHECK(items != NULL && (double)items->count == e->number, "%s: count, wanted %g", op, e->number);
    }
    if ((e = json_get(expect, "sids")) != NULL) {
        const json_value *items = page_items(answer);
        int same = items != NULL && items->count == e->count;
        for (i = 0; same && i < e->count; i++) {
            same = json_equal(e->items[i], json_get(items->items[i], "sid"));
        }
        STEP_CHECK(same, "%s: sids, wanted %.*s", op, (int)e->raw_len, e->raw);
    }
    if ((e = json_get(expect, "next_page")) != NULL) {
        const json_value *token = json_get(answer, "next_page_token");
        int has_next = token != NULL && token->type == JSON_STRING;
        STEP_CHECK(page_items(answer) != NULL && e->type == JSON_BOOL && e->boolean == has_next,
                   "%s: next_page, wanted %.*s", op, (int)e->raw_len, e->raw);
    }
    if ((e = json_get(expect, "value")) != NULL) {
        STEP_CHECK(json_equal(e, answer), "%s: value, wanted %.*s", op, (int)e->raw_len, e->raw);
    }
    json_free(answer);
}

static void save_answer(scenario *sc, const char *name, const char *answer_text) {
    char err[128];
    json_value *answer = json_parse(answer_text, strlen(answer_text), err, sizeof err);
    if (!CHECK(answer != NULL, "%s step %lu: answer to save is not JSON", sc->file, (unsigned long)sc->step)) return;
    if (page_items(answer) != NULL) {
        /* A page: its next_page_token (NULL on the last page). */
        save(sc, name, json_str(answer, "next_page_token"), NULL);
    } else if (answer->type == JSON_OBJECT) {
        const char *sid = json_str(answer, "sid");
        const char *uri = json_str(json_get(answer, "binding"), "uri");
        const json_value *codes = json_get(json_get(answer, "binding"), "codes");
        save(sc, name, sid, uri);
        if (codes != NULL && codes->type == JSON_ARRAY) {
            saved_value *slot = find_saved(sc, name);
            if (slot != NULL) {
                free(slot->codes);
                slot->codes = json_raw(codes);
            }
        }
    } else if (answer->type == JSON_STRING) {
        save(sc, name, answer->string, NULL);
    } else {
        CHECK(0, "%s step %lu: cannot save a %d answer", sc->file, (unsigned long)sc->step, (int)answer->type);
    }
    json_free(answer);
}

static unsigned long steps_run;

/* A step's `now`, read from its JSON text: a double cannot hold every u64 (2^64 - 1 is used). */
static uint64_t step_now(const json_value *now) {
    char digits[32];
    uint64_t value = 0;
    if (now->raw_len >= sizeof digits) return 0;
    memcpy(digits, now->raw, now->raw_len);
    digits[now->raw_len] = '\0';
    CHECK(parse_u64(digits, &value), "a step's now is an unsigned integer: %s", digits);
    return value;
}

static void run_scenario(const char *dir, const char *file, service_maker make, void *ctx) {
    char *path = path_join(dir, file), *body, err[160];
    size_t len, i;
    json_value *doc;
    const json_value *steps, *settings;
    char *settings_text = NULL;
    ww_service *svc = NULL;
    scenario *sc = (scenario *)calloc(1, sizeof *sc);
    body = json_read_file(path, &len);
    if (!CHECK(body != NULL && sc != NULL, "cannot read %s", path)) {
        free(path);
        free(sc);
        return;
    }
    sc->file = file;
    doc = json_parse(body, len, err, sizeof err);
    if (!CHECK(doc != NULL, "%s: %s", path, err)) goto done;
    settings = json_get(doc, "settings");
    steps = json_get(doc, "steps");
    if (!CHECK(settings != NULL && steps != NULL && steps->type == JSON_ARRAY && steps->count > 0,
               "%s: settings and steps", file)) {
        goto done;
    }
    settings_text = json_raw(settings);
    if (!CHECK_STATUS(make(settings_text, ctx, &svc), WW_STATUS_OK, file)) goto done;

    for (i = 0; i < steps->count; i++) {
        const json_value *step = steps->items[i], *args = json_get(step, "args"), *expect = json_get(step, "expect");
        const json_value *repeat = json_get(step, "repeat"), *now = json_get(step, "now");
        const char *op = json_str(step, "op"), *save_as = json_str(step, "save");
        long times = repeat != NULL ? (long)repeat->number : 1, k;
        sc->step = i + 1;
        sc->note = json_str(step, "note");
        if (!CHECK(op != NULL && now != NULL, "%s step %lu: op and now", file, (unsigned long)sc->step)) continue;
        for (k = 0; k < times; k++) {
            text args_text = {NULL, 0, 0}, expect_text = {NULL, 0, 0};
            json_value *expect_resolved = NULL;
            char *answer = NULL;
            ww_status st;
            /* Codes and saved values are resolved anew for every repetition. */
            if (args != NULL ? !resolve(sc, args, &args_text) : (put_str(&args_text, ""), 0)) {
                free(args_text.data);
                break;
            }
            if (expect != NULL && resolve(sc, expect, &expect_text)) {
                expect_resolved = json_parse(expect_text.data, expect_text.len, err, sizeof err);
                CHECK(expect_resolved != NULL, "%s step %lu: resolved expectation: %s", file, (unsigned long)sc->step, err);
            }
            st = ww_service_call(svc, op, args_text.data, step_now(now), &answer);
            steps_run++;
            if (expect_resolved != NULL) check_expect(sc, op, expect_resolved, st, answer);
            if (save_as != NULL && st == WW_STATUS_OK) save_answer(sc, save_as, answer);
            ww_string_free(answer);
            json_free(expect_resolved);
            free(args_text.data);
            free(expect_text.data);
        }
    }
done:
    ww_service_free(svc);
    free(settings_text);
    free_scenario(sc);
    free(sc);
    json_free(doc);
    free(body);
    free(path);
}

static int compare_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

unsigned long run_scenarios(const char *vectors, const char *store, service_maker make, void *ctx) {
    char *dir = path_join(vectors, "scenarios");
    unsigned long start = steps_run;
    DIR *d = opendir(dir);
    struct dirent *entry;
    char *names[256];
    size_t count = 0, i;
    if (!CHECK(d != NULL, "cannot open %s", dir)) {
        free(dir);
        return 0;
    }
    while ((entry = readdir(d)) != NULL && count < 256) {
        size_t n = strlen(entry->d_name);
        if (n > 5 && strcmp(entry->d_name + n - 5, ".json") == 0) names[count++] = dup_str(entry->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof names[0], compare_names);
    CHECK(count > 0, "scenarios found in %s", dir);
    for (i = 0; i < count; i++) {
        unsigned long before = steps_run;
        run_scenario(dir, names[i], make, ctx);
        printf("scenario %s (%s): %lu operations\n", names[i], store, steps_run - before);
        free(names[i]);
    }
    free(dir);
    return steps_run - start;
}
