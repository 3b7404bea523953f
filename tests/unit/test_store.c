/* test_store.c -- the SQLite store: blocks, merges, overwrites, exact values, group commit, migrations. */
#include <math.h>
#include <sqlite3.h>

#include "helpers.h"

static vz_points read_all(vz_store *store, const char *run, const char *tag)
{
    vz_points pts;
    vz_error err;
    cr_assert_eq(store_read_scalars(store, run, tag, INT64_MIN, INT64_MAX, &pts, &err), 0, "%s", err.message);
    return pts;
}

static double square(size_t i) { return (double)i * (double)i; }

Test(store, ten_thousand_points_take_about_ten_blocks)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    vz_scalar_item item;
    fill_item(&item, "loss", 10000, 0, 1, square);
    write_one(store, "run", &item);
    store_close(store);
    int64_t blocks = db_int(path, "SELECT count(*) FROM scalar_blocks");
    cr_assert(blocks >= 10 && blocks <= 11, "blocks = %lld", (long long)blocks);
    free(path);
}

Test(store, appending_one_point_at_a_time_fills_blocks_before_opening_new_ones)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    for (int i = 0; i < 3000; i++) {
        vz_scalar_item item;
        fill_item(&item, "loss", 1, i, 1, NULL);
        write_one(store, "run", &item);
    }
    vz_points pts = read_all(store, "run", "loss");
    cr_assert_eq(pts.count, 3000);
    store_points_free(&pts);
    store_close(store);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM scalar_blocks"), 3);
    free(path);
}

Test(store, points_come_back_in_step_order_whatever_the_write_order)
{
    vz_store *store = open_temp_store(NULL);
    vz_scalar_item later, earlier, middle;
    fill_item(&later, "t", 2000, 5000, 1, NULL);
    write_one(store, "r", &later);
    fill_item(&earlier, "t", 2000, 0, 1, NULL);
    write_one(store, "r", &earlier);
    fill_item(&middle, "t", 1000, 2500, 2, NULL); /* falls between the two, inside no block */
    write_one(store, "r", &middle);
    vz_points pts = read_all(store, "r", "t");
    cr_assert_eq(pts.count, 5000);
    for (size_t i = 1; i < pts.count; i++) cr_assert_lt(pts.points[i - 1].step, pts.points[i].step);
    store_points_free(&pts);
    store_close(store);
}

Test(store, writing_a_step_again_replaces_its_value)
{
    vz_store *store = open_temp_store(NULL);
    vz_scalar_item first, again;
    fill_item(&first, "t", 3000, 0, 1, NULL);
    write_one(store, "r", &first);
    fill_item(&again, "t", 1, 1500, 1, NULL);
    again.values[0] = -7.5;
    write_one(store, "r", &again);
    vz_points pts = read_all(store, "r", "t");
    cr_assert_eq(pts.count, 3000);
    cr_assert_eq(pts.points[1500].step, 1500);
    cr_assert_eq(pts.points[1500].value, -7.5);
    store_points_free(&pts);
    store_close(store);
}

Test(store, the_last_write_of_a_step_within_one_request_wins)
{
    vz_store *store = open_temp_store(NULL);
    vz_scalar_item item;
    fill_item(&item, "t", 3, 0, 0, NULL); /* three points, all at step 0, values 0, 1, 2 */
    write_one(store, "r", &item);
    vz_points pts = read_all(store, "r", "t");
    cr_assert_eq(pts.count, 1);
    cr_assert_eq(pts.points[0].value, 2.0);
    store_points_free(&pts);
    store_close(store);
}

Test(store, nan_and_infinities_round_trip)
{
    vz_store *store = open_temp_store(NULL);
    vz_scalar_item item;
    fill_item(&item, "t", 4, 0, 1, NULL);
    item.values[0] = NAN;
    item.values[1] = INFINITY;
    item.values[2] = -INFINITY;
    item.values[3] = 5e-324;
    write_one(store, "r", &item);
    vz_points pts = read_all(store, "r", "t");
    cr_assert(isnan(pts.points[0].value));
    cr_assert(isinf(pts.points[1].value) && pts.points[1].value > 0);
    cr_assert(isinf(pts.points[2].value) && pts.points[2].value < 0);
    cr_assert_eq(pts.points[3].value, 5e-324);
    store_points_free(&pts);
    store_close(store);
}

Test(store, steps_without_a_value_count_up_from_the_tags_last_step)
{
    vz_store *store = open_temp_store(NULL);
    vz_scalar_item first;
    fill_item(&first, "t", 1, 41, 1, NULL);
    write_one(store, "r", &first);
    vz_scalar_item autos;
    fill_item(&autos, "t", 2, 0, 1, NULL);
    autos.needs_step = calloc(2, 1);
    autos.needs_step[0] = autos.needs_step[1] = 1;
    write_one(store, "r", &autos);
    vz_scalar_item fresh;
    fill_item(&fresh, "new", 1, 0, 1, NULL);
    fresh.steps[0] = 99;
    fresh.needs_step = calloc(1, 1);
    fresh.needs_step[0] = 1;
    write_one(store, "r", &fresh);
    vz_points pts = read_all(store, "r", "t");
    cr_assert_eq(pts.count, 3);
    cr_assert_eq(pts.points[1].step, 42);
    cr_assert_eq(pts.points[2].step, 43);
    store_points_free(&pts);
    pts = read_all(store, "r", "new");
    cr_assert_eq(pts.points[0].step, 0);
    store_points_free(&pts);
    store_close(store);
}

Test(store, a_step_range_returns_only_the_points_inside_it)
{
    vz_store *store = open_temp_store(NULL);
    vz_scalar_item item;
    fill_item(&item, "t", 5000, 0, 1, NULL);
    write_one(store, "r", &item);
    vz_points pts;
    vz_error err;
    cr_assert_eq(store_read_scalars(store, "r", "t", 1000, 1999, &pts, &err), 0);
    cr_assert_eq(pts.count, 1000);
    cr_assert_eq(pts.points[0].step, 1000);
    cr_assert_eq(pts.points[999].step, 1999);
    store_points_free(&pts);
    store_close(store);
}

Test(store, an_unknown_run_is_not_found_and_an_unknown_tag_is_empty)
{
    vz_store *store = open_temp_store(NULL);
    vz_scalar_item item;
    fill_item(&item, "t", 1, 0, 1, NULL);
    write_one(store, "r", &item);
    vz_points pts;
    vz_error err;
    cr_assert_eq(store_read_scalars(store, "nope", "t", INT64_MIN, INT64_MAX, &pts, &err), -1);
    cr_assert_eq(err.status, 404);
    cr_assert_str_eq(err.path, "run");
    cr_assert_eq(store_read_scalars(store, "r", "nope", INT64_MIN, INT64_MAX, &pts, &err), 0);
    cr_assert_eq(pts.count, 0);
    store_close(store);
}

Test(store, deleting_a_run_removes_its_blocks_and_a_second_delete_is_not_found)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    vz_scalar_item item;
    fill_item(&item, "t", 2000, 0, 1, NULL);
    write_one(store, "r", &item);
    vz_error err;
    cr_assert_eq(store_delete_run(store, "r", &err), 0);
    cr_assert_eq(store_delete_run(store, "r", &err), -1);
    cr_assert_eq(err.status, 404);
    store_close(store);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM scalar_blocks"), 0);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM runs"), 0);
    free(path);
}

Test(store, data_survives_close_and_reopen)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    vz_scalar_item item;
    fill_item(&item, "t", 1234, 0, 1, square);
    write_one(store, "r", &item);
    store_close(store);
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), 0, "%s", err.message);
    vz_points pts = read_all(store, "r", "t");
    cr_assert_eq(pts.count, 1234);
    cr_assert_eq(pts.points[1233].value, 1233.0 * 1233.0);
    store_points_free(&pts);
    store_close(store);
    free(path);
}

static int keep_tag_info(void *ctx, const store_tag_info *info, vz_error *err)
{
    (void)err;
    store_tag_info *kept = ctx;
    cr_assert_eq(kept->run, NULL, "one series expected");
    *kept = *info;
    kept->run = "seen"; /* the strings die with the visit */
    return 0;
}

Test(store, tags_report_count_range_and_last_value)
{
    vz_store *store = open_temp_store(NULL);
    vz_scalar_item item;
    fill_item(&item, "t", 10, 5, 1, square);
    write_one(store, "r", &item);
    store_tag_info info = {0};
    int64_t next;
    vz_error err;
    cr_assert_eq(store_visit_tags(store, NULL, NULL, 0, 10000, keep_tag_info, &info, &next, &err), 0);
    cr_assert_str_eq(info.run, "seen");
    cr_assert_eq(next, -1);
    cr_assert_eq(info.count, 10);
    cr_assert_eq(info.first_step, 5);
    cr_assert_eq(info.last_step, 14);
    cr_assert(info.has_last_value);
    cr_assert_eq(info.last_value, 81.0);
    store_close(store);
}

/* ---- migrations and refusing foreign files ---- */

static void write_file(const char *path, const char *bytes)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(bytes, f);
    fclose(f);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static char data[1 << 16];
    *len = fread(data, 1, sizeof data, f);
    fclose(f);
    return data;
}

Test(migrations, a_new_database_gets_the_latest_schema_version)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    store_close(store);
    cr_assert_geq(db_int(path, "PRAGMA user_version"), 1);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'scalar_blocks'"), 1);
    free(path);
}

Test(migrations, a_file_that_is_not_sqlite_is_refused_untouched)
{
    char *path = temp_db_path();
    write_file(path, "this is not a database, it is a note to self\n");
    vz_store *store;
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), -1);
    cr_assert(strstr(err.message, "not a SQLite database"), "%s", err.message);
    size_t len;
    char *data = read_file(path, &len);
    cr_assert_eq(len, strlen("this is not a database, it is a note to self\n"));
    cr_assert_eq(memcmp(data, "this is not", 11), 0);
    free(path);
}

Test(migrations, another_programs_sqlite_database_is_refused)
{
    char *path = temp_db_path();
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE foo(x); INSERT INTO foo VALUES (1)", NULL, NULL, NULL);
    sqlite3_close(db);
    vz_store *store;
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), -1);
    cr_assert(strstr(err.message, "not a vizd one"), "%s", err.message);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 0);
    size_t len;
    char *header = read_file(path, &len);
    cr_assert_eq(header[18], 1, "the file was switched to WAL mode"); /* byte 18: 1 = rollback journal, 2 = WAL */
    free(path);
}

Test(migrations, a_database_from_a_newer_vizd_is_refused_untouched)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    store_close(store);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA user_version = 9999", NULL, NULL, NULL);
    sqlite3_close(db);
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), -1);
    cr_assert(strstr(err.message, "newer vizd"), "%s", err.message);
    cr_assert_eq(db_int(path, "PRAGMA user_version"), 9999);
    free(path);
}

Test(migrations, an_unwritable_path_is_an_error_not_a_crash)
{
    vz_store *store;
    vz_error err;
    cr_assert_eq(store_open(&store, "/nonexistent-dir/sub/x.sqlite", &err), -1);
    cr_assert(strlen(err.message) > 0);
}
