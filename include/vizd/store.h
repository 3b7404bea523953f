/* store.h -- what the store offers: durable writes with group commit, and the reads the API needs, in C
 * rows and visitors (the API's JSON is built by the api_*.c files).
 *
 * store.c runs it on a backend (store_backend.h: SQLite by default, store_sqlite*.c); no database type
 * appears here. Writes go through one writer thread; store_write() returns only after the transaction
 * holding the write has been committed (or has failed, in which case nothing of the write was stored).
 * Reads use their own connections and may run on any thread. */
#ifndef VIZD_STORE_H
#define VIZD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/error.h"
#include "vizd/histogram.h"
#include "vizd/write.h"

#define VZ_SCALAR_BLOCK_POINTS 1024 /* points per stored block of a scalar series */

typedef struct vz_store vz_store;

/* Called on the writer thread after each successful commit, once per write in it, with the steps the
 * store assigned filled in. Used to publish live events. Must not block. */
typedef void (*store_commit_hook)(void *ctx, const vz_write *write);

typedef struct {
    int64_t step;
    double wall_time_s;
    double value;
} vz_point;

/* The M4 picks of consecutive points of one series (downsample.c makes and combines them; the store keeps
 * one per stored block and per group of blocks): the first and last point, the minimum and maximum (the
 * earliest of equal ones; NaN never is one) with their offsets from the first point, and how many points. */
typedef struct {
    vz_point first, min, max, last;
    uint64_t count, min_offset, max_offset;
    bool has_finite; /* false: every value is NaN, and min and max are the first point */
} vz_m4_summary;

/* Points of one series in a step range, in step order. */
typedef struct {
    vz_point *points;
    size_t count;
} vz_points;

/* Open (creating if needed) the database a --db string names (a SQLite file path, or a PostgreSQL
 * connection string: see store.c's backend_for), apply pending migrations, start the writer thread.
 * Refuses a database that is not a vizd one and one written by a newer vizd. */
int store_open(vz_store **out, const char *target, vz_error *err);
/* Finish queued writes, stop the writer, let the backend finish its deferred work (SQLite: fold the
 * tails, checkpoint the WAL), close every connection. */
void store_close(vz_store *store);
void store_set_commit_hook(vz_store *store, store_commit_hook hook, void *ctx);
/* An event another vizd process on the same database committed: name "write" or "delete" and its data
 * JSON, as GET /api/v1/events sends them. */
typedef void (*store_remote_fn)(void *ctx, const char *event, const char *data);
/* From now on, hand remote(ctx, ...) every event other vizd processes (replicas) on the same database
 * commit, on a thread of the store's (remote must not block). Nothing happens for a SQLite file, which only
 * this process writes. */
int store_listen(vz_store *store, store_remote_fn remote, void *ctx, vz_error *err);

/* Commit a write; blocks until it is durable. Scalars whose needs_step flag is set get the tag's last
 * step + 1 (0 for a new tag), in item order; the assigned steps are written back into write. */
int store_write(vz_store *store, vz_write *write, vz_error *err);
/* The same without waiting: queue the write and return at once; done(ctx, rc, err) runs on the writer
 * thread once the write is committed (rc 0, steps assigned as above) or refused (rc -1, err says why), in
 * the same group commits as every other write. write must stay valid until then; done must not block.
 * Returns -1 without queueing (done is then never called) when out of memory or shutting down (503). */
typedef void (*store_done_fn)(void *ctx, int rc, const vz_error *err);
int store_write_async(vz_store *store, vz_write *write, store_done_fn done, void *ctx, vz_error *err);
/* Commit n writes queued together, so that (for n up to 512) they share one group commit, as concurrent
 * requests do: each succeeds or fails on its own. rcs[i] is write i's result and errs[i] its error.
 * Returns 0 when every write succeeded, else -1 (and -1 with nothing done when out of memory). */
int store_write_group(vz_store *store, vz_write *const *writes, size_t n, int *rcs, vz_error *errs);
/* Remove a run and everything in it; 404 if there is no such run. */
int store_delete_run(vz_store *store, const char *run, vz_error *err);

/* One run: its strings live until the next call on the cursor (or its close). counts has an entry per kind
 * the run has series of, by kind name, plus "graph" (1 or 0, so the dashboard knows which runs have one). */
#define VZ_RUN_KINDS 16
typedef struct {
    const char *name, *description;
    const char *hparams_json; /* the run's hparams as JSON text, "{}" when it has none */
    double created_at, updated_at;
    size_t kind_count;
    struct {
        const char *kind;
        int64_t count;
    } counts[VZ_RUN_KINDS];
} store_run_row;
/* Every run, by name, one at a time for an answer streamed to a client: next points *run at the next run,
 * NULL after the last. The cursor holds a read snapshot until closed. */
typedef struct store_runs_cursor store_runs_cursor;
int store_runs_cursor_open(vz_store *store, store_runs_cursor **out, vz_error *err);
int store_runs_cursor_next(store_runs_cursor *cursor, const store_run_row **run, vz_error *err);
void store_runs_cursor_close(store_runs_cursor *cursor);
/* The same runs handed to visit in turn (the row lives until visit returns); a visitor's error stops. */
typedef int (*store_run_visitor)(void *ctx, const store_run_row *run, vz_error *err);
int store_list_runs(vz_store *store, store_run_visitor visit, void *ctx, vz_error *err);

/* Run summaries for the HParams view, a run at a time for a streamed answer. Per summarised tag the run has
 * points of: the count, the last point, and the lowest and highest value (NaN left out; has_extremes false
 * when every value is NaN) with the first step holding each. */
typedef struct {
    const char *tag;
    int64_t count;
    vz_point last;
    bool has_extremes;
    vz_point min, max; /* step and value */
} store_tag_summary;
typedef struct {
    const char *name, *hparams_json;
    size_t tag_count;
    const store_tag_summary *tags; /* in the cursor's tag order; tags the run lacks are left out */
} store_run_summary;
/* runs: those runs in that order (a missing one is a 404 on open), or run_count 0 for every run by name.
 * tag_count 0: the metric tags the runs' hparams list under "metrics" (what add_hparams records), each once,
 * at most VZ_MAX_SUMMARY_TAGS of them. next points *run at the next run's summary (valid until the next call
 * or close), NULL after the last. The cursor holds a read snapshot until closed. */
#define VZ_MAX_SUMMARY_TAGS 64
typedef struct store_summary_cursor store_summary_cursor;
int store_summary_cursor_open(vz_store *store, const char *const *tags, size_t tag_count, const char *const *runs,
                              size_t run_count, store_summary_cursor **out, vz_error *err);
/* The tags summarised (owned by the cursor) and their number; *has_more when the runs listed more metric
 * tags than that. */
const char *const *store_summary_cursor_tags(const store_summary_cursor *cursor, size_t *count, bool *has_more);
int store_summary_cursor_next(store_summary_cursor *cursor, const store_run_summary **run, vz_error *err);
void store_summary_cursor_close(store_summary_cursor *cursor);
/* One series of a page of tags. The strings live until the visitor returns. */
typedef struct {
    const char *run, *kind, *tag;
    int64_t count, first_step, last_step;
    bool has_last_value; /* false for kinds without values */
    double last_value, last_wall_time;
} store_tag_info;
typedef int (*store_tag_visitor)(void *ctx, const store_tag_info *info, vz_error *err);
/* Visit a page of series: at most limit of those after the cursor `after` (0 for the first page; the
 * cursor is the last series id of the page before), grouped so that each run's series come together and,
 * within a run, each kind's (runs in the order they were created, kinds by name, series in the order they
 * were created). *next is the cursor of the next page, or -1 after the last. run and kind may be NULL for
 * all. A visitor's error stops the visit and is returned. */
int store_visit_tags(vz_store *store, const char *run, const char *kind, int64_t after, size_t limit,
                     store_tag_visitor visit, void *ctx, int64_t *next, vz_error *err);
/* Points of (run, tag) with start <= step <= end. A missing run is a 404; a missing tag is empty. */
int store_read_scalars(vz_store *store, const char *run, const char *tag, int64_t start, int64_t end,
                       vz_points *out, vz_error *err);
void store_points_free(vz_points *points);
/* What store_read_scalars collects with, for any scan of a store_scalar_visitor: as its points callback
 * (ctx a store_point_collector), store_collect_points appends to out, growing it, and sets is_failed when
 * memory runs out. */
typedef struct {
    vz_points *out;
    size_t cap;
    bool is_failed;
} store_point_collector;
void store_collect_points(void *collector, const int64_t *steps, const double *wall_times_s, const double *values,
                          size_t count);

/* Visit the points of (run, tag) with start <= step <= end in step order, a stored block at a time,
 * without collecting them. begin, if set, is called first (only when there are points) with the series'
 * step extent clipped to [start, end], so a reducer can lay out its buckets. Errors as store_read_scalars.
 *
 * A reducer may also set span_last_step and summary: when the range holds more than summarise_above
 * points, consecutive points that all lie in [step, span_last_step(step)] (one output bucket) may then
 * come as one summary instead of point by point. The store keeps summaries of blocks and of groups of
 * blocks, so such a visit reads about (number of spans) x log(points) rows, not every point. */
typedef struct {
    void (*begin)(void *ctx, int64_t first_step, int64_t last_step);
    void (*points)(void *ctx, const int64_t *steps, const double *wall_times_s, const double *values, size_t count);
    void *ctx;
    int64_t (*span_last_step)(void *ctx, int64_t step); /* called after begin, for steps it laid out */
    void (*summary)(void *ctx, const vz_m4_summary *summary);
    size_t summarise_above;
} store_scalar_visitor;
int store_scan_scalars(vz_store *store, const char *run, const char *tag, int64_t start, int64_t end,
                       const store_scalar_visitor *visitor, vz_error *err);
/* 0 when every one of the n runs exists, else the 404 naming "run" that a read of the first missing one gives. */
int store_check_runs(vz_store *store, const char *const *runs, size_t n, vz_error *err);

/* The same points pulled a stored block at a time, for an answer streamed to a client at its own pace: the
 * cursor holds a read snapshot (and a reader connection) until closed. Opening fails as store_read_scalars
 * does; next gives the following block's points in [start, end] (pointers valid until the next call or
 * close), count 0 once there are no more. */
typedef struct store_scalar_cursor store_scalar_cursor;
int store_scalar_cursor_open(vz_store *store, const char *run, const char *tag, int64_t start, int64_t end,
                             store_scalar_cursor **out, vz_error *err);
int store_scalar_cursor_next(store_scalar_cursor *cursor, const int64_t **steps, const double **wall_times_s,
                             const double **values, size_t *count, vz_error *err);
void store_scalar_cursor_close(store_scalar_cursor *cursor);

/* One stored histogram step. */
typedef struct {
    int64_t step;
    double wall_time_s;
    vz_histogram histogram;
} vz_histogram_step;

typedef struct {
    vz_histogram_step *steps;
    size_t count;
    size_t total; /* steps stored, before thinning */
} vz_histogram_steps;

/* The histograms of (run, tag), thinned to at most max_steps steps spread evenly over the series, the
 * first and last always kept (max_steps 0: all). A missing run is a 404; a missing tag is empty. */
int store_read_histograms(vz_store *store, const char *run, const char *tag, size_t max_steps,
                          vz_histogram_steps *out, vz_error *err);
void store_histogram_steps_free(vz_histogram_steps *steps);

/* The run's model graph as JSON text (caller frees). 404 naming "run" when the run or its graph is missing. */
int store_read_graph(vz_store *store, const char *run, char **graph_json, vz_error *err);

/* One stored image, tensor or text; the strings live until the visitor returns. */
typedef struct {
    int64_t step;
    double wall_time_s;
    int64_t index;
    const char *blob;             /* images and tensors: the blob's name (see VZ_BLOB_NAME_BYTES) */
    int64_t width, height;        /* images */
    const char *content_type;     /* images: "image/png", ... */
    const char *shape_json;       /* tensors: "[128,64,3,3]" */
    const char *dtype;            /* tensors */
    bool has_min, has_max;        /* tensors: false when no value is finite */
    double min, max;
    const char *display_json;     /* tensors: "{}" or the display hints */
    const char *text;             /* texts */
} store_media_row;
typedef int (*store_media_visitor)(void *ctx, const store_media_row *row, vz_error *err);
/* Visit the items of one media kind for (run, tag) in step and index order. A missing run is a 404; a
 * missing tag visits nothing. A visitor's error stops the visit and is returned. */
int store_visit_media(vz_store *store, const char *run, const char *tag, vz_media_kind kind,
                      store_media_visitor visit, void *ctx, vz_error *err);
/* A blob is named by 64 lowercase hex digits (the SHA-256 of its content type, a NUL and its bytes); the
 * API's item "url" is /api/v1/blobs/NAME (api_media.c). */
#define VZ_BLOB_NAME_BYTES 64
/* The blob called name: its content type (copied into type) and size, and when bytes is not NULL its bytes
 * (caller frees; a NUL follows them). 404 when there is no such blob. */
int store_read_blob(vz_store *store, const char *name, unsigned char **bytes, size_t *size, char *type,
                    size_t type_size, vz_error *err);

/* Visit every saved vz_source_progress (the path is valid during the call only); visit returning -1
 * stops with its error. */
typedef int (*store_source_fn)(void *ctx, const vz_source_progress *progress, vz_error *err);
int store_read_sources(vz_store *store, store_source_fn visit, void *ctx, vz_error *err);

/* The database's path (valid while the store is open), its size in bytes, and what it holds. */
typedef struct {
    const char *db_path;
    int64_t db_bytes;
    int64_t runs, series, scalar_points, scalar_blocks, histogram_steps, images, tensors, texts, graphs, blobs;
} store_status_info;
int store_status(vz_store *store, store_status_info *out, vz_error *err);

#endif
