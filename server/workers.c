/* workers.c -- a pool of threads running queued jobs first in, first out (see workers.h).
 *
 * One mutex guards a linked queue; idle threads wait on a condition variable. Jobs are few per second
 * and each takes from microseconds (a one-point write) to seconds (a 64 MiB body), so nothing finer is
 * needed. */
#include "vizd/workers.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct queued_job {
    workers_job run;
    void *arg;
    struct queued_job *next;
} queued_job;

struct workers {
    pthread_mutex_t lock;
    pthread_cond_t has_job;
    queued_job *head, *tail;
    bool is_stopping;
    size_t count;
    pthread_t threads[];
};

static void *worker_main(void *arg)
{
    workers *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->head && !pool->is_stopping) pthread_cond_wait(&pool->has_job, &pool->lock);
        queued_job *job = pool->head;
        if (!job) break; /* stopping, and the queue is empty */
        pool->head = job->next;
        if (!pool->head) pool->tail = NULL;
        pthread_mutex_unlock(&pool->lock);
        job->run(job->arg);
        free(job);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

int workers_start(workers **out, size_t count, vz_error *err)
{
    workers *pool = calloc(1, sizeof *pool + count * sizeof(pthread_t));
    if (!pool) return vz_out_of_memory(err, "the worker threads");
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->has_job, NULL);
    for (; pool->count < count; pool->count++) {
        if (pthread_create(&pool->threads[pool->count], NULL, worker_main, pool) != 0) {
            workers_stop(pool);
            return vz_fail(err, 500, "internal", "", "cannot start %zu worker threads", count);
        }
    }
    *out = pool;
    return 0;
}

int workers_submit(workers *pool, workers_job run, void *arg)
{
    queued_job *job = malloc(sizeof *job);
    if (!job) return -1;
    *job = (queued_job){run, arg, NULL};
    pthread_mutex_lock(&pool->lock);
    if (pool->tail) pool->tail->next = job;
    else pool->head = job;
    pool->tail = job;
    pthread_cond_signal(&pool->has_job);
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

void workers_stop(workers *pool)
{
    if (!pool) return;
    pthread_mutex_lock(&pool->lock);
    pool->is_stopping = true;
    pthread_cond_broadcast(&pool->has_job);
    pthread_mutex_unlock(&pool->lock);
    for (size_t i = 0; i < pool->count; i++) pthread_join(pool->threads[i], NULL);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->has_job);
    free(pool);
}
