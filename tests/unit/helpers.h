/* helpers.h -- shared by the criterion unit tests: temporary databases, small write builders, and looks at
 * a database file from outside the store (a read-only connection of its own). */
#ifndef VIZD_TEST_HELPERS_H
#define VIZD_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vizd/store.h"

/* A fresh path in a new temporary directory; the file itself does not exist yet. */
static inline char *temp_db_path(void)
{
    char dir[] = "/tmp/vizd-unit-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *path = malloc(strlen(dir) + 16);
    sprintf(path, "%s/test.sqlite", dir);
    return path;
}

static inline vz_store *open_temp_store(char **path_out)
{
    char *path = temp_db_path();
    vz_store *store = NULL;
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), 0, "store_open: %s", err.message);
    if (path_out) *path_out = path;
    else free(path);
    return store;
}

/* One scalar item of n points with steps first, first+stride, ... and values from fn(i). */
static inline void fill_item(vz_scalar_item *item, const char *tag, size_t n, int64_t first, int64_t stride,
                             double (*fn)(size_t))
{
    item->tag = strdup(tag);
    item->count = n;
    item->steps = calloc(n ? n : 1, sizeof *item->steps);
    item->wall_times_s = calloc(n ? n : 1, sizeof *item->wall_times_s);
    item->values = calloc(n ? n : 1, sizeof *item->values);
    item->needs_step = NULL;
    for (size_t i = 0; i < n; i++) {
        item->steps[i] = first + (int64_t)i * stride;
        item->wall_times_s[i] = 1000.0 + (double)i;
        item->values[i] = fn ? fn(i) : (double)i;
    }
}

static inline void free_item(vz_scalar_item *item)
{
    free(item->tag);
    free(item->steps);
    free(item->wall_times_s);
    free(item->values);
    free(item->needs_step);
}

/* Write one item to run and free it; asserts success. */
static inline void write_one(vz_store *store, const char *run, vz_scalar_item *item)
{
    vz_write w = {.run = (char *)run, .scalars = item, .scalar_count = 1};
    vz_error err;
    cr_assert_eq(store_write(store, &w, &err), 0, "store_write: %s", err.message);
    free_item(item);
}

/* The integer in the first column of the first row sql answers on the database at path; asserts a row. */
static inline int64_t db_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: no row", sql);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Every scalar_summaries row of the database at path, in key order, one line each: to compare the
 * summaries two databases keep. Caller frees. */
static inline char *db_dump_summaries(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT series_id, level, first_step, last_step, count, hex(picks) "
                                        "FROM scalar_summaries ORDER BY series_id, level, first_step", -1, &st, NULL),
                 SQLITE_OK);
    size_t size = 0;
    char *text = NULL;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    while (sqlite3_step(st) == SQLITE_ROW)
        fprintf(out, "%lld %lld %lld %lld %lld %s\n", (long long)sqlite3_column_int64(st, 0),
                (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
                (long long)sqlite3_column_int64(st, 3), (long long)sqlite3_column_int64(st, 4),
                (const char *)sqlite3_column_text(st, 5));
    fclose(out);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return text;
}

#endif
