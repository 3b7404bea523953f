/* downsample.h -- M4 reduction of a scalar series for display. */
#ifndef VIZD_DOWNSAMPLE_H
#define VIZD_DOWNSAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "vizd/store.h"

/* Reduce points (sorted by step, all within [start, end]) to the first, minimum, maximum and last point
 * of each of `buckets` equal step ranges of [start, end], in step order, without duplicates. Writes at
 * most 4 * buckets points into out (which must have room for that many, or for count if smaller) and
 * returns how many. NaN values are never a minimum or maximum. */
size_t m4_reduce(const vz_point *points, size_t count, int64_t start, int64_t end, size_t buckets,
                 vz_point *out);

#endif
