/* test_store_checkpoint.c -- the WAL is copied into the database beside the writer, and stays bounded.
 *
 * Every write here is its own commit (store_write waits for it), one after another with no pause of 250 ms,
 * so the writer is never idle and its idle checkpoint never runs: whatever reaches the database file meanwhile
 * was copied by the checkpoint thread, or by the writer itself once the WAL passed its bound
 * (store_sqlite_checkpoint.c). The file sizes are read from outside, as another process would see them. */
#include <sys/stat.h>
#include <time.h>

#include "helpers.h"
#include "vizd/store_sqlite.h"

#define PAGE_BYTES 4096
#define WAL_FRAME_BYTES (24 + PAGE_BYTES)
#define WAL_HEADER_BYTES 32

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* One point at step i of tag "loss" in run "r", as its own commit. */
static void write_point(vz_store *store, int64_t step)
{
    vz_scalar_item item;
    fill_item(&item, "loss", 1, step, 1, NULL);
    write_one(store, "r", &item);
}

static size_t point_count(vz_store *store)
{
    vz_points pts;
    vz_error err;
    cr_assert_eq(store_read_scalars(store, "r", "loss", INT64_MIN, INT64_MAX, &pts, &err), 0, "%s", err.message);
    size_t n = pts.count;
    store_points_free(&pts);
    return n;
}

Test(checkpoint, the_wal_reaches_the_database_while_writes_go_on)
{
    char *path = NULL;
    vz_store *store = open_temp_store(&path);
    char wal[512];
    snprintf(wal, sizeof wal, "%s-wal", path);
    int64_t first_size = file_size(path);
    int64_t grown_at_wal_bytes = -1;
    /* A millisecond between writes gives the checkpoint thread time to finish one (a few milliseconds for
     * 1,000 pages and two fsyncs) long before the WAL reaches its bound, yet never lets the writer stay
     * idle long enough for its own checkpoint (250 ms). */
    const struct timespec pause = {0, 1000000};
    for (int64_t step = 0; step < 20000 && grown_at_wal_bytes < 0; step++) {
        write_point(store, step);
        if (file_size(path) > first_size) grown_at_wal_bytes = file_size(wal);
        nanosleep(&pause, NULL);
    }
    cr_assert_geq(grown_at_wal_bytes, 0, "the database file never grew while the writes went on");
    cr_assert_lt(grown_at_wal_bytes, WAL_HEADER_BYTES + (int64_t)SQ_FORCE_CHECKPOINT_PAGES * WAL_FRAME_BYTES,
                 "the database grew only when the WAL passed its bound (%lld bytes): no checkpoint ran beside the "
                 "writer", (long long)grown_at_wal_bytes);
    store_close(store);
    free(path);
}

Test(checkpoint, the_wal_stays_bounded_when_writes_never_pause)
{
    char *path = NULL;
    vz_store *store = open_temp_store(&path);
    char wal[512];
    snprintf(wal, sizeof wal, "%s-wal", path);
    /* Each one-point commit writes about three pages (the run, the series, the tail): 6,000 commits write
     * 18,000, more than four times the bound. */
    int64_t largest = 0;
    const int64_t commits = 6000;
    for (int64_t step = 0; step < commits; step++) {
        write_point(store, step);
        int64_t size = file_size(wal);
        if (size > largest) largest = size;
    }
    int64_t bound = WAL_HEADER_BYTES + (int64_t)(SQ_FORCE_CHECKPOINT_PAGES + 64) * WAL_FRAME_BYTES;
    cr_assert_leq(largest, bound, "the WAL grew to %lld bytes (bound %lld)", (long long)largest, (long long)bound);
    cr_assert_eq(point_count(store), (size_t)commits);
    store_close(store);

    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), 0, "%s", err.message);
    cr_assert_eq(point_count(store), (size_t)commits, "every point is there after a reopen");
    store_close(store);
    free(path);
}
