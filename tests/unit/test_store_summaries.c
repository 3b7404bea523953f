/* test_store_summaries.c -- a reduced read through the stored summaries of blocks and groups of blocks
 * gives, bit for bit, the M4 reduction of a full scan: on random series (irregular steps, NaN, infinities,
 * many equal extremes), random ranges and bucket counts, after overwrites, gap fills that split blocks,
 * one-point appends and deleted runs; and the summaries a database keeps are those a rebuild from its
 * blocks gives (which is also how a database from before summaries gets them). */
#include <math.h>
#include <sqlite3.h>

#include "helpers.h"
#include "vizd/downsample.h"
#include "vizd/migrate.h"

static uint64_t rng_state;

static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t below(size_t n) { return (size_t)(next_random() % n); }

/* Few distinct values, so a bucket often holds equal minima (the earliest must win), and NaN and the
 * infinities now and then. */
static double random_value(void)
{
    switch (below(40)) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -INFINITY;
    case 3: return (double)next_random() / 3.0;
    default: return (double)below(9) - 4.0;
    }
}

/* Write the given steps (any order, no duplicates needed) with random values in one request. */
static void write_steps(vz_store *store, const char *run, const char *tag, const int64_t *steps, size_t n)
{
    vz_scalar_item item;
    fill_item(&item, tag, n, 0, 1, NULL);
    for (size_t i = 0; i < n; i++) {
        item.steps[i] = steps[i];
        item.wall_times_s[i] = 1e9 + (double)below(1000000) / 7.0;
        item.values[i] = random_value();
    }
    write_one(store, run, &item);
}

typedef struct {
    m4_reducer m4;
    size_t buckets;
    vz_point *out;
    uint64_t total;
    bool has_begun;
} summary_reader;

static void reader_begin(void *ctx, int64_t first_step, int64_t last_step)
{
    summary_reader *r = ctx;
    m4_init(&r->m4, first_step, last_step, r->buckets, r->out);
    r->has_begun = true;
}

static void reader_points(void *ctx, const int64_t *steps, const double *walls, const double *values, size_t n)
{
    summary_reader *r = ctx;
    m4_add_columns(&r->m4, steps, walls, values, n);
    r->total += n;
}

static void reader_summary(void *ctx, const vz_m4_summary *summary)
{
    summary_reader *r = ctx;
    m4_add_summary(&r->m4, summary);
    r->total += summary->count;
}

static int64_t reader_span_last_step(void *ctx, int64_t step) { return m4_bucket_last_step(&((summary_reader *)ctx)->m4, step); }

/* The reduction through the summaries (summarise_above 0: always, however few the points). */
static size_t reduce_with_summaries(vz_store *store, const char *run, const char *tag, int64_t start, int64_t end,
                                    size_t buckets, vz_point *out, uint64_t *total)
{
    summary_reader r = {.buckets = buckets, .out = out};
    store_scalar_visitor visitor = {.begin = reader_begin, .points = reader_points, .ctx = &r,
                                    .span_last_step = reader_span_last_step, .summary = reader_summary};
    vz_error err;
    cr_assert_eq(store_scan_scalars(store, run, tag, start, end, &visitor, &err), 0, "%s", err.message);
    *total = r.total;
    return r.has_begun ? m4_finish(&r.m4) : 0;
}

/* The reduction of every point read one by one, over the same buckets (the series' extent clipped to the
 * range, as store_scan_scalars lays them out). */
static size_t reduce_by_scan(vz_store *store, const char *run, const char *tag, int64_t start, int64_t end,
                             size_t buckets, vz_point *out, uint64_t *total)
{
    vz_points all, in_range;
    vz_error err;
    cr_assert_eq(store_read_scalars(store, run, tag, INT64_MIN, INT64_MAX, &all, &err), 0, "%s", err.message);
    cr_assert_eq(store_read_scalars(store, run, tag, start, end, &in_range, &err), 0, "%s", err.message);
    size_t n = 0;
    *total = in_range.count;
    if (in_range.count) {
        int64_t first = all.points[0].step, last = all.points[all.count - 1].step;
        n = m4_reduce(in_range.points, in_range.count, first > start ? first : start, last < end ? last : end,
                      buckets, out);
    }
    store_points_free(&all);
    store_points_free(&in_range);
    return n;
}

static int64_t random_step_in(int64_t lo, int64_t hi)
{
    if (lo >= hi) return lo;
    uint64_t width = (uint64_t)hi - (uint64_t)lo;
    return (int64_t)((uint64_t)lo + (width == UINT64_MAX ? next_random() : next_random() % (width + 1)));
}

/* Compare both reductions on `queries` random ranges and bucket counts around [lo, hi]. */
static void check_reductions(vz_store *store, const char *run, const char *tag, int64_t lo, int64_t hi, int queries)
{
    static const size_t bucket_choices[] = {1, 2, 3, 7, 10, 64, 333, 1000, 4096};
    size_t cap = 4 * 5000;
    vz_point *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    for (int q = 0; q < queries; q++) {
        int64_t start = random_step_in(lo, hi), end = random_step_in(lo, hi);
        if (start > end) {
            int64_t t = start;
            start = end;
            end = t;
        }
        if (below(8) == 0) start = INT64_MIN;
        if (below(8) == 0) end = INT64_MAX;
        size_t buckets = below(3) ? bucket_choices[below(sizeof bucket_choices / sizeof *bucket_choices)] : 1 + below(5000);
        uint64_t total_a, total_b;
        size_t na = reduce_with_summaries(store, run, tag, start, end, buckets, a, &total_a);
        size_t nb = reduce_by_scan(store, run, tag, start, end, buckets, b, &total_b);
        cr_assert_eq(total_a, total_b, "total [%lld, %lld]", (long long)start, (long long)end);
        cr_assert_eq(na, nb, "[%lld, %lld] in %zu buckets: %zu points through summaries, %zu by scan", (long long)start,
                     (long long)end, buckets, na, nb);
        for (size_t i = 0; i < na; i++)
            cr_assert(memcmp(&a[i], &b[i], sizeof a[i]) == 0,
                      "[%lld, %lld] in %zu buckets, point %zu: step %lld value %g, by scan step %lld value %g",
                      (long long)start, (long long)end, buckets, i, (long long)a[i].step, a[i].value,
                      (long long)b[i].step, b[i].value);
    }
    free(a);
    free(b);
}

/* n steps from first with random gaps of 1..max_gap (max_gap 1: dense). */
static int64_t *make_steps(size_t n, int64_t first, int64_t max_gap)
{
    int64_t *steps = malloc(n * sizeof *steps);
    int64_t step = first;
    for (size_t i = 0; i < n; i++) {
        steps[i] = step;
        step += 1 + (max_gap > 1 ? (int64_t)below((size_t)max_gap) : 0);
    }
    return steps;
}

/* Append steps in requests of random sizes, from one point to tens of thousands. */
static void append_in_random_requests(vz_store *store, const char *run, const char *tag, const int64_t *steps, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t chunk = below(4) == 0 ? 1 + below(5) : 1 + below(30000);
        if (chunk > n - i) chunk = n - i;
        write_steps(store, run, tag, steps + i, chunk);
        i += chunk;
    }
}

Test(summaries, reduced_reads_equal_a_full_scan_on_random_series)
{
    rng_state = 0x9e3779b97f4a7c15u;
    vz_store *store = open_temp_store(NULL);
    struct {
        size_t n;
        int64_t first, max_gap;
    } shapes[] = {
        {1, 5, 1}, {900, 0, 1}, {5000, -2500, 3}, {120000, 0, 1}, {60000, 1000000, 40}, {30000, -4000000000000000000, 200000000000000},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        char tag[16];
        snprintf(tag, sizeof tag, "t%zu", k);
        int64_t *steps = make_steps(shapes[k].n, shapes[k].first, shapes[k].max_gap);
        append_in_random_requests(store, "r", tag, steps, shapes[k].n);
        check_reductions(store, "r", tag, steps[0] - 10, steps[shapes[k].n - 1] + 10, 150);
        free(steps);
    }
    store_close(store);
}

Test(summaries, stay_exact_after_overwrites_gap_fills_and_one_point_appends)
{
    rng_state = 12345;
    vz_store *store = open_temp_store(NULL);
    size_t n = 80000;
    int64_t *evens = make_steps(n, 0, 1);
    for (size_t i = 0; i < n; i++) evens[i] *= 2;
    append_in_random_requests(store, "r", "t", evens, n);
    check_reductions(store, "r", "t", -5, 2 * (int64_t)n + 5, 60);
    /* Overwrite existing steps: values change, blocks keep their ranges. */
    for (int round = 0; round < 30; round++) {
        size_t k = 1 + below(3000);
        int64_t *steps = malloc(k * sizeof *steps);
        size_t at = below(n - k);
        for (size_t i = 0; i < k; i++) steps[i] = evens[at + i];
        write_steps(store, "r", "t", steps, k);
        free(steps);
    }
    check_reductions(store, "r", "t", -5, 2 * (int64_t)n + 5, 60);
    /* Fill gaps with odd steps: full blocks grow past 1,024 points and split. */
    for (int round = 0; round < 30; round++) {
        size_t k = 1 + below(4000), at = below(n - k);
        int64_t *steps = malloc(k * sizeof *steps);
        for (size_t i = 0; i < k; i++) steps[i] = evens[at + i] + 1;
        write_steps(store, "r", "t", steps, k);
        free(steps);
    }
    check_reductions(store, "r", "t", -5, 2 * (int64_t)n + 5, 60);
    /* One-point appends after the end and a few before the start. */
    for (int i = 0; i < 300; i++) {
        int64_t step = i % 50 == 0 ? -1 - i : 2 * (int64_t)n + i;
        write_steps(store, "r", "t", &step, 1);
    }
    check_reductions(store, "r", "t", -400, 2 * (int64_t)n + 400, 120);
    free(evens);
    store_close(store);
}

static void exec_on(const char *path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *message = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &message), SQLITE_OK, "%s", message ? message : "");
    sqlite3_close(db);
}

Test(summaries, a_deleted_run_takes_its_summaries_along_and_a_new_run_of_that_name_reads_exactly)
{
    rng_state = 777;
    char *path;
    vz_store *store = open_temp_store(&path);
    int64_t *steps = make_steps(20000, 0, 2);
    append_in_random_requests(store, "keep", "t", steps, 20000);
    append_in_random_requests(store, "gone", "t", steps, 20000);
    vz_error err;
    cr_assert_eq(store_delete_run(store, "gone", &err), 0, "%s", err.message);
    /* The new run's series may get the deleted one's id: nothing of the old summaries may remain. */
    append_in_random_requests(store, "gone", "t", steps, 7000);
    check_reductions(store, "gone", "t", -5, steps[19999] + 5, 60);
    check_reductions(store, "keep", "t", -5, steps[19999] + 5, 20);
    store_close(store);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM scalar_summaries WHERE series_id NOT IN (SELECT id FROM series)"),
                 0);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM scalar_summaries WHERE level = 0"),
                 db_int(path, "SELECT count(*) FROM scalar_blocks"));
    free(steps);
    free(path);
}

Test(summaries, kept_up_write_by_write_they_equal_a_rebuild_from_the_blocks)
{
    rng_state = 4242;
    char *path;
    vz_store *store = open_temp_store(&path);
    int64_t *steps = make_steps(150000, 0, 3);
    append_in_random_requests(store, "a", "t", steps, 150000);
    append_in_random_requests(store, "b", "t", steps, 3000);
    for (int round = 0; round < 40; round++) {
        size_t k = 1 + below(2000), at = below(150000 - k);
        int64_t *some = malloc(k * sizeof *some);
        for (size_t i = 0; i < k; i++) some[i] = steps[at + i] + (round % 2);
        write_steps(store, "a", "t", some, k);
        free(some);
    }
    for (int64_t i = 0; i < 700; i++) { /* one point at a time, after the end and before the start */
        int64_t step = i % 100 == 0 ? -1 - i : steps[149999] + 1 + i;
        write_steps(store, "a", "t", &step, 1);
    }
    store_close(store);
    char *kept = db_dump_summaries(path);
    cr_assert_gt(db_int(path, "SELECT count(*) FROM scalar_summaries WHERE level = 4"), 0);
    exec_on(path, "DELETE FROM scalar_summaries; INSERT INTO scalar_summaries_pending SELECT id FROM series");
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), 0, "%s", err.message);
    store_close(store);
    char *rebuilt = db_dump_summaries(path);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM scalar_summaries_pending"), 0);
    cr_assert(strcmp(kept, rebuilt) == 0, "the summaries kept differ from a rebuild");
    free(kept);
    free(rebuilt);
    free(steps);
    free(path);
}

/* A database as a vizd from before the summaries left it: the migrations before theirs, and one series
 * of 40 blocks of 1,000 points written straight into scalar_blocks. */
static void write_database_from_before_summaries(const char *path)
{
    int version = 0;
    for (const vz_migration *m = vz_migrations; m->version; m++)
        if (strstr(m->name, "scalar_summaries")) version = m->version;
    cr_assert_gt(version, 1);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    for (const vz_migration *m = vz_migrations; m->version && m->version < version; m++)
        cr_assert_eq(sqlite3_exec(db, m->sql, NULL, NULL, NULL), SQLITE_OK, "%s: %s", m->name, sqlite3_errmsg(db));
    char sql[512];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d; "
                              "INSERT INTO runs(id, name, created_at, updated_at) VALUES(1, 'r', 0, 0); "
                              "INSERT INTO series(id, run_id, kind, tag, count, first_step, last_step) "
                              "VALUES(1, 1, 'scalars', 't', 40000, 0, 39999)", version - 1, 0x76697a64);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO scalar_blocks(series_id, first_step, last_step, count, points) "
                                        "VALUES(1, ?1, ?2, 1000, ?3)", -1, &st, NULL), SQLITE_OK);
    for (int64_t b = 0; b < 40; b++) {
        unsigned char blob[1000 * 24];
        for (int64_t i = 0; i < 1000; i++) {
            int64_t step = b * 1000 + i;
            double wall = 1e9 + (double)step, value = random_value();
            memcpy(blob + i * 8, &step, 8);
            memcpy(blob + 8000 + i * 8, &wall, 8);
            memcpy(blob + 16000 + i * 8, &value, 8);
        }
        sqlite3_bind_int64(st, 1, b * 1000);
        sqlite3_bind_int64(st, 2, b * 1000 + 999);
        sqlite3_bind_blob(st, 3, blob, sizeof blob, SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(db));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

Test(summaries, a_database_from_before_summaries_gets_them_when_opened)
{
    rng_state = 99;
    char *path = temp_db_path();
    write_database_from_before_summaries(path);
    vz_store *store;
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), 0, "%s", err.message);
    check_reductions(store, "r", "t", -5, 40005, 80);
    store_close(store);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM scalar_summaries WHERE level = 0"), 40);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM scalar_summaries_pending"), 0);
    free(path);
}
