/* clock.h -- wall-clock time as the API counts it: float seconds since the Unix epoch. */
#ifndef VIZD_CLOCK_H
#define VIZD_CLOCK_H

double clock_now_s(void);

#endif
