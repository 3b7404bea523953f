/* deadline.c -- the head deadline (see deadline.h).
 *
 * The entries form one list under one mutex; the enforcing thread scans it every CHECK_INTERVAL_MS and
 * shuts down (shutdown(2), not close) the socket of each connection whose head is overdue. Shutting down
 * leaves the descriptor to its owner: libmicrohttpd's poll sees the socket end, and it closes the
 * connection itself, calling deadline_remove before it closes the descriptor. As removal takes the same
 * mutex, the scan never shuts down a descriptor that has been closed and reused. A scan of a few thousand
 * entries a few times a second costs nothing next to the connections themselves. */
#include "vizd/deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define CHECK_INTERVAL_MS 250

struct deadline_entry {
    int fd;
    bool is_waiting_for_head, is_cut;
    struct timespec since;
    deadline_entry *prev, *next;
};

struct deadline_watch {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool is_stopping;
    double limit_s;
    deadline_entry *entries;
};

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void *enforce(void *arg)
{
    deadline_watch *watch = arg;
    pthread_mutex_lock(&watch->lock);
    while (!watch->is_stopping) {
        struct timespec now, until;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (deadline_entry *e = watch->entries; e; e = e->next) {
            if (!e->is_waiting_for_head || e->is_cut || seconds_between(&e->since, &now) <= watch->limit_s) continue;
            shutdown(e->fd, SHUT_RDWR);
            e->is_cut = true;
        }
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CHECK_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (!watch->is_stopping && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&watch->wake, &watch->lock, &until);
    }
    pthread_mutex_unlock(&watch->lock);
    return NULL;
}

deadline_watch *deadline_start(double limit_s)
{
    deadline_watch *watch = calloc(1, sizeof *watch);
    if (!watch) return NULL;
    watch->limit_s = limit_s;
    pthread_mutex_init(&watch->lock, NULL);
    pthread_cond_init(&watch->wake, NULL);
    if (pthread_create(&watch->thread, NULL, enforce, watch) != 0) {
        pthread_mutex_destroy(&watch->lock);
        pthread_cond_destroy(&watch->wake);
        free(watch);
        return NULL;
    }
    return watch;
}

void deadline_stop(deadline_watch *watch)
{
    if (!watch) return;
    pthread_mutex_lock(&watch->lock);
    watch->is_stopping = true;
    pthread_cond_signal(&watch->wake);
    pthread_mutex_unlock(&watch->lock);
    pthread_join(watch->thread, NULL);
    pthread_mutex_destroy(&watch->lock);
    pthread_cond_destroy(&watch->wake);
    free(watch);
}

deadline_entry *deadline_add(deadline_watch *watch, int fd)
{
    deadline_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->fd = fd;
    e->is_waiting_for_head = true;
    clock_gettime(CLOCK_MONOTONIC, &e->since);
    pthread_mutex_lock(&watch->lock);
    e->next = watch->entries;
    if (watch->entries) watch->entries->prev = e;
    watch->entries = e;
    pthread_mutex_unlock(&watch->lock);
    return e;
}

void deadline_head_done(deadline_watch *watch, deadline_entry *entry)
{
    if (!entry) return;
    pthread_mutex_lock(&watch->lock);
    entry->is_waiting_for_head = false;
    pthread_mutex_unlock(&watch->lock);
}

void deadline_restart(deadline_watch *watch, deadline_entry *entry)
{
    if (!entry) return;
    pthread_mutex_lock(&watch->lock);
    entry->is_waiting_for_head = true;
    clock_gettime(CLOCK_MONOTONIC, &entry->since);
    pthread_mutex_unlock(&watch->lock);
}

void deadline_remove(deadline_watch *watch, deadline_entry *entry)
{
    if (!entry) return;
    pthread_mutex_lock(&watch->lock);
    if (entry->prev) entry->prev->next = entry->next;
    else watch->entries = entry->next;
    if (entry->next) entry->next->prev = entry->prev;
    pthread_mutex_unlock(&watch->lock);
    free(entry);
}
