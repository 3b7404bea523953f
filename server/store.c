/* store.c -- the store's front: the writer thread with its queue and group commit, and the reads, on
 * whichever backend the --db string names (store_backend.h). No SQL here: store_sqlite*.c speak SQLite's,
 * store_pg*.c PostgreSQL's.
 *
 * Handlers hand the writer a parsed, validated write and wait (store_write) or are called back
 * (store_write_async); the writer takes every write queued at that moment, applies them within one
 * transaction of the backend (group commit: one fsync for many requests; should one fail, the group is
 * applied again with a savepoint each, so it rolls back alone), commits, and only then answers them. So an
 * answer is sent only for data that is durable. A large write (see job_is_large) gets a transaction of its
 * own, after the small ones queued with it. When the queue has been idle a moment, the backend does its
 * deferred work (SQLite: folding tails, checkpointing the WAL).
 *
 * Reads go straight to the backend, on the caller's thread. What needs no database is done here once for
 * every backend: the metric tags of the HParams summaries (read from the runs' hparams), collecting the
 * points of a scan. */
#include "vizd/store.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vizd/block.h"
#include "vizd/clock.h"
#include "vizd/store_backend.h"
#include "vizd/store_pg.h"

#define MAX_GROUP_WRITES 512
#define IDLE_CHECKPOINT_MS 250 /* how long the queue stays empty before the backend's idle work */

typedef enum { JOB_WRITE, JOB_DELETE_RUN } job_kind;

typedef struct store_job {
    job_kind kind;
    vz_write *write;
    const char *run;
    int rc;
    vz_error err;
    bool done;
    store_done_fn on_done; /* set: an asynchronous job (store_write_async), freed once on_done has run */
    void *done_ctx;
    bool is_large; /* see job_is_large */
    bool was_passed_over; /* a group of small jobs went first once: this large one goes next */
    struct store_job *next;
} store_job;

struct vz_store {
    const store_backend *backend;
    store_backend_state *state;
    pthread_t writer_thread;
    pthread_mutex_t lock;
    pthread_cond_t job_ready, job_done;
    store_job *queue_head, *queue_tail;
    atomic_bool has_queued; /* queue_head != NULL, readable without the lock (see watch_for_job) */
    bool stopping;
    store_commit_hook hook;
    void *hook_ctx;
};

static void *writer_main(void *arg);

/* The backend a --db string names. */
static const store_backend *backend_for(const char *target)
{
    return store_pg_is_conninfo(target) ? &store_pg_backend : &store_sqlite_backend;
}

int store_open(vz_store **out, const char *target, vz_error *err)
{
    vz_store *s = calloc(1, sizeof *s);
    if (!s) return vz_out_of_memory(err, "opening the store");
    s->backend = backend_for(target);
    if (s->backend->open(target, &s->state, err) < 0) {
        free(s);
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->job_ready, NULL);
    pthread_cond_init(&s->job_done, NULL);
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        s->backend->close(s->state);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->job_ready);
        pthread_cond_destroy(&s->job_done);
        free(s);
        return vz_fail(err, 500, "internal", "", "cannot start the writer thread");
    }
    *out = s;
    return 0;
}

void store_close(vz_store *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->job_ready);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->writer_thread, NULL);
    s->backend->close(s->state);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->job_ready);
    pthread_cond_destroy(&s->job_done);
    free(s);
}

void store_set_commit_hook(vz_store *s, store_commit_hook hook, void *ctx)
{
    s->hook = hook;
    s->hook_ctx = ctx;
}

int store_listen(vz_store *s, store_remote_fn remote, void *ctx, vz_error *err)
{
    return s->backend->listen ? s->backend->listen(s->state, remote, ctx, err) : 0;
}

/* ---- the writer thread and group commit -------------------------------------------------------- */

static int apply_job(vz_store *s, store_job *job)
{
    if (job->kind == JOB_WRITE) return s->backend->apply_write(s->state, job->write, clock_now_s(), &job->err);
    return s->backend->delete_run(s->state, job->run, &job->err);
}

/* A statement around the requests (BEGIN, SAVEPOINT, ROLLBACK TO, RELEASE, COMMIT) failed, or an I/O
 * error rolled the transaction back under us: what the transaction holds is then unknown, so none of it
 * is committed. Every job not already refused on its own fails with that error; a job refused for its
 * own reason (a 400 naming its field) keeps that answer. */
static void fail_group(vz_store *s, store_job *jobs, const vz_error *err)
{
    s->backend->rollback(s->state);
    for (store_job *job = jobs; job; job = job->next) {
        if (job->rc < 0) continue;
        job->rc = -1;
        job->err = *err;
    }
}

/* Begin the group's transaction, telling the backend what the group will write and delete. */
static int begin_group(vz_store *s, store_job *jobs, vz_error *err)
{
    vz_write *writes[MAX_GROUP_WRITES];
    const char *deleted[MAX_GROUP_WRITES];
    size_t write_count = 0, deleted_count = 0;
    for (store_job *job = jobs; job; job = job->next) { /* a group holds MAX_GROUP_WRITES jobs at most */
        if (job->kind == JOB_WRITE) writes[write_count++] = job->write;
        else deleted[deleted_count++] = job->run;
    }
    return s->backend->begin(s->state, writes, write_count, deleted, deleted_count, err);
}

/* Apply a group of jobs in one transaction. With savepoints, each job runs in a SAVEPOINT of its own, so a
 * failing job is undone alone. Without, a failing job rolls the whole transaction back (nothing of it is
 * committed, and every job's rc is reset) and -1 asks for the group to be applied again with them. */
static int apply_group(vz_store *s, store_job *jobs, bool has_savepoints)
{
    const store_backend *be = s->backend;
    store_backend_state *b = s->state;
    vz_error group_err;
    if (begin_group(s, jobs, &group_err) < 0) {
        fail_group(s, jobs, &group_err);
        return 0;
    }
    for (store_job *job = jobs; job; job = job->next) {
        if (has_savepoints && be->savepoint(b, &group_err) < 0) {
            fail_group(s, jobs, &group_err);
            return 0;
        }
        job->rc = apply_job(s, job);
        if (job->rc < 0 && !has_savepoints) {
            be->rollback(b);
            for (store_job *each = jobs; each; each = each->next) each->rc = 0;
            return -1;
        }
        if (has_savepoints &&
            ((job->rc < 0 && be->rollback_to(b, &group_err) < 0) || be->release(b, &group_err) < 0)) {
            fail_group(s, jobs, &group_err);
            return 0;
        }
        if (be->is_transaction_lost(b)) { /* an I/O error rolled back the whole transaction */
            vz_fail(&group_err, 500, "internal", "", "the transaction was rolled back by the database");
            fail_group(s, jobs, &group_err);
            return 0;
        }
    }
    if (be->commit(b, &group_err) < 0) {
        fail_group(s, jobs, &group_err);
        return 0;
    }
    if (!s->hook) return 0;
    for (store_job *job = jobs; job; job = job->next)
        if (job->rc == 0 && job->kind == JOB_WRITE) s->hook(s->hook_ctx, job->write);
    return 0;
}

/* Commit a group of jobs, each succeeding or failing on its own. Nearly every group fails nowhere, so it is
 * first applied without a SAVEPOINT per job (they were a quarter of the cost of a one-point write); only
 * when a job fails is it applied again, from scratch, with them. A write's assigned steps are recomputed
 * then, from the rolled-back series, so they come out the same. */
static void commit_group(vz_store *s, store_job *jobs)
{
    if (apply_group(s, jobs, false) < 0) apply_group(s, jobs, true);
}

/* Wait for a job at most ms milliseconds (lock held); returns ETIMEDOUT when none came. */
static int wait_for_job(vz_store *s, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    int rc = 0;
    while (!s->queue_head && !s->stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->job_ready, &s->lock, &until);
    return s->queue_head || s->stopping ? 0 : rc;
}

/* A write this heavy is applied in a transaction of its own, after the small ones queued with it: a
 * one-point write must not wait in a group for a big neighbour's thousands of series or megabytes of
 * blobs, nor fail with it should its transaction fail. */
#define LARGE_JOB_POINTS 20000
#define LARGE_JOB_ITEMS 1000
#define LARGE_JOB_BYTES (1024 * 1024)

static bool job_is_large(const store_job *job)
{
    if (job->kind != JOB_WRITE) return false;
    const vz_write *w = job->write;
    size_t points = 0, bytes = w->graph_json ? strlen(w->graph_json) : 0;
    for (size_t i = 0; i < w->scalar_count; i++) points += w->scalars[i].count;
    for (size_t i = 0; i < w->media_count; i++) bytes += w->media[i].size + (w->media[i].text ? strlen(w->media[i].text) : 0);
    return points > LARGE_JOB_POINTS || w->scalar_count + w->histogram_count + w->media_count > LARGE_JOB_ITEMS ||
           bytes > LARGE_JOB_BYTES;
}

/* Take the next group off the queue (lock held, queue not empty): every small job queued, in order, up to
 * MAX_GROUP_WRITES; or, when only large ones wait, the first of them alone. A large job is passed over
 * once at most, so a steady stream of small writes cannot starve it. The jobs left keep their order. */
static store_job *take_group(vz_store *s)
{
    store_job *group = NULL, **group_end = &group, **link = &s->queue_head;
    int n = 0;
    bool is_large_due = s->queue_head->is_large && s->queue_head->was_passed_over;
    while (*link && n < MAX_GROUP_WRITES && !is_large_due) {
        store_job *job = *link;
        if (job->is_large) {
            job->was_passed_over = true;
            link = &job->next;
            continue;
        }
        *link = job->next; /* unlink, append to the group */
        job->next = NULL;
        *group_end = job;
        group_end = &job->next;
        n++;
    }
    if (!group) { /* only large jobs wait, or the first one is due: it goes alone */
        group = s->queue_head;
        s->queue_head = group->next;
        group->next = NULL;
    }
    s->queue_tail = NULL;
    for (store_job *job = s->queue_head; job; job = job->next) s->queue_tail = job;
    atomic_store_explicit(&s->has_queued, s->queue_head != NULL, memory_order_release);
    return group;
}

/* After a group commit the writer watches the queue this long before it sleeps. A writer asleep must be
 * woken, and on a virtual machine whose idle cores halt, that wake-up costs more than the commit: with
 * four connections each waiting for its answer before it sends the next point, it set the pace
 * (bench/RESULTS.md, "Watching for the next write"). The watch ends as soon as a job comes, gives way to
 * any other thread that wants the core, and follows only a commit, so an idle vizd never spins. */
#define WATCH_FOR_JOB_NS 100000L

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Called without the lock; returns when a job is queued or the watch is over. */
static void watch_for_job(vz_store *s)
{
    int64_t until = clock_monotonic_ns() + WATCH_FOR_JOB_NS;
    do {
        for (int i = 0; i < 64; i++) {
            if (atomic_load_explicit(&s->has_queued, memory_order_acquire)) return;
            cpu_relax();
        }
        sched_yield(); /* a thread that shares this core (an HTTP thread, a client) goes first */
    } while (clock_monotonic_ns() < until);
}

static void *writer_main(void *arg)
{
    vz_store *s = arg;
    bool has_idle_work = false, is_due = false, has_committed = false;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->queue_head && !s->stopping) {
            if (has_committed) {
                has_committed = false;
                pthread_mutex_unlock(&s->lock);
                watch_for_job(s);
                pthread_mutex_lock(&s->lock);
                continue;
            }
            if (!has_idle_work) {
                pthread_cond_wait(&s->job_ready, &s->lock);
                continue;
            }
            if (wait_for_job(s, is_due ? 0 : IDLE_CHECKPOINT_MS) == ETIMEDOUT) {
                pthread_mutex_unlock(&s->lock);
                has_idle_work = s->backend->idle_work(s->state, &is_due);
                pthread_mutex_lock(&s->lock);
            }
        }
        if (!s->queue_head) break; /* stopping, and every queued job is done */
        has_idle_work = s->backend->idle_work != NULL;
        is_due = false; /* the rest of a long idle task waits for the next idle moment */
        store_job *group = take_group(s);
        pthread_mutex_unlock(&s->lock);
        commit_group(s, group);
        has_committed = true;
        /* Asynchronous jobs are answered here, outside the lock; the waiting ones are woken below. */
        store_job *waiting = NULL, **waiting_end = &waiting;
        for (store_job *job = group, *next; job; job = next) {
            next = job->next;
            if (job->on_done) {
                job->on_done(job->done_ctx, job->rc, &job->err);
                free(job);
                continue;
            }
            job->next = NULL;
            *waiting_end = job;
            waiting_end = &job->next;
        }
        pthread_mutex_lock(&s->lock);
        if (!waiting) continue;
        for (store_job *job = waiting; job; job = job->next) job->done = true;
        pthread_cond_broadcast(&s->job_done);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Queue n jobs at once, so the writer takes them into one group commit (when n <= MAX_GROUP_WRITES), and
 * wait for all of them. */
/* Append a job to the queue (lock held) and wake the writer. has_queued is set here, where the queue
 * gains a job, and in take_group, where it loses them: the only two places it changes. */
static void enqueue_locked(vz_store *s, store_job *job)
{
    if (s->queue_tail) s->queue_tail->next = job;
    else s->queue_head = job;
    s->queue_tail = job;
    atomic_store_explicit(&s->has_queued, true, memory_order_release);
    pthread_cond_signal(&s->job_ready);
}

static void run_jobs(vz_store *s, store_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) jobs[i].is_large = job_is_large(&jobs[i]); /* weighed before locking */
    pthread_mutex_lock(&s->lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->lock);
        for (size_t i = 0; i < n; i++) {
            jobs[i].rc = vz_fail(&jobs[i].err, 503, "shutting_down", "", "vizd is shutting down");
        }
        return;
    }
    for (size_t i = 0; i < n; i++) enqueue_locked(s, &jobs[i]);
    for (size_t i = 0; i < n; i++)
        while (!jobs[i].done) pthread_cond_wait(&s->job_done, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

static int run_job(vz_store *s, store_job *job, vz_error *err)
{
    run_jobs(s, job, 1);
    if (job->rc < 0 && err) *err = job->err;
    return job->rc;
}

int store_write(vz_store *s, vz_write *write, vz_error *err)
{
    store_job job = {.kind = JOB_WRITE, .write = write};
    return run_job(s, &job, err);
}

int store_write_async(vz_store *s, vz_write *write, store_done_fn done, void *ctx, vz_error *err)
{
    store_job *job = calloc(1, sizeof *job);
    if (!job) return vz_out_of_memory(err, "the write");
    *job = (store_job){.kind = JOB_WRITE, .write = write, .on_done = done, .done_ctx = ctx};
    job->is_large = job_is_large(job);
    pthread_mutex_lock(&s->lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->lock);
        free(job);
        return vz_fail(err, 503, "shutting_down", "", "vizd is shutting down");
    }
    enqueue_locked(s, job);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int store_write_group(vz_store *s, vz_write *const *writes, size_t n, int *rcs, vz_error *errs)
{
    store_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    if (!jobs) return -1;
    for (size_t i = 0; i < n; i++) jobs[i] = (store_job){.kind = JOB_WRITE, .write = writes[i]};
    run_jobs(s, jobs, n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        rcs[i] = jobs[i].rc;
        if (jobs[i].rc < 0) {
            errs[i] = jobs[i].err;
            rc = -1;
        }
    }
    free(jobs);
    return rc;
}

int store_delete_run(vz_store *s, const char *run, vz_error *err)
{
    store_job job = {.kind = JOB_DELETE_RUN, .run = run};
    return run_job(s, &job, err);
}


/* ---- reading: forwarded to the backend --------------------------------------------------------- */

int store_read_sources(vz_store *s, store_source_fn visit, void *ctx, vz_error *err)
{
    return s->backend->read_sources(s->state, visit, ctx, err);
}

struct store_runs_cursor {
    const store_backend *backend;
    store_backend_runs *runs;
};

int store_runs_cursor_open(vz_store *s, store_runs_cursor **out, vz_error *err)
{
    store_runs_cursor *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "listing runs");
    c->backend = s->backend;
    if (s->backend->runs_open(s->state, &c->runs, err) < 0) {
        free(c);
        return -1;
    }
    *out = c;
    return 0;
}

int store_runs_cursor_next(store_runs_cursor *c, const store_run_row **run, vz_error *err)
{
    return c->backend->runs_next(c->runs, run, err);
}

void store_runs_cursor_close(store_runs_cursor *c)
{
    if (!c) return;
    c->backend->runs_close(c->runs);
    free(c);
}

int store_list_runs(vz_store *s, store_run_visitor visit, void *ctx, vz_error *err)
{
    store_runs_cursor *c;
    if (store_runs_cursor_open(s, &c, err) < 0) return -1;
    const store_run_row *run;
    int rc;
    while ((rc = store_runs_cursor_next(c, &run, err)) == 0 && run && (rc = visit(ctx, run, err)) == 0) {}
    store_runs_cursor_close(c);
    return rc;
}

/* ---- run summaries: the backend reads each run and tag, the tags are chosen here ------------------ */

struct store_summary_cursor {
    const store_backend *backend;
    store_backend_summary *summary;
    char *tags[VZ_MAX_SUMMARY_TAGS];
    size_t tag_count;
    bool has_more_tags;
    store_tag_summary summaries[VZ_MAX_SUMMARY_TAGS];
    store_run_summary current;
};

/* Adds the strings of a run's hparams "metrics" (what add_hparams recorded) to the cursor's tags, each once,
 * up to VZ_MAX_SUMMARY_TAGS; past that sets has_more_tags. */
static int add_metric_tags(store_summary_cursor *c, const char *hparams_text, vz_error *err)
{
    json_t *hparams = json_loads(hparams_text ? hparams_text : "{}", 0, NULL);
    json_t *metrics = json_object_get(hparams, "metrics");
    size_t i;
    json_t *tag;
    int rc = 0;
    json_array_foreach(metrics, i, tag) {
        if (!json_is_string(tag)) continue;
        bool is_new = true;
        for (size_t j = 0; j < c->tag_count; j++)
            if (strcmp(c->tags[j], json_string_value(tag)) == 0) is_new = false;
        if (!is_new) continue;
        if (c->tag_count == VZ_MAX_SUMMARY_TAGS) c->has_more_tags = true;
        else if (!(c->tags[c->tag_count++] = strdup(json_string_value(tag))))
            rc = vz_out_of_memory(err, "the run summaries");
    }
    json_decref(hparams);
    return rc;
}

int store_summary_cursor_open(vz_store *s, const char *const *tags, size_t tag_count, const char *const *runs,
                              size_t run_count, store_summary_cursor **out, vz_error *err)
{
    store_summary_cursor *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "the run summaries");
    c->backend = s->backend;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < tag_count && i < VZ_MAX_SUMMARY_TAGS; i++, c->tag_count++)
        if (!(c->tags[i] = strdup(tags[i]))) rc = vz_out_of_memory(err, "the run summaries");
    if (rc == 0) rc = s->backend->summary_open(s->state, runs, run_count, &c->summary, err);
    /* Without tags asked for, the metric tags the runs' add_hparams recorded: a first pass over the runs. */
    if (rc == 0 && tag_count == 0) {
        const char *name, *hparams;
        int found;
        while (rc == 0 && (found = s->backend->summary_next_run(c->summary, &name, &hparams, err)) == 1)
            rc = add_metric_tags(c, hparams, err);
        if (rc == 0 && found < 0) rc = -1;
        s->backend->summary_rewind(c->summary);
    }
    if (rc < 0) {
        store_summary_cursor_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

const char *const *store_summary_cursor_tags(const store_summary_cursor *c, size_t *count, bool *has_more)
{
    *count = c->tag_count;
    *has_more = c->has_more_tags;
    return (const char *const *)c->tags;
}

int store_summary_cursor_next(store_summary_cursor *c, const store_run_summary **run, vz_error *err)
{
    *run = NULL;
    const char *name, *hparams;
    int found = c->backend->summary_next_run(c->summary, &name, &hparams, err);
    if (found <= 0) return found;
    c->current = (store_run_summary){.name = name, .hparams_json = hparams, .tags = c->summaries};
    for (size_t i = 0; i < c->tag_count; i++) {
        store_tag_summary *t = &c->summaries[c->current.tag_count];
        bool has_points;
        if (c->backend->summary_tag(c->summary, c->tags[i], t, &has_points, err) < 0) return -1;
        if (!has_points) continue;
        t->tag = c->tags[i];
        c->current.tag_count++;
    }
    *run = &c->current;
    return 0;
}

void store_summary_cursor_close(store_summary_cursor *c)
{
    if (!c) return;
    if (c->summary) c->backend->summary_close(c->summary);
    for (size_t i = 0; i < c->tag_count; i++) free(c->tags[i]);
    free(c);
}

int store_visit_tags(vz_store *s, const char *run, const char *kind, int64_t after, size_t limit,
                     store_tag_visitor visit, void *ctx, int64_t *next, vz_error *err)
{
    return s->backend->visit_tags(s->state, run, kind, after, limit, visit, ctx, next, err);
}

/* ---- scalars ------------------------------------------------------------------------------------ */

int store_scan_scalars(vz_store *s, const char *run, const char *tag, int64_t start, int64_t end,
                       const store_scalar_visitor *visitor, vz_error *err)
{
    return s->backend->scan_scalars(s->state, run, tag, start, end, visitor, err);
}

int store_check_runs(vz_store *s, const char *const *runs, size_t n, vz_error *err)
{
    return s->backend->check_runs(s->state, runs, n, err);
}

struct store_scalar_cursor {
    const store_backend *backend;
    store_backend_scalars *scalars;
};

int store_scalar_cursor_open(vz_store *s, const char *run, const char *tag, int64_t start, int64_t end,
                             store_scalar_cursor **out, vz_error *err)
{
    store_scalar_cursor *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "reading scalars");
    c->backend = s->backend;
    if (s->backend->scalars_open(s->state, run, tag, start, end, &c->scalars, err) < 0) {
        free(c);
        return -1;
    }
    *out = c;
    return 0;
}

int store_scalar_cursor_next(store_scalar_cursor *c, const int64_t **steps, const double **wall_times_s,
                             const double **values, size_t *count, vz_error *err)
{
    return c->backend->scalars_next(c->scalars, steps, wall_times_s, values, count, err);
}

void store_scalar_cursor_close(store_scalar_cursor *c)
{
    if (!c) return;
    c->backend->scalars_close(c->scalars);
    free(c);
}

void store_collect_points(void *ctx, const int64_t *steps, const double *wall_times_s, const double *values,
                          size_t count)
{
    store_point_collector *c = ctx;
    vz_points *out = c->out;
    if (c->is_failed) return;
    if (out->count + count > c->cap) {
        size_t cap = c->cap ? c->cap : 1024;
        while (cap < out->count + count) cap *= 2;
        vz_point *grown = grow_array(out->points, cap, sizeof *grown);
        if (!grown) {
            c->is_failed = true;
            return;
        }
        out->points = grown;
        c->cap = cap;
    }
    for (size_t i = 0; i < count; i++) out->points[out->count++] = (vz_point){steps[i], wall_times_s[i], values[i]};
}

int store_read_scalars(vz_store *s, const char *run, const char *tag, int64_t start, int64_t end,
                       vz_points *out, vz_error *err)
{
    out->points = NULL;
    out->count = 0;
    store_point_collector collector = {.out = out};
    store_scalar_visitor visitor = {.points = store_collect_points, .ctx = &collector};
    int rc = store_scan_scalars(s, run, tag, start, end, &visitor, err);
    if (rc == 0 && collector.is_failed) rc = vz_out_of_memory(err, "reading scalars");
    if (rc < 0) store_points_free(out);
    return rc;
}

void store_points_free(vz_points *points)
{
    free(points->points);
    points->points = NULL;
    points->count = 0;
}


int store_read_histograms(vz_store *s, const char *run, const char *tag, size_t max_steps,
                          vz_histogram_steps *out, vz_error *err)
{
    return s->backend->read_histograms(s->state, run, tag, max_steps, out, err);
}

void store_histogram_steps_free(vz_histogram_steps *steps)
{
    for (size_t i = 0; i < steps->count; i++) hist_free(&steps->steps[i].histogram);
    free(steps->steps);
    memset(steps, 0, sizeof *steps);
}

int store_read_graph(vz_store *s, const char *run, char **graph_json, vz_error *err)
{
    return s->backend->read_graph(s->state, run, graph_json, err);
}

int store_visit_media(vz_store *s, const char *run, const char *tag, vz_media_kind kind, store_media_visitor visit,
                      void *ctx, vz_error *err)
{
    return s->backend->visit_media(s->state, run, tag, kind, visit, ctx, err);
}

int store_read_blob(vz_store *s, const char *name, unsigned char **bytes, size_t *size, char *type,
                    size_t type_size, vz_error *err)
{
    return s->backend->read_blob(s->state, name, bytes, size, type, type_size, err);
}

int store_status(vz_store *s, store_status_info *out, vz_error *err)
{
    return s->backend->status(s->state, out, err);
}
