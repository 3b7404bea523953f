/* copy.h -- copy every run of one store into another (`vizd --db SOURCE --copy-to TARGET`). */
#ifndef VIZD_COPY_H
#define VIZD_COPY_H

#include "vizd/error.h"
#include "vizd/store.h"

/* Write everything from holds into to, run by run, printing a progress line on stderr. Runs present in to
 * already are written over step by step as any write would. */
int copy_store(vz_store *from, vz_store *to, vz_error *err);

#endif
