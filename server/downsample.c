/* downsample.c -- M4 reduction of a scalar series for display.
 *
 * A chart N pixels wide needs, per pixel column, only the first, last, minimum and maximum point of the
 * steps that fall in it (Jugel et al., "M4: A Visualization-Oriented Time Series Data Aggregation",
 * PVLDB 2014): drawing those gives the same picture as drawing everything, and no spike is lost. We split
 * [start, end] into N equal step buckets and keep those four points of each, in step order, each point
 * once. One pass over the points; the bucket of a step is computed in 128-bit arithmetic so the whole
 * int64 step range works. */
#include "vizd/downsample.h"

#include <math.h>
#include <stdbool.h>

static size_t bucket_of(int64_t step, int64_t start, int64_t end, size_t buckets)
{
    __int128 span = (__int128)end - start + 1;
    __int128 offset = (__int128)step - start;
    return (size_t)(offset * (__int128)buckets / span);
}

/* Emit the bucket's four points (indices into points) in index order, each once. */
static size_t emit_bucket(const vz_point *points, size_t first, size_t min, size_t max, size_t last,
                          vz_point *out)
{
    size_t picks[4] = {first, min, max, last};
    /* sort four indices */
    for (int i = 1; i < 4; i++)
        for (int j = i; j > 0 && picks[j - 1] > picks[j]; j--) {
            size_t t = picks[j];
            picks[j] = picks[j - 1];
            picks[j - 1] = t;
        }
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        if (i == 0 || picks[i] != picks[i - 1]) out[n++] = points[picks[i]];
    return n;
}

size_t m4_reduce(const vz_point *points, size_t count, int64_t start, int64_t end, size_t buckets,
                 vz_point *out)
{
    if (count == 0 || buckets == 0) return 0;
    size_t written = 0;
    size_t i = 0;
    while (i < count) {
        size_t bucket = bucket_of(points[i].step, start, end, buckets);
        size_t first = i, min = i, max = i, last = i;
        bool has_finite = !isnan(points[i].value);
        for (i = i + 1; i < count && bucket_of(points[i].step, start, end, buckets) == bucket; i++) {
            double v = points[i].value;
            last = i;
            if (isnan(v)) continue;
            if (!has_finite) {
                min = max = i;
                has_finite = true;
            } else if (v < points[min].value) {
                min = i;
            } else if (v > points[max].value) {
                max = i;
            }
        }
        written += emit_bucket(points, first, min, max, last, out + written);
    }
    return written;
}
