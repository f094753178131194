/* A host store written in C for the tests: the rows a database table would hold (service, kind,
 * key, identity, created, version, text) in a mutex-protected array, behind the callbacks of a
 * ww_host_store. Listings are answered in order, by (created, key), after the cursor and cut at
 * the limit; commits are all-or-nothing compare-and-sets on the version. */
#ifndef WW_TEST_TABLE_STORE_H
#define WW_TEST_TABLE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "watchword.h"

typedef struct table_store table_store;

/* An empty table; NULL when out of memory. */
table_store *table_store_new(void);
/* Frees the table and its rows. NULL is a no-op. */
void table_store_free(table_store *t);
/* The callbacks over `t`. With `owned`, the service frees `t` (free_user) when it is freed. */
ww_host_store table_store_callbacks(table_store *t, int owned);
/* How many rows the table holds. */
size_t table_store_count(table_store *t);
/* Every row as text, in (service, kind, key) order: to compare the table before and after. A
 * malloc'd string; free it with free(). */
char *table_store_dump(table_store *t);

/* The callbacks themselves, for tests that wrap them (`user` is the table_store). */
int table_get(void *user, const char *service, const char *kind, const char *key, ww_host_reply *reply);
int table_list(void *user, const char *service, const char *identity, const char *kind, const ww_host_cursor *after,
               size_t limit, ww_host_reply *reply);
int table_scan(void *user, const char *service, const char *kind, const ww_host_cursor *after, size_t limit,
               ww_host_reply *reply);
int table_commit(void *user, const ww_host_write *writes, size_t count, ww_host_reply *reply);

#endif
