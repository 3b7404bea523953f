/* clock.h -- wall-clock time as the API counts it (float seconds since the Unix epoch), and a clock
 * for measuring intervals that no change of the date moves. */
#ifndef VIZD_CLOCK_H
#define VIZD_CLOCK_H

#include <stdint.h>

double clock_now_s(void);
int64_t clock_monotonic_ns(void);

#endif
