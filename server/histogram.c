/* histogram.c -- binning raw values the way TensorBoard users already see them, and the nine-point
 * compression behind the Distributions tab.
 *
 * Edges. By default the edges are the ones PyTorch's SummaryWriter hands to numpy.histogram: start at
 * 1e-12 and keep multiplying by 1.1 while below 1e20, which gives 774 positive edges; mirror them to
 * the negative side and put 0 in the middle, 1549 sorted edges in all. They are computed once, with
 * the same repeated multiplication (never pow, whose last bits differ), so they equal PyTorch's bit for
 * bit. With bins=N the edges are instead N+1 equally spaced points from the smallest to the largest
 * value (numpy's linspace: edge i = first + i * step, the last one set to the maximum exactly; a range
 * of zero width is widened by 0.5 on each side).
 *
 * Which bin. numpy's rule: bin i holds edge[i] <= x < edge[i+1], except the last bin, which also holds
 * its right edge; a value below the first edge or above the last one falls in no bin but still counts
 * in min, max, num, sum and sum_squares. Sorting a million values to search them, as numpy does, costs
 * too much, so each value is placed directly: for the default edges, a rough log2|x| (exponent bits
 * plus a cubic in the mantissa) tells which power of 1.1 it lies near, which names the right bin or
 * one next to it; for equal bins, (x - first) / width * N names it, as in numpy's own fast path. Then the
 * guess is corrected by comparing x with the real edges of the table, so the result is the exact
 * comparison numpy makes and the arithmetic of the guess cannot move a value across an edge.
 *
 * Trimming. Like torch's make_histogram, the stored histogram keeps the bins from the first non-empty
 * one to the last non-empty one, preceded by one empty bucket whose only purpose is to carry the
 * first bin's left edge (a HistogramProto stores right edges only). So bucket_limits[0] is the left
 * edge of the first non-empty bin and bucket_counts[0] is 0.
 *
 * NaN and infinities (our decision; torch lets NaN turn min, max and sum into NaN, and numpy refuses
 * bins=N when the data holds one). A NaN is no measurement: it is left out of every statistic and
 * every bucket and only counted in nan_count, so a diverging run still gets a readable histogram of
 * the values that remain (and the caller can report how many were NaN). An infinity is a value beyond
 * the last edge like 1e21: it counts in num, min, max, sum and sum_squares and in no bucket, which is
 * exactly what torch and numpy do with the default edges. With bins=N the equal bins span the finite
 * values. Input with no value inside the edges (all NaN, or all beyond +-1e20) gives a histogram with
 * no bucket, where torch raises an error; with no value at all besides NaN, min and max are 0.
 *
 * Reading. TensorBoard shows a HistogramProto as [left, right, count] buckets: it keeps the buckets
 * from the first to the last non-empty one, uses their limits as the edges between them, and closes the
 * range with min on the left and max on the right. hist_to_buckets does the same, in double (TensorBoard
 * rounds the result to float32; ours rounds to the same floats).
 *
 * Compression (TensorBoard's compress_histogram). Scale the counts so they add up to 10000 and
 * accumulate them; for each basis point b, take the first bucket whose cumulative weight exceeds b and
 * interpolate linearly inside it, from the weight before it (at the bucket's left edge, never below
 * min, and at min for the first bucket) to its own weight (at its right edge, never beyond max). Basis
 * points that no bucket exceeds, such as 10000 itself, get max. Two cases TensorBoard never meets on
 * binned data are ours to settle: an interpolation towards an infinite edge gives the end point where
 * TensorBoard's formula would give 0 * Infinity = NaN, and a histogram with values but no non-empty
 * bucket gives max everywhere (as TensorBoard's compress_histogram_proto does; an empty one gives 0). */
#include "vizd/histogram.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int hist_basis_points[HIST_BASIS_POINT_COUNT] = {0, 668, 1587, 3085, 5000, 6915, 8413, 9332,
                                                       10000};

#define DEFAULT_EDGE_SMALLEST 1e-12
#define DEFAULT_EDGE_BOUND 1e20 /* every edge is below it */
#define DEFAULT_EDGE_GROWTH 1.1
/* 774 positive edges come out of the loop; the array leaves room and the loop checks it. */
#define DEFAULT_POSITIVE_EDGES_MAX 800
/* compress_histogram scales the counts so they add up to the last basis point. */
#define BASIS_POINT_TOTAL 10000.0

static struct {
    double edges[2 * DEFAULT_POSITIVE_EDGES_MAX + 1];
    size_t edge_count;  /* 1549 */
    size_t zero_index;  /* edges[zero_index] == 0 */
    double log2_smallest, log2_growth;
} defaults;

static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;

static void build_default_edges(void)
{
    double positive[DEFAULT_POSITIVE_EDGES_MAX];
    size_t count = 0;
    for (double v = DEFAULT_EDGE_SMALLEST; v < DEFAULT_EDGE_BOUND && count < DEFAULT_POSITIVE_EDGES_MAX;
         v *= DEFAULT_EDGE_GROWTH)
        positive[count++] = v;
    for (size_t i = 0; i < count; i++) {
        defaults.edges[count - 1 - i] = -positive[i];
        defaults.edges[count + 1 + i] = positive[i];
    }
    defaults.edges[count] = 0.0;
    defaults.zero_index = count;
    defaults.edge_count = 2 * count + 1;
    defaults.log2_smallest = log2(DEFAULT_EDGE_SMALLEST);
    defaults.log2_growth = log2(DEFAULT_EDGE_GROWTH);
}

/* ---- statistics ------------------------------------------------------------------------------ */

typedef struct {
    double min, max, sum, sum_squares;
    size_t num, nan_count;
    double finite_min, finite_max; /* the range bins=N spans */
    size_t finite_count;
} value_stats;

/* The values being binned, read a chunk at a time: doubles used where they lie, or little-endian float32
 * (a raw upload's body) widened a chunk at a time, so a body of 16 M float32 values is never copied whole
 * into doubles. Sums run in value order whatever the chunking, so the figures do not depend on it. */
typedef struct {
    const unsigned char *bytes;
    size_t n;
    bool is_float32;
} value_source;

#define CHUNK_VALUES 4096

/* Values [from, from + count) of src (count <= CHUNK_VALUES), in scratch if they had to be converted. */
static const double *source_chunk(const value_source *src, size_t from, size_t count, double *scratch)
{
    if (!src->is_float32 && (uintptr_t)src->bytes % sizeof(double) == 0)
        return (const double *)(const void *)src->bytes + from;
    size_t width = src->is_float32 ? sizeof(float) : sizeof(double);
    for (size_t i = 0; i < count; i++) {
        const unsigned char *at = src->bytes + (from + i) * width;
        if (src->is_float32) {
            float f;
            memcpy(&f, at, sizeof f);
            scratch[i] = f;
        } else {
            memcpy(&scratch[i], at, sizeof(double));
        }
    }
    return scratch;
}

static void add_stats(const double *values, size_t n, value_stats *s)
{
    for (size_t i = 0; i < n; i++) {
        double x = values[i];
        if (isnan(x)) {
            s->nan_count++;
            continue;
        }
        s->num++;
        s->sum += x;
        s->sum_squares += x * x;
        if (x < s->min) s->min = x;
        if (x > s->max) s->max = x;
        if (isfinite(x)) {
            s->finite_count++;
            if (x < s->finite_min) s->finite_min = x;
            if (x > s->finite_max) s->finite_max = x;
        }
    }
}

static void set_stats(vz_histogram *h, const value_stats *s)
{
    bool is_empty = s->num == 0;
    h->min = is_empty ? 0.0 : s->min;
    h->max = is_empty ? 0.0 : s->max;
    h->num = (double)s->num;
    h->sum = s->sum;
    h->sum_squares = s->sum_squares;
    h->nan_count = s->nan_count;
}

/* ---- bin search -------------------------------------------------------------------------------- */

/* Move a guessed bin (clamped into range first) to the one numpy picks: edges[i] <= x < edges[i + 1],
 * the last bin closed. x must lie within [edges[0], edges[bin_count]]. */
static size_t settle_bin(const double *edges, size_t bin_count, double x, long guess)
{
    size_t i = guess < 0 ? 0 : (size_t)guess < bin_count ? (size_t)guess : bin_count - 1;
    while (i > 0 && x < edges[i]) i--;
    while (i + 1 < bin_count && x >= edges[i + 1]) i++;
    return i;
}

/* log2 of a positive normal double to within 0.0014: its binary exponent plus a cubic (a least-squares
 * fit) in its mantissa. libm's log is exact to the last bit but costs more than the whole rest of the
 * loop, and the guess it feeds only needs to be within a bin (0.1375 in log2) of the answer. */
static double rough_log2(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int exponent = (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffu) | 0x3ff0000000000000u; /* the mantissa, as a double in [1, 2) */
    double t;
    memcpy(&t, &bits, sizeof t);
    t -= 1.0;
    return exponent + (((0.153912545 * t - 0.567749277) * t + 1.41348336) * t + 0.00133488786);
}

/* A bin of the default edges that is the right one or next to it, from the magnitude of x. Written
 * without branches on the sign or size of x, which random data would mispredict half the time. */
static long guess_default_bin(double x)
{
    long zero = (long)defaults.zero_index;
    /* |x| lies near [1.1^k, 1.1^(k+1)) * 1e-12; k = -1 below 1e-12 (0 and denormals included) */
    double steps = (rough_log2(fabs(x)) - defaults.log2_smallest) / defaults.log2_growth;
    long k = steps < 0 ? -1 : (long)steps;
    /* positive edge k sits at zero + 1 + k, and bin zero + 1 + k starts there; the negative bin that
     * ends at -edge k starts at -edge (k + 1), which sits at zero - 2 - k */
    return x >= 0 ? zero + 1 + k : zero - 2 - k;
}

static void count_default_bins(const double *values, size_t n, double *counts)
{
    const double *edges = defaults.edges;
    size_t bin_count = defaults.edge_count - 1;
    double lowest = edges[0], highest = edges[bin_count];
    for (size_t i = 0; i < n; i++) {
        double x = values[i];
        if (!(x >= lowest && x <= highest)) continue; /* outside the edges, or NaN */
        counts[settle_bin(edges, bin_count, x, guess_default_bin(x))]++;
    }
}

/* numpy's linspace(first, last, bin_count + 1): i * step + first, rounded after the multiplication
 * and after the addition (-std=c11 keeps GCC from fusing them, which would change the last bit).
 * Returns -1 when the edges are not strictly increasing (more bins than distinct doubles in the
 * range), which numpy also refuses. */
static int equal_width_edges(double first, double last, size_t bin_count, double *edges)
{
    double delta = last - first;
    double step = delta / (double)bin_count;
    for (size_t i = 0; i < bin_count; i++)
        edges[i] = step == 0 ? (double)i / (double)bin_count * delta + first : (double)i * step + first;
    edges[bin_count] = last;
    for (size_t i = 0; i < bin_count; i++)
        if (!(edges[i] < edges[i + 1])) return -1;
    return 0;
}

/* numpy's fast path for equal bins, including its single correction step each way. */
static void count_equal_bins(const double *values, size_t n, const double *edges, size_t bin_count,
                             double *counts)
{
    double first = edges[0], last = edges[bin_count], width = last - first;
    for (size_t i = 0; i < n; i++) {
        double x = values[i];
        if (!(x >= first && x <= last)) continue;
        size_t bin = (size_t)((x - first) / width * (double)bin_count);
        if (bin >= bin_count) bin = bin_count - 1;
        if (x < edges[bin]) bin--;
        if (bin != bin_count - 1 && x >= edges[bin + 1]) bin++;
        counts[bin]++;
    }
}

/* ---- trimming ---------------------------------------------------------------------------------- */

static int first_and_last_nonzero(const double *counts, size_t count, size_t *first, size_t *last)
{
    size_t i = 0, j = count;
    while (i < count && !(counts[i] > 0)) i++;
    if (i == count) return 0;
    while (!(counts[j - 1] > 0)) j--;
    *first = i;
    *last = j - 1;
    return 1;
}

static int allocate_buckets(vz_histogram *h, size_t bucket_count, vz_error *err)
{
    h->bucket_limits = malloc(bucket_count * sizeof *h->bucket_limits);
    h->bucket_counts = malloc(bucket_count * sizeof *h->bucket_counts);
    if (!h->bucket_limits || !h->bucket_counts) {
        hist_free(h);
        return vz_fail(err, 503, "out_of_memory", "", "not enough memory for %zu histogram buckets",
                       bucket_count);
    }
    h->bucket_count = bucket_count;
    return 0;
}

/* Keep bins first..last of counts (edges has bin_count + 1 entries) behind an empty bucket that
 * carries the left edge of bin first, as make_histogram does. */
static int keep_occupied_bins(const double *edges, const double *counts, size_t bin_count,
                              vz_histogram *h, vz_error *err)
{
    size_t first, last;
    if (!first_and_last_nonzero(counts, bin_count, &first, &last)) return 0;
    if (allocate_buckets(h, last - first + 2, err) < 0) return -1;
    h->bucket_limits[0] = edges[first];
    h->bucket_counts[0] = 0.0;
    for (size_t k = 1; k < h->bucket_count; k++) {
        h->bucket_limits[k] = edges[first + k];
        h->bucket_counts[k] = counts[first + k - 1];
    }
    return 0;
}

/* Counts are doubles, as in HistogramProto: exact up to 2^53 values. */
static int bin_and_keep(const value_source *src, const double *edges, size_t bin_count, bool has_default_edges,
                        vz_histogram *h, vz_error *err)
{
    double *counts = calloc(bin_count, sizeof *counts);
    if (!counts)
        return vz_fail(err, 503, "out_of_memory", "", "not enough memory for %zu histogram bins", bin_count);
    double scratch[CHUNK_VALUES];
    for (size_t from = 0; from < src->n; from += CHUNK_VALUES) {
        size_t n = src->n - from < CHUNK_VALUES ? src->n - from : CHUNK_VALUES;
        const double *values = source_chunk(src, from, n, scratch);
        if (has_default_edges)
            count_default_bins(values, n, counts);
        else
            count_equal_bins(values, n, edges, bin_count, counts);
    }
    int rc = keep_occupied_bins(edges, counts, bin_count, h, err);
    free(counts);
    return rc;
}

static int bin_equal_widths(const value_source *src, size_t bin_count, const value_stats *s, vz_histogram *h,
                            vz_error *err)
{
    if (s->finite_count == 0) return 0;
    double first = s->finite_min, last = s->finite_max;
    if (first == last) {
        first -= 0.5;
        last += 0.5;
    }
    if (!isfinite(last - first))
        return vz_fail(err, 400, "invalid_value", "bins",
                       "the values span too wide a range for equal-width bins");
    double *edges = malloc((bin_count + 1) * sizeof *edges);
    if (!edges) return vz_out_of_memory(err, "histogram edges");
    int rc = equal_width_edges(first, last, bin_count, edges) < 0
                 ? vz_fail(err, 400, "invalid_value", "bins",
                           "cannot make %zu bins of non-zero width between %.17g and %.17g",
                           bin_count, first, last)
                 : bin_and_keep(src, edges, bin_count, false, h, err);
    free(edges);
    return rc;
}

static int hist_from_source(const value_source *src, int bins, vz_histogram *out, vz_error *err)
{
    memset(out, 0, sizeof *out);
    if (src->n == 0) return vz_fail(err, 400, "invalid_value", "values", "expected at least one value");
    if (bins < 0 || bins > HIST_MAX_EQUAL_BINS)
        return vz_fail(err, 400, "invalid_value", "bins", "expected 0 (default edges) or 1 to %d",
                       HIST_MAX_EQUAL_BINS);
    value_stats stats = {.min = INFINITY, .max = -INFINITY, .finite_min = INFINITY, .finite_max = -INFINITY};
    double scratch[CHUNK_VALUES];
    for (size_t from = 0; from < src->n; from += CHUNK_VALUES) {
        size_t n = src->n - from < CHUNK_VALUES ? src->n - from : CHUNK_VALUES;
        add_stats(source_chunk(src, from, n, scratch), n, &stats);
    }
    set_stats(out, &stats);
    int rc;
    if (bins == 0) {
        pthread_once(&defaults_once, build_default_edges);
        rc = bin_and_keep(src, defaults.edges, defaults.edge_count - 1, true, out, err);
    } else {
        rc = bin_equal_widths(src, (size_t)bins, &stats, out, err);
    }
    if (rc < 0) hist_free(out);
    return rc;
}

int hist_from_values(const double *values, size_t n, int bins, vz_histogram *out, vz_error *err)
{
    value_source src = {(const unsigned char *)values, n, false};
    return hist_from_source(&src, bins, out, err);
}

int hist_from_le_bytes(const void *bytes, size_t n, bool is_float32, int bins, vz_histogram *out, vz_error *err)
{
    value_source src = {bytes, n, is_float32};
    return hist_from_source(&src, bins, out, err);
}

/* ---- precomputed histograms -------------------------------------------------------------------- */

/* "prefix.field" or "prefix.field[index]" (index < 0: none); the prefix may be empty. */
static const char *field_path(char *buf, size_t size, const char *prefix, const char *field,
                              long index)
{
    const char *dot = prefix && prefix[0] ? "." : "";
    if (index < 0)
        snprintf(buf, size, "%s%s%s", prefix ? prefix : "", dot, field);
    else
        snprintf(buf, size, "%s%s%s[%ld]", prefix ? prefix : "", dot, field, index);
    return buf;
}

static int check_summary_fields(const vz_histogram_input *in, const char *path, vz_error *err)
{
    char at[sizeof err->path];
    if (!(in->num >= 0) || !isfinite(in->num))
        return vz_fail(err, 400, "invalid_value", field_path(at, sizeof at, path, "num", -1),
                       "expected a finite, non-negative count");
    if (isnan(in->min))
        return vz_fail(err, 400, "invalid_value", field_path(at, sizeof at, path, "min", -1),
                       "expected a number");
    if (isnan(in->max))
        return vz_fail(err, 400, "invalid_value", field_path(at, sizeof at, path, "max", -1),
                       "expected a number");
    if (in->min > in->max)
        return vz_fail(err, 400, "invalid_value", field_path(at, sizeof at, path, "min", -1),
                       "is greater than max");
    return 0;
}

static int check_bucket_arrays(const vz_histogram_input *in, const char *path, vz_error *err)
{
    char at[sizeof err->path];
    if (in->bucket_counts_len != in->bucket_limits_len)
        return vz_fail(err, 400, "invalid_value",
                       field_path(at, sizeof at, path, "bucket_counts", -1),
                       "has %zu entries but bucket_limits has %zu", in->bucket_counts_len,
                       in->bucket_limits_len);
    if (in->bucket_limits_len == 0)
        return vz_fail(err, 400, "invalid_value",
                       field_path(at, sizeof at, path, "bucket_limits", -1),
                       "expected at least one bucket");
    for (size_t i = 0; i < in->bucket_counts_len; i++)
        if (!(in->bucket_counts[i] >= 0) || !isfinite(in->bucket_counts[i]))
            return vz_fail(err, 400, "invalid_value",
                           field_path(at, sizeof at, path, "bucket_counts", (long)i),
                           "expected a finite, non-negative count");
    for (size_t i = 0; i < in->bucket_limits_len; i++) {
        double limit = in->bucket_limits[i];
        if (isnan(limit))
            return vz_fail(err, 400, "invalid_value",
                           field_path(at, sizeof at, path, "bucket_limits", (long)i),
                           "expected a number");
        if (i > 0 && !(limit > in->bucket_limits[i - 1]))
            return vz_fail(err, 400, "invalid_value",
                           field_path(at, sizeof at, path, "bucket_limits", (long)i),
                           "must be greater than bucket_limits[%zu]", i - 1);
    }
    return 0;
}

/* sum and sum_squares are taken as sent: NaN is a legitimate sum of +Infinity and -Infinity. */
int hist_from_buckets(const vz_histogram_input *in, const char *path, vz_histogram *out,
                      vz_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_summary_fields(in, path, err) < 0 || check_bucket_arrays(in, path, err) < 0)
        return -1;
    if (allocate_buckets(out, in->bucket_limits_len, err) < 0) return -1;
    memcpy(out->bucket_limits, in->bucket_limits, in->bucket_limits_len * sizeof(double));
    memcpy(out->bucket_counts, in->bucket_counts, in->bucket_counts_len * sizeof(double));
    out->min = in->min;
    out->max = in->max;
    out->num = in->num;
    out->sum = in->sum;
    out->sum_squares = in->sum_squares;
    return 0;
}

void hist_free(vz_histogram *h)
{
    free(h->bucket_limits);
    free(h->bucket_counts);
    h->bucket_limits = NULL;
    h->bucket_counts = NULL;
    h->bucket_count = 0;
}

/* ---- reading ----------------------------------------------------------------------------------- */

/* The buckets TensorBoard shows are the stored buckets first..last, with min and max as outer edges;
 * these give the right edge and the count of shown bucket i without building them. */
typedef struct {
    const vz_histogram *h;
    size_t first, last;
} shown_buckets;

static double shown_right(const shown_buckets *b, size_t i)
{
    size_t k = b->first + i;
    return k == b->last ? b->h->max : b->h->bucket_limits[k];
}

static double shown_count(const shown_buckets *b, size_t i)
{
    return b->h->bucket_counts[b->first + i];
}

size_t hist_to_buckets(const vz_histogram *h, vz_bucket *out)
{
    shown_buckets b = {.h = h};
    if (!first_and_last_nonzero(h->bucket_counts, h->bucket_count, &b.first, &b.last)) return 0;
    size_t n = b.last - b.first + 1;
    for (size_t i = 0; i < n; i++) {
        out[i].left = i == 0 ? h->min : h->bucket_limits[b.first + i - 1];
        out[i].right = shown_right(&b, i);
        out[i].count = shown_count(&b, i);
    }
    return n;
}

/* y at x on the line through (x0, y0) and (x1, y1), in TensorBoard's order of operations. Where that
 * formula would give NaN from an infinite edge (0 * Infinity at an end point), the end point itself. */
static double interpolate(double x, double x0, double x1, double y0, double y1)
{
    double span = y1 - y0;
    if (isfinite(span)) return y0 + (x - x0) * span / (x1 - x0);
    if (x == x0) return y0;
    if (x == x1) return y1;
    double t = (x - x0) / (x1 - x0);
    return (1 - t) * y0 + t * y1; /* one infinite end: that infinity; both: NaN, there is no answer */
}

static void fill_from(double *values, int from, double value)
{
    for (int j = from; j < HIST_BASIS_POINT_COUNT; j++) values[j] = value;
}

/* compress_histogram. TensorBoard searches the cumulative weights afresh for each basis point; as the
 * basis points increase, one forward walk finds the same buckets. */
static void compress_shown(const shown_buckets *b, double values[HIST_BASIS_POINT_COUNT])
{
    size_t n = b->last - b->first + 1;
    double total = 0;
    for (size_t i = 0; i < n; i++) total += shown_count(b, i);
    if (total == 0) total = 1.0;
    double lowest = b->h->min, highest = b->h->max;
    size_t i = 0;
    double before = 0.0, through = shown_count(b, 0) * BASIS_POINT_TOTAL / total;
    int j = 0;
    for (; j < HIST_BASIS_POINT_COUNT; j++) {
        double bp = hist_basis_points[j];
        /* the first bucket whose cumulative weight exceeds bp and adds weight of its own */
        while (i < n && (!(through > bp) || through == before)) {
            before = through;
            if (++i < n) through = before + shown_count(b, i) * BASIS_POINT_TOTAL / total;
        }
        if (i == n) break;
        double left = i == 0 || before == 0 ? lowest : fmax(shown_right(b, i - 1), lowest);
        double right = fmin(shown_right(b, i), highest);
        values[j] = interpolate(bp, before, through, left, right);
    }
    fill_from(values, j, highest);
}

void hist_compress(const vz_histogram *h, double values[HIST_BASIS_POINT_COUNT])
{
    shown_buckets b = {.h = h};
    if (first_and_last_nonzero(h->bucket_counts, h->bucket_count, &b.first, &b.last)) {
        compress_shown(&b, values);
        return;
    }
    /* No bucket to interpolate in. TensorBoard's compress_histogram answers 0 for an empty histogram,
     * and its compress_histogram_proto answers max for values that all lie outside the buckets
     * (here: all beyond +-1e20 or infinite). */
    fill_from(values, 0, h->num > 0 ? h->max : 0.0);
}

size_t hist_kept_position(size_t k, size_t total, size_t max_steps)
{
    if (max_steps == 0 || total <= max_steps) return k;
    if (max_steps == 1) return total - 1;
    return (2 * k * (total - 1) + (max_steps - 1)) / (2 * (max_steps - 1));
}
