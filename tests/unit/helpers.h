/* helpers.h -- shared by the criterion unit tests: temporary databases and small write builders. */
#ifndef VIZD_TEST_HELPERS_H
#define VIZD_TEST_HELPERS_H

#include <criterion/criterion.h>
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

#endif
