/* store_sqlite.h -- what the files of the SQLite backend share: its state and the helpers each of them
 * uses. Nothing outside server/store_sqlite*.c includes it; the rest of vizd sees store_sqlite_backend
 * (store_backend.h) only.
 *
 *   store_sqlite.c        opening, migrations, the writer's statements and transactions, idle work
 *   store_sqlite_write.c  applying writes: scalar blocks and their summaries, the tail, items, blobs
 *   store_sqlite_read.c   the reader pool and every read
 *   store_sqlite_checkpoint.c  copying the WAL into the database on a thread of its own */
#ifndef VIZD_STORE_SQLITE_H
#define VIZD_STORE_SQLITE_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "vizd/block.h"
#include "vizd/store_backend.h"

#define MAX_READERS 16
#define SUMMARY_LEVELS 4 /* levels of groups above the blocks: a top group holds about 8^4 blocks */
#define IDLE_FOLD_SERIES 256 /* series whose tails are folded per idle transaction (see fold_tail) */

typedef struct {
    sqlite3_stmt *put_summary, *delete_summary, *summary_at_or_before, *summary_before, *summary_exists;
    sqlite3_stmt *summaries_after, *delete_summaries_between, *summaries_between, *last_summary, *has_later_block;
    sqlite3_stmt *find_run, *touch_run, *insert_run, *set_description, *set_hparams;
    sqlite3_stmt *find_series, *insert_series, *update_series;
    sqlite3_stmt *block_at_or_before, *first_block, *next_block_start, *delete_block, *insert_block;
    sqlite3_stmt *last_blocks, *series_with_tail, *set_tail_blocks;
    sqlite3_stmt *insert_tail_point, *tail_points, *delete_tail;
    sqlite3_stmt *begin, *commit, *savepoint, *release, *rollback_to;
    sqlite3_stmt *insert_histogram, *recount_histogram_series, *upsert_graph;
    sqlite3_stmt *find_blob, *insert_blob, *insert_image, *insert_tensor, *insert_text;
    sqlite3_stmt *recount_media_series[3]; /* by vz_media_kind */
    sqlite3_stmt *old_image_blob, *old_tensor_blob, *delete_blob_if_unused;
} writer_statements;

typedef struct sq_checkpointer sq_checkpointer;

typedef struct store_backend_state sqlite_store;
struct store_backend_state {
    char *path;
    sqlite3 *writer_db; /* the writer thread's (and, before it starts and after it stops, open's and close's) */
    writer_statements stmt;
    int64_t fold_after; /* writer thread: the idle fold's place in series (see sq_fold_some_tails) */
    pthread_mutex_t reader_lock;
    sqlite3 *idle_readers[MAX_READERS];
    int idle_count;
    /* Steps where the current write transaction changed blocks, whose summaries above level 0 are due
     * (writer thread only; see sq_commit_summaries). */
    struct summary_change {
        int64_t series_id, first_step, last_step;
    } *summary_changes;
    size_t summary_change_count, summary_change_cap;
    bool has_lost_summary_change; /* out of memory noting one: the transaction must fail */
    sq_checkpointer *checkpointer; /* see store_sqlite_checkpoint.c */
};

/* ---- helpers (store_sqlite.c) ---- */
int sq_fail(vz_error *err, sqlite3 *db, const char *what);
int sq_exec(sqlite3 *db, const char *sql, const char *what, vz_error *err);
int sq_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql, vz_error *err);
void sq_bind_text(sqlite3_stmt *st, int index, const char *text);
/* SQLite stores a NaN REAL as NULL; summary columns hold NULL for non-finite values on purpose. */
void sq_bind_finite_or_null(sqlite3_stmt *st, int index, double v);
/* A double kept as its 8 bytes (so NaN survives); NaN for anything else. */
double sq_blob_to_double(sqlite3_stmt *st, int column);
/* A one-row, one-column integer query (PRAGMAs, counts); -1 when it gives no row. */
int sq_pragma_int(sqlite3 *db, const char *sql, int64_t *out);
int sq_open_connection(const char *path, int flags, sqlite3 **out, vz_error *err);

/* ---- writes (store_sqlite_write.c) ---- */
int sq_apply_write(sqlite_store *s, vz_write *w, double now_s, vz_error *err);
int sq_delete_run(sqlite_store *s, const char *run, vz_error *err);
/* Rebuild the summaries above level 0 around the steps the transaction changed; due before COMMIT. */
int sq_commit_summaries(sqlite_store *s, vz_error *err);
void sq_forget_summary_changes(sqlite_store *s);
/* Summaries a vizd before migration 0009 left to build (at open). */
int sq_build_pending_summaries(sqlite_store *s, vz_error *err);
/* Fold the tails of up to IDLE_FOLD_SERIES series in a transaction of its own; returns how many. */
int sq_fold_some_tails(sqlite_store *s, vz_error *err);

/* ---- the checkpoint thread (store_sqlite_checkpoint.c) ---- */
#define SQ_CHECKPOINT_PAGES 1000       /* WAL pages between the thread's checkpoints (SQLite's own threshold) */
#define SQ_FORCE_CHECKPOINT_PAGES 4000 /* past this (16 MiB of 4 KiB pages) the writer checkpoints itself */
/* Start checkpointing the writer's WAL on a thread of its own (the writer's connection is open). */
int sq_checkpointer_start(sqlite_store *s, vz_error *err);
/* Stop it (before the writer's connection closes); nothing when it never started. */
void sq_checkpointer_stop(sqlite_store *s);

/* ---- reads (store_sqlite_read.c) ---- */
/* A scalar_tail row's point column: wall time and value, float64 each, in the machine's byte order as in
 * the blocks. */
#define TAIL_POINT_BYTES (2 * sizeof(double))
/* Append the rows of a statement selecting (step, point) of scalar_tail, in step order, to out (and reset
 * the statement). */
int sq_tail_rows_append(sqlite3 *db, sqlite3_stmt *st, point_columns *out, vz_error *err);
int sq_read_sources(sqlite_store *s, store_source_fn visit, void *ctx, vz_error *err);
int sq_runs_open(sqlite_store *s, store_backend_runs **out, vz_error *err);
int sq_runs_next(store_backend_runs *c, const store_run_row **run, vz_error *err);
void sq_runs_close(store_backend_runs *c);
int sq_summary_open(sqlite_store *s, const char *const *runs, size_t run_count, store_backend_summary **out,
                    vz_error *err);
int sq_summary_next_run(store_backend_summary *c, const char **name, const char **hparams_json, vz_error *err);
void sq_summary_rewind(store_backend_summary *c);
int sq_summary_tag(store_backend_summary *c, const char *tag, store_tag_summary *out, bool *found, vz_error *err);
void sq_summary_close(store_backend_summary *c);
int sq_visit_tags(sqlite_store *s, const char *run, const char *kind, int64_t after, size_t limit,
                  store_tag_visitor visit, void *ctx, int64_t *next, vz_error *err);
int sq_scan_scalars(sqlite_store *s, const char *run, const char *tag, int64_t start, int64_t end,
                    const store_scalar_visitor *visitor, vz_error *err);
int sq_check_runs(sqlite_store *s, const char *const *runs, size_t n, vz_error *err);
int sq_scalars_open(sqlite_store *s, const char *run, const char *tag, int64_t start, int64_t end,
                    store_backend_scalars **out, vz_error *err);
int sq_scalars_next(store_backend_scalars *c, const int64_t **steps, const double **wall_times_s,
                    const double **values, size_t *count, vz_error *err);
void sq_scalars_close(store_backend_scalars *c);
int sq_read_histograms(sqlite_store *s, const char *run, const char *tag, size_t max_steps, vz_histogram_steps *out,
                       vz_error *err);
int sq_read_graph(sqlite_store *s, const char *run, char **graph_json, vz_error *err);
int sq_visit_media(sqlite_store *s, const char *run, const char *tag, vz_media_kind kind, store_media_visitor visit,
                   void *ctx, vz_error *err);
int sq_read_blob(sqlite_store *s, const char *name, unsigned char **bytes, size_t *size, char *type,
                 size_t type_size, vz_error *err);
int sq_status(sqlite_store *s, store_status_info *out, vz_error *err);

#endif
