/* downsample.c -- M4 reduction of a scalar series for display.
 *
 * A chart N pixels wide needs, per pixel column, only the first, last, minimum and maximum point of the
 * steps that fall in it (Jugel et al., "M4: A Visualization-Oriented Time Series Data Aggregation",
 * PVLDB 2014): drawing those gives the same picture as drawing everything, and no spike is lost. We split
 * [start, end] into N equal step buckets and keep those four points of each, in step order, each point
 * once. The reducer is fed one point at a time straight from the stored blocks, so a million points are
 * reduced without being copied; a point only compares its step with the next bucket's first step, and
 * the 128-bit division that places a step in a bucket runs once per bucket, not once per point. NaN is
 * never a minimum or maximum (it compares false with everything), but stays visible as a bucket's first
 * or last point.
 *
 * A reducer can also take a summary of many consecutive points that fall in one bucket (their first,
 * last, minimum and maximum with their offsets, and their count; see vz_m4_summary): the store keeps one
 * per block and per group of blocks, so a long series is reduced from a few summaries per bucket and the
 * raw points of the blocks that straddle a bucket's border. Adding a summary gives each of its picks the
 * arrival number it would have had point by point, so the result is the same, to the bit. */
#include "vizd/downsample.h"

#include <math.h>
#include <stdint.h>

static __int128 span_of(const m4_reducer *m) { return (__int128)m->end - m->start + 1; }

static size_t bucket_of(const m4_reducer *m, int64_t step)
{
    return (size_t)(((__int128)step - m->start) * (__int128)m->buckets / span_of(m));
}

/* The smallest step whose bucket is at least b: start + ceil(b * span / buckets). */
static __int128 first_step_of_bucket(const m4_reducer *m, size_t b)
{
    __int128 numerator = (__int128)b * span_of(m);
    return (__int128)m->start + (numerator + (__int128)m->buckets - 1) / (__int128)m->buckets;
}

void m4_init(m4_reducer *m, int64_t start, int64_t end, size_t buckets, vz_point *out)
{
    *m = (m4_reducer){.start = start, .end = end, .buckets = buckets ? buckets : 1, .out = out};
}

static void emit_open_bucket(m4_reducer *m)
{
    const vz_point *picks[4] = {&m->first, &m->min, &m->max, &m->last};
    uint64_t seqs[4] = {m->first_seq, m->min_seq, m->max_seq, m->last_seq};
    for (int i = 1; i < 4; i++) /* order the four picks by arrival, i.e. by step */
        for (int j = i; j > 0 && seqs[j - 1] > seqs[j]; j--) {
            uint64_t s = seqs[j];
            seqs[j] = seqs[j - 1];
            seqs[j - 1] = s;
            const vz_point *p = picks[j];
            picks[j] = picks[j - 1];
            picks[j - 1] = p;
        }
    for (int i = 0; i < 4; i++)
        if (i == 0 || seqs[i] != seqs[i - 1]) m->out[m->written++] = *picks[i];
    m->is_open = false;
}

static void open_bucket(m4_reducer *m, const vz_point *p)
{
    m->bucket = bucket_of(m, p->step);
    /* Steps are int64, so the open bucket's last step always fits one: comparisons stay 64-bit. */
    m->bucket_end_step = (int64_t)(first_step_of_bucket(m, m->bucket + 1) - 1);
    m->first = m->min = m->max = m->last = *p;
    m->first_seq = m->min_seq = m->max_seq = m->last_seq = m->seq;
    m->has_finite = !isnan(p->value);
    m->is_open = true;
}

void m4_add(m4_reducer *m, int64_t step, double wall_time_s, double value)
{
    vz_point p = {step, wall_time_s, value};
    m->seq++;
    if (m->is_open && step > m->bucket_end_step) emit_open_bucket(m);
    if (!m->is_open) {
        open_bucket(m, &p);
        return;
    }
    m->last = p;
    m->last_seq = m->seq;
    if (isnan(value)) return;
    if (!m->has_finite) {
        m->min = m->max = p;
        m->min_seq = m->max_seq = m->seq;
        m->has_finite = true;
    } else if (value < m->min.value) {
        m->min = p;
        m->min_seq = m->seq;
    } else if (value > m->max.value) {
        m->max = p;
        m->max_seq = m->seq;
    }
}

void m4_add_columns(m4_reducer *m, const int64_t *steps, const double *wall_times_s, const double *values,
                    size_t count)
{
    size_t i = 0;
    while (i < count) {
        if (!m->is_open || steps[i] > m->bucket_end_step) {
            m4_add(m, steps[i], wall_times_s[i], values[i]);
            i++;
            continue;
        }
        /* The run of points inside the open bucket: only indices are tracked in the loop, and the points
         * that end up first/min/max/last are copied once the run ends. */
        size_t end = i;
        while (end < count && steps[end] <= m->bucket_end_step) end++;
        size_t min_i = SIZE_MAX, max_i = SIZE_MAX;
        double min = m->has_finite ? m->min.value : NAN, max = m->has_finite ? m->max.value : NAN;
        for (size_t k = i; k < end; k++) {
            double v = values[k];
            if (isnan(v)) continue;
            if (isnan(min) || v < min) {
                min = v;
                min_i = k;
            }
            if (isnan(max) || v > max) {
                max = v;
                max_i = k;
            }
        }
        uint64_t base_seq = m->seq;
        if (min_i != SIZE_MAX) {
            m->min = (vz_point){steps[min_i], wall_times_s[min_i], values[min_i]};
            m->min_seq = base_seq + 1 + (min_i - i);
        }
        if (max_i != SIZE_MAX) {
            m->max = (vz_point){steps[max_i], wall_times_s[max_i], values[max_i]};
            m->max_seq = base_seq + 1 + (max_i - i);
        }
        if (min_i != SIZE_MAX || max_i != SIZE_MAX) m->has_finite = true;
        m->last = (vz_point){steps[end - 1], wall_times_s[end - 1], values[end - 1]};
        m->seq = base_seq + (end - i);
        m->last_seq = m->seq;
        i = end;
    }
}

int64_t m4_bucket_last_step(const m4_reducer *m, int64_t step)
{
    return (int64_t)(first_step_of_bucket(m, bucket_of(m, step) + 1) - 1);
}

void m4_add_summary(m4_reducer *m, const vz_m4_summary *s)
{
    if (s->count == 0) return;
    if (m->is_open && s->first.step > m->bucket_end_step) emit_open_bucket(m);
    uint64_t base = m->seq; /* the arrival number of the point before s's first */
    m->seq = base + 1;
    if (!m->is_open) open_bucket(m, &s->first);
    /* Strict comparisons, as point by point: an equal extreme seen earlier stays. */
    if (s->has_finite) {
        if (!m->has_finite || s->min.value < m->min.value) {
            m->min = s->min;
            m->min_seq = base + 1 + s->min_offset;
        }
        if (!m->has_finite || s->max.value > m->max.value) {
            m->max = s->max;
            m->max_seq = base + 1 + s->max_offset;
        }
        m->has_finite = true;
    }
    m->last = s->last;
    m->seq = m->last_seq = base + s->count;
}

void m4_summarise(const int64_t *steps, const double *wall_times_s, const double *values, size_t count,
                  vz_m4_summary *out)
{
    size_t min_i = SIZE_MAX, max_i = SIZE_MAX;
    for (size_t i = 0; i < count; i++) {
        double v = values[i];
        if (isnan(v)) continue;
        if (min_i == SIZE_MAX || v < values[min_i]) min_i = i;
        if (max_i == SIZE_MAX || v > values[max_i]) max_i = i;
    }
    bool has_finite = min_i != SIZE_MAX;
    if (!has_finite) min_i = max_i = 0;
    size_t last = count - 1;
    *out = (vz_m4_summary){
        .first = {steps[0], wall_times_s[0], values[0]},
        .min = {steps[min_i], wall_times_s[min_i], values[min_i]},
        .max = {steps[max_i], wall_times_s[max_i], values[max_i]},
        .last = {steps[last], wall_times_s[last], values[last]},
        .count = count,
        .min_offset = min_i,
        .max_offset = max_i,
        .has_finite = has_finite,
    };
}

void m4_summary_append(vz_m4_summary *acc, const vz_m4_summary *next)
{
    if (next->count == 0) return;
    if (acc->count == 0) {
        *acc = *next;
        return;
    }
    if (next->has_finite) {
        if (!acc->has_finite || next->min.value < acc->min.value) {
            acc->min = next->min;
            acc->min_offset = acc->count + next->min_offset;
        }
        if (!acc->has_finite || next->max.value > acc->max.value) {
            acc->max = next->max;
            acc->max_offset = acc->count + next->max_offset;
        }
        acc->has_finite = true;
    }
    acc->last = next->last;
    acc->count += next->count;
}

size_t m4_finish(m4_reducer *m)
{
    if (m->is_open) emit_open_bucket(m);
    return m->written;
}

size_t m4_reduce(const vz_point *points, size_t count, int64_t start, int64_t end, size_t buckets,
                 vz_point *out)
{
    m4_reducer m;
    m4_init(&m, start, end, buckets, out);
    for (size_t i = 0; i < count; i++) m4_add(&m, points[i].step, points[i].wall_time_s, points[i].value);
    return m4_finish(&m);
}
