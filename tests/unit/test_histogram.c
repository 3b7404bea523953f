/* test_histogram.c -- binning, reading and compressing histograms (server/histogram.c).
 *
 * Two kinds of tests. The oracle tests load tensors from tests/fixtures/histograms/, which
 * make_expected.py wrote by running torch's make_histogram and TensorBoard's own conversion and
 * compressor on them, and require vizd's answers to be the same: counts and limits bit for bit,
 * buckets bit for bit once rounded to float32 (TensorBoard keeps them as float32), distributions to
 * 1e-6 relative. The others pin down the edge cases one by one, including what vizd decided for NaN and
 * the infinities, where torch has no sensible answer to copy. Run from the repository root. */
#include "vizd/histogram.h"

#include <criterion/criterion.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE_DIR "tests/fixtures/histograms/"
#define DISTRIBUTION_TOLERANCE 1e-6
/* numpy adds pairwise and uses BLAS for the dot product; we add in order: the last bits may differ.
 * Rounding errors scale with the magnitudes added, not with the sum (which may cancel to 0). */
#define SUM_TOLERANCE 1e-9

/* ---- helpers ----------------------------------------------------------------------------------- */

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int close_enough(double actual, double expected, double tolerance)
{
    if (isnan(expected)) return isnan(actual);
    if (isinf(expected)) return actual == expected;
    return fabs(actual - expected) <= tolerance * fmax(1.0, fabs(expected));
}

/* A JSON number, or one of the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers). */
static double fixture_number(const json_t *v)
{
    if (json_is_number(v)) return json_number_value(v);
    const char *s = json_string_value(v);
    cr_assert(s != NULL, "fixture holds something that is not a number");
    if (strcmp(s, "NaN") == 0) return NAN;
    if (strcmp(s, "Infinity") == 0) return INFINITY;
    cr_assert_str_eq(s, "-Infinity");
    return -INFINITY;
}

static double *fixture_numbers(const json_t *array, size_t *n)
{
    cr_assert(json_is_array(array));
    *n = json_array_size(array);
    double *out = malloc((*n ? *n : 1) * sizeof *out);
    cr_assert(out != NULL);
    for (size_t i = 0; i < *n; i++) out[i] = fixture_number(json_array_get(array, i));
    return out;
}

static json_t *load_fixture(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, FIXTURE_DIR "%s.json", name);
    json_error_t error;
    json_t *root = json_load_file(path, 0, &error);
    cr_assert(root != NULL, "cannot read %s (run the tests from the repository root): %s", path,
              error.text);
    return root;
}

static vz_histogram bin_or_fail(const double *values, size_t n, int bins)
{
    vz_histogram h;
    vz_error err = {0};
    cr_assert_eq(hist_from_values(values, n, bins, &h, &err), 0, "%s", err.message);
    return h;
}

static vz_histogram precomputed_or_fail(const vz_histogram_input *in)
{
    vz_histogram h;
    vz_error err = {0};
    cr_assert_eq(hist_from_buckets(in, "", &h, &err), 0, "%s", err.message);
    return h;
}

static void expect_rejected(const vz_histogram_input *in, const char *path)
{
    vz_histogram h;
    vz_error err = {0};
    cr_assert_eq(hist_from_buckets(in, "histograms[2]", &h, &err), -1);
    cr_assert_eq(err.status, 400);
    cr_assert_str_eq(err.path, path);
    cr_assert_null(h.bucket_limits);
}

/* ---- oracle: torch's make_histogram and TensorBoard's conversion and compressor ----------------- */

static double magnitude_sum(const double *values, size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++) total += isnan(values[i]) ? 0 : fabs(values[i]);
    return total;
}

static void expect_same_proto(const vz_histogram *h, const json_t *proto, double magnitudes)
{
    cr_assert(same_bits(h->min, fixture_number(json_object_get(proto, "min"))));
    cr_assert(same_bits(h->max, fixture_number(json_object_get(proto, "max"))));
    cr_assert_eq(h->num, fixture_number(json_object_get(proto, "num")));
    double sum = fixture_number(json_object_get(proto, "sum"));
    cr_assert(fabs(h->sum - sum) <= SUM_TOLERANCE * fmax(1.0, magnitudes), "sum %.17g, torch %.17g",
              h->sum, sum);
    cr_assert(close_enough(h->sum_squares, fixture_number(json_object_get(proto, "sum_squares")),
                           SUM_TOLERANCE));
    size_t limit_count, count_count;
    double *limits = fixture_numbers(json_object_get(proto, "bucket_limit"), &limit_count);
    double *counts = fixture_numbers(json_object_get(proto, "bucket"), &count_count);
    cr_assert_eq(h->bucket_count, limit_count);
    cr_assert_eq(h->bucket_count, count_count);
    for (size_t i = 0; i < h->bucket_count; i++) {
        cr_assert(same_bits(h->bucket_limits[i], limits[i]), "bucket_limit[%zu]: %.17g, torch %.17g",
                  i, h->bucket_limits[i], limits[i]);
        cr_assert_eq(h->bucket_counts[i], counts[i], "bucket[%zu]: %g, torch %g", i,
                     h->bucket_counts[i], counts[i]);
    }
    free(limits);
    free(counts);
}

static void expect_same_buckets(const vz_histogram *h, const json_t *expected)
{
    vz_bucket *buckets = malloc((h->bucket_count + 1) * sizeof *buckets);
    cr_assert(buckets != NULL);
    size_t n = hist_to_buckets(h, buckets);
    cr_assert_eq(n, json_array_size(expected));
    for (size_t i = 0; i < n; i++) {
        const json_t *b = json_array_get(expected, i);
        cr_assert_eq((float)buckets[i].left, (float)fixture_number(json_array_get(b, 0)),
                     "bucket %zu left", i);
        cr_assert_eq((float)buckets[i].right, (float)fixture_number(json_array_get(b, 1)),
                     "bucket %zu right", i);
        cr_assert_eq(buckets[i].count, fixture_number(json_array_get(b, 2)), "bucket %zu count", i);
    }
    free(buckets);
}

static void expect_same_distribution(const vz_histogram *h, const json_t *expected)
{
    double values[HIST_BASIS_POINT_COUNT];
    hist_compress(h, values);
    cr_assert_eq(json_array_size(expected), HIST_BASIS_POINT_COUNT);
    for (size_t j = 0; j < HIST_BASIS_POINT_COUNT; j++) {
        const json_t *point = json_array_get(expected, j);
        cr_assert_eq(hist_basis_points[j], json_integer_value(json_array_get(point, 0)));
        double want = fixture_number(json_array_get(point, 1));
        cr_assert(close_enough(values[j], want, DISTRIBUTION_TOLERANCE),
                  "basis point %d: %.17g, TensorBoard %.17g", hist_basis_points[j], values[j], want);
    }
}

static void expect_fixture_matches(const char *name)
{
    json_t *root = load_fixture(name);
    size_t n;
    double *values = fixture_numbers(json_object_get(root, "values"), &n);
    int bins = (int)json_integer_value(json_object_get(root, "bins"));
    vz_histogram h = bin_or_fail(values, n, bins);
    expect_same_proto(&h, json_object_get(root, "proto"), magnitude_sum(values, n));
    expect_same_buckets(&h, json_object_get(root, "tensorboard_buckets"));
    expect_same_distribution(&h, json_object_get(root, "compressed"));
    hist_free(&h);
    free(values);
    json_decref(root);
}

/* A HistogramProto as a client sends it: only TensorBoard's conversion and compressor apply. */
static void expect_precomputed_matches(const char *name)
{
    json_t *root = load_fixture(name);
    const json_t *proto = json_object_get(root, "proto");
    size_t limit_count, count_count;
    double *limits = fixture_numbers(json_object_get(proto, "bucket_limit"), &limit_count);
    double *counts = fixture_numbers(json_object_get(proto, "bucket"), &count_count);
    vz_histogram_input in = {
        .min = fixture_number(json_object_get(proto, "min")),
        .max = fixture_number(json_object_get(proto, "max")),
        .num = fixture_number(json_object_get(proto, "num")),
        .sum = fixture_number(json_object_get(proto, "sum")),
        .sum_squares = fixture_number(json_object_get(proto, "sum_squares")),
        .bucket_limits = limits, .bucket_limits_len = limit_count,
        .bucket_counts = counts, .bucket_counts_len = count_count};
    vz_histogram h = precomputed_or_fail(&in);
    expect_same_buckets(&h, json_object_get(root, "tensorboard_buckets"));
    expect_same_distribution(&h, json_object_get(root, "compressed"));
    hist_free(&h);
    free(limits);
    free(counts);
    json_decref(root);
}

#define MATCHES_TENSORBOARD(name) \
    Test(histogram_matches_tensorboard, name) { expect_fixture_matches(#name); }
#define PRECOMPUTED_MATCHES_TENSORBOARD(name) \
    Test(histogram_matches_tensorboard, name) { expect_precomputed_matches(#name); }

MATCHES_TENSORBOARD(normal_mean_minus10)
MATCHES_TENSORBOARD(normal_mean_0)
MATCHES_TENSORBOARD(normal_mean_10)
MATCHES_TENSORBOARD(normal_means_across_minus10_10)
MATCHES_TENSORBOARD(uniform)
MATCHES_TENSORBOARD(all_equal)
MATCHES_TENSORBOARD(zeros)
MATCHES_TENSORBOARD(single_value)
MATCHES_TENSORBOARD(single_negative_value)
MATCHES_TENSORBOARD(mixed_magnitudes)
MATCHES_TENSORBOARD(on_and_around_every_default_edge)
MATCHES_TENSORBOARD(float32_data)
MATCHES_TENSORBOARD(bins_30_normal)
MATCHES_TENSORBOARD(bins_30_all_equal)
MATCHES_TENSORBOARD(bins_1_uniform)
MATCHES_TENSORBOARD(bins_7_single_value)
MATCHES_TENSORBOARD(bins_10_on_the_edges)
MATCHES_TENSORBOARD(bins_64_float32)
MATCHES_TENSORBOARD(bins_52_on_and_around_every_edge)
MATCHES_TENSORBOARD(bins_30_on_and_around_every_edge)
MATCHES_TENSORBOARD(bins_8_on_and_around_every_edge)
PRECOMPUTED_MATCHES_TENSORBOARD(precomputed_max_inside_buckets)
PRECOMPUTED_MATCHES_TENSORBOARD(precomputed_min_beyond_first_bucket)
PRECOMPUTED_MATCHES_TENSORBOARD(precomputed_old_style_with_gaps)

/* ---- default edges ----------------------------------------------------------------------------- */

Test(histogram, all_equal_values_make_one_bucket_from_min_to_max)
{
    double values[1000];
    for (size_t i = 0; i < 1000; i++) values[i] = 0.37;
    vz_histogram h = bin_or_fail(values, 1000, 0);
    vz_bucket buckets[4];
    cr_assert_eq(hist_to_buckets(&h, buckets), 1);
    cr_assert_eq(buckets[0].left, 0.37);
    cr_assert_eq(buckets[0].right, 0.37);
    cr_assert_eq(buckets[0].count, 1000);
    double percentiles[HIST_BASIS_POINT_COUNT];
    hist_compress(&h, percentiles);
    for (int j = 0; j < HIST_BASIS_POINT_COUNT; j++) cr_assert_eq(percentiles[j], 0.37);
    hist_free(&h);
}

Test(histogram, zeros_fall_in_the_bin_from_zero_to_1e_minus_12)
{
    double values[] = {0.0, 0.0, -0.0, 0.0};
    vz_histogram h = bin_or_fail(values, 4, 0);
    cr_assert_eq(h.bucket_count, 2);
    cr_assert_eq(h.bucket_limits[0], 0.0);
    cr_assert_eq(h.bucket_limits[1], 1e-12);
    cr_assert_eq(h.bucket_counts[0], 0);
    cr_assert_eq(h.bucket_counts[1], 4);
    cr_assert_eq(h.num, 4);
    cr_assert_eq(h.sum, 0);
    hist_free(&h);
}

Test(histogram, a_single_value_is_its_own_min_max_and_every_percentile)
{
    double value = -2.0;
    vz_histogram h = bin_or_fail(&value, 1, 0);
    cr_assert_eq(h.min, -2.0);
    cr_assert_eq(h.max, -2.0);
    cr_assert_eq(h.num, 1);
    cr_assert_eq(h.sum_squares, 4.0);
    cr_assert_eq(h.bucket_count, 2);
    cr_assert(h.bucket_limits[0] <= -2.0 && -2.0 < h.bucket_limits[1]);
    double percentiles[HIST_BASIS_POINT_COUNT];
    hist_compress(&h, percentiles);
    for (int j = 0; j < HIST_BASIS_POINT_COUNT; j++) cr_assert_eq(percentiles[j], -2.0);
    hist_free(&h);
}

Test(histogram, values_beyond_the_edges_count_in_the_statistics_but_in_no_bucket)
{
    double values[] = {1e21, -1e21, 1e-13, 5.0};
    vz_histogram h = bin_or_fail(values, 4, 0);
    cr_assert_eq(h.num, 4);
    cr_assert_eq(h.min, -1e21);
    cr_assert_eq(h.max, 1e21);
    double in_buckets = 0;
    for (size_t i = 0; i < h.bucket_count; i++) in_buckets += h.bucket_counts[i];
    cr_assert_eq(in_buckets, 2);
    cr_assert_eq(h.bucket_limits[0], 0.0, "1e-13 lies in [0, 1e-12)");
    hist_free(&h);
}

Test(histogram, values_all_beyond_the_edges_give_no_bucket_and_max_as_percentiles)
{
    double values[] = {1e21, 2e21};
    vz_histogram h = bin_or_fail(values, 2, 0);
    cr_assert_eq(h.bucket_count, 0);
    cr_assert_eq(h.num, 2);
    cr_assert_eq(h.sum, 3e21);
    vz_bucket unused[1];
    cr_assert_eq(hist_to_buckets(&h, unused), 0);
    double percentiles[HIST_BASIS_POINT_COUNT];
    hist_compress(&h, percentiles);
    for (int j = 0; j < HIST_BASIS_POINT_COUNT; j++) cr_assert_eq(percentiles[j], 2e21);
    hist_free(&h);
}

Test(histogram, the_outermost_edges_are_inside_and_the_last_bin_is_closed)
{
    /* the largest default edge is 1.1^773 * 1e-12, built by repeated multiplication */
    double largest = 1e-12;
    for (int k = 0; k < 773; k++) largest *= 1.1;
    cr_assert(largest < 1e20 && largest * 1.1 >= 1e20);
    double values[] = {largest, -largest, nextafter(largest, INFINITY)};
    vz_histogram h = bin_or_fail(values, 3, 0);
    double in_buckets = 0;
    for (size_t i = 0; i < h.bucket_count; i++) in_buckets += h.bucket_counts[i];
    cr_assert_eq(in_buckets, 2);
    cr_assert_eq(h.bucket_limits[0], -largest);
    cr_assert_eq(h.bucket_limits[h.bucket_count - 1], largest);
    cr_assert_eq(h.bucket_counts[h.bucket_count - 1], 1, "the value on the last edge is kept");
    hist_free(&h);
}

Test(histogram, a_value_on_an_inner_edge_goes_to_the_bin_on_its_right)
{
    double values[] = {1e-12, -1e-12};
    vz_histogram h = bin_or_fail(values, 2, 0);
    /* -1e-12 opens [-1e-12, 0); 1e-12 opens [1e-12, 1.1e-12) */
    cr_assert_eq(h.bucket_limits[0], -1e-12);
    cr_assert_eq(h.bucket_counts[1], 1);
    cr_assert_eq(h.bucket_limits[1], 0.0);
    cr_assert_eq(h.bucket_counts[2], 0);
    cr_assert_eq(h.bucket_limits[2], 1e-12);
    cr_assert_eq(h.bucket_counts[3], 1);
    cr_assert_eq(h.bucket_count, 4);
    hist_free(&h);
}

/* ---- NaN and infinities (vizd's decision, documented in histogram.c) --------------------------- */

Test(histogram, nan_is_left_out_of_everything_and_counted_apart)
{
    double values[] = {1.0, NAN, 2.0, NAN};
    vz_histogram h = bin_or_fail(values, 4, 0);
    cr_assert_eq(h.num, 2);
    cr_assert_eq(h.nan_count, 2);
    cr_assert_eq(h.min, 1.0);
    cr_assert_eq(h.max, 2.0);
    cr_assert_eq(h.sum, 3.0);
    cr_assert_eq(h.sum_squares, 5.0);
    double in_buckets = 0;
    for (size_t i = 0; i < h.bucket_count; i++) in_buckets += h.bucket_counts[i];
    cr_assert_eq(in_buckets, 2);
    hist_free(&h);
}

Test(histogram, only_nan_gives_an_empty_histogram_with_zero_percentiles)
{
    double values[] = {NAN, NAN};
    vz_histogram h = bin_or_fail(values, 2, 0);
    cr_assert_eq(h.num, 0);
    cr_assert_eq(h.nan_count, 2);
    cr_assert_eq(h.bucket_count, 0);
    cr_assert_eq(h.min, 0.0);
    cr_assert_eq(h.max, 0.0);
    double percentiles[HIST_BASIS_POINT_COUNT];
    hist_compress(&h, percentiles);
    for (int j = 0; j < HIST_BASIS_POINT_COUNT; j++) cr_assert_eq(percentiles[j], 0.0);
    hist_free(&h);
}

Test(histogram, infinity_counts_like_a_value_beyond_the_edges)
{
    double values[] = {1.0, INFINITY};
    vz_histogram h = bin_or_fail(values, 2, 0);
    cr_assert_eq(h.num, 2);
    cr_assert_eq(h.max, INFINITY);
    cr_assert_eq(h.sum, INFINITY);
    cr_assert_eq(h.sum_squares, INFINITY);
    vz_bucket buckets[2];
    cr_assert_eq(hist_to_buckets(&h, buckets), 1);
    cr_assert_eq(buckets[0].left, 1.0);
    cr_assert_eq(buckets[0].right, INFINITY);
    cr_assert_eq(buckets[0].count, 1);
    hist_free(&h);
}

Test(histogram, an_infinite_edge_never_turns_a_percentile_into_nan)
{
    double values[] = {1.0, INFINITY};
    vz_histogram h = bin_or_fail(values, 2, 0);
    double percentiles[HIST_BASIS_POINT_COUNT];
    hist_compress(&h, percentiles);
    /* TensorBoard's formula gives 1 + 0 * Infinity = NaN at basis point 0 */
    cr_assert_eq(percentiles[0], 1.0);
    for (int j = 1; j < HIST_BASIS_POINT_COUNT; j++) cr_assert_eq(percentiles[j], INFINITY);
    hist_free(&h);
}

Test(histogram, both_infinities_make_the_sum_nan_but_keep_min_and_max)
{
    double values[] = {-INFINITY, 0.5, INFINITY};
    vz_histogram h = bin_or_fail(values, 3, 0);
    cr_assert_eq(h.num, 3);
    cr_assert_eq(h.min, -INFINITY);
    cr_assert_eq(h.max, INFINITY);
    cr_assert(isnan(h.sum), "-Infinity + Infinity, as numpy sums them");
    cr_assert_eq(h.bucket_count, 2);
    cr_assert_eq(h.bucket_counts[1], 1);
    hist_free(&h);
}

Test(histogram, equal_bins_span_the_finite_values_when_some_are_infinite)
{
    double values[] = {0.0, 1.0, INFINITY, NAN};
    vz_histogram h = bin_or_fail(values, 4, 2);
    cr_assert_eq(h.num, 3);
    cr_assert_eq(h.max, INFINITY);
    cr_assert_eq(h.bucket_count, 3);
    cr_assert_eq(h.bucket_limits[0], 0.0);
    cr_assert_eq(h.bucket_limits[1], 0.5);
    cr_assert_eq(h.bucket_limits[2], 1.0);
    cr_assert_eq(h.bucket_counts[1], 1);
    cr_assert_eq(h.bucket_counts[2], 1);
    hist_free(&h);
}

Test(histogram, equal_bins_over_only_infinities_give_no_bucket)
{
    double values[] = {INFINITY, -INFINITY};
    vz_histogram h = bin_or_fail(values, 2, 10);
    cr_assert_eq(h.bucket_count, 0);
    cr_assert_eq(h.num, 2);
    hist_free(&h);
}

/* ---- equal-width bins ---------------------------------------------------------------------------- */

Test(histogram, equal_bins_widen_a_zero_range_by_half_on_each_side)
{
    double values[] = {3.0, 3.0};
    vz_histogram h = bin_or_fail(values, 2, 2);
    /* edges 2.5, 3.0, 3.5: both values open the second bin */
    cr_assert_eq(h.bucket_count, 2);
    cr_assert_eq(h.bucket_limits[0], 3.0);
    cr_assert_eq(h.bucket_limits[1], 3.5);
    cr_assert_eq(h.bucket_counts[1], 2);
    hist_free(&h);
}

Test(histogram, more_equal_bins_than_doubles_in_the_range_are_refused)
{
    double values[] = {1.0, nextafter(1.0, 2.0)};
    vz_histogram h;
    vz_error err = {0};
    cr_assert_eq(hist_from_values(values, 2, 100, &h, &err), -1);
    cr_assert_eq(err.status, 400);
    cr_assert_str_eq(err.path, "bins");
    cr_assert_null(h.bucket_limits);
}

Test(histogram, a_bin_count_out_of_range_is_refused)
{
    double value = 1.0;
    vz_histogram h;
    vz_error err = {0};
    cr_assert_eq(hist_from_values(&value, 1, HIST_MAX_EQUAL_BINS + 1, &h, &err), -1);
    cr_assert_str_eq(err.path, "bins");
    cr_assert_eq(hist_from_values(&value, 1, -1, &h, &err), -1);
    cr_assert_str_eq(err.path, "bins");
}

Test(histogram, no_values_is_refused)
{
    vz_histogram h;
    vz_error err = {0};
    cr_assert_eq(hist_from_values(NULL, 0, 0, &h, &err), -1);
    cr_assert_eq(err.status, 400);
    cr_assert_str_eq(err.path, "values");
}

/* ---- precomputed histograms ---------------------------------------------------------------------- */

static const double good_limits[] = {0.0, 1.0, 2.0, 3.0};
static const double good_counts[] = {0.0, 4.0, 0.0, 2.0};

static vz_histogram_input good_input(void)
{
    return (vz_histogram_input){.min = 0.5, .max = 2.5, .num = 6, .sum = 9, .sum_squares = 17,
                                .bucket_limits = good_limits, .bucket_limits_len = 4,
                                .bucket_counts = good_counts, .bucket_counts_len = 4};
}

Test(histogram_precomputed, a_valid_histogram_is_copied)
{
    vz_histogram_input in = good_input();
    vz_histogram h = precomputed_or_fail(&in);
    cr_assert_eq(h.bucket_count, 4);
    cr_assert_neq(h.bucket_limits, good_limits, "the histogram owns its arrays");
    cr_assert_arr_eq(h.bucket_limits, good_limits, sizeof good_limits);
    cr_assert_arr_eq(h.bucket_counts, good_counts, sizeof good_counts);
    cr_assert_eq(h.num, 6);
    cr_assert_eq(h.sum_squares, 17);
    hist_free(&h);
}

Test(histogram_precomputed, reads_back_between_its_outer_non_empty_buckets)
{
    vz_histogram_input in = good_input();
    vz_histogram h = precomputed_or_fail(&in);
    vz_bucket buckets[4];
    cr_assert_eq(hist_to_buckets(&h, buckets), 3);
    cr_assert_eq(buckets[0].left, 0.5);
    cr_assert_eq(buckets[0].right, 1.0);
    cr_assert_eq(buckets[0].count, 4);
    cr_assert_eq(buckets[1].left, 1.0);
    cr_assert_eq(buckets[1].right, 2.0);
    cr_assert_eq(buckets[1].count, 0);
    cr_assert_eq(buckets[2].left, 2.0);
    cr_assert_eq(buckets[2].right, 2.5);
    cr_assert_eq(buckets[2].count, 2);
    hist_free(&h);
}

Test(histogram_precomputed, compresses_by_interpolating_inside_buckets)
{
    /* two buckets of equal weight, [0, 1] and [1, 2]: the percentiles are a straight line */
    static const double limits[] = {0.0, 1.0, 2.0};
    static const double counts[] = {0.0, 5.0, 5.0};
    vz_histogram_input in = {.min = 0, .max = 2, .num = 10, .bucket_limits = limits,
                             .bucket_limits_len = 3, .bucket_counts = counts, .bucket_counts_len = 3};
    vz_histogram h = precomputed_or_fail(&in);
    double percentiles[HIST_BASIS_POINT_COUNT];
    hist_compress(&h, percentiles);
    for (int j = 0; j < HIST_BASIS_POINT_COUNT; j++)
        cr_assert_float_eq(percentiles[j], hist_basis_points[j] / 5000.0, 1e-12, "basis point %d",
                           hist_basis_points[j]);
    hist_free(&h);
}

Test(histogram_precomputed, arrays_of_different_lengths_are_refused)
{
    vz_histogram_input in = good_input();
    in.bucket_counts_len = 3;
    expect_rejected(&in, "histograms[2].bucket_counts");
}

Test(histogram_precomputed, no_bucket_is_refused)
{
    vz_histogram_input in = good_input();
    in.bucket_counts_len = in.bucket_limits_len = 0;
    expect_rejected(&in, "histograms[2].bucket_limits");
}

Test(histogram_precomputed, a_negative_count_is_refused)
{
    static const double counts[] = {0.0, 4.0, -1.0, 2.0};
    vz_histogram_input in = good_input();
    in.bucket_counts = counts;
    expect_rejected(&in, "histograms[2].bucket_counts[2]");
}

Test(histogram_precomputed, a_nan_count_is_refused)
{
    static const double counts[] = {NAN, 4.0, 1.0, 2.0};
    vz_histogram_input in = good_input();
    in.bucket_counts = counts;
    expect_rejected(&in, "histograms[2].bucket_counts[0]");
}

Test(histogram_precomputed, limits_that_do_not_increase_are_refused)
{
    static const double limits[] = {0.0, 1.0, 1.0, 3.0};
    vz_histogram_input in = good_input();
    in.bucket_limits = limits;
    expect_rejected(&in, "histograms[2].bucket_limits[2]");
}

Test(histogram_precomputed, a_nan_limit_is_refused)
{
    static const double limits[] = {0.0, 1.0, 2.0, NAN};
    vz_histogram_input in = good_input();
    in.bucket_limits = limits;
    expect_rejected(&in, "histograms[2].bucket_limits[3]");
}

Test(histogram_precomputed, min_above_max_is_refused)
{
    vz_histogram_input in = good_input();
    in.min = 3.0;
    expect_rejected(&in, "histograms[2].min");
}

Test(histogram_precomputed, a_negative_num_is_refused)
{
    vz_histogram_input in = good_input();
    in.num = -1;
    expect_rejected(&in, "histograms[2].num");
}

Test(histogram_precomputed, the_path_has_no_leading_dot_at_top_level)
{
    vz_histogram_input in = good_input();
    in.max = NAN;
    vz_histogram h;
    vz_error err = {0};
    cr_assert_eq(hist_from_buckets(&in, "", &h, &err), -1);
    cr_assert_str_eq(err.path, "max");
}

/* A raw upload's body is binned where it lies, a chunk at a time: the result must be the one the same
 * values give as an array of doubles, whatever the chunking (here 3 chunks and a part) and alignment. */
Test(histogram, raw_float32_and_unaligned_float64_bytes_bin_exactly_as_doubles_do)
{
    enum { N = 3 * 4096 + 123 };
    static float as_float[N];
    static double as_double[N];
    static unsigned char unaligned[N * sizeof(double) + 1];
    for (size_t i = 0; i < N; i++) {
        as_float[i] = (float)(sin((double)i * 0.37) * 1e3 + (double)(i % 7) * 1e-3);
        as_double[i] = as_float[i];
    }
    as_float[17] = NAN;
    as_double[17] = NAN;
    memcpy(unaligned + 1, as_double, sizeof as_double);
    for (int bins = 0; bins <= 30; bins += 30) {
        vz_histogram expected, from_float, from_unaligned;
        vz_error err;
        cr_assert_eq(hist_from_values(as_double, N, bins, &expected, &err), 0, "%s", err.message);
        cr_assert_eq(hist_from_le_bytes(as_float, N, true, bins, &from_float, &err), 0, "%s", err.message);
        cr_assert_eq(hist_from_le_bytes(unaligned + 1, N, false, bins, &from_unaligned, &err), 0, "%s", err.message);
        const vz_histogram *got[2] = {&from_float, &from_unaligned};
        for (int k = 0; k < 2; k++) {
            cr_assert(got[k]->sum == expected.sum && got[k]->sum_squares == expected.sum_squares);
            cr_assert(got[k]->min == expected.min && got[k]->max == expected.max && got[k]->num == expected.num);
            cr_assert_eq(got[k]->nan_count, 1);
            cr_assert_eq(got[k]->bucket_count, expected.bucket_count);
            cr_assert_eq(memcmp(got[k]->bucket_counts, expected.bucket_counts, expected.bucket_count * sizeof(double)), 0);
            cr_assert_eq(memcmp(got[k]->bucket_limits, expected.bucket_limits, expected.bucket_count * sizeof(double)), 0);
        }
        hist_free(&expected);
        hist_free(&from_float);
        hist_free(&from_unaligned);
    }
}
