/* store_pg.h -- the PostgreSQL backend (libpq): a connection, the schema, and the writer's transactions.
 *
 * What a --db string means: store_pg_is_conninfo tells a PostgreSQL connection string (a postgresql:// or
 * postgres:// URL, or a libpq keyword string such as "host=db dbname=vizd") from a SQLite path.
 *
 * One store_pg is one connection. The writer of a vizd process holds one and commits groups of writes
 * through it as the SQLite writer does: store_pg_begin_group, then per write a savepoint around
 * store_pg_apply_write (or store_pg_delete_run) so that a refused write leaves the others of its group,
 * then store_pg_commit (the savepoint is released after a rollback to it too, as store_backend.h says).
 * Several vizd processes (replicas) may do so on one database at once: the rules that keep them correct
 * are in server/store_pg.c's header comment.
 *
 * Errors: a refused write is its 4xx; a lost connection (PostgreSQL restarted, network cut) is a 503
 * "database_unavailable", after which store_pg_reconnect tries to get a connection back. */
#ifndef VIZD_STORE_PG_H
#define VIZD_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/error.h"
#include "vizd/store.h"
#include "vizd/write.h"

typedef struct store_pg store_pg;

/* The channel every replica NOTIFYs after a commit and LISTENs on. */
#define STORE_PG_CHANNEL "vizd_changes"

bool store_pg_is_conninfo(const char *db);

/* Connect, and bring the schema to this binary's version (migrations/postgresql/) under an advisory lock,
 * so replicas starting together apply each migration once. Refuses a database that holds tables but is
 * not a vizd one, and one written by a newer vizd. */
int store_pg_open(store_pg **out, const char *conninfo, vz_error *err);
void store_pg_close(store_pg *pg);
/* A new connection after a lost one (503 again when the server is still away). */
int store_pg_reconnect(store_pg *pg, vz_error *err);
bool store_pg_is_connected(const store_pg *pg);
/* The connection is gone or no transaction is open: nothing of the group will commit. */
bool store_pg_is_transaction_lost(const store_pg *pg);
const char *store_pg_conninfo(const store_pg *pg);
/* "postgresql://user@host:port/dbname": what the connection reaches, without a password. */
void store_pg_describe(const store_pg *pg, char *out, size_t size);

/* Start the transaction of a group of writes (and deletes: deleted_runs), and lock the rows of every run
 * they touch, in name order (a new one as a placeholder until a write of it succeeds), so that two
 * replicas committing groups over the same runs wait for each other instead of deadlocking. */
int store_pg_begin_group(store_pg *pg, vz_write *const *writes, size_t n, const char *const *deleted_runs,
                         size_t deleted_count, vz_error *err);
int store_pg_savepoint(store_pg *pg, vz_error *err);
int store_pg_release_savepoint(store_pg *pg, vz_error *err);
int store_pg_rollback_to_savepoint(store_pg *pg, vz_error *err);
/* Apply one write inside the group; scalars (and histograms and media) without a step get the tag's last
 * step + 1, written back into the write. */
int store_pg_apply_write(store_pg *pg, vz_write *write, double now_s, vz_error *err);
/* 404 when there is no such run. */
int store_pg_delete_run(store_pg *pg, const char *run, vz_error *err);
/* Commit the group, with a notification on STORE_PG_CHANNEL for the other replicas per notice (each up to
 * 7,999 bytes), which PostgreSQL delivers, in order, only because the group commits. */
int store_pg_commit(store_pg *pg, const char *const *notices, size_t n, vz_error *err);
/* Roll the group back (after a failure; nothing of it is stored). */
void store_pg_rollback(store_pg *pg);

/* Reads (store_pg_read.c): store.h's readers with the same rows, orders and errors, on a pool of reader
 * connections. store_pg_status leaves db_path to the caller. */
typedef struct store_pg_readers store_pg_readers;
int store_pg_readers_open(store_pg_readers **out, const char *conninfo, vz_error *err);
void store_pg_readers_close(store_pg_readers *readers);
typedef struct store_pg_runs_cursor store_pg_runs_cursor;
int store_pg_runs_cursor_open(store_pg_readers *readers, store_pg_runs_cursor **out, vz_error *err);
int store_pg_runs_cursor_next(store_pg_runs_cursor *cursor, const store_run_row **run, vz_error *err);
void store_pg_runs_cursor_close(store_pg_runs_cursor *cursor);
int store_pg_check_runs(store_pg_readers *readers, const char *const *runs, size_t n, vz_error *err);
/* Run summaries as store_backend.h's summary_* functions: runs in turn (a missing named run is the 404 of
 * next_run, which returns 1, 0 after the last, or -1), and per run the summary of one scalar tag. */
typedef struct store_pg_summary store_pg_summary;
int store_pg_summary_open(store_pg_readers *readers, const char *const *runs, size_t run_count,
                          store_pg_summary **out, vz_error *err);
int store_pg_summary_next_run(store_pg_summary *cursor, const char **name, const char **hparams_json, vz_error *err);
void store_pg_summary_rewind(store_pg_summary *cursor);
int store_pg_summary_tag(store_pg_summary *cursor, const char *tag, store_tag_summary *out, bool *found,
                         vz_error *err);
void store_pg_summary_close(store_pg_summary *cursor);
int store_pg_visit_tags(store_pg_readers *readers, const char *run, const char *kind, int64_t after, size_t limit,
                        store_tag_visitor visit, void *ctx, int64_t *next, vz_error *err);
typedef struct store_pg_scalar_cursor store_pg_scalar_cursor;
int store_pg_scalar_cursor_open(store_pg_readers *readers, const char *run, const char *tag, int64_t start,
                                int64_t end, store_pg_scalar_cursor **out, vz_error *err);
int store_pg_scalar_cursor_next(store_pg_scalar_cursor *cursor, const int64_t **steps, const double **wall_times_s,
                                const double **values, size_t *count, vz_error *err);
void store_pg_scalar_cursor_close(store_pg_scalar_cursor *cursor);
int store_pg_scan_scalars(store_pg_readers *readers, const char *run, const char *tag, int64_t start, int64_t end,
                          const store_scalar_visitor *visitor, vz_error *err);
int store_pg_read_scalars(store_pg_readers *readers, const char *run, const char *tag, int64_t start, int64_t end,
                          vz_points *out, vz_error *err);
int store_pg_read_histograms(store_pg_readers *readers, const char *run, const char *tag, size_t max_steps,
                             vz_histogram_steps *out, vz_error *err);
int store_pg_read_graph(store_pg_readers *readers, const char *run, char **graph_json, vz_error *err);
int store_pg_visit_media(store_pg_readers *readers, const char *run, const char *tag, vz_media_kind kind,
                         store_media_visitor visit, void *ctx, vz_error *err);
int store_pg_read_blob(store_pg_readers *readers, const char *name, unsigned char **bytes, size_t *size, char *type,
                       size_t type_size, vz_error *err);
int store_pg_read_sources(store_pg_readers *readers, store_source_fn visit, void *ctx, vz_error *err);
int store_pg_status(store_pg_readers *readers, store_status_info *out, vz_error *err);

/* The other replicas' commits: notice(ctx, payload) runs on the listener's thread for every notification
 * committed on STORE_PG_CHANNEL after start returns (its own replica's too), in commit order; it must not
 * block. The listener reconnects by itself after a lost connection (notifications meanwhile are lost). */
typedef struct store_pg_listener store_pg_listener;
typedef void (*store_pg_notice_fn)(void *ctx, const char *payload);
int store_pg_listener_start(store_pg_listener **out, const char *conninfo, store_pg_notice_fn notice, void *ctx,
                            vz_error *err);
void store_pg_listener_stop(store_pg_listener *listener);

#endif
