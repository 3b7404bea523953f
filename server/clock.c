/* clock.c -- wall-clock time in seconds since the Unix epoch, with nanosecond resolution: the default
 * wall_time of a point and the created/updated times of runs; and monotonic nanoseconds for intervals. */
#include "vizd/clock.h"

#include <time.h>

double clock_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
