/* block.h -- a stored block of scalar points and its M4 picks, as bytes any backend can keep.
 *
 * A series' points are kept in blocks of up to VZ_SCALAR_BLOCK_POINTS (store.h); in memory a block is
 * point_columns, three parallel arrays. block.c packs and unpacks them, merges incoming points into a
 * block, and packs a block's (or a group's) M4 summary. Nothing here knows a database. */
#ifndef VIZD_BLOCK_H
#define VIZD_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/store.h"

/* Room for count elements of size bytes (realloc of array), or NULL when out of memory or on overflow. */
void *grow_array(void *array, size_t count, size_t size);

/* A block's points in memory: three parallel arrays, as they are packed in the bytes. */
typedef struct {
    int64_t *steps;
    double *wall_times_s;
    double *values;
    size_t count, cap;
    bool is_failed; /* an allocation failed: the columns are incomplete (checked once, as buffers are) */
} point_columns;

int columns_reserve(point_columns *c, size_t cap);
void columns_free(point_columns *c);
void columns_push(point_columns *c, int64_t step, double wall_time_s, double value);
/* Append n points given as columns (on failure c is marked failed, as columns_reserve does). */
void columns_append(point_columns *c, const int64_t *steps, const double *wall_times_s, const double *values,
                    size_t n);

/* Packed layout: count int64 steps, then count float64 wall times, then count float64 values, all in the
 * machine's (little-endian on every platform we build for) byte order. */
#define POINT_BYTES (sizeof(int64_t) + 2 * sizeof(double))
/* Points in a packed block of that many bytes. */
size_t blob_point_count(int bytes);
/* Append the n points of a packed block to c. */
void blob_decode_append(const unsigned char *blob, size_t n, point_columns *c);
/* The points [from, from + n) of c packed (n * POINT_BYTES bytes, caller frees); NULL when out of memory. */
unsigned char *blob_encode(const point_columns *c, size_t from, size_t n);

/* Merge the sorted, unique incoming points in[from, to) into a sorted block, into out; an incoming step
 * equal to a stored one replaces it. Returns how many points are new. */
size_t merge_points(const point_columns *block, const point_columns *in, size_t from, size_t to, point_columns *out);

/* A vz_m4_summary packed: its four picks as points, then the minimum's and maximum's offsets. */
#define PICKS_BYTES (4 * POINT_BYTES + 2 * sizeof(uint64_t))
void picks_encode(const vz_m4_summary *sum, unsigned char out[PICKS_BYTES]);
/* The summary of count points packed in `in`; bytes of the wrong size (a damaged file) read as no points. */
void picks_decode(const unsigned char *in, int bytes, int64_t count, vz_m4_summary *sum);

/* Summaries of groups of blocks: a group at level L >= 1 holds about 2^(SUMMARY_FANOUT_BITS) entries of
 * level L - 1. Whether a block starting at first_step starts a group at level, as the series' first block
 * does at every level. */
#define SUMMARY_FANOUT_BITS 3
bool starts_group(int64_t first_step, int level);

#endif
