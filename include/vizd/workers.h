/* workers.h -- a small pool of threads that run jobs handed to them, in the order they were handed.
 *
 * The HTTP layer runs the handlers of requests with a body here, so that libmicrohttpd's threads, which
 * answer every connection, never wait for a parse or a group commit (http.c says how). */
#ifndef VIZD_WORKERS_H
#define VIZD_WORKERS_H

#include <stddef.h>

#include "vizd/error.h"

typedef struct workers workers;
typedef void (*workers_job)(void *arg);

/* Start count threads; 500 naming what when they cannot be started. */
int workers_start(workers **out, size_t count, vz_error *err);
/* Queue job(arg); it runs on one of the threads. Returns -1 (job not queued) when out of memory. */
int workers_submit(workers *pool, workers_job job, void *arg);
/* Run every queued job, then stop the threads and free the pool. */
void workers_stop(workers *pool);

#endif
