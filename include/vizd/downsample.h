/* downsample.h -- M4 reduction of a scalar series for display. */
#ifndef VIZD_DOWNSAMPLE_H
#define VIZD_DOWNSAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/store.h"

/* An incremental reducer: feed points in step order with m4_add, then m4_finish. */
typedef struct {
    int64_t start, end;
    size_t buckets;
    vz_point *out;
    size_t written;
    bool is_open;              /* a bucket has points */
    size_t bucket;
    int64_t bucket_end_step;   /* last step of the open bucket (the next bucket starts after it) */
    vz_point first, min, max, last;
    uint64_t first_seq, min_seq, max_seq, last_seq, seq;
    bool has_finite;
} m4_reducer;

/* out must have room for 4 * buckets points (or for as many points as will be added, if fewer). */
void m4_init(m4_reducer *m, int64_t start, int64_t end, size_t buckets, vz_point *out);
void m4_add(m4_reducer *m, int64_t step, double wall_time_s, double value);
/* The same for many points at once (sorted by step, continuing any added before): the fast path. */
void m4_add_columns(m4_reducer *m, const int64_t *steps, const double *wall_times_s, const double *values,
                    size_t count);
/* The last step of the bucket that step (within [start, end]) falls in. */
int64_t m4_bucket_last_step(const m4_reducer *m, int64_t step);
/* Add a summary of points that all fall in one bucket and follow every point added before: the same as
 * adding those points one by one. */
void m4_add_summary(m4_reducer *m, const vz_m4_summary *summary);
/* Close the last bucket; returns how many points were written to out. */
size_t m4_finish(m4_reducer *m);

/* The same over an array (sorted by step, all within [start, end]). out may be points itself: the
 * reducer never writes past what it has read. */
size_t m4_reduce(const vz_point *points, size_t count, int64_t start, int64_t end, size_t buckets,
                 vz_point *out);

/* The summary of count (>= 1) consecutive points, sorted by step. */
void m4_summarise(const int64_t *steps, const double *wall_times_s, const double *values, size_t count,
                  vz_m4_summary *out);
/* Extend acc by next, whose points all follow acc's (acc may be empty: count 0). */
void m4_summary_append(vz_m4_summary *acc, const vz_m4_summary *next);

#endif
