/* check_numfmt.c -- judges numfmt_double on hundreds of millions of doubles against glibc's printf and
 * strtod (tests/unit/numfmt_oracle.h: reads back bit for bit as "%.17g" does, no shorter decimal reads
 * back, the closest of its length, a JSON number).
 *
 *     make check-numfmt [NUMFMT_COUNT=300000000] [NUMFMT_THREADS=2] [NUMFMT_SEED=1]
 *     build/check_numfmt COUNT THREADS SEED
 *
 * Half of the values are random bit patterns (every exponent, subnormals, both signs equally likely);
 * the other half random "nice" values, which take the method's other paths: short decimals as people
 * and optimisers write them, float32 values widened to double, wall times in seconds, whole numbers
 * around 2^53. Infinities and NaNs are skipped (vizd never formats them with numfmt). Prints the count,
 * the time and the first failures; exits 1 on any failure. Not a test: it takes minutes. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "numfmt_oracle.h"
#include "vizd/numfmt.h"

typedef struct {
    uint64_t seed;
    uint64_t count;
    uint64_t checked, failed;
} worker;

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x * 0x2545F4914F6CDD1Du;
}

static double nice_value(uint64_t r, uint64_t r2)
{
    double v;
    switch (r % 5) {
    case 0: { /* 1 to 17 significant digits, exponent anywhere */
        char text[48];
        unsigned digits = 1 + (unsigned)(r2 % 17);
        uint64_t limit = 1;
        for (unsigned i = 0; i < digits; i++) limit *= 10;
        snprintf(text, sizeof text, "%llue%d", (unsigned long long)((r2 >> 8) % limit), (int)((r >> 8) % 640) - 340);
        v = strtod(text, NULL);
        break;
    }
    case 1: { /* float32 bit patterns, widened */
        uint32_t bits = (uint32_t)(r2 >> 32);
        float f;
        memcpy(&f, &bits, sizeof f);
        v = (double)f;
        break;
    }
    case 2: v = 1.5e9 + (double)(r2 % 500000000000000u) * 1e-6; break; /* wall times, microseconds */
    case 3: v = (double)((int64_t)(r2 >> 8) % ((int64_t)1 << 55)) * ((r & 256) ? 1 : -1); break;
    default: v = (double)(r2 % 1000000) / (double)(1 + (r >> 8) % 100000); break; /* ratios */
    }
    return v;
}

static void *check(void *arg)
{
    worker *w = arg;
    uint64_t x = w->seed;
    char text[NUMFMT_MAX_BYTES], why[256];
    for (uint64_t i = 0; i < w->count; i++) {
        uint64_t r = next_random(&x);
        double v;
        if (i & 1) {
            v = nice_value(r, next_random(&x));
        } else {
            memcpy(&v, &r, sizeof v);
        }
        if (!isfinite(v)) continue;
        numfmt_double(text, v);
        w->checked++;
        const char *wrong = oracle_judge(v, text, why, sizeof why);
        if (wrong) {
            pthread_mutex_lock(&report_lock);
            if (w->failed < 20) fprintf(stderr, "FAIL %s\n", wrong);
            pthread_mutex_unlock(&report_lock);
            w->failed++;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 300000000u;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (threads < 1 || threads > 64) threads = 2;
    worker w[64];
    pthread_t t[64];
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){.seed = (seed * 0x9E3779B97F4A7C15u) ^ (uint64_t)(i + 1) * 0xD1B54A32D192ED03u,
                        .count = count / (uint64_t)threads + (i < (int)(count % (uint64_t)threads))};
        pthread_create(&t[i], NULL, check, &w[i]);
    }
    uint64_t checked = 0, failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        checked += w[i].checked;
        failed += w[i].failed;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) * 1e-9;
    printf("check_numfmt: %llu finite values of %llu drawn (seed %llu, %d threads), %llu failures, %.1f s\n",
           (unsigned long long)checked, (unsigned long long)count, (unsigned long long)seed, threads,
           (unsigned long long)failed, seconds);
    return failed ? 1 : 0;
}
