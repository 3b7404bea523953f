/* histogram.h -- binning raw values into a histogram, reading it back as buckets, and compressing it
 * into the nine percentiles of the Distributions tab.
 *
 * A vz_histogram has the shape of TensorBoard's HistogramProto: bucket_limits[i] is the RIGHT edge of
 * bucket i, and bucket i's left edge is bucket_limits[i - 1] (bucket 0 has none: when vizd bins raw
 * values it is always an empty bucket that only carries the left edge of the first non-empty one).
 * Binning raw values gives, bit for bit, the proto torch.utils.tensorboard's make_histogram gives for
 * the same tensor; hist_to_buckets and hist_compress then give what TensorBoard shows for it.
 * See histogram.c for the algorithms and for what NaN and the infinities do. */
#ifndef VIZD_HISTOGRAM_H
#define VIZD_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>

#include "vizd/error.h"

/* The distribution's basis points (1/100 of a percent): the normal CDF at -inf, -1.5, -1, -0.5, 0,
 * 0.5, 1, 1.5 and +inf standard deviations, as TensorBoard uses them. */
#define HIST_BASIS_POINT_COUNT 9
extern const int hist_basis_points[HIST_BASIS_POINT_COUNT];

/* Largest bins=N accepted: far more bins than any chart has pixel columns. */
#define HIST_MAX_EQUAL_BINS 10000

typedef struct {
    double min, max;        /* of every non-NaN value, including those outside every bucket */
    double num;             /* how many non-NaN values; a double, as in HistogramProto */
    double sum, sum_squares;
    size_t bucket_count;
    double *bucket_limits;  /* bucket_count right edges, strictly increasing; owned, hist_free */
    double *bucket_counts;  /* bucket_count non-negative counts; owned, hist_free */
    size_t nan_count;       /* NaN values left out of everything above (0 for precomputed input) */
} vz_histogram;

/* One bucket as TensorBoard serves it: [left, right, count]. */
typedef struct {
    double left, right, count;
} vz_bucket;

/* A precomputed histogram as a client sends it (the fields of HistogramProto); the arrays are the
 * caller's and are only read. */
typedef struct {
    double min, max, num, sum, sum_squares;
    const double *bucket_limits;
    size_t bucket_limits_len;
    const double *bucket_counts;
    size_t bucket_counts_len;
} vz_histogram_input;

/* Bin n values (n >= 1). bins == 0 uses TensorBoard's default edges (+-1e-12 * 1.1^k up to 1e20, and
 * 0); bins == N (1..HIST_MAX_EQUAL_BINS) uses N equal-width bins between the smallest and largest
 * finite value. Fills *out, which the caller releases with hist_free. On error (status 400, err->path
 * "values" or "bins", or 500 when memory runs out) *out is left empty and needs no hist_free. */
int hist_from_values(const double *values, size_t n, int bins, vz_histogram *out, vz_error *err);
/* The same from n little-endian float32 or float64 values as a raw upload's body holds, read in place a
 * chunk at a time (no copy of the values is made). */
int hist_from_le_bytes(const void *bytes, size_t n, bool is_float32, int bins, vz_histogram *out, vz_error *err);

/* Validate a precomputed histogram and copy it into *out (released with hist_free). path is the JSON
 * path of the histogram in the request ("histograms[2]", or "" at top level): an error names the
 * offending field below it ("histograms[2].bucket_counts[5]"), with status 400. */
int hist_from_buckets(const vz_histogram_input *in, const char *path, vz_histogram *out,
                      vz_error *err);

void hist_free(vz_histogram *h);
/* Which steps a read thinned to max_steps keeps: the k-th kept of total stored steps is the one at
 * round(k * (total - 1) / (max_steps - 1)), so the kept steps are evenly spread and the first and the last
 * are always among them (max_steps 0, or total <= max_steps: every step, the k-th is k). */
size_t hist_kept_position(size_t k, size_t total, size_t max_steps);

/* TensorBoard's conversion of a HistogramProto into buckets: from the first to the last non-empty
 * bucket; the first one's left edge is min and the last one's right edge is max. out must have room
 * for h->bucket_count buckets; returns how many were written (0 when every bucket is empty). */
size_t hist_to_buckets(const vz_histogram *h, vz_bucket *out);

/* The values at hist_basis_points, by TensorBoard's compress_histogram over the buckets
 * hist_to_buckets gives. Needs no memory and cannot fail. */
void hist_compress(const vz_histogram *h, double values[HIST_BASIS_POINT_COUNT]);

#endif
