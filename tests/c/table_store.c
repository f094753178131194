/* A host store over an in-memory table, as a database would keep the rows (see table_store.h). */
#define _POSIX_C_SOURCE 200809L

#include "table_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *service, *kind, *key, *identity;
    uint64_t created, version;
    char *text; /* the stored record, NUL-terminated */
    size_t text_len;
} table_row;

struct table_store {
    pthread_mutex_t lock;
    table_row *rows;
    size_t count, cap;
};

table_store *table_store_new(void) {
    table_store *t = (table_store *)calloc(1, sizeof *t);
    if (t != NULL && pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

static void free_row(table_row *row) {
    free(row->service);
    free(row->kind);
    free(row->key);
    free(row->identity);
    free(row->text);
}

void table_store_free(table_store *t) {
    size_t i;
    if (t == NULL) return;
    for (i = 0; i < t->count; i++) free_row(&t->rows[i]);
    free(t->rows);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static void free_user(void *user) { table_store_free((table_store *)user); }

ww_host_store table_store_callbacks(table_store *t, int owned) {
    ww_host_store store;
    store.user = t;
    store.get = table_get;
    store.list = table_list;
    store.scan = table_scan;
    store.commit = table_commit;
    store.free_user = owned ? free_user : NULL;
    return store;
}

size_t table_store_count(table_store *t) {
    size_t n;
    pthread_mutex_lock(&t->lock);
    n = t->count;
    pthread_mutex_unlock(&t->lock);
    return n;
}

/* The row of (service, kind, key), or NULL. The lock is held. */
static table_row *find(table_store *t, const char *service, const char *kind, const char *key) {
    size_t i;
    for (i = 0; i < t->count; i++) {
        table_row *r = &t->rows[i];
        if (strcmp(r->key, key) == 0 && strcmp(r->kind, kind) == 0 && strcmp(r->service, service) == 0) return r;
    }
    return NULL;
}

static int by_id(const void *a, const void *b) {
    const table_row *x = *(const table_row *const *)a, *y = *(const table_row *const *)b;
    int c = strcmp(x->service, y->service);
    if (c == 0) c = strcmp(x->kind, y->kind);
    return c != 0 ? c : strcmp(x->key, y->key);
}

static int by_place(const void *a, const void *b) {
    const table_row *x = *(const table_row *const *)a, *y = *(const table_row *const *)b;
    if (x->created != y->created) return x->created < y->created ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Appends `n` bytes of `s` to the malloc'd `*buf`; 0 when out of memory. */
static int append(char **buf, size_t *len, const char *s, size_t n) {
    char *bigger = (char *)realloc(*buf, *len + n + 1);
    if (bigger == NULL) return 0;
    memcpy(bigger + *len, s, n);
    *len += n;
    bigger[*len] = '\0';
    *buf = bigger;
    return 1;
}

char *table_store_dump(table_store *t) {
    char *out = NULL, line[256];
    size_t len = 0, i;
    const table_row **sorted;
    int ok = append(&out, &len, "", 0);
    pthread_mutex_lock(&t->lock);
    sorted = (const table_row **)malloc((t->count + 1) * sizeof *sorted);
    for (i = 0; ok && sorted != NULL && i < t->count; i++) sorted[i] = &t->rows[i];
    if (sorted != NULL) qsort(sorted, t->count, sizeof *sorted, by_id);
    for (i = 0; ok && sorted != NULL && i < t->count; i++) {
        const table_row *r = sorted[i];
        snprintf(line, sizeof line, "%s %s %s %s %llu %llu ", r->service, r->kind, r->key, r->identity,
                 (unsigned long long)r->created, (unsigned long long)r->version);
        ok = append(&out, &len, line, strlen(line)) && append(&out, &len, r->text, r->text_len) &&
             append(&out, &len, "\n", 1);
    }
    pthread_mutex_unlock(&t->lock);
    if (!ok || sorted == NULL) {
        free(out);
        out = NULL;
    }
    free(sorted);
    return out;
}

int table_get(void *user, const char *service, const char *kind, const char *key, ww_host_reply *reply) {
    table_store *t = (table_store *)user;
    const table_row *row;
    int status = WW_HOST_OK;
    pthread_mutex_lock(&t->lock);
    row = find(t, service, kind, key);
    /* The reply copies the text: the row may change once the lock is released. */
    if (row != NULL && ww_host_reply_record(reply, row->text, row->text_len) != WW_STATUS_OK) status = WW_HOST_ERROR;
    pthread_mutex_unlock(&t->lock);
    return status;
}

/* A listing: the rows of `kind` in `service` (of `identity`, when not NULL) after `after`, in
 * order, at most `limit`. */
static int listing(table_store *t, const char *service, const char *identity, const char *kind,
                   const ww_host_cursor *after, size_t limit, ww_host_reply *reply) {
    const table_row **found;
    size_t n = 0, i;
    int status = WW_HOST_OK;
    pthread_mutex_lock(&t->lock);
    found = (const table_row **)malloc((t->count + 1) * sizeof *found);
    if (found == NULL) {
        pthread_mutex_unlock(&t->lock);
        ww_host_reply_error(reply, "out of memory");
        return WW_HOST_ERROR;
    }
    for (i = 0; i < t->count; i++) {
        const table_row *r = &t->rows[i];
        if (strcmp(r->service, service) != 0 || strcmp(r->kind, kind) != 0) continue;
        if (identity != NULL && strcmp(r->identity, identity) != 0) continue;
        if (after != NULL && (r->created < after->created || (r->created == after->created && strcmp(r->key, after->key) <= 0))) {
            continue;
        }
        found[n++] = r;
    }
    qsort(found, n, sizeof *found, by_place);
    for (i = 0; i < n && i < limit && status == WW_HOST_OK; i++) {
        if (ww_host_reply_record(reply, found[i]->text, found[i]->text_len) != WW_STATUS_OK) status = WW_HOST_ERROR;
    }
    pthread_mutex_unlock(&t->lock);
    free(found);
    return status;
}

int table_list(void *user, const char *service, const char *identity, const char *kind, const ww_host_cursor *after,
               size_t limit, ww_host_reply *reply) {
    return listing((table_store *)user, service, identity, kind, after, limit, reply);
}

int table_scan(void *user, const char *service, const char *kind, const ww_host_cursor *after, size_t limit,
               ww_host_reply *reply) {
    return listing((table_store *)user, service, NULL, kind, after, limit, reply);
}

static char *copy(const char *s, size_t n) {
    char *out = (char *)malloc(n + 1);
    if (out != NULL) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

/* A row for a write that puts a record; 0 when out of memory (nothing then to free). */
static int new_row(const ww_host_write *w, table_row *row) {
    memset(row, 0, sizeof *row);
    row->service = copy(w->service, strlen(w->service));
    row->kind = copy(w->kind, strlen(w->kind));
    row->key = copy(w->key, strlen(w->key));
    row->identity = copy(w->identity, strlen(w->identity));
    row->text = copy(w->record, w->record_len);
    row->text_len = w->record_len;
    row->created = w->created;
    row->version = w->version;
    if (row->service == NULL || row->kind == NULL || row->key == NULL || row->identity == NULL || row->text == NULL) {
        free_row(row);
        return 0;
    }
    return 1;
}

int table_commit(void *user, const ww_host_write *writes, size_t count, ww_host_reply *reply) {
    table_store *t = (table_store *)user;
    table_row *fresh = (table_row *)calloc(count + 1, sizeof *fresh);
    size_t i, made = 0;
    if (fresh == NULL) {
        ww_host_reply_error(reply, "out of memory");
        return WW_HOST_ERROR;
    }
    /* Everything that can fail comes first, so that a commit applies all or nothing. */
    for (made = 0; made < count; made++) {
        if (writes[made].record != NULL && !new_row(&writes[made], &fresh[made])) break;
    }
    pthread_mutex_lock(&t->lock);
    if (made < count || t->count + count > t->cap) {
        size_t cap = t->cap == 0 ? 64 : t->cap * 2;
        table_row *bigger = NULL;
        while (cap < t->count + count) cap *= 2;
        if (made == count) bigger = (table_row *)realloc(t->rows, cap * sizeof *bigger);
        if (bigger == NULL) {
            pthread_mutex_unlock(&t->lock);
            for (i = 0; i < made; i++) free_row(&fresh[i]);
            free(fresh);
            ww_host_reply_error(reply, "out of memory");
            return WW_HOST_ERROR;
        }
        t->rows = bigger;
        t->cap = cap;
    }
    for (i = 0; i < count; i++) {
        const table_row *r = find(t, writes[i].service, writes[i].kind, writes[i].key);
        if ((r != NULL ? r->version : 0) != writes[i].expected_version) {
            pthread_mutex_unlock(&t->lock);
            for (i = 0; i < count; i++) free_row(&fresh[i]);
            free(fresh);
            return WW_HOST_CONFLICT;
        }
    }
    for (i = 0; i < count; i++) {
        table_row *r = find(t, writes[i].service, writes[i].kind, writes[i].key);
        if (r != NULL) {
            free_row(r);
            *r = t->rows[--t->count];
        }
        if (writes[i].record != NULL) t->rows[t->count++] = fresh[i];
    }
    pthread_mutex_unlock(&t->lock);
    free(fresh);
    return WW_HOST_OK;
}
