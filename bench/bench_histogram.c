/* bench_histogram.c -- how long binning a 1,000,000-value tensor takes (issue 3: well under 100 ms).
 *
 * Build and run from the repository root:
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude bench/bench_histogram.c server/histogram.c server/error.c \
 *      -o build/bench_histogram -lm -lpthread && ./build/bench_histogram
 *
 * The values are standard normal, from a fixed seed, so every run bins the same tensor. Each figure is
 * the best and the median of several runs: the best shows what the code costs, the median how steady
 * it is. */
#include "vizd/histogram.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define VALUE_COUNT 1000000
#define RUNS 21

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

/* xorshift64*, uniform in (0, 1) */
static double uniform_open(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((double)((rng_state * 2685821657736338717u) >> 11) + 0.5) / 9007199254740992.0;
}

/* Box-Muller */
static double standard_normal(void)
{
    return sqrt(-2.0 * log(uniform_open())) * cos(2.0 * M_PI * uniform_open());
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int time_binning(const double *values, int bins, const char *label)
{
    double times[RUNS];
    size_t bucket_count = 0;
    for (int r = 0; r < RUNS; r++) {
        vz_histogram h;
        vz_error err;
        double start = now_ms();
        if (hist_from_values(values, VALUE_COUNT, bins, &h, &err) < 0) {
            fprintf(stderr, "bench_histogram: %s\n", err.message);
            return -1;
        }
        times[r] = now_ms() - start;
        bucket_count = h.bucket_count;
        hist_free(&h);
    }
    qsort(times, RUNS, sizeof times[0], by_value);
    printf("hist_from_values, %d normal values, %-13s %6.2f ms best, %6.2f ms median (%zu buckets)\n",
           VALUE_COUNT, label, times[0], times[RUNS / 2], bucket_count);
    return 0;
}

int main(void)
{
    double *values = malloc(VALUE_COUNT * sizeof *values);
    if (!values) return 1;
    for (size_t i = 0; i < VALUE_COUNT; i++) values[i] = standard_normal();
    int rc = time_binning(values, 0, "default edges:") | time_binning(values, 30, "bins=30:");
    free(values);
    return rc ? 1 : 0;
}
