/* clock.c -- wall-clock time in seconds since the Unix epoch, with nanosecond resolution: the default
 * wall_time of a point and the created/updated times of runs. */
#include "vizd/clock.h"

#include <time.h>

double clock_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
