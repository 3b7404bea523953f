/* test_store_tail.c -- the tail of a scalar series: a write of a few points after the last step waits as
 * rows of scalar_tail (migrations/sqlite/0010_scalar_tail_points.sql) until the tail is folded into full blocks;
 * a tail block left by an older vizd (0008) is folded the same way. Reads
 * must see tail points exactly, whatever mix of appends, overwrites, out-of-order steps, assigned steps,
 * folds, deletes and restarts came before. */
#include <math.h>
#include <sqlite3.h>
#include <time.h>

#include "helpers.h"

#define TAIL_MAX_POINTS 256 /* as in store_sqlite_write.c */

static int64_t block_rows(const char *path) { return db_int(path, "SELECT count(*) FROM scalar_blocks"); }
/* What waits in the tails: tail points and (0008) tail blocks, as the series rows count them. */
static int64_t tail_rows(const char *path)
{
    return db_int(path, "SELECT coalesce(sum(tail_blocks + tail_points), 0) FROM series");
}

static void write_point(vz_store *store, const char *run, const char *tag, int64_t step, double value)
{
    vz_scalar_item item;
    fill_item(&item, tag, 1, step, 1, NULL);
    item.values[0] = value;
    write_one(store, run, &item);
}

/* A point written without a step: the store gives it the tag's last step + 1. */
static void write_point_without_step(vz_store *store, const char *run, const char *tag, double value)
{
    vz_scalar_item item;
    fill_item(&item, tag, 1, 0, 1, NULL);
    item.values[0] = value;
    item.needs_step = calloc(1, 1);
    item.needs_step[0] = 1;
    write_one(store, run, &item);
}

static double tenth(size_t i) { return (double)i / 10.0; }

/* What the series must hold: value[step] for each present step in [0, MODEL_STEPS). */
#define MODEL_STEPS 6000
typedef struct {
    bool present[MODEL_STEPS];
    double value[MODEL_STEPS];
    size_t count;
} model;

static void model_set(model *m, int64_t step, double value)
{
    if (!m->present[step]) m->count++;
    m->present[step] = true;
    m->value[step] = value;
}

/* Write one point of ("r", "t") and note it in the model. */
static void write_and_note(vz_store *store, model *m, int64_t step, double value)
{
    write_point(store, "r", "t", step, value);
    model_set(m, step, value);
}

typedef struct {
    const char *tag;
    int64_t count; /* -1 until the tag is visited */
} tag_count;

static int find_tag_count(void *ctx, const store_tag_info *info, vz_error *err)
{
    (void)err;
    tag_count *want = ctx;
    if (strcmp(info->tag, want->tag) == 0) want->count = info->count;
    return 0;
}

/* The store answers exactly the model: every point, in step order, the same bits, and the same count in
 * the tag list (which the writer keeps apart from the blocks). */
static void assert_matches(vz_store *store, const char *run, const char *tag, const model *m)
{
    vz_points pts;
    vz_error err;
    cr_assert_eq(store_read_scalars(store, run, tag, INT64_MIN, INT64_MAX, &pts, &err), 0, "%s", err.message);
    cr_assert_eq(pts.count, m->count, "read %zu points, expected %zu", pts.count, m->count);
    size_t k = 0;
    for (int64_t step = 0; step < MODEL_STEPS; step++) {
        if (!m->present[step]) continue;
        cr_assert_eq(pts.points[k].step, step, "point %zu: step %lld, expected %lld", k,
                     (long long)pts.points[k].step, (long long)step);
        cr_assert_eq(memcmp(&pts.points[k].value, &m->value[step], sizeof(double)), 0, "step %lld: %g, expected %g",
                     (long long)step, pts.points[k].value, m->value[step]);
        k++;
    }
    store_points_free(&pts);
    tag_count want = {tag, -1};
    int64_t next;
    cr_assert_eq(store_visit_tags(store, run, "scalars", 0, 100000, find_tag_count, &want, &next, &err), 0, "%s",
                 err.message);
    cr_assert_eq(want.count, (int64_t)m->count);
}

Test(store_tail, one_point_appends_wait_in_the_tail_and_fold_into_full_blocks)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    static model m;
    memset(&m, 0, sizeof m);
    for (int64_t step = 0; step < 3000; step++) {
        write_and_note(store, &m, step, tenth((size_t)step));
        if (step % 500 != 499) continue;
        /* However far the folds have come: at most 256 points wait in the tail, every other point is in
         * full blocks and the open one, and the series' count says where each point is. */
        int64_t tails = tail_rows(path), rows = block_rows(path);
        cr_assert_leq(tails, TAIL_MAX_POINTS);
        cr_assert_eq(tails, db_int(path, "SELECT count(*) FROM scalar_tail"));
        cr_assert_leq(rows, (step + 1) / 1024 + 1, "%lld rows after %lld points", (long long)rows,
                      (long long)step + 1);
    }
    assert_matches(store, "r", "t", &m);
    store_close(store); /* folds every tail */
    cr_assert_eq(tail_rows(path), 0);
    cr_assert_eq(block_rows(path), 3);
    free(path);
}

/* 1,500 points in full blocks, then ten one-point appends in the tail. */
static vz_store *store_with_a_tail(char **path, model *m)
{
    vz_store *store = open_temp_store(path);
    memset(m, 0, sizeof *m);
    vz_scalar_item item;
    fill_item(&item, "t", 1500, 0, 1, tenth);
    write_one(store, "r", &item);
    for (int64_t step = 0; step < 1500; step++) model_set(m, step, tenth((size_t)step));
    for (int64_t step = 1500; step < 1510; step++) write_and_note(store, m, step, -(double)step);
    return store;
}

Test(store_tail, overwriting_a_step_that_sits_in_the_tail_replaces_it)
{
    char *path;
    static model m;
    vz_store *store = store_with_a_tail(&path, &m);
    write_and_note(store, &m, 1505, 42.0);
    assert_matches(store, "r", "t", &m);
    cr_assert_eq(tail_rows(path), 0); /* a write at or before the last step folds the tail first */
    write_and_note(store, &m, 1509, NAN);
    assert_matches(store, "r", "t", &m);
    store_close(store);
    free(path);
}

Test(store_tail, overwriting_a_step_in_a_full_block_while_a_tail_waits_keeps_both)
{
    char *path;
    static model m;
    vz_store *store = store_with_a_tail(&path, &m);
    write_and_note(store, &m, 10, INFINITY);
    assert_matches(store, "r", "t", &m);
    write_and_note(store, &m, 1510, 7.0); /* appends go on after the fold */
    assert_matches(store, "r", "t", &m);
    store_close(store);
    free(path);
}

Test(store_tail, steps_written_out_of_order_come_back_in_step_order)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    static model m;
    memset(&m, 0, sizeof m);
    static const int64_t steps[] = {100, 200, 150, 300, 299, 301, 0, 5000, 4999, 1, 302, 2500, 303};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        write_and_note(store, &m, steps[i], (double)i);
        assert_matches(store, "r", "t", &m);
    }
    vz_scalar_item batch; /* a batch whose steps fall before, between and after the tail's */
    fill_item(&batch, "t", 40, 290, 7, NULL);
    for (size_t i = 0; i < 40; i++) model_set(&m, 290 + 7 * (int64_t)i, (double)i);
    write_one(store, "r", &batch);
    assert_matches(store, "r", "t", &m);
    store_close(store);
    free(path);
}

Test(store_tail, omitted_steps_count_on_from_the_last_step_across_folds_and_restarts)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    static model m;
    memset(&m, 0, sizeof m);
    for (int64_t i = 0; i < 2 * TAIL_MAX_POINTS + 10; i++) { /* past two folds */
        write_point_without_step(store, "r", "t", (double)i);
        model_set(&m, i, (double)i);
    }
    assert_matches(store, "r", "t", &m);
    write_and_note(store, &m, 1000, 1.0); /* a given step moves the last step on */
    write_point_without_step(store, "r", "t", 2.0);
    model_set(&m, 1001, 2.0);
    store_close(store);
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), 0, "%s", err.message);
    write_point_without_step(store, "r", "t", 3.0);
    model_set(&m, 1002, 3.0);
    assert_matches(store, "r", "t", &m);
    store_close(store);
    free(path);
}

Test(store_tail, deleting_a_run_with_a_tail_removes_every_row_and_a_new_run_of_that_name_starts_afresh)
{
    char *path;
    static model m;
    vz_store *store = store_with_a_tail(&path, &m);
    write_point(store, "other", "t", 0, 1.0); /* another run's tail stays */
    vz_error err;
    cr_assert_eq(store_delete_run(store, "r", &err), 0, "%s", err.message);
    cr_assert_eq(block_rows(path), 0); /* the other run's one point waits in the tail */
    cr_assert_eq(db_int(path, "SELECT count(*) FROM scalar_tail"), 1);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM series"), 1);
    write_point_without_step(store, "r", "t", 5.0);
    memset(&m, 0, sizeof m);
    model_set(&m, 0, 5.0);
    assert_matches(store, "r", "t", &m);
    store_close(store);
    free(path);
}

typedef struct {
    int64_t first_step, last_step;
    bool has_begun;
    model seen;
} visit_record;

static void on_begin(void *ctx, int64_t first_step, int64_t last_step)
{
    visit_record *r = ctx;
    r->has_begun = true;
    r->first_step = first_step;
    r->last_step = last_step;
}

static void on_points(void *ctx, const int64_t *steps, const double *walls, const double *values, size_t count)
{
    (void)walls;
    visit_record *r = ctx;
    for (size_t i = 0; i < count; i++) {
        cr_assert(r->seen.count == 0 || !r->seen.present[steps[i]]);
        model_set(&r->seen, steps[i], values[i]);
    }
}

/* Every point of [start, end] seen by a scan and by a cursor, exactly as the model has it. */
static void assert_range(vz_store *store, const model *m, int64_t start, int64_t end)
{
    static visit_record r;
    memset(&r, 0, sizeof r);
    store_scalar_visitor visitor = {.begin = on_begin, .points = on_points, .ctx = &r};
    vz_error err;
    cr_assert_eq(store_scan_scalars(store, "r", "t", start, end, &visitor, &err), 0, "%s", err.message);
    store_scalar_cursor *cursor;
    cr_assert_eq(store_scalar_cursor_open(store, "r", "t", start, end, &cursor, &err), 0, "%s", err.message);
    size_t from_cursor = 0;
    int64_t previous = INT64_MIN;
    for (;;) {
        const int64_t *steps;
        const double *walls, *values;
        size_t n;
        cr_assert_eq(store_scalar_cursor_next(cursor, &steps, &walls, &values, &n, &err), 0, "%s", err.message);
        if (n == 0) break;
        for (size_t i = 0; i < n; i++) {
            cr_assert_gt(steps[i], previous);
            previous = steps[i];
            cr_assert(m->present[steps[i]] && memcmp(&values[i], &m->value[steps[i]], sizeof(double)) == 0);
        }
        from_cursor += n;
    }
    store_scalar_cursor_close(cursor);
    size_t expected = 0;
    int64_t first = -1, last = -1;
    for (int64_t step = start; step <= end && step < MODEL_STEPS; step++) {
        if (!m->present[step]) continue;
        cr_assert(r.seen.present[step], "step %lld missing from the scan", (long long)step);
        cr_assert_eq(memcmp(&r.seen.value[step], &m->value[step], sizeof(double)), 0);
        if (first < 0) first = step;
        last = step;
        expected++;
    }
    cr_assert_eq(r.seen.count, expected);
    cr_assert_eq(from_cursor, expected);
    cr_assert_eq(r.has_begun, expected > 0);
    if (expected) { /* the series' extent clipped to the range */
        cr_assert_leq(r.first_step, first);
        cr_assert_geq(r.last_step, last);
    }
}

Test(store_tail, reads_that_span_full_blocks_and_the_tail_see_every_point)
{
    char *path;
    static model m;
    vz_store *store = store_with_a_tail(&path, &m);
    cr_assert_gt(tail_rows(path) + block_rows(path), 2);
    assert_range(store, &m, 0, MODEL_STEPS - 1);
    assert_range(store, &m, 1490, 1504); /* the last full block's end and the tail's start */
    assert_range(store, &m, 1503, 1503); /* one tail point */
    assert_range(store, &m, 1505, 2000); /* the tail's end and nothing after it */
    assert_range(store, &m, 1510, 2000); /* after everything */
    assert_range(store, &m, 1000, 1499); /* before the tail */
    store_close(store);
    free(path);
}

Test(store_tail, the_tail_is_folded_once_the_writer_is_idle)
{
    char *path;
    static model m;
    vz_store *store = store_with_a_tail(&path, &m);
    /* The writer folds after 250 ms without writes; wait for it, at most 20 s on a busy machine. */
    for (int waited_ms = 0; tail_rows(path) > 0 && waited_ms < 20000; waited_ms += 50) {
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
    cr_assert_eq(tail_rows(path), 0);
    cr_assert_eq(block_rows(path), 2); /* 1,024 + 486 points */
    assert_matches(store, "r", "t", &m);
    store_close(store);
    free(path);
}

/* A copy of the files of an open store (no write in flight) is what a SIGKILL leaves behind. */
static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

Test(store_tail, a_tail_left_by_a_crash_is_read_exactly_and_folded_later)
{
    char *path;
    static model m;
    vz_store *store = store_with_a_tail(&path, &m);
    char *crashed = malloc(strlen(path) + 16), from_wal[512], to_wal[512];
    sprintf(crashed, "%s.crashed", path);
    snprintf(from_wal, sizeof from_wal, "%s-wal", path);
    snprintf(to_wal, sizeof to_wal, "%s-wal", crashed);
    copy_file(path, crashed);
    if (access(from_wal, F_OK) == 0) copy_file(from_wal, to_wal);
    store_close(store);
    vz_error err;
    cr_assert_eq(store_open(&store, crashed, &err), 0, "%s", err.message);
    assert_matches(store, "r", "t", &m);
    for (int64_t step = 1510; step < 1510 + TAIL_MAX_POINTS; step++) /* fills the tail past its limit */
        write_and_note(store, &m, step, 0.5);
    assert_matches(store, "r", "t", &m);
    store_close(store);
    cr_assert_eq(tail_rows(crashed), 0);
    cr_assert_eq(block_rows(crashed), 2);
    free(crashed);
    free(path);
}

/* A vizd before migration 0010 kept a tail as the series' last block rows, counted in tail_blocks. Such
 * a tail (here the open block of 476 points, declared one by hand on the closed file) is folded with the
 * next append like a tail of points, and appends then wait as points. */
Test(store_tail, a_tail_of_blocks_left_by_an_older_vizd_is_folded_at_the_next_append)
{
    char *path;
    static model m;
    vz_store *store = store_with_a_tail(&path, &m);
    store_close(store); /* folds the ten points: blocks of 1,024 and 486 */
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "UPDATE series SET tail_blocks = 1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), 0, "%s", err.message);
    assert_matches(store, "r", "t", &m);
    write_and_note(store, &m, 1510, 3.5);
    cr_assert_eq(db_int(path, "SELECT tail_blocks FROM series"), 0);
    cr_assert_eq(block_rows(path), 2); /* 1,024 and 487: the tail block and the point folded together */
    write_and_note(store, &m, 1511, 4.5);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM scalar_tail"), 1);
    assert_matches(store, "r", "t", &m);
    assert_range(store, &m, 1400, 1600);
    store_close(store);
    free(path);
}

/* A small deterministic generator, so a failure can be replayed. */
static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 33;
}

Test(store_tail, a_random_mix_of_appends_overwrites_and_batches_reads_back_as_written)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    static model m;
    memset(&m, 0, sizeof m);
    uint64_t seed = 13;
    int64_t last = -1;
    for (int op = 0; op < 3000; op++) {
        unsigned kind = (unsigned)(next_random(&seed) % 100);
        double value = (double)next_random(&seed) / 1e3;
        if (kind < 70 && last + 1 < MODEL_STEPS) { /* append one point */
            write_and_note(store, &m, ++last, value);
        } else if (kind < 90 && last >= 0) {
            /* Overwrite a step, in the tail or a block: every step up to the last is written (appends and
             * batches leave no gaps), so this is never a new step. */
            int64_t step = (int64_t)(next_random(&seed) % (uint64_t)(last + 1));
            write_and_note(store, &m, step, value);
        } else if (kind < 95 && last + 5 < MODEL_STEPS) { /* a few points without steps */
            vz_scalar_item item;
            fill_item(&item, "t", 5, 0, 1, NULL);
            item.needs_step = calloc(5, 1);
            for (int64_t i = 0; i < 5; i++) {
                item.needs_step[i] = 1;
                item.values[i] = value + (double)i;
                model_set(&m, last + 1 + i, value + (double)i);
            }
            last += 5;
            write_one(store, "r", &item);
        } else if (last + 100 < MODEL_STEPS) { /* a batch straddling the last step */
            int64_t first = last > 50 ? last - 50 : 0;
            vz_scalar_item item;
            fill_item(&item, "t", 100, first, 1, NULL);
            for (int64_t i = 0; i < 100; i++) {
                item.values[i] = value - (double)i;
                model_set(&m, first + i, value - (double)i);
            }
            last = first + 99 > last ? first + 99 : last;
            write_one(store, "r", &item);
        }
        if (op % 1000 == 999) assert_matches(store, "r", "t", &m);
    }
    assert_matches(store, "r", "t", &m);
    store_close(store);
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), 0, "%s", err.message);
    assert_matches(store, "r", "t", &m);
    store_close(store);
    free(path);
}

Test(store_tail, closing_folds_the_tails_of_more_series_than_one_idle_pass_takes)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    char tag[32];
    for (int i = 0; i < 600; i++) { /* 300 series (one idle pass takes 256), two tail points each */
        snprintf(tag, sizeof tag, "t%03d", i % 300);
        write_point(store, "r", tag, i / 300, (double)i);
    }
    store_close(store);
    cr_assert_eq(tail_rows(path), 0);
    cr_assert_eq(block_rows(path), 300);
    vz_error err;
    cr_assert_eq(store_open(&store, path, &err), 0, "%s", err.message);
    for (int i = 0; i < 300; i += 37) {
        static model m;
        memset(&m, 0, sizeof m);
        model_set(&m, 0, (double)i);
        model_set(&m, 1, (double)(i + 300));
        snprintf(tag, sizeof tag, "t%03d", i);
        assert_matches(store, "r", tag, &m);
    }
    store_close(store);
    free(path);
}

/* A consistent copy of a database in use (SQLite's online backup). */
static void snapshot(const char *from, const char *to)
{
    sqlite3 *src, *dst;
    cr_assert_eq(sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_open(to, &dst), SQLITE_OK);
    sqlite3_backup *backup = sqlite3_backup_init(dst, "main", src, "main");
    cr_assert_not_null(backup);
    cr_assert_eq(sqlite3_backup_step(backup, -1), SQLITE_DONE);
    sqlite3_backup_finish(backup);
    sqlite3_close(src);
    sqlite3_close(dst);
}

Test(store_tail, summaries_kept_by_one_point_appends_equal_a_rebuild_from_the_blocks)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    vz_scalar_item item;
    fill_item(&item, "t", 5000, 0, 3, tenth);
    write_one(store, "r", &item);
    uint64_t seed = 7;
    int64_t last[2] = {3 * 4999, -1};
    for (int i = 0; i < 700; i++) { /* two series, gaps of 1 to 4 steps, now and then a few points at once */
        int k = i % 2;
        const char *tag = k ? "u" : "t";
        if (i % 50 == 7) {
            fill_item(&item, tag, 5, last[k] + 1, 2, tenth);
            last[k] += 9;
            write_one(store, "r", &item);
        } else {
            last[k] += 1 + (int64_t)(next_random(&seed) % 4);
            write_point(store, "r", tag, last[k], (double)next_random(&seed) / 7.0);
        }
    }
    /* Right away, before the writer is idle long enough to fold the tails: what the appends left. */
    char *copy = malloc(strlen(path) + 8);
    sprintf(copy, "%s.copy", path);
    snapshot(path, copy);
    store_close(store);
    char *kept = db_dump_summaries(copy);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(copy, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "DELETE FROM scalar_summaries; "
                                  "INSERT INTO scalar_summaries_pending SELECT id FROM series", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    vz_error err;
    cr_assert_eq(store_open(&store, copy, &err), 0, "%s", err.message); /* builds them from the blocks */
    char *rebuilt = db_dump_summaries(copy);
    store_close(store);
    cr_assert(strlen(kept) > 0);
    cr_assert(strcmp(kept, rebuilt) == 0, "the summaries kept differ from a rebuild");
    free(kept);
    free(rebuilt);
    free(copy);
    free(path);
}
