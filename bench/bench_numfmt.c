/* bench_numfmt.c -- CPU time per number: numfmt_double against the formatting it replaced (%.15g, strtod
 * to check, %.17g when 15 digits do not read back), on the values a training loop logs.
 *
 *     make build/bench_numfmt && ./build/bench_numfmt
 *
 * Three sets of 2,000,000 values: float32 losses widened to double (17 digits as doubles), wall times
 * with microseconds, and short decimals (0.001 * k). CPU time of this thread (CLOCK_THREAD_CPUTIME_ID),
 * best of 3, so a busy machine stretches the figures less than wall-clock time would. Prints one line per
 * set. Not a test: it asserts nothing, it measures. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vizd/numfmt.h"

#define COUNT 2000000

static int old_format(char *out, size_t size, double v)
{
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v && !(v == 0 && signbit(v)))
        return snprintf(out, size, "%lld", (long long)v);
    int n = snprintf(out, size, "%.15g", v);
    if (strtod(out, NULL) == v) return n;
    return snprintf(out, size, "%.17g", v);
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile size_t sink;

static double best_ns_per_value(const double *values, int use_numfmt)
{
    double best = INFINITY;
    for (int repeat = 0; repeat < 3; repeat++) {
        char text[NUMFMT_MAX_BYTES];
        size_t bytes = 0;
        double start = cpu_seconds();
        for (int i = 0; i < COUNT; i++)
            bytes += use_numfmt ? numfmt_double(text, values[i]) : (size_t)old_format(text, sizeof text, values[i]);
        double ns = (cpu_seconds() - start) * 1e9 / COUNT;
        sink += bytes;
        if (ns < best) best = ns;
    }
    return best;
}

int main(void)
{
    double *values = malloc(COUNT * sizeof *values);
    if (!values) return 1;
    uint64_t x = 88172645463325252u;
    const char *names[] = {"float32 losses widened to double", "wall times with microseconds", "short decimals (0.001 k)"};
    for (int set = 0; set < 3; set++) {
        for (int i = 0; i < COUNT; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (set == 0) values[i] = (double)(float)(2.0 / (1 + i * 1e-4) + (double)(x % 1000000) * 1e-7);
            else if (set == 1) values[i] = 1764000000.0 + i * 0.1 + (double)(x % 1000000) * 1e-6;
            else values[i] = (double)(x % 100000) * 0.001;
        }
        double old_ns = best_ns_per_value(values, 0), new_ns = best_ns_per_value(values, 1);
        printf("%-34s %%.15g/strtod/%%.17g %6.0f ns, numfmt %5.0f ns per value: %.1fx\n", names[set], old_ns, new_ns,
               old_ns / new_ns);
    }
    free(values);
    return 0;
}
