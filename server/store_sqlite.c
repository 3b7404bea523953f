/* store_sqlite.c -- the SQLite backend: opening a database file, migrations, the writer's transactions,
 * and the work done while the writer is idle. With store_sqlite_write.c and store_sqlite_read.c, the only
 * files that speak SQLite's SQL.
 *
 * One connection writes, owned by store.c's writer thread, which runs group commits through begin,
 * savepoint, release, rollback_to and commit below (prepared once: they run for every group and request).
 * WAL mode lets readers, each on a connection of its own from a small pool (store_sqlite_read.c), read
 * while the writer writes. A commit is durable against a crash of the process (synchronous = NORMAL in
 * WAL mode). When the writer is idle, the tails of series are folded into full blocks and the WAL is
 * checkpointed; while it writes, store_sqlite_checkpoint.c's thread checkpoints beside it. */
#include "vizd/store_sqlite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vizd/migrate.h"
#include "vizd/write_group.h"

#define VIZD_APPLICATION_ID 0x76697a64 /* "vizd" in PRAGMA application_id marks our files */

/* ---- small helpers --------------------------------------------------------------------------- */

int sq_fail(vz_error *err, sqlite3 *db, const char *what)
{
    return vz_fail(err, 500, "internal", "", "database error while %s: %s", what, sqlite3_errmsg(db));
}

int sq_exec(sqlite3 *db, const char *sql, const char *what, vz_error *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return sq_fail(err, db, what);
    return 0;
}

int sq_pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

void sq_bind_text(sqlite3_stmt *st, int index, const char *text)
{
    sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC);
}

void sq_bind_finite_or_null(sqlite3_stmt *st, int index, double v)
{
    if (isfinite(v)) sqlite3_bind_double(st, index, v);
    else sqlite3_bind_null(st, index);
}

double sq_blob_to_double(sqlite3_stmt *st, int column)
{
    double v = NAN;
    if (sqlite3_column_bytes(st, column) == (int)sizeof v) memcpy(&v, sqlite3_column_blob(st, column), sizeof v);
    return v;
}

/* ---- opening, migrations ---------------------------------------------------------------------- */

static int latest_schema_version(void)
{
    int latest = 0;
    for (const vz_migration *m = vz_migrations; m->version; m++) latest = m->version;
    return latest;
}

/* Decide, before anything is written, whether this file is ours. A foreign or newer file is left as it
 * was: no WAL switch, no migration. */
static int check_is_vizd_database(sqlite3 *db, const char *path, vz_error *err)
{
    int64_t user_version = 0, application_id = 0, objects = 0;
    if (sq_pragma_int(db, "PRAGMA user_version", &user_version) < 0 ||
        sq_pragma_int(db, "SELECT count(*) FROM sqlite_master", &objects) < 0)
        return vz_fail(err, 500, "internal", "", "%s: not a SQLite database (%s)", path, sqlite3_errmsg(db));
    sq_pragma_int(db, "PRAGMA application_id", &application_id);
    if (user_version == 0 && objects > 0)
        return vz_fail(err, 500, "internal", "", "%s: a SQLite database, but not a vizd one", path);
    if (user_version > 0 && application_id != VIZD_APPLICATION_ID)
        return vz_fail(err, 500, "internal", "", "%s: a SQLite database, but not a vizd one", path);
    if (user_version > latest_schema_version())
        return vz_fail(err, 500, "internal", "", "%s: written by a newer vizd (schema %lld, this binary knows %d)",
                       path, (long long)user_version, latest_schema_version());
    return 0;
}

static int apply_migrations(sqlite3 *db, vz_error *err)
{
    int64_t current = 0;
    if (sq_pragma_int(db, "PRAGMA user_version", &current) < 0) return sq_fail(err, db, "reading the schema version");
    if (current >= latest_schema_version()) return 0;
    if (sq_exec(db, "BEGIN IMMEDIATE", "starting migrations", err) < 0) return -1;
    for (const vz_migration *m = vz_migrations; m->version; m++) {
        if (m->version <= current) continue;
        char pragma[96];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d; PRAGMA application_id = %d", m->version,
                 VIZD_APPLICATION_ID);
        if (sq_exec(db, m->sql, m->name, err) < 0 || sq_exec(db, pragma, m->name, err) < 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return sq_exec(db, "COMMIT", "committing migrations", err);
}

/* Name the blobs written before migration 0006, one at a time (a blob may be large), in one transaction. */
static int name_unnamed_blobs(sqlite3 *db, vz_error *err)
{
    sqlite3_stmt *next = NULL, *set = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, content_type, bytes FROM blobs WHERE sha256 IS NULL LIMIT 1", -1, &next,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE blobs SET sha256 = ?2 WHERE id = ?1", -1, &set, NULL) != SQLITE_OK) {
        sqlite3_finalize(next);
        return sq_fail(err, db, "naming blobs");
    }
    int rc = sq_exec(db, "BEGIN IMMEDIATE", "naming blobs", err);
    while (rc == 0) {
        int step = sqlite3_step(next);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(err, db, "naming blobs");
            break;
        }
        char name[VZ_BLOB_NAME_BYTES + 1];
        blob_name((const char *)sqlite3_column_text(next, 1), sqlite3_column_blob(next, 2),
                  (size_t)sqlite3_column_bytes(next, 2), name, NULL);
        sqlite3_bind_int64(set, 1, sqlite3_column_int64(next, 0));
        sqlite3_reset(next);
        sq_bind_text(set, 2, name);
        if (sqlite3_step(set) != SQLITE_DONE) rc = sq_fail(err, db, "naming blobs");
        sqlite3_reset(set);
    }
    sqlite3_finalize(next);
    sqlite3_finalize(set);
    if (rc == 0) return sq_exec(db, "COMMIT", "naming blobs", err);
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int sq_open_connection(const char *path, int flags, sqlite3 **out, vz_error *err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        vz_fail(err, 500, "internal", "", "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 10000);
    *out = db;
    return 0;
}

int sq_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql, vz_error *err)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return sq_fail(err, db, "preparing a statement");
    return 0;
}

/* A series of items (histograms, images, ...) has its count and step range recomputed from its table after
 * a write: replacing a step must not count it twice, and these tables hold few rows per series. */
static int prepare_recount(sqlite3 *db, sqlite3_stmt **st, const char *table, vz_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE series SET count = (SELECT count(*) FROM %1$s WHERE series_id = ?1), "
             "first_step = (SELECT min(step) FROM %1$s WHERE series_id = ?1), "
             "last_step = (SELECT max(step) FROM %1$s WHERE series_id = ?1), "
             "last_wall_time = (SELECT wall_time FROM %1$s WHERE series_id = ?1 ORDER BY step DESC LIMIT 1) "
             "WHERE id = ?1", table);
    return sq_prepare(db, st, sql, err);
}

static int prepare_writer_statements(sqlite_store *s, vz_error *err)
{
    sqlite3 *db = s->writer_db;
    writer_statements *w = &s->stmt;
    return sq_prepare(db, &w->begin, "BEGIN IMMEDIATE", err) | sq_prepare(db, &w->commit, "COMMIT", err) |
           sq_prepare(db, &w->put_summary,
                   "INSERT OR REPLACE INTO scalar_summaries(series_id, level, first_step, last_step, count, picks) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6)", err) |
           sq_prepare(db, &w->delete_summary,
                   "DELETE FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step = ?3", err) |
           sq_prepare(db, &w->summary_at_or_before,
                   "SELECT first_step FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step <= ?3 "
                   "ORDER BY first_step DESC LIMIT 1", err) |
           sq_prepare(db, &w->summary_before,
                   "SELECT first_step FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step < ?3 "
                   "ORDER BY first_step DESC LIMIT 1", err) |
           sq_prepare(db, &w->summary_exists,
                   "SELECT 1 FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step = ?3", err) |
           sq_prepare(db, &w->summaries_after,
                   "SELECT first_step FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step > ?3 "
                   "ORDER BY first_step", err) |
           sq_prepare(db, &w->delete_summaries_between,
                   "DELETE FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step BETWEEN ?3 AND ?4",
                   err) |
           sq_prepare(db, &w->last_summary,
                   "SELECT first_step, last_step, count, picks FROM scalar_summaries WHERE series_id = ?1 "
                   "AND level = ?2 ORDER BY first_step DESC LIMIT 1", err) |
           sq_prepare(db, &w->has_later_block,
                   "SELECT 1 FROM scalar_summaries WHERE series_id = ?1 AND level = 0 AND first_step > ?2", err) |
           sq_prepare(db, &w->summaries_between,
                   "SELECT first_step, last_step, count, picks FROM scalar_summaries WHERE series_id = ?1 "
                   "AND level = ?2 AND first_step BETWEEN ?3 AND ?4 ORDER BY first_step", err) |
           sq_prepare(db, &w->savepoint, "SAVEPOINT request", err) | sq_prepare(db, &w->release, "RELEASE request", err) |
           sq_prepare(db, &w->rollback_to, "ROLLBACK TO request", err) |
           sq_prepare(db, &w->find_run, "SELECT id FROM runs WHERE name = ?1", err) |
           sq_prepare(db, &w->touch_run, "UPDATE runs SET updated_at = ?2 WHERE id = ?1", err) |
           sq_prepare(db, &w->insert_run, "INSERT INTO runs(name, created_at, updated_at) VALUES(?1, ?2, ?2)", err) |
           sq_prepare(db, &w->set_description, "UPDATE runs SET description = ?2 WHERE id = ?1", err) |
           sq_prepare(db, &w->set_hparams, "UPDATE runs SET hparams = ?2 WHERE id = ?1", err) |
           sq_prepare(db, &w->find_series,
                   "SELECT id, count, last_step, tail_blocks, tail_points FROM series "
                   "WHERE run_id = ?1 AND kind = ?2 AND tag = ?3",
                   err) |
           sq_prepare(db, &w->insert_series, "INSERT INTO series(run_id, kind, tag) VALUES(?1, ?2, ?3)", err) |
           sq_prepare(db, &w->update_series,
                   "UPDATE series SET count = count + ?2, first_step = min(coalesce(first_step, ?3), ?3), "
                   "last_step = max(coalesce(last_step, ?4), ?4), "
                   "last_value = CASE WHEN ?6 THEN ?5 ELSE last_value END, "
                   "last_wall_time = CASE WHEN ?6 THEN ?7 ELSE last_wall_time END, tail_blocks = ?8, tail_points = ?9, "
                   "updated_at = ?10 WHERE id = ?1", err) |
           sq_prepare(db, &w->block_at_or_before,
                   "SELECT first_step, points FROM scalar_blocks WHERE series_id = ?1 AND first_step <= ?2 "
                   "ORDER BY first_step DESC LIMIT 1", err) |
           sq_prepare(db, &w->first_block,
                   "SELECT first_step, points FROM scalar_blocks WHERE series_id = ?1 "
                   "ORDER BY first_step LIMIT 1", err) |
           sq_prepare(db, &w->next_block_start,
                   "SELECT first_step FROM scalar_blocks WHERE series_id = ?1 AND first_step > ?2 "
                   "ORDER BY first_step LIMIT 1", err) |
           sq_prepare(db, &w->last_blocks,
                   "SELECT first_step, points FROM (SELECT first_step, points FROM scalar_blocks WHERE series_id = ?1 "
                   "ORDER BY first_step DESC LIMIT ?2) ORDER BY first_step", err) |
           sq_prepare(db, &w->series_with_tail,
                   "SELECT id, tail_blocks, tail_points FROM series WHERE id > ?2 AND (tail_blocks > 0 OR "
                   "tail_points > 0) ORDER BY id LIMIT ?1", err) |
           sq_prepare(db, &w->set_tail_blocks, "UPDATE series SET tail_blocks = 0, tail_points = 0 WHERE id = ?1", err) |
           sq_prepare(db, &w->insert_tail_point, "INSERT INTO scalar_tail(series_id, step, point) VALUES(?1, ?2, ?3)",
                   err) |
           sq_prepare(db, &w->tail_points, "SELECT step, point FROM scalar_tail WHERE series_id = ?1 ORDER BY step", err) |
           sq_prepare(db, &w->delete_tail, "DELETE FROM scalar_tail WHERE series_id = ?1", err) |
           sq_prepare(db, &w->delete_block, "DELETE FROM scalar_blocks WHERE series_id = ?1 AND first_step = ?2", err) |
           sq_prepare(db, &w->insert_block,
                   "INSERT INTO scalar_blocks(series_id, first_step, last_step, count, points) "
                   "VALUES(?1, ?2, ?3, ?4, ?5)", err) |
           sq_prepare(db, &w->insert_histogram,
                   "INSERT OR REPLACE INTO histogram_steps(series_id, step, wall_time, stats, bucket_count, "
                   "nan_count, buckets) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", err) |
           prepare_recount(db, &w->recount_histogram_series, "histogram_steps", err) |
           sq_prepare(db, &w->upsert_graph, "INSERT OR REPLACE INTO graphs(run_id, graph, updated_at) VALUES(?1, ?2, ?3)",
                   err) |
           sq_prepare(db, &w->find_blob, "SELECT id FROM blobs WHERE sha256 = ?1", err) |
           sq_prepare(db, &w->insert_blob,
                   "INSERT INTO blobs(hash, content_type, size, bytes, sha256) VALUES(?1, ?2, ?3, ?4, ?5)", err) |
           sq_prepare(db, &w->insert_image,
                   "INSERT OR REPLACE INTO images(series_id, step, idx, wall_time, blob_id, width, height) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", err) |
           sq_prepare(db, &w->insert_tensor,
                   "INSERT OR REPLACE INTO tensors(series_id, step, idx, wall_time, blob_id, shape, dtype, min_value, "
                   "max_value, display) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", err) |
           sq_prepare(db, &w->insert_text,
                   "INSERT OR REPLACE INTO texts(series_id, step, idx, wall_time, text) VALUES(?1, ?2, ?3, ?4, ?5)", err) |
           prepare_recount(db, &w->recount_media_series[VZ_MEDIA_IMAGE], "images", err) |
           prepare_recount(db, &w->recount_media_series[VZ_MEDIA_TENSOR], "tensors", err) |
           prepare_recount(db, &w->recount_media_series[VZ_MEDIA_TEXT], "texts", err) |
           sq_prepare(db, &w->old_image_blob, "SELECT blob_id FROM images WHERE series_id = ?1 AND step = ?2 AND idx = ?3",
                   err) |
           sq_prepare(db, &w->old_tensor_blob,
                   "SELECT blob_id FROM tensors WHERE series_id = ?1 AND step = ?2 AND idx = ?3", err) |
           sq_prepare(db, &w->delete_blob_if_unused,
                   "DELETE FROM blobs WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM images WHERE blob_id = ?1) "
                   "AND NOT EXISTS (SELECT 1 FROM tensors WHERE blob_id = ?1)", err);
}

static void finalize_writer_statements(writer_statements *w)
{
    sqlite3_stmt **all = (sqlite3_stmt **)w;
    for (size_t i = 0; i < sizeof *w / sizeof(sqlite3_stmt *); i++) sqlite3_finalize(all[i]);
}


static int path_is_nonempty_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static int sqlite_open(const char *path, sqlite_store **out, vz_error *err)
{
    sqlite_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return vz_out_of_memory(err, "opening the store");
    }
    pthread_mutex_init(&s->reader_lock, NULL);

    bool existed = path_is_nonempty_file(path);
    if (sq_open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->writer_db, err) < 0) goto fail;
    if (existed && check_is_vizd_database(s->writer_db, path, err) < 0) goto fail;
    char *mode = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->writer_db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        vz_fail(err, 500, "internal", "", "%s: cannot write: %s", path, sqlite3_errmsg(s->writer_db));
        sqlite3_finalize(st);
        goto fail;
    }
    mode = (char *)sqlite3_column_text(st, 0);
    bool is_wal = mode && strcmp(mode, "wal") == 0;
    sqlite3_finalize(st);
    if (!is_wal) {
        vz_fail(err, 500, "internal", "", "%s: cannot switch to WAL mode", path);
        goto fail;
    }
    /* NORMAL: in WAL mode a commit is durable against a crash of this process (kill -9); only a power
     * loss can take back the last commits. FULL would cost an fsync per group commit. */
    if (sq_exec(s->writer_db, "PRAGMA synchronous = NORMAL", "configuring", err) < 0) goto fail;
    if (apply_migrations(s->writer_db, err) < 0) goto fail;
    if (name_unnamed_blobs(s->writer_db, err) < 0) goto fail;
    /* The schema declares its references; SQLite checks them only when asked, per connection. Only this
     * connection writes. A run is deleted child tables first (sq_delete_run), so the checks hold. */
    if (sq_exec(s->writer_db, "PRAGMA foreign_keys = ON", "enabling foreign keys", err) < 0) goto fail;
    if (prepare_writer_statements(s, err) != 0) goto fail;
    if (sq_build_pending_summaries(s, err) < 0) goto fail;
    if (sq_checkpointer_start(s, err) < 0) goto fail;
    *out = s;
    return 0;
fail:
    finalize_writer_statements(&s->stmt);
    sqlite3_close(s->writer_db);
    free(s->summary_changes);
    pthread_mutex_destroy(&s->reader_lock);
    free(s->path);
    free(s);
    return -1;
}

static void sqlite_close(sqlite_store *s)
{
    for (int i = 0; i < s->idle_count; i++) sqlite3_close(s->idle_readers[i]);
    vz_error err; /* a tail that cannot be folded now stays a valid tail, folded after the next start */
    s->fold_after = 0; /* one whole pass, wherever an idle one stopped */
    while (sq_fold_some_tails(s, &err) == IDLE_FOLD_SERIES) continue;
    sq_checkpointer_stop(s);
    finalize_writer_statements(&s->stmt);
    sqlite3_exec(s->writer_db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(s->writer_db);
    pthread_mutex_destroy(&s->reader_lock);
    free(s->summary_changes);
    free(s->path);
    free(s);
}

/* ---- the writer's transactions ------------------------------------------------------------------ */

/* Run one of the prepared transaction statements (BEGIN, SAVEPOINT, ...): they run for every group and
 * every request, and parsing them each time was a tenth of a one-point write. */
static int run_statement(sqlite_store *s, sqlite3_stmt *st, const char *what, vz_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, what);
}

/* SQLite's writes need no locks taken up front: BEGIN IMMEDIATE takes the one write lock there is. */
static int sqlite_begin(sqlite_store *s, vz_write *const *writes, size_t write_count, const char *const *deleted_runs,
                        size_t deleted_count, vz_error *err)
{
    (void)writes, (void)write_count, (void)deleted_runs, (void)deleted_count;
    return run_statement(s, s->stmt.begin, "starting a transaction", err);
}

static int sqlite_savepoint(sqlite_store *s, vz_error *err)
{
    return run_statement(s, s->stmt.savepoint, "starting a request", err);
}

static int sqlite_rollback_to(sqlite_store *s, vz_error *err)
{
    return run_statement(s, s->stmt.rollback_to, "undoing a refused request", err);
}

static int sqlite_release(sqlite_store *s, vz_error *err)
{
    return run_statement(s, s->stmt.release, "finishing a request", err);
}

static bool sqlite_is_transaction_lost(sqlite_store *s) { return sqlite3_get_autocommit(s->writer_db); }

static int sqlite_commit(sqlite_store *s, vz_error *err)
{
    if (sq_commit_summaries(s, err) < 0) return -1;
    return run_statement(s, s->stmt.commit, "committing", err);
}

static void sqlite_rollback(sqlite_store *s)
{
    sq_forget_summary_changes(s);
    if (!sqlite3_get_autocommit(s->writer_db)) sqlite3_exec(s->writer_db, "ROLLBACK", NULL, NULL, NULL);
}

/* After a burst of writes, once the queue has been idle a moment, copy the WAL into the database and
 * truncate it. Until then readers find the newest pages in the WAL, which they read with pread rather
 * than through the memory map: a reduced query over a freshly written million points takes twice as long.
 * A reader in the way only makes this checkpoint give up early (short busy timeout); the next idle
 * moment tries again, and SQLite's own automatic checkpoints keep running meanwhile. */
static bool checkpoint_when_idle(sqlite_store *s)
{
    sqlite3_busy_timeout(s->writer_db, 20);
    int rc = sqlite3_wal_checkpoint_v2(s->writer_db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_busy_timeout(s->writer_db, 10000);
    return rc == SQLITE_OK;
}

/* Fold the tails of some series, and when none is left, checkpoint. */
static bool sqlite_idle_work(sqlite_store *s, bool *is_due)
{
    vz_error err; /* a fold that fails leaves valid tails; the next idle moment after a write tries again */
    if (sq_fold_some_tails(s, &err) == IDLE_FOLD_SERIES) {
        *is_due = true;
        return true;
    }
    *is_due = false;
    return !checkpoint_when_idle(s); /* a reader was in the way: try again */
}

const store_backend store_sqlite_backend = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .begin = sqlite_begin,
    .savepoint = sqlite_savepoint,
    .rollback_to = sqlite_rollback_to,
    .release = sqlite_release,
    .apply_write = sq_apply_write,
    .delete_run = sq_delete_run,
    .is_transaction_lost = sqlite_is_transaction_lost,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .idle_work = sqlite_idle_work,
    .read_sources = sq_read_sources,
    .runs_open = sq_runs_open,
    .runs_next = sq_runs_next,
    .runs_close = sq_runs_close,
    .summary_open = sq_summary_open,
    .summary_next_run = sq_summary_next_run,
    .summary_rewind = sq_summary_rewind,
    .summary_tag = sq_summary_tag,
    .summary_close = sq_summary_close,
    .visit_tags = sq_visit_tags,
    .scan_scalars = sq_scan_scalars,
    .check_runs = sq_check_runs,
    .scalars_open = sq_scalars_open,
    .scalars_next = sq_scalars_next,
    .scalars_close = sq_scalars_close,
    .read_histograms = sq_read_histograms,
    .read_graph = sq_read_graph,
    .visit_media = sq_visit_media,
    .read_blob = sq_read_blob,
    .status = sq_status,
};
