/* test_downsample.c -- the M4 reduction keeps every extreme and never more than 4 points per bucket. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/downsample.h"

static vz_point *make_points(size_t n, double (*fn)(size_t))
{
    vz_point *p = calloc(n, sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (vz_point){(int64_t)i, (double)i, fn(i)};
    return p;
}

static double zero(size_t i) { (void)i; return 0.0; }
static double wave(size_t i) { return sin((double)i / 50.0) * (double)(i % 7); }

Test(downsample, keeps_an_isolated_spike)
{
    vz_point *p = make_points(100000, zero);
    p[73137].value = 1e6;
    p[12345].value = -3;
    vz_point *out = calloc(4000, sizeof *out);
    size_t n = m4_reduce(p, 100000, 0, 99999, 1000, out);
    bool has_spike = false, has_dip = false;
    for (size_t i = 0; i < n; i++) {
        has_spike |= out[i].step == 73137 && out[i].value == 1e6;
        has_dip |= out[i].step == 12345 && out[i].value == -3;
    }
    cr_assert(has_spike && has_dip);
    free(p);
    free(out);
}

Test(downsample, writes_at_most_four_points_per_bucket_in_step_order)
{
    vz_point *p = make_points(50000, wave);
    vz_point *out = calloc(400, sizeof *out);
    size_t n = m4_reduce(p, 50000, 0, 49999, 100, out);
    cr_assert_leq(n, 400);
    cr_assert_geq(n, 200); /* first and last of every bucket at least */
    for (size_t i = 1; i < n; i++) cr_assert_lt(out[i - 1].step, out[i].step);
    free(p);
    free(out);
}

Test(downsample, keeps_each_buckets_first_last_min_and_max)
{
    vz_point *p = make_points(10000, wave);
    vz_point *out = calloc(40, sizeof *out);
    size_t n = m4_reduce(p, 10000, 0, 9999, 10, out);
    for (int b = 0; b < 10; b++) {
        double min = INFINITY, max = -INFINITY;
        for (int i = b * 1000; i < (b + 1) * 1000; i++) {
            min = fmin(min, p[i].value);
            max = fmax(max, p[i].value);
        }
        bool has_first = false, has_last = false, has_min = false, has_max = false;
        for (size_t i = 0; i < n; i++) {
            if (out[i].step < b * 1000 || out[i].step >= (b + 1) * 1000) continue;
            has_first |= out[i].step == b * 1000;
            has_last |= out[i].step == (b + 1) * 1000 - 1;
            has_min |= out[i].value == min;
            has_max |= out[i].value == max;
        }
        cr_assert(has_first && has_last && has_min && has_max, "bucket %d", b);
    }
    free(p);
    free(out);
}

Test(downsample, reduces_in_place)
{
    vz_point *p = make_points(10000, wave);
    vz_point *copy = calloc(10000, sizeof *copy);
    vz_point *out = calloc(400, sizeof *out);
    for (int i = 0; i < 10000; i++) copy[i] = p[i];
    size_t n = m4_reduce(copy, 10000, 0, 9999, 100, out);
    size_t in_place = m4_reduce(p, 10000, 0, 9999, 100, p);
    cr_assert_eq(n, in_place);
    for (size_t i = 0; i < n; i++) cr_assert_eq(p[i].step, out[i].step);
    free(p);
    free(copy);
    free(out);
}

Test(downsample, nan_is_never_a_minimum_but_survives_as_a_buckets_last_point)
{
    vz_point *p = make_points(1000, wave);
    p[999].value = NAN;
    p[500].value = NAN;
    vz_point *out = calloc(4, sizeof *out);
    size_t n = m4_reduce(p, 1000, 0, 999, 1, out);
    cr_assert(isnan(out[n - 1].value));
    for (size_t i = 0; i + 1 < n; i++) cr_assert(!isnan(out[i].value));
    free(p);
    free(out);
}

Test(downsample, works_across_the_whole_int64_step_range)
{
    vz_point p[3] = {{INT64_MIN, 0, 1}, {0, 0, 2}, {INT64_MAX, 0, 3}};
    vz_point out[12];
    size_t n = m4_reduce(p, 3, INT64_MIN, INT64_MAX, 3, out);
    cr_assert_eq(n, 3);
    cr_assert_eq(out[0].step, INT64_MIN);
    cr_assert_eq(out[2].step, INT64_MAX);
}

static double zigzag(size_t i) { return (double)((i * 7919) % 1000) - 500.0 + (i % 97 == 0 ? NAN : 0.0); }

Test(downsample, adding_columns_gives_what_adding_points_one_by_one_gives)
{
    vz_point *p = make_points(20000, zigzag);
    int64_t steps[20000];
    double walls[20000], values[20000];
    for (int i = 0; i < 20000; i++) {
        steps[i] = p[i].step;
        walls[i] = p[i].wall_time_s;
        values[i] = p[i].value;
    }
    vz_point *one = calloc(1200, sizeof *one), *many = calloc(1200, sizeof *many);
    size_t n_one = m4_reduce(p, 20000, 0, 19999, 300, one);
    m4_reducer m;
    m4_init(&m, 0, 19999, 300, many);
    for (int from = 0; from < 20000; from += 1024) /* as the store hands them over: a block at a time */
        m4_add_columns(&m, steps + from, walls + from, values + from, from + 1024 <= 20000 ? 1024 : 20000 - from);
    size_t n_many = m4_finish(&m);
    cr_assert_eq(n_one, n_many);
    for (size_t i = 0; i < n_one; i++) {
        cr_assert_eq(one[i].step, many[i].step, "point %zu", i);
        cr_assert(one[i].value == many[i].value || (isnan(one[i].value) && isnan(many[i].value)));
    }
    free(p);
    free(one);
    free(many);
}

/* A series cut into random runs, each added either point by point or as its summary where it fits in one
 * bucket: the reduction is the same, bit for bit. Few distinct values, so equal extremes are common. */
Test(downsample, adding_summaries_gives_what_adding_their_points_gives)
{
    uint64_t seed = 88172645463325252u;
    for (int round = 0; round < 200; round++) {
        size_t n = 1 + (size_t)(round * 37 % 3000);
        int64_t *steps = malloc(n * sizeof *steps);
        double *walls = malloc(n * sizeof *walls), *values = malloc(n * sizeof *values);
        int64_t step = -1000;
        for (size_t i = 0; i < n; i++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            step += 1 + (int64_t)(seed % 5);
            steps[i] = step;
            walls[i] = (double)i;
            values[i] = seed % 23 == 0 ? NAN : seed % 29 == 0 ? -INFINITY : (double)(seed % 5);
        }
        size_t buckets = 1 + (size_t)(seed % 200);
        vz_point *a = calloc(4 * buckets, sizeof *a), *b = calloc(4 * buckets, sizeof *b);
        m4_reducer by_points, by_summaries;
        m4_init(&by_points, steps[0], steps[n - 1], buckets, a);
        m4_init(&by_summaries, steps[0], steps[n - 1], buckets, b);
        for (size_t i = 0; i < n; i++) m4_add(&by_points, steps[i], walls[i], values[i]);
        for (size_t i = 0; i < n;) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            size_t run = 1 + (size_t)(seed % 40);
            if (run > n - i) run = n - i;
            if (steps[i + run - 1] <= m4_bucket_last_step(&by_summaries, steps[i])) {
                vz_m4_summary whole = {0}, part;
                for (size_t k = i; k < i + run; k += 3) { /* built from pieces, as groups of blocks are */
                    m4_summarise(steps + k, walls + k, values + k, k + 3 <= i + run ? 3 : i + run - k, &part);
                    m4_summary_append(&whole, &part);
                }
                m4_add_summary(&by_summaries, &whole);
            } else {
                m4_add_columns(&by_summaries, steps + i, walls + i, values + i, run);
            }
            i += run;
        }
        size_t na = m4_finish(&by_points), nb = m4_finish(&by_summaries);
        cr_assert_eq(na, nb, "round %d", round);
        cr_assert(memcmp(a, b, na * sizeof *a) == 0, "round %d", round);
        free(steps);
        free(walls);
        free(values);
        free(a);
        free(b);
    }
}
