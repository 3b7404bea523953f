/* store_backend.h -- what a database backend implements so that store.c can run the store on it.
 *
 * store.c is the backend-independent front of store.h: it picks a backend from the --db string, owns the
 * writer thread, its queue and group commit, and forwards every read. A backend (store_sqlite*.c,
 * store_pg*.c) is a table of these functions over a state of its own (struct store_backend_state, which
 * each backend defines in its own files; the front only holds a pointer), plus cursor states likewise.
 *
 * The writer's functions run on the writer thread only, one group of jobs at a time:
 *   begin(the group's writes and deleted runs)
 *   [ savepoint, apply_write | delete_run, (rollback_to if it failed), release ] per job, then commit;
 * or, as long as no job fails, the same without the savepoints (the front applies the group again with
 * them when one fails, after rollback). rollback ends the transaction after any failure; after it the
 * backend must hold nothing of the group. A write is answered only after commit returned 0.
 *
 * Readers may run on any thread at once, each in a snapshot of its own; strings they hand out live as
 * store.h says for the matching store_* function. Errors are vz_error values as everywhere; a backend
 * that lost its database answers 503. */
#ifndef VIZD_STORE_BACKEND_H
#define VIZD_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/error.h"
#include "vizd/store.h"
#include "vizd/write.h"

typedef struct store_backend_state store_backend_state;     /* the backend's connections and caches */
typedef struct store_backend_runs store_backend_runs;       /* a runs cursor (store_runs_cursor) */
typedef struct store_backend_summary store_backend_summary; /* a run-summary cursor (store_summary_cursor) */
typedef struct store_backend_scalars store_backend_scalars; /* a scalar cursor (store_scalar_cursor) */

typedef struct store_backend {
    const char *name; /* "sqlite", "postgresql": for messages */

    /* Open (creating and migrating when needed) the database named by target (the --db string). */
    int (*open)(const char *target, store_backend_state **out, vz_error *err);
    /* After the writer thread has stopped: finish what idle work would have done, close everything. */
    void (*close)(store_backend_state *b);

    /* ---- the writer (writer thread only) ---- */
    /* Start the transaction of a group: the writes and runs to delete it will apply (a backend that must
     * lock what a group touches in a fixed order, to keep several writers from deadlocking, does so here). */
    int (*begin)(store_backend_state *b, vz_write *const *writes, size_t write_count, const char *const *deleted_runs,
                 size_t deleted_count, vz_error *err);
    int (*savepoint)(store_backend_state *b, vz_error *err);
    int (*rollback_to)(store_backend_state *b, vz_error *err); /* undo since the savepoint, keep it open */
    int (*release)(store_backend_state *b, vz_error *err);
    /* Apply one write; scalars whose needs_step is set get the tag's last step + 1 (0 for a new tag), in
     * item order, written back into write. now_s is the run's updated_at (created_at when new). A refused
     * write is a 4xx naming its field. */
    int (*apply_write)(store_backend_state *b, vz_write *write, double now_s, vz_error *err);
    /* Remove a run and everything in it; 404 when there is no such run. */
    int (*delete_run)(store_backend_state *b, const char *run, vz_error *err);
    /* Whether the database ended the transaction on its own (an I/O error): nothing of it will commit. */
    bool (*is_transaction_lost)(store_backend_state *b);
    int (*commit)(store_backend_state *b, vz_error *err);
    void (*rollback)(store_backend_state *b);
    /* The queue has been idle a moment: do some deferred work (compaction, checkpoints). Returns whether
     * some remains; *is_due: at once (else at the next idle moment). NULL: the backend has none. */
    bool (*idle_work)(store_backend_state *b, bool *is_due);
    /* Hand remote(ctx, ...) every event other processes on the database commit from now on, on a thread of
     * the backend's (remote must not block). NULL: only this process writes the database (SQLite). */
    int (*listen)(store_backend_state *b, store_remote_fn remote, void *ctx, vz_error *err);

    /* ---- readers (any thread) ---- */
    int (*read_sources)(store_backend_state *b, store_source_fn visit, void *ctx, vz_error *err);
    int (*runs_open)(store_backend_state *b, store_backend_runs **out, vz_error *err);
    int (*runs_next)(store_backend_runs *c, const store_run_row **run, vz_error *err);
    void (*runs_close)(store_backend_runs *c);
    /* Run summaries: the front asks for the runs in turn (names, or every run by name when run_count is 0;
     * a missing named run is a 404 from summary_next_run), and for each, the summary of each tag. */
    int (*summary_open)(store_backend_state *b, const char *const *runs, size_t run_count,
                        store_backend_summary **out, vz_error *err);
    /* 1 with *name and *hparams_json set (valid until the next call), 0 after the last run, -1. */
    int (*summary_next_run)(store_backend_summary *c, const char **name, const char **hparams_json, vz_error *err);
    /* Back to before the first run, in the same snapshot. */
    void (*summary_rewind)(store_backend_summary *c);
    /* The current run's summary of scalar tag into *out (out->tag is left to the caller); *found false
     * when the run has no points of that tag. */
    int (*summary_tag)(store_backend_summary *c, const char *tag, store_tag_summary *out, bool *found,
                       vz_error *err);
    void (*summary_close)(store_backend_summary *c);
    int (*visit_tags)(store_backend_state *b, const char *run, const char *kind, int64_t after, size_t limit,
                      store_tag_visitor visit, void *ctx, int64_t *next, vz_error *err);
    int (*scan_scalars)(store_backend_state *b, const char *run, const char *tag, int64_t start, int64_t end,
                        const store_scalar_visitor *visitor, vz_error *err);
    int (*check_runs)(store_backend_state *b, const char *const *runs, size_t n, vz_error *err);
    int (*scalars_open)(store_backend_state *b, const char *run, const char *tag, int64_t start, int64_t end,
                        store_backend_scalars **out, vz_error *err);
    int (*scalars_next)(store_backend_scalars *c, const int64_t **steps, const double **wall_times_s,
                        const double **values, size_t *count, vz_error *err);
    void (*scalars_close)(store_backend_scalars *c);
    int (*read_histograms)(store_backend_state *b, const char *run, const char *tag, size_t max_steps,
                           vz_histogram_steps *out, vz_error *err);
    int (*read_graph)(store_backend_state *b, const char *run, char **graph_json, vz_error *err);
    int (*visit_media)(store_backend_state *b, const char *run, const char *tag, vz_media_kind kind,
                       store_media_visitor visit, void *ctx, vz_error *err);
    int (*read_blob)(store_backend_state *b, const char *name, unsigned char **bytes, size_t *size, char *type,
                     size_t type_size, vz_error *err);
    int (*status)(store_backend_state *b, store_status_info *out, vz_error *err);
} store_backend;

/* The SQLite backend (store_sqlite*.c): target is a file path. */
extern const store_backend store_sqlite_backend;
/* The PostgreSQL backend (store_pg*.c): target is a postgresql:// or postgres:// URL or a libpq keyword
 * string (store_pg_is_conninfo). */
extern const store_backend store_pg_backend;

#endif
