/* block.c -- packing scalar blocks and their M4 picks, and merging points into a block.
 *
 * A block is the unit a series is stored and read in: up to VZ_SCALAR_BLOCK_POINTS points packed as three
 * columns (all steps, then all wall times, then all values), so that a reader copies each column out with
 * one memcpy and a writer that merges a few points into a block rewrites it once. The M4 picks of a block
 * (or of a group of blocks) are packed the same way, so a reduced query over millions of points reads a
 * summary row instead of the blocks under it. Which blocks start a group is decided by a hash of their
 * first step alone, so inserting or deleting a block regroups only its neighbourhood. */
#include "vizd/block.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void *grow_array(void *array, size_t count, size_t size)
{
    return count > SIZE_MAX / size ? NULL : realloc(array, count * size);
}

int columns_reserve(point_columns *c, size_t cap)
{
    if (c->is_failed) return -1;
    if (cap <= c->cap) return 0;
    int64_t *steps = grow_array(c->steps, cap, sizeof *steps);
    if (steps) c->steps = steps;
    double *walls = steps ? grow_array(c->wall_times_s, cap, sizeof *walls) : NULL;
    if (walls) c->wall_times_s = walls;
    double *values = walls ? grow_array(c->values, cap, sizeof *values) : NULL;
    if (values) c->values = values;
    if (!values) {
        c->is_failed = true;
        return -1;
    }
    c->cap = cap;
    return 0;
}

void columns_free(point_columns *c)
{
    free(c->steps);
    free(c->wall_times_s);
    free(c->values);
    memset(c, 0, sizeof *c);
}

void columns_push(point_columns *c, int64_t step, double wall_time_s, double value)
{
    if (c->count == c->cap && columns_reserve(c, c->cap ? c->cap * 2 : 64) < 0) return;
    c->steps[c->count] = step;
    c->wall_times_s[c->count] = wall_time_s;
    c->values[c->count] = value;
    c->count++;
}

void columns_append(point_columns *c, const int64_t *steps, const double *wall_times_s, const double *values,
                    size_t n)
{
    if (columns_reserve(c, c->count + n) < 0) return;
    memcpy(c->steps + c->count, steps, n * sizeof *steps);
    memcpy(c->wall_times_s + c->count, wall_times_s, n * sizeof *wall_times_s);
    memcpy(c->values + c->count, values, n * sizeof *values);
    c->count += n;
}

size_t blob_point_count(int bytes) { return bytes > 0 ? (size_t)bytes / POINT_BYTES : 0; }

void blob_decode_append(const unsigned char *blob, size_t n, point_columns *c)
{
    if (columns_reserve(c, c->count + n) < 0) return;
    memcpy(c->steps + c->count, blob, n * sizeof(int64_t));
    memcpy(c->wall_times_s + c->count, blob + n * sizeof(int64_t), n * sizeof(double));
    memcpy(c->values + c->count, blob + n * (sizeof(int64_t) + sizeof(double)), n * sizeof(double));
    c->count += n;
}

unsigned char *blob_encode(const point_columns *c, size_t from, size_t n)
{
    unsigned char *blob = malloc(n ? n * POINT_BYTES : 1);
    if (!blob) return NULL;
    memcpy(blob, c->steps + from, n * sizeof(int64_t));
    memcpy(blob + n * sizeof(int64_t), c->wall_times_s + from, n * sizeof(double));
    memcpy(blob + n * (sizeof(int64_t) + sizeof(double)), c->values + from, n * sizeof(double));
    return blob;
}

size_t merge_points(const point_columns *block, const point_columns *in, size_t from, size_t to, point_columns *out)
{
    size_t i = 0, j = from, added = 0;
    out->count = 0;
    if (columns_reserve(out, block->count + (to - from)) < 0) return 0;
    while (i < block->count || j < to) {
        if (j == to || (i < block->count && block->steps[i] < in->steps[j])) {
            columns_push(out, block->steps[i], block->wall_times_s[i], block->values[i]);
            i++;
        } else {
            if (i < block->count && block->steps[i] == in->steps[j]) i++;
            else added++;
            columns_push(out, in->steps[j], in->wall_times_s[j], in->values[j]);
            j++;
        }
    }
    return added;
}

void picks_encode(const vz_m4_summary *sum, unsigned char out[PICKS_BYTES])
{
    const vz_point *points[4] = {&sum->first, &sum->min, &sum->max, &sum->last};
    unsigned char *p = out;
    for (int i = 0; i < 4; i++, p += POINT_BYTES) {
        memcpy(p, &points[i]->step, sizeof(int64_t));
        memcpy(p + sizeof(int64_t), &points[i]->wall_time_s, sizeof(double));
        memcpy(p + sizeof(int64_t) + sizeof(double), &points[i]->value, sizeof(double));
    }
    memcpy(p, &sum->min_offset, sizeof(uint64_t));
    memcpy(p + sizeof(uint64_t), &sum->max_offset, sizeof(uint64_t));
}

void picks_decode(const unsigned char *in, int bytes, int64_t count, vz_m4_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    if (bytes != (int)PICKS_BYTES || count <= 0) return;
    vz_point *points[4] = {&sum->first, &sum->min, &sum->max, &sum->last};
    const unsigned char *p = in;
    for (int i = 0; i < 4; i++, p += POINT_BYTES) {
        memcpy(&points[i]->step, p, sizeof(int64_t));
        memcpy(&points[i]->wall_time_s, p + sizeof(int64_t), sizeof(double));
        memcpy(&points[i]->value, p + sizeof(int64_t) + sizeof(double), sizeof(double));
    }
    memcpy(&sum->min_offset, p, sizeof(uint64_t));
    memcpy(&sum->max_offset, p + sizeof(uint64_t), sizeof(uint64_t));
    sum->count = (uint64_t)count;
    sum->has_finite = !isnan(sum->min.value); /* a minimum is never NaN; without one it is the (NaN) first */
}

/* A hash of the step, not the step itself: block starts are often multiples of 1,024. One block in
 * 8^level starts a group, so groups hold about 8 entries of the level below. */
bool starts_group(int64_t first_step, int level)
{
    uint64_t x = (uint64_t)first_step + 0x9e3779b97f4a7c15u; /* splitmix64's finaliser */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    x ^= x >> 31;
    return (x & (((uint64_t)1 << (SUMMARY_FANOUT_BITS * level)) - 1)) == 0;
}
