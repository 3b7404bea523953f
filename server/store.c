/* store.c -- the SQLite store: the only file that speaks SQL.
 *
 * One connection writes, owned by one writer thread. Handlers hand it a parsed, validated write and wait
 * (store_write) or are called back (store_write_async); the writer takes every write queued at that
 * moment, applies them within one transaction (group commit: one fsync for many requests; should one
 * fail, the group is applied again with a SAVEPOINT each, so it rolls back alone), commits, and only then
 * answers them. So an answer is sent only for data that is on disk. A large write (see
 * job_is_large) gets a transaction of its own, after the small ones queued with it. WAL mode lets
 * readers, each on a connection of its own from a small pool, read while the writer writes.
 *
 * Scalars are stored in blocks (see migrations/0001_init.sql): a write merges its points, sorted by step,
 * into the block whose step range they fall in, or appends them to the series' tail, rewriting each
 * touched block once and splitting any that outgrow VZ_SCALAR_BLOCK_POINTS. A write of a few points after
 * the last step is cheaper still: a row per point in the series' tail, which readers read after the
 * blocks, folded into blocks later (see fold_tail).
 *
 * Every block is inserted by insert_block and removed by delete_block, and nothing else touches
 * scalar_blocks: those two keep the block's M4 summary (migrations/0009_scalar_summaries.sql, level 0) in
 * step and note the steps they changed; before each COMMIT, commit_summaries rebuilds the groups of blocks
 * above (levels 1..SUMMARY_LEVELS) around the noted steps, once per series however many blocks the
 * transaction touched. So a transaction that changes blocks must end through commit_summaries. */
#include "vizd/block.h"
#include "vizd/clock.h"
#include "vizd/downsample.h"
#include "vizd/store.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <nettle/sha2.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vizd/json.h"
#include "vizd/migrate.h"

#define VIZD_APPLICATION_ID 0x76697a64 /* "vizd" in PRAGMA application_id marks our files */
#define MAX_READERS 16
#define MAX_GROUP_WRITES 512
#define IDLE_CHECKPOINT_MS 250

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

struct vz_store {
    char *path;
    sqlite3 *writer_db;
    writer_statements stmt;
    pthread_t writer_thread;
    pthread_mutex_t lock;
    pthread_cond_t job_ready, job_done;
    store_job *queue_head, *queue_tail;
    bool stopping;
    store_commit_hook hook;
    void *hook_ctx;
    int64_t fold_after; /* writer thread: the idle fold's place in series (see fold_some_tails) */
    pthread_mutex_t reader_lock;
    sqlite3 *idle_readers[MAX_READERS];
    int idle_count;
    /* Steps where the current write transaction changed blocks, whose summaries above level 0 are due
     * (writer thread only; see commit_summaries). */
    struct summary_change {
        int64_t series_id, first_step, last_step;
    } *summary_changes;
    size_t summary_change_count, summary_change_cap;
    bool has_lost_summary_change; /* out of memory noting one: the transaction must fail */
};

/* ---- small helpers --------------------------------------------------------------------------- */


static int sql_fail(vz_error *err, sqlite3 *db, const char *what)
{
    return vz_fail(err, 500, "internal", "", "database error while %s: %s", what, sqlite3_errmsg(db));
}

static int exec_sql(sqlite3 *db, const char *sql, const char *what, vz_error *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return sql_fail(err, db, what);
    return 0;
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static void bind_text(sqlite3_stmt *st, int index, const char *text)
{
    sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC);
}

/* SQLite stores a NaN REAL as NULL; summary columns hold NULL for non-finite values on purpose. */
static void bind_finite_or_null(sqlite3_stmt *st, int index, double v)
{
    if (isfinite(v)) sqlite3_bind_double(st, index, v);
    else sqlite3_bind_null(st, index);
}

static double blob_to_double(sqlite3_stmt *st, int column)
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
    if (pragma_int(db, "PRAGMA user_version", &user_version) < 0 ||
        pragma_int(db, "SELECT count(*) FROM sqlite_master", &objects) < 0)
        return vz_fail(err, 500, "internal", "", "%s: not a SQLite database (%s)", path, sqlite3_errmsg(db));
    pragma_int(db, "PRAGMA application_id", &application_id);
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
    if (pragma_int(db, "PRAGMA user_version", &current) < 0) return sql_fail(err, db, "reading the schema version");
    if (current >= latest_schema_version()) return 0;
    if (exec_sql(db, "BEGIN IMMEDIATE", "starting migrations", err) < 0) return -1;
    for (const vz_migration *m = vz_migrations; m->version; m++) {
        if (m->version <= current) continue;
        char pragma[96];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d; PRAGMA application_id = %d", m->version,
                 VIZD_APPLICATION_ID);
        if (exec_sql(db, m->sql, m->name, err) < 0 || exec_sql(db, pragma, m->name, err) < 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return exec_sql(db, "COMMIT", "committing migrations", err);
}

static void blob_name(const char *content_type, const unsigned char *bytes, size_t size,
                      char name[VZ_BLOB_NAME_BYTES + 1], int64_t *short_hash);

/* Name the blobs written before migration 0006, one at a time (a blob may be large), in one transaction. */
static int name_unnamed_blobs(sqlite3 *db, vz_error *err)
{
    sqlite3_stmt *next = NULL, *set = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, content_type, bytes FROM blobs WHERE sha256 IS NULL LIMIT 1", -1, &next,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE blobs SET sha256 = ?2 WHERE id = ?1", -1, &set, NULL) != SQLITE_OK) {
        sqlite3_finalize(next);
        return sql_fail(err, db, "naming blobs");
    }
    int rc = exec_sql(db, "BEGIN IMMEDIATE", "naming blobs", err);
    while (rc == 0) {
        int step = sqlite3_step(next);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = sql_fail(err, db, "naming blobs");
            break;
        }
        char name[VZ_BLOB_NAME_BYTES + 1];
        blob_name((const char *)sqlite3_column_text(next, 1), sqlite3_column_blob(next, 2),
                  (size_t)sqlite3_column_bytes(next, 2), name, NULL);
        sqlite3_bind_int64(set, 1, sqlite3_column_int64(next, 0));
        sqlite3_reset(next);
        bind_text(set, 2, name);
        if (sqlite3_step(set) != SQLITE_DONE) rc = sql_fail(err, db, "naming blobs");
        sqlite3_reset(set);
    }
    sqlite3_finalize(next);
    sqlite3_finalize(set);
    if (rc == 0) return exec_sql(db, "COMMIT", "naming blobs", err);
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int open_connection(const char *path, int flags, sqlite3 **out, vz_error *err)
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

static int prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql, vz_error *err)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return sql_fail(err, db, "preparing a statement");
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
    return prepare(db, st, sql, err);
}

static int prepare_writer_statements(vz_store *s, vz_error *err)
{
    sqlite3 *db = s->writer_db;
    writer_statements *w = &s->stmt;
    return prepare(db, &w->begin, "BEGIN IMMEDIATE", err) | prepare(db, &w->commit, "COMMIT", err) |
           prepare(db, &w->put_summary,
                   "INSERT OR REPLACE INTO scalar_summaries(series_id, level, first_step, last_step, count, picks) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6)", err) |
           prepare(db, &w->delete_summary,
                   "DELETE FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step = ?3", err) |
           prepare(db, &w->summary_at_or_before,
                   "SELECT first_step FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step <= ?3 "
                   "ORDER BY first_step DESC LIMIT 1", err) |
           prepare(db, &w->summary_before,
                   "SELECT first_step FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step < ?3 "
                   "ORDER BY first_step DESC LIMIT 1", err) |
           prepare(db, &w->summary_exists,
                   "SELECT 1 FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step = ?3", err) |
           prepare(db, &w->summaries_after,
                   "SELECT first_step FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step > ?3 "
                   "ORDER BY first_step", err) |
           prepare(db, &w->delete_summaries_between,
                   "DELETE FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 AND first_step BETWEEN ?3 AND ?4",
                   err) |
           prepare(db, &w->last_summary,
                   "SELECT first_step, last_step, count, picks FROM scalar_summaries WHERE series_id = ?1 "
                   "AND level = ?2 ORDER BY first_step DESC LIMIT 1", err) |
           prepare(db, &w->has_later_block,
                   "SELECT 1 FROM scalar_summaries WHERE series_id = ?1 AND level = 0 AND first_step > ?2", err) |
           prepare(db, &w->summaries_between,
                   "SELECT first_step, last_step, count, picks FROM scalar_summaries WHERE series_id = ?1 "
                   "AND level = ?2 AND first_step BETWEEN ?3 AND ?4 ORDER BY first_step", err) |
           prepare(db, &w->savepoint, "SAVEPOINT request", err) | prepare(db, &w->release, "RELEASE request", err) |
           prepare(db, &w->rollback_to, "ROLLBACK TO request", err) |
           prepare(db, &w->find_run, "SELECT id FROM runs WHERE name = ?1", err) |
           prepare(db, &w->touch_run, "UPDATE runs SET updated_at = ?2 WHERE id = ?1", err) |
           prepare(db, &w->insert_run, "INSERT INTO runs(name, created_at, updated_at) VALUES(?1, ?2, ?2)", err) |
           prepare(db, &w->set_description, "UPDATE runs SET description = ?2 WHERE id = ?1", err) |
           prepare(db, &w->set_hparams, "UPDATE runs SET hparams = ?2 WHERE id = ?1", err) |
           prepare(db, &w->find_series,
                   "SELECT id, count, last_step, tail_blocks, tail_points FROM series "
                   "WHERE run_id = ?1 AND kind = ?2 AND tag = ?3",
                   err) |
           prepare(db, &w->insert_series, "INSERT INTO series(run_id, kind, tag) VALUES(?1, ?2, ?3)", err) |
           prepare(db, &w->update_series,
                   "UPDATE series SET count = count + ?2, first_step = min(coalesce(first_step, ?3), ?3), "
                   "last_step = max(coalesce(last_step, ?4), ?4), "
                   "last_value = CASE WHEN ?6 THEN ?5 ELSE last_value END, "
                   "last_wall_time = CASE WHEN ?6 THEN ?7 ELSE last_wall_time END, tail_blocks = ?8, tail_points = ?9 "
                   "WHERE id = ?1", err) |
           prepare(db, &w->block_at_or_before,
                   "SELECT first_step, points FROM scalar_blocks WHERE series_id = ?1 AND first_step <= ?2 "
                   "ORDER BY first_step DESC LIMIT 1", err) |
           prepare(db, &w->first_block,
                   "SELECT first_step, points FROM scalar_blocks WHERE series_id = ?1 "
                   "ORDER BY first_step LIMIT 1", err) |
           prepare(db, &w->next_block_start,
                   "SELECT first_step FROM scalar_blocks WHERE series_id = ?1 AND first_step > ?2 "
                   "ORDER BY first_step LIMIT 1", err) |
           prepare(db, &w->last_blocks,
                   "SELECT first_step, points FROM (SELECT first_step, points FROM scalar_blocks WHERE series_id = ?1 "
                   "ORDER BY first_step DESC LIMIT ?2) ORDER BY first_step", err) |
           prepare(db, &w->series_with_tail,
                   "SELECT id, tail_blocks, tail_points FROM series WHERE id > ?2 AND (tail_blocks > 0 OR "
                   "tail_points > 0) ORDER BY id LIMIT ?1", err) |
           prepare(db, &w->set_tail_blocks, "UPDATE series SET tail_blocks = 0, tail_points = 0 WHERE id = ?1", err) |
           prepare(db, &w->insert_tail_point, "INSERT INTO scalar_tail(series_id, step, point) VALUES(?1, ?2, ?3)",
                   err) |
           prepare(db, &w->tail_points, "SELECT step, point FROM scalar_tail WHERE series_id = ?1 ORDER BY step", err) |
           prepare(db, &w->delete_tail, "DELETE FROM scalar_tail WHERE series_id = ?1", err) |
           prepare(db, &w->delete_block, "DELETE FROM scalar_blocks WHERE series_id = ?1 AND first_step = ?2", err) |
           prepare(db, &w->insert_block,
                   "INSERT INTO scalar_blocks(series_id, first_step, last_step, count, points) "
                   "VALUES(?1, ?2, ?3, ?4, ?5)", err) |
           prepare(db, &w->insert_histogram,
                   "INSERT OR REPLACE INTO histogram_steps(series_id, step, wall_time, stats, bucket_count, "
                   "nan_count, buckets) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", err) |
           prepare_recount(db, &w->recount_histogram_series, "histogram_steps", err) |
           prepare(db, &w->upsert_graph, "INSERT OR REPLACE INTO graphs(run_id, graph, updated_at) VALUES(?1, ?2, ?3)",
                   err) |
           prepare(db, &w->find_blob, "SELECT id FROM blobs WHERE sha256 = ?1", err) |
           prepare(db, &w->insert_blob,
                   "INSERT INTO blobs(hash, content_type, size, bytes, sha256) VALUES(?1, ?2, ?3, ?4, ?5)", err) |
           prepare(db, &w->insert_image,
                   "INSERT OR REPLACE INTO images(series_id, step, idx, wall_time, blob_id, width, height) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", err) |
           prepare(db, &w->insert_tensor,
                   "INSERT OR REPLACE INTO tensors(series_id, step, idx, wall_time, blob_id, shape, dtype, min_value, "
                   "max_value, display) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", err) |
           prepare(db, &w->insert_text,
                   "INSERT OR REPLACE INTO texts(series_id, step, idx, wall_time, text) VALUES(?1, ?2, ?3, ?4, ?5)", err) |
           prepare_recount(db, &w->recount_media_series[VZ_MEDIA_IMAGE], "images", err) |
           prepare_recount(db, &w->recount_media_series[VZ_MEDIA_TENSOR], "tensors", err) |
           prepare_recount(db, &w->recount_media_series[VZ_MEDIA_TEXT], "texts", err) |
           prepare(db, &w->old_image_blob, "SELECT blob_id FROM images WHERE series_id = ?1 AND step = ?2 AND idx = ?3",
                   err) |
           prepare(db, &w->old_tensor_blob,
                   "SELECT blob_id FROM tensors WHERE series_id = ?1 AND step = ?2 AND idx = ?3", err) |
           prepare(db, &w->delete_blob_if_unused,
                   "DELETE FROM blobs WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM images WHERE blob_id = ?1) "
                   "AND NOT EXISTS (SELECT 1 FROM tensors WHERE blob_id = ?1)", err);
}

static void finalize_writer_statements(writer_statements *w)
{
    sqlite3_stmt **all = (sqlite3_stmt **)w;
    for (size_t i = 0; i < sizeof *w / sizeof(sqlite3_stmt *); i++) sqlite3_finalize(all[i]);
}

static void *writer_main(void *arg);
static int fold_some_tails(vz_store *s, vz_error *err);
#define IDLE_FOLD_SERIES 256 /* series whose tails are folded per idle transaction (see fold_tail) */
static int build_pending_summaries(vz_store *s, vz_error *err);

static int path_is_nonempty_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

int store_open(vz_store **out, const char *path, vz_error *err)
{
    vz_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return vz_out_of_memory(err, "opening the store");
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->reader_lock, NULL);
    pthread_cond_init(&s->job_ready, NULL);
    pthread_cond_init(&s->job_done, NULL);

    bool existed = path_is_nonempty_file(path);
    if (open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->writer_db, err) < 0) goto fail;
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
    if (exec_sql(s->writer_db, "PRAGMA synchronous = NORMAL", "configuring", err) < 0) goto fail;
    if (apply_migrations(s->writer_db, err) < 0) goto fail;
    if (name_unnamed_blobs(s->writer_db, err) < 0) goto fail;
    /* The schema declares its references; SQLite checks them only when asked, per connection. Only this
     * connection writes. A run is deleted child tables first (apply_delete_run), so the checks hold. */
    if (exec_sql(s->writer_db, "PRAGMA foreign_keys = ON", "enabling foreign keys", err) < 0) goto fail;
    if (prepare_writer_statements(s, err) != 0) goto fail;
    if (build_pending_summaries(s, err) < 0) goto fail;
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        vz_fail(err, 500, "internal", "", "cannot start the writer thread");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    finalize_writer_statements(&s->stmt);
    sqlite3_close(s->writer_db);
    free(s->summary_changes);
    free(s->path);
    free(s);
    return -1;
}

void store_close(vz_store *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->job_ready);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->writer_thread, NULL);
    for (int i = 0; i < s->idle_count; i++) sqlite3_close(s->idle_readers[i]);
    vz_error err; /* a tail that cannot be folded now stays a valid tail, folded after the next start */
    s->fold_after = 0; /* one whole pass, wherever an idle one stopped */
    while (fold_some_tails(s, &err) == IDLE_FOLD_SERIES) continue;
    finalize_writer_statements(&s->stmt);
    sqlite3_exec(s->writer_db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(s->writer_db);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->reader_lock);
    pthread_cond_destroy(&s->job_ready);
    pthread_cond_destroy(&s->job_done);
    free(s->summary_changes);
    free(s->path);
    free(s);
}

void store_set_commit_hook(vz_store *s, store_commit_hook hook, void *ctx)
{
    s->hook = hook;
    s->hook_ctx = ctx;
}

/* ---- summaries of blocks and of groups of blocks (migrations/0009_scalar_summaries.sql) --------- */

#define SUMMARY_LEVELS 4      /* levels of groups above the blocks: a top group holds about 8^4 blocks */
static int put_summary(vz_store *s, int64_t series_id, int level, const vz_m4_summary *sum, vz_error *err)
{
    unsigned char picks[PICKS_BYTES];
    picks_encode(sum, picks);
    sqlite3_stmt *st = s->stmt.put_summary;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, level);
    sqlite3_bind_int64(st, 3, sum->first.step);
    sqlite3_bind_int64(st, 4, sum->last.step);
    sqlite3_bind_int64(st, 5, (int64_t)sum->count);
    sqlite3_bind_blob(st, 6, picks, sizeof picks, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "writing a scalar summary");
}

/* Remember that the blocks of series_id changed at first_step, for commit_summaries. Consecutive notes of
 * one series (a write's blocks) widen one range. */
static void note_summary_change(vz_store *s, int64_t series_id, int64_t first_step)
{
    if (s->summary_change_count) {
        struct summary_change *last = &s->summary_changes[s->summary_change_count - 1];
        if (last->series_id == series_id) {
            if (first_step < last->first_step) last->first_step = first_step;
            if (first_step > last->last_step) last->last_step = first_step;
            return;
        }
    }
    if (s->summary_change_count == s->summary_change_cap) {
        size_t cap = s->summary_change_cap ? 2 * s->summary_change_cap : 64;
        struct summary_change *grown = grow_array(s->summary_changes, cap, sizeof *grown);
        if (!grown) {
            s->has_lost_summary_change = true;
            return;
        }
        s->summary_changes = grown;
        s->summary_change_cap = cap;
    }
    s->summary_changes[s->summary_change_count++] = (struct summary_change){series_id, first_step, first_step};
}

static void forget_summary_changes(vz_store *s)
{
    s->summary_change_count = 0;
    s->has_lost_summary_change = false;
}

/* The first step of the last summary of (series, level) starting at or before step (or before it, when
 * is_strict); *found says whether there is one. */
static int summary_start_before(vz_store *s, int64_t series_id, int level, int64_t step, bool is_strict,
                                int64_t *out, bool *found, vz_error *err)
{
    sqlite3_stmt *st = is_strict ? s->stmt.summary_before : s->stmt.summary_at_or_before;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, level);
    sqlite3_bind_int64(st, 3, step);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "reading scalar summaries");
}

static int summary_exists(vz_store *s, int64_t series_id, int level, int64_t step, bool *exists, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.summary_exists;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, level);
    sqlite3_bind_int64(st, 3, step);
    int rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "reading scalar summaries");
}

/* The first group of level after step that starts at a boundary (not merely at what was the series' first
 * block): groups from there on are untouched by changes at or before step. */
static int next_boundary_group(vz_store *s, int64_t series_id, int level, int64_t step, int64_t *out, bool *found,
                               vz_error *err)
{
    sqlite3_stmt *st = s->stmt.summaries_after;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, level);
    sqlite3_bind_int64(st, 3, step);
    int rc;
    *found = false;
    while (!*found && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        *found = starts_group(*out, level);
    }
    sqlite3_reset(st);
    return *found || rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "reading scalar summaries");
}

/* Rebuild the groups of level (>= 1) that hold, or held before they changed, the entries of the level
 * below starting in [*lo, *hi]. On return [*lo, *hi] spans the groups rebuilt: what changed for the level
 * above. */
static int rebuild_level(vz_store *s, int64_t series_id, int level, int64_t *lo, int64_t *hi, vz_error *err)
{
    /* From the group holding *lo: the last to start at or before it, unless the entry it started at is
     * gone (then the group before). With none, from the series' first entry. */
    int64_t from = INT64_MIN, to = INT64_MAX;
    bool has_from, has_to, exists = true;
    if (summary_start_before(s, series_id, level, *lo, false, &from, &has_from, err) < 0) return -1;
    if (has_from && summary_exists(s, series_id, level - 1, from, &exists, err) < 0) return -1;
    if (has_from && !exists && summary_start_before(s, series_id, level, from, true, &from, &has_from, err) < 0)
        return -1;
    if (!has_from) from = INT64_MIN;
    /* To the group after *hi that starts at a boundary, which the change left as it was. */
    if (next_boundary_group(s, series_id, level, *hi, &to, &has_to, err) < 0) return -1;
    if (has_to) to--; /* > *hi >= INT64_MIN, so no overflow */
    else to = INT64_MAX;

    sqlite3_stmt *st = s->stmt.delete_summaries_between;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, level);
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, to);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "rebuilding scalar summaries");

    /* The entries below are read while this level's rows, elsewhere in the same index, are written. */
    st = s->stmt.summaries_between;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, level - 1);
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, to);
    vz_m4_summary group = {0}, entry;
    int put_rc = 0;
    while (put_rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t first_step = sqlite3_column_int64(st, 0);
        picks_decode(sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3), sqlite3_column_int64(st, 2), &entry);
        if (group.count && starts_group(first_step, level)) {
            put_rc = put_summary(s, series_id, level, &group, err);
            group.count = 0;
        }
        m4_summary_append(&group, &entry);
    }
    sqlite3_reset(st);
    if (put_rc < 0) return -1;
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "rebuilding scalar summaries");
    if (group.count && put_summary(s, series_id, level, &group, err) < 0) return -1;
    *lo = from;
    *hi = to;
    return 0;
}

/* Whether no block of the series starts after first_step. */
static int is_last_block(vz_store *s, int64_t series_id, int64_t first_step, bool *is_last, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.has_later_block;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, first_step);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    *is_last = rc == SQLITE_DONE;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "reading scalar summaries");
}

/* A block appended after every other block of its series, the common case (a training loop's points, a
 * tail block), extends each level's last group, or starts a new group where its first step is a boundary:
 * done at once, a read and a write per level, instead of a rebuild at commit. Should earlier changes of
 * the same transaction have left a last group stale, the rebuild they noted reaches to the series' end
 * and redoes it from the entries below. */
static int append_summaries(vz_store *s, int64_t series_id, const vz_m4_summary *block, vz_error *err)
{
    for (int level = 1; level <= SUMMARY_LEVELS; level++) {
        vz_m4_summary group = *block;
        if (!starts_group(block->first.step, level)) {
            sqlite3_stmt *st = s->stmt.last_summary;
            sqlite3_bind_int64(st, 1, series_id);
            sqlite3_bind_int(st, 2, level);
            int rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) { /* else the series' first block: it starts a group at every level */
                picks_decode(sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3), sqlite3_column_int64(st, 2),
                             &group);
                m4_summary_append(&group, block);
            }
            sqlite3_reset(st);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "reading scalar summaries");
        }
        if (put_summary(s, series_id, level, &group, err) < 0) return -1;
    }
    return 0;
}

static int compare_summary_changes(const void *a, const void *b)
{
    const struct summary_change *x = a, *y = b;
    if (x->series_id != y->series_id) return x->series_id < y->series_id ? -1 : 1;
    return x->first_step < y->first_step ? -1 : x->first_step > y->first_step;
}

/* Bring the groups above the blocks in line with the blocks changed since the transaction began: called
 * by the writer just before COMMIT. The noted ranges of a series are merged where they overlap and each
 * is rebuilt level by level; a range's rebuild may read groups a later range has yet to fix, which that
 * range's own rebuild then redoes, so the order does not matter. */
static int commit_summaries(vz_store *s, vz_error *err)
{
    int rc = 0;
    if (s->has_lost_summary_change) rc = vz_out_of_memory(err, "noting changed blocks");
    size_t n = s->summary_change_count;
    if (n) qsort(s->summary_changes, n, sizeof *s->summary_changes, compare_summary_changes);
    for (size_t i = 0; i < n && rc == 0;) {
        struct summary_change range = s->summary_changes[i++];
        while (i < n && s->summary_changes[i].series_id == range.series_id &&
               s->summary_changes[i].first_step <= range.last_step) {
            if (s->summary_changes[i].last_step > range.last_step) range.last_step = s->summary_changes[i].last_step;
            i++;
        }
        for (int level = 1; level <= SUMMARY_LEVELS && rc == 0; level++)
            rc = rebuild_level(s, range.series_id, level, &range.first_step, &range.last_step, err);
    }
    forget_summary_changes(s);
    return rc;
}

/* Build the summaries of the series migration 0009 left pending (written before summaries existed), in
 * one transaction. */
static int build_pending_summaries(vz_store *s, vz_error *err)
{
    sqlite3 *db = s->writer_db;
    sqlite3_stmt *pending = NULL, *blocks = NULL;
    if (sqlite3_prepare_v2(db, "SELECT series_id FROM scalar_summaries_pending", -1, &pending, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT points FROM scalar_blocks WHERE series_id = ?1 ORDER BY first_step", -1,
                           &blocks, NULL) != SQLITE_OK) {
        sqlite3_finalize(pending);
        return sql_fail(err, db, "summarising scalars");
    }
    int rc = exec_sql(db, "BEGIN IMMEDIATE", "summarising scalars", err), step_rc = SQLITE_DONE;
    point_columns block = {0};
    while (rc == 0 && (step_rc = sqlite3_step(pending)) == SQLITE_ROW) {
        int64_t series_id = sqlite3_column_int64(pending, 0);
        sqlite3_bind_int64(blocks, 1, series_id);
        int block_rc;
        while (rc == 0 && (block_rc = sqlite3_step(blocks)) == SQLITE_ROW) {
            block.count = 0;
            blob_decode_append(sqlite3_column_blob(blocks, 0), blob_point_count(sqlite3_column_bytes(blocks, 0)),
                               &block);
            if (block.is_failed) rc = vz_out_of_memory(err, "summarising scalars");
            if (rc == 0 && block.count == 0) continue;
            vz_m4_summary summary;
            if (rc == 0) m4_summarise(block.steps, block.wall_times_s, block.values, block.count, &summary);
            if (rc == 0 && (rc = put_summary(s, series_id, 0, &summary, err)) == 0)
                note_summary_change(s, series_id, summary.first.step);
        }
        if (rc == 0 && block_rc != SQLITE_DONE) rc = sql_fail(err, db, "summarising scalars");
        sqlite3_reset(blocks);
    }
    if (rc == 0 && step_rc != SQLITE_DONE) rc = sql_fail(err, db, "summarising scalars");
    sqlite3_finalize(pending);
    sqlite3_finalize(blocks);
    columns_free(&block);
    if (rc == 0) rc = commit_summaries(s, err);
    if (rc == 0) rc = exec_sql(db, "DELETE FROM scalar_summaries_pending", "summarising scalars", err);
    if (rc == 0) return exec_sql(db, "COMMIT", "summarising scalars", err);
    forget_summary_changes(s);
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Insert the points [from, from + n) of c as a block, with its summaries. is_appended: the caller knows
 * that no block of the series starts after it (a fold of the tail), which saves looking. */
static int insert_block(vz_store *s, int64_t series_id, const point_columns *c, size_t from, size_t n,
                        bool is_appended, vz_error *err)
{
    unsigned char *blob = blob_encode(c, from, n);
    if (!blob) return vz_out_of_memory(err, "a scalar block");
    /* The block's min_value, max_value, first_value and last_value columns (migration 0001) stay NULL:
     * nothing reads them since the level-0 summary below holds the block's extremes, with their steps. */
    sqlite3_stmt *st = s->stmt.insert_block;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, c->steps[from]);
    sqlite3_bind_int64(st, 3, c->steps[from + n - 1]);
    sqlite3_bind_int64(st, 4, (int64_t)n);
    sqlite3_bind_blob(st, 5, blob, (int)(n * POINT_BYTES), free);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "writing a scalar block");
    vz_m4_summary summary;
    m4_summarise(c->steps + from, c->wall_times_s + from, c->values + from, n, &summary);
    if (put_summary(s, series_id, 0, &summary, err) < 0) return -1;
    bool is_last = is_appended;
    if (!is_last && is_last_block(s, series_id, summary.first.step, &is_last, err) < 0) return -1;
    if (is_last) return append_summaries(s, series_id, &summary, err);
    note_summary_change(s, series_id, summary.first.step);
    return 0;
}

/* Load the block a step belongs to: the last block starting at or before it, or else the first block
 * (for a step before every block). *found is false when the series has no block yet. */
static int load_block_for_step(vz_store *s, int64_t series_id, int64_t step, point_columns *block,
                               int64_t *block_start, bool *found, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.block_at_or_before;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, step);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        st = s->stmt.first_block;
        sqlite3_bind_int64(st, 1, series_id);
        rc = sqlite3_step(st);
    }
    *found = rc == SQLITE_ROW;
    block->count = 0;
    if (*found) {
        *block_start = sqlite3_column_int64(st, 0);
        blob_decode_append(sqlite3_column_blob(st, 1), blob_point_count(sqlite3_column_bytes(st, 1)), block);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "reading a scalar block");
    return block->is_failed ? vz_out_of_memory(err, "a scalar block") : 0;
}

static int64_t next_block_start(vz_store *s, int64_t series_id, int64_t after, bool *exists)
{
    sqlite3_stmt *st = s->stmt.next_block_start;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, after);
    *exists = sqlite3_step(st) == SQLITE_ROW;
    int64_t start = *exists ? sqlite3_column_int64(st, 0) : INT64_MAX;
    sqlite3_reset(st);
    return start;
}

static int delete_block(vz_store *s, int64_t series_id, int64_t first_step, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.delete_block;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, first_step);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "replacing a scalar block");
    st = s->stmt.delete_summary;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, 0);
    sqlite3_bind_int64(st, 3, first_step);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "replacing a scalar block");
    note_summary_change(s, series_id, first_step);
    return 0;
}

/* Insert c's points as blocks; is_appended: they come after every block of the series (see insert_block). */
static int write_blocks(vz_store *s, int64_t series_id, const point_columns *c, bool is_appended, vz_error *err)
{
    for (size_t from = 0; from < c->count; from += VZ_SCALAR_BLOCK_POINTS) {
        size_t n = c->count - from < VZ_SCALAR_BLOCK_POINTS ? c->count - from : VZ_SCALAR_BLOCK_POINTS;
        if (insert_block(s, series_id, c, from, n, is_appended, err) < 0) return -1;
    }
    return 0;
}

/* Store sorted, unique points into a series' blocks, touching each affected block once. */
static int merge_into_blocks(vz_store *s, int64_t series_id, const point_columns *in, size_t *added,
                             vz_error *err)
{
    point_columns block = {0}, merged = {0};
    int rc = 0;
    *added = 0;
    for (size_t i = 0; i < in->count && rc == 0;) {
        int64_t block_start = 0;
        bool found = false, has_next = false;
        if ((rc = load_block_for_step(s, series_id, in->steps[i], &block, &block_start, &found, err)) < 0) break;
        int64_t next_start = found ? next_block_start(s, series_id, block_start, &has_next) : INT64_MAX;
        size_t end = i;
        while (end < in->count && (!has_next || in->steps[end] < next_start)) end++;
        /* A full tail block is left alone when the new points all come after it: they open new blocks. */
        bool append_after_full = found && block.count >= VZ_SCALAR_BLOCK_POINTS &&
                                 in->steps[i] > block.steps[block.count - 1];
        if (append_after_full) block.count = 0;
        else if (found && (rc = delete_block(s, series_id, block_start, err)) < 0) break;
        *added += merge_points(&block, in, i, end, &merged);
        if (merged.is_failed) rc = vz_out_of_memory(err, "merging scalar blocks");
        else rc = write_blocks(s, series_id, &merged, false, err);
        i = end;
    }
    columns_free(&block);
    columns_free(&merged);
    return rc;
}

/* ---- the tail: cheap appends (migrations/0010_scalar_tail_points.sql) -------------------------------
 * A write of a few points after a series' last step, the common case of a training loop logging a point
 * per step, inserts one row per point into scalar_tail instead of touching the blocks: one b-tree row
 * where a block would cost the block, its index entry and a summary row at every level (a one-point
 * append wrote a dozen rows, most of a one-point request's time). series.tail_points counts them. They
 * are folded, with the open block before them, into full blocks when TAIL_MAX_POINTS have gathered,
 * before any write that lands at or before the last step (so merges only ever meet folded blocks), when
 * the writer is idle, and when the store closes. Every tail step comes after every block's, so readers
 * append the tail after the blocks (read_tail). Tail blocks of migration 0008 (series.tail_blocks: the
 * series' last rows of scalar_blocks) are no longer made; those an older vizd left are folded the same
 * way. */
#define TAIL_MAX_POINTS 256
#define TAIL_APPEND_MAX_POINTS 32 /* a write of more points per tag goes into full blocks at once */

/* What waits in a series' tail: tail blocks (0008) and tail points (0010). */
typedef struct {
    int64_t blocks, points;
} series_tail;

/* A tail row's point column: wall time and value, float64 each, in the machine's byte order as in the
 * blocks. */
#define TAIL_POINT_BYTES (2 * sizeof(double))

/* Append the rows of a statement selecting (step, point) of scalar_tail, in step order, to out. */
static int tail_rows_append(sqlite3 *db, sqlite3_stmt *st, point_columns *out, vz_error *err)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double pair[2] = {NAN, NAN}; /* a point BLOB of the wrong size (a damaged file) reads as NaN */
        const void *point = sqlite3_column_blob(st, 1);
        if (point && sqlite3_column_bytes(st, 1) == (int)TAIL_POINT_BYTES) memcpy(pair, point, sizeof pair);
        columns_push(out, sqlite3_column_int64(st, 0), pair[0], pair[1]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sql_fail(err, db, "reading a series' tail");
    return out->is_failed ? vz_out_of_memory(err, "reading a series' tail") : 0;
}

/* The series' tail points in [start, end] (migrations/0010_scalar_tail_points.sql), appended to out: they
 * come after every block's, so a reader hands them on after the blocks. */
static const char tail_in_range_sql[] =
    "SELECT step, point FROM scalar_tail WHERE series_id = ?1 AND step BETWEEN ?2 AND ?3 ORDER BY step";

static int read_tail(sqlite3 *db, int64_t series_id, int64_t start, int64_t end, point_columns *out, vz_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, tail_in_range_sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(err, db, "reading a series' tail");
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, start);
    sqlite3_bind_int64(st, 3, end);
    int rc = tail_rows_append(db, st, out, err);
    sqlite3_finalize(st);
    return rc;
}

/* Insert the sorted points in, all after the series' last step, as tail rows. */
static int append_to_tail(vz_store *s, int64_t series_id, const point_columns *in, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.insert_tail_point;
    for (size_t i = 0; i < in->count; i++) {
        unsigned char point[TAIL_POINT_BYTES];
        memcpy(point, &in->wall_times_s[i], sizeof(double));
        memcpy(point + sizeof(double), &in->values[i], sizeof(double));
        sqlite3_bind_int64(st, 1, series_id);
        sqlite3_bind_int64(st, 2, in->steps[i]);
        sqlite3_bind_blob(st, 3, point, sizeof point, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "appending to a series' tail");
    }
    return 0;
}

/* Fold a series' tail (its last tail.blocks block rows and its tail rows) and the open block before it,
 * followed by the sorted points in (NULL: none), which all come after them, into full blocks. */
static int fold_tail(vz_store *s, int64_t series_id, series_tail tail, const point_columns *in, vz_error *err)
{
    point_columns merged = {0};
    sqlite3_stmt *st = s->stmt.last_blocks;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, tail.blocks + 1);
    int rc = 0, step_rc;
    while ((step_rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t n = blob_point_count(sqlite3_column_bytes(st, 1));
        if (merged.count == 0 && n >= VZ_SCALAR_BLOCK_POINTS) continue; /* a full block before the tail stays */
        blob_decode_append(sqlite3_column_blob(st, 1), n, &merged);
        if ((rc = delete_block(s, series_id, sqlite3_column_int64(st, 0), err)) < 0) break;
    }
    sqlite3_reset(st);
    if (step_rc == SQLITE_ROW) {
        columns_free(&merged);
        return -1;
    }
    if (step_rc != SQLITE_DONE) rc = sql_fail(err, s->writer_db, "folding a series' tail");
    if (rc == 0 && tail.points > 0) {
        st = s->stmt.tail_points;
        sqlite3_bind_int64(st, 1, series_id);
        rc = tail_rows_append(s->writer_db, st, &merged, err);
        st = s->stmt.delete_tail;
        sqlite3_bind_int64(st, 1, series_id);
        if (rc == 0 && sqlite3_step(st) != SQLITE_DONE) rc = sql_fail(err, s->writer_db, "folding a series' tail");
        sqlite3_reset(st);
    }
    if (rc == 0 && in) columns_append(&merged, in->steps, in->wall_times_s, in->values, in->count);
    /* What is folded comes after every block left, so each new block is the series' last. */
    if (rc == 0 && merged.is_failed) rc = vz_out_of_memory(err, "folding a series' tail");
    if (rc == 0) rc = write_blocks(s, series_id, &merged, true, err);
    columns_free(&merged);
    return rc;
}

/* Store a tag's sorted, unique points: appended to the tail when they are few and all after the last step,
 * else merged into folded blocks. *tail is the series' tail before and after; *added counts the points
 * that were not there before. */
static int store_points(vz_store *s, int64_t series_id, bool has_last_step, int64_t last_step,
                        const point_columns *in, series_tail *tail, size_t *added, vz_error *err)
{
    bool is_append = !has_last_step || in->steps[0] > last_step;
    *added = is_append ? in->count : 0;
    if (is_append && in->count <= TAIL_APPEND_MAX_POINTS && tail->blocks == 0 &&
        tail->points + (int64_t)in->count <= TAIL_MAX_POINTS) {
        tail->points += (int64_t)in->count;
        return append_to_tail(s, series_id, in, err);
    }
    series_tail folded = *tail;
    *tail = (series_tail){0, 0};
    if (is_append) return fold_tail(s, series_id, folded, in, err);
    if ((folded.blocks > 0 || folded.points > 0) && fold_tail(s, series_id, folded, NULL, err) < 0) return -1;
    return merge_into_blocks(s, series_id, in, added, err);
}

/* Fold the tails of up to IDLE_FOLD_SERIES series in one transaction, those after s->fold_after. Returns
 * how many were folded (fewer than IDLE_FOLD_SERIES: none is left), or -1 (nothing folded). */
static int fold_some_tails(vz_store *s, vz_error *err)
{
    sqlite3 *db = s->writer_db;
    if (exec_sql(db, "BEGIN IMMEDIATE", "folding tails", err) < 0) return -1;
    int64_t ids[IDLE_FOLD_SERIES];
    series_tail tails[IDLE_FOLD_SERIES];
    int n = 0, rc = 0, step_rc;
    sqlite3_stmt *st = s->stmt.series_with_tail;
    sqlite3_bind_int64(st, 1, IDLE_FOLD_SERIES);
    sqlite3_bind_int64(st, 2, s->fold_after);
    while (n < IDLE_FOLD_SERIES && (step_rc = sqlite3_step(st)) == SQLITE_ROW) {
        ids[n] = sqlite3_column_int64(st, 0);
        tails[n++] = (series_tail){sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)};
    }
    sqlite3_reset(st);
    if (n < IDLE_FOLD_SERIES && step_rc != SQLITE_DONE) rc = sql_fail(err, db, "folding tails");
    for (int i = 0; i < n && rc == 0; i++) {
        if ((rc = fold_tail(s, ids[i], tails[i], NULL, err)) < 0) break;
        st = s->stmt.set_tail_blocks;
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sql_fail(err, db, "folding tails");
        sqlite3_reset(st);
    }
    if (rc == 0 && commit_summaries(s, err) == 0 && exec_sql(db, "COMMIT", "folding tails", err) == 0) {
        s->fold_after = n == IDLE_FOLD_SERIES ? ids[n - 1] : 0; /* a pass over every series ends with fewer */
        return n;
    }
    forget_summary_changes(s);
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* ---- applying a write ------------------------------------------------------------------------- */

/* Find the run and touch its updated_at, or create it. Three plain statements rather than one INSERT ...
 * ON CONFLICT DO UPDATE ... RETURNING: an upsert opens a statement journal (a savepoint) each time, and
 * that was a sixth of the cost of a one-point write. */
static int upsert_run(vz_store *s, const vz_write *w, double now, int64_t *run_id, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.find_run;
    bind_text(st, 1, w->run);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *run_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "finding the run");
    bool exists = rc == SQLITE_ROW;
    st = exists ? s->stmt.touch_run : s->stmt.insert_run;
    if (exists) sqlite3_bind_int64(st, 1, *run_id);
    else bind_text(st, 1, w->run);
    sqlite3_bind_double(st, 2, now);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "writing the run");
    if (!exists) *run_id = sqlite3_last_insert_rowid(s->writer_db);
    for (int k = 0; k < 2; k++) {
        const char *text = k == 0 ? w->description : w->hparams_json;
        if (!text) continue;
        st = k == 0 ? s->stmt.set_description : s->stmt.set_hparams;
        sqlite3_bind_int64(st, 1, *run_id);
        bind_text(st, 2, text);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "writing the run");
    }
    return 0;
}

typedef struct {
    int64_t id;
    bool has_last_step;
    int64_t last_step;
    series_tail tail; /* scalars: see fold_tail */
} series_state;

static int find_or_create_series(vz_store *s, int64_t run_id, const char *kind, const char *tag,
                                 series_state *out, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.find_series;
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, kind);
    bind_text(st, 3, tag);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->has_last_step = sqlite3_column_type(st, 2) != SQLITE_NULL;
        out->last_step = sqlite3_column_int64(st, 2);
        out->tail = (series_tail){sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4)};
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "finding a series");
    st = s->stmt.insert_series;
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, kind);
    bind_text(st, 3, tag);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "creating a series");
    out->id = sqlite3_last_insert_rowid(s->writer_db);
    out->has_last_step = false;
    out->last_step = 0;
    out->tail = (series_tail){0, 0};
    return 0;
}

/* ---- grouping a write's items by tag ----------------------------------------------------------- */

/* One item of a write, keyed for grouping: sorting by (kind, tag, index) puts each tag's items together,
 * in request order, in O(n log n), however many distinct tags a request holds. */
typedef struct {
    int kind;
    const char *tag;
    size_t index;
} tagged_item;

static int compare_tagged_items(const void *a, const void *b)
{
    const tagged_item *x = a, *y = b;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    int order = strcmp(x->tag, y->tag);
    if (order) return order;
    return x->index < y->index ? -1 : x->index > y->index;
}

static tagged_item *sort_tagged_items(tagged_item *items, size_t n)
{
    qsort(items, n, sizeof *items, compare_tagged_items);
    return items;
}

/* The end of the group that starts at from: the first item of another kind or tag. */
static size_t group_end(const tagged_item *items, size_t n, size_t from)
{
    size_t end = from + 1;
    while (end < n && items[end].kind == items[from].kind && strcmp(items[end].tag, items[from].tag) == 0) end++;
    return end;
}

static tagged_item *alloc_tagged_items(size_t n)
{
    return grow_array(NULL, n ? n : 1, sizeof(tagged_item));
}

/* The step a point or item gets: its own, or the tag's last step + 1 (0 for a new tag). Keeps the running
 * last step; false when counting up would overflow int64. */
static bool take_step(bool needs_step, int64_t *step, bool *has_last, int64_t *last)
{
    if (needs_step) {
        if (*has_last && *last == INT64_MAX) return false;
        *step = *has_last ? *last + 1 : 0;
    }
    if (!*has_last || *step > *last) *last = *step;
    *has_last = true;
    return true;
}

/* ---- scalars of a write --------------------------------------------------------------------------- */

/* Give every point of the group that came without a step the tag's last step + 1, in request order. */
static int assign_steps(vz_write *w, const tagged_item *group, size_t n, series_state *series, vz_error *err)
{
    bool has_last = series->has_last_step;
    int64_t last = series->last_step;
    for (size_t g = 0; g < n; g++) {
        vz_scalar_item *item = &w->scalars[group[g].index];
        for (size_t i = 0; i < item->count; i++) {
            if (take_step(item->needs_step && item->needs_step[i], &item->steps[i], &has_last, &last)) continue;
            char path[64];
            snprintf(path, sizeof path, "scalars[%zu].step", group[g].index);
            return vz_fail(err, 400, "invalid_value", path, "the next step would overflow int64");
        }
    }
    return 0;
}

typedef struct {
    int64_t step;
    size_t order; /* position in the request: a later write of the same step wins */
    double wall_time_s, value;
} ordered_point;

static int compare_ordered_points(const void *a, const void *b)
{
    const ordered_point *x = a, *y = b;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Whether the group's points, in request order, already rise strictly: the common case of a training
 * loop writing a batch of new steps, which then needs no sort. */
static bool group_points_rise(const vz_write *w, const tagged_item *group, size_t n)
{
    bool has_previous = false;
    int64_t previous = 0;
    for (size_t g = 0; g < n; g++) {
        const vz_scalar_item *item = &w->scalars[group[g].index];
        for (size_t i = 0; i < item->count; i++) {
            if (has_previous && item->steps[i] <= previous) return false;
            previous = item->steps[i];
            has_previous = true;
        }
    }
    return true;
}

/* All points of one tag's group, sorted by step, the last write of a step kept. */
static void gather_group_points(const vz_write *w, const tagged_item *group, size_t n, point_columns *out)
{
    size_t total = 0, k = 0;
    for (size_t g = 0; g < n; g++) total += w->scalars[group[g].index].count;
    out->count = 0;
    if (columns_reserve(out, total ? total : 1) < 0) return;
    if (group_points_rise(w, group, n)) {
        for (size_t g = 0; g < n; g++) {
            const vz_scalar_item *item = &w->scalars[group[g].index];
            columns_append(out, item->steps, item->wall_times_s, item->values, item->count);
        }
        return;
    }
    ordered_point *all = grow_array(NULL, total ? total : 1, sizeof *all);
    if (!all) {
        out->is_failed = true;
        return;
    }
    for (size_t g = 0; g < n; g++) {
        const vz_scalar_item *item = &w->scalars[group[g].index];
        for (size_t i = 0; i < item->count; i++, k++)
            all[k] = (ordered_point){item->steps[i], k, item->wall_times_s[i], item->values[i]};
    }
    qsort(all, k, sizeof *all, compare_ordered_points);
    for (size_t i = 0; i < k; i++) {
        if (i + 1 < k && all[i + 1].step == all[i].step) continue;
        columns_push(out, all[i].step, all[i].wall_time_s, all[i].value);
    }
    free(all);
}

static int update_series_summary(vz_store *s, int64_t series_id, const series_state *before,
                                 const point_columns *points, size_t added, const series_tail *tail, vz_error *err)
{
    size_t last = points->count - 1;
    bool is_new_last = !before->has_last_step || points->steps[last] >= before->last_step;
    double value = points->values[last];
    sqlite3_stmt *st = s->stmt.update_series;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, (int64_t)added);
    sqlite3_bind_int64(st, 3, points->steps[0]);
    sqlite3_bind_int64(st, 4, points->steps[last]);
    sqlite3_bind_blob(st, 5, &value, sizeof value, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, is_new_last);
    sqlite3_bind_double(st, 7, points->wall_times_s[last]);
    sqlite3_bind_int64(st, 8, tail->blocks);
    sqlite3_bind_int64(st, 9, tail->points);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "updating a series");
}

static int apply_scalars(vz_store *s, int64_t run_id, vz_write *w, vz_error *err)
{
    tagged_item *items = alloc_tagged_items(w->scalar_count);
    if (!items) return vz_out_of_memory(err, "the write");
    for (size_t k = 0; k < w->scalar_count; k++) items[k] = (tagged_item){0, w->scalars[k].tag, k};
    sort_tagged_items(items, w->scalar_count);
    point_columns points = {0};
    int rc = 0;
    for (size_t from = 0, end; from < w->scalar_count && rc == 0; from = end) {
        end = group_end(items, w->scalar_count, from);
        series_state series = {0};
        size_t added = 0;
        if ((rc = find_or_create_series(s, run_id, "scalars", items[from].tag, &series, err)) < 0) break;
        if ((rc = assign_steps(w, items + from, end - from, &series, err)) < 0) break;
        gather_group_points(w, items + from, end - from, &points);
        if (points.is_failed) {
            rc = vz_out_of_memory(err, "the write");
            break;
        }
        if (points.count == 0) continue;
        series_tail tail = series.tail;
        if ((rc = store_points(s, series.id, series.has_last_step, series.last_step, &points, &tail, &added,
                               err)) < 0)
            break;
        rc = update_series_summary(s, series.id, &series, &points, added, &tail, err);
    }
    columns_free(&points);
    free(items);
    return rc;
}

static int insert_histogram(vz_store *s, int64_t series_id, const vz_histogram_item *item, vz_error *err)
{
    const vz_histogram *h = &item->histogram;
    double stats[5] = {h->min, h->max, h->num, h->sum, h->sum_squares};
    size_t n = h->bucket_count;
    double *buckets = grow_array(NULL, n ? 2 * n : 1, sizeof *buckets);
    if (!buckets) return vz_out_of_memory(err, "a histogram");
    if (n) {
        memcpy(buckets, h->bucket_limits, n * sizeof *buckets);
        memcpy(buckets + n, h->bucket_counts, n * sizeof *buckets);
    }
    sqlite3_stmt *st = s->stmt.insert_histogram;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, item->step);
    sqlite3_bind_double(st, 3, item->wall_time_s);
    sqlite3_bind_blob(st, 4, stats, sizeof stats, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, (int64_t)n);
    sqlite3_bind_int64(st, 6, (int64_t)h->nan_count);
    sqlite3_bind_blob(st, 7, buckets, (int)(2 * n * sizeof *buckets), free);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "writing a histogram");
}

static int recount_series(vz_store *s, sqlite3_stmt *st, int64_t series_id, vz_error *err)
{
    sqlite3_bind_int64(st, 1, series_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "updating a series");
}

/* Each tag's histograms in request order; one without a step gets the tag's last step + 1. */
static int apply_histograms(vz_store *s, int64_t run_id, vz_write *w, vz_error *err)
{
    tagged_item *items = alloc_tagged_items(w->histogram_count);
    if (!items) return vz_out_of_memory(err, "the write");
    for (size_t k = 0; k < w->histogram_count; k++) items[k] = (tagged_item){0, w->histograms[k].tag, k};
    sort_tagged_items(items, w->histogram_count);
    int rc = 0;
    for (size_t from = 0, end; from < w->histogram_count && rc == 0; from = end) {
        end = group_end(items, w->histogram_count, from);
        series_state series = {0};
        if ((rc = find_or_create_series(s, run_id, "histograms", items[from].tag, &series, err)) < 0) break;
        for (size_t g = from; g < end && rc == 0; g++) {
            vz_histogram_item *item = &w->histograms[items[g].index];
            if (!take_step(item->needs_step, &item->step, &series.has_last_step, &series.last_step)) {
                char path[64];
                snprintf(path, sizeof path, "histograms[%zu].step", items[g].index);
                rc = vz_fail(err, 400, "invalid_value", path, "the next step would overflow int64");
                break;
            }
            rc = insert_histogram(s, series.id, item, err);
        }
        if (rc == 0) rc = recount_series(s, s->stmt.recount_histogram_series, series.id, err);
    }
    free(items);
    return rc;
}

static int upsert_graph(vz_store *s, int64_t run_id, const char *graph_json, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.upsert_graph;
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, graph_json);
    sqlite3_bind_double(st, 3, clock_now_s());
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "writing a graph");
}

/* A blob's name (migrations/0006_blob_names.sql): the SHA-256 of its content type, a NUL byte and its
 * bytes, as 64 lowercase hex digits. The content type is part of it because the same bytes stored as an
 * image and as a tensor are two blobs, answered with different types. */
static void blob_name(const char *content_type, const unsigned char *bytes, size_t size,
                      char name[VZ_BLOB_NAME_BYTES + 1], int64_t *short_hash)
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(content_type) + 1, (const uint8_t *)content_type);
    sha256_update(&ctx, size, bytes);
    sha256_digest(&ctx, sizeof digest, digest);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof digest; i++) {
        name[2 * i] = hex[digest[i] >> 4];
        name[2 * i + 1] = hex[digest[i] & 15];
    }
    name[VZ_BLOB_NAME_BYTES] = '\0';
    uint64_t first = 0;
    for (int i = 0; i < 8; i++) first = first << 8 | digest[i];
    if (short_hash) *short_hash = (int64_t)first; /* fills the old hash column, which is NOT NULL */
}

/* The id of a blob holding exactly these bytes, stored now if no blob does yet. */
static int store_blob(vz_store *s, const vz_media_item *item, int64_t *blob_id, vz_error *err)
{
    char name[VZ_BLOB_NAME_BYTES + 1];
    int64_t short_hash;
    blob_name(item->content_type, item->bytes, item->size, name, &short_hash);
    sqlite3_stmt *st = s->stmt.find_blob;
    bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *blob_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "finding a blob");
    st = s->stmt.insert_blob;
    sqlite3_bind_int64(st, 1, short_hash);
    bind_text(st, 2, item->content_type);
    sqlite3_bind_int64(st, 3, (int64_t)item->size);
    sqlite3_bind_blob(st, 4, item->bytes, (int)item->size, SQLITE_STATIC);
    bind_text(st, 5, name);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "writing a blob");
    *blob_id = sqlite3_last_insert_rowid(s->writer_db);
    return 0;
}

/* The blob of the image or tensor stored at (series, step, index), or 0 when there is none. */
static int64_t blob_at(vz_store *s, int64_t series_id, const vz_media_item *item)
{
    sqlite3_stmt *st = item->kind == VZ_MEDIA_IMAGE ? s->stmt.old_image_blob : s->stmt.old_tensor_blob;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, item->step);
    sqlite3_bind_int64(st, 3, item->index);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return id;
}

static int delete_blob_if_unused(vz_store *s, int64_t blob_id, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.delete_blob_if_unused;
    sqlite3_bind_int64(st, 1, blob_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "removing an unused blob");
}

static int insert_media(vz_store *s, int64_t series_id, const vz_media_item *item, vz_error *err)
{
    int64_t blob_id = 0, replaced_blob_id = 0;
    if (item->kind != VZ_MEDIA_TEXT) {
        replaced_blob_id = blob_at(s, series_id, item);
        if (store_blob(s, item, &blob_id, err) < 0) return -1;
    }
    sqlite3_stmt *st = item->kind == VZ_MEDIA_IMAGE ? s->stmt.insert_image
                       : item->kind == VZ_MEDIA_TENSOR ? s->stmt.insert_tensor
                                                       : s->stmt.insert_text;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, item->step);
    sqlite3_bind_int64(st, 3, item->index);
    sqlite3_bind_double(st, 4, item->wall_time_s);
    if (item->kind == VZ_MEDIA_TEXT) {
        bind_text(st, 5, item->text);
    } else {
        sqlite3_bind_int64(st, 5, blob_id);
    }
    if (item->kind == VZ_MEDIA_IMAGE) {
        sqlite3_bind_int64(st, 6, item->width);
        sqlite3_bind_int64(st, 7, item->height);
    } else if (item->kind == VZ_MEDIA_TENSOR) {
        bind_text(st, 6, item->shape_json);
        bind_text(st, 7, item->dtype);
        bind_finite_or_null(st, 8, item->min);
        bind_finite_or_null(st, 9, item->max);
        bind_text(st, 10, item->display_json);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "writing an item");
    /* A replaced image or tensor may have left its old bytes without a user. */
    return replaced_blob_id && replaced_blob_id != blob_id ? delete_blob_if_unused(s, replaced_blob_id, err) : 0;
}

static const char *const media_kind_names[] = {"images", "tensors", "texts"};

/* Per kind and tag, in request order; an item without a step gets the tag's last step + 1. */
static int apply_media(vz_store *s, int64_t run_id, vz_write *w, vz_error *err)
{
    tagged_item *items = alloc_tagged_items(w->media_count);
    if (!items) return vz_out_of_memory(err, "the write");
    for (size_t k = 0; k < w->media_count; k++) items[k] = (tagged_item){(int)w->media[k].kind, w->media[k].tag, k};
    sort_tagged_items(items, w->media_count);
    int rc = 0;
    for (size_t from = 0, end; from < w->media_count && rc == 0; from = end) {
        end = group_end(items, w->media_count, from);
        vz_media_kind kind = (vz_media_kind)items[from].kind;
        series_state series = {0};
        if ((rc = find_or_create_series(s, run_id, media_kind_names[kind], items[from].tag, &series, err)) < 0) break;
        for (size_t g = from; g < end && rc == 0; g++) {
            vz_media_item *item = &w->media[items[g].index];
            if (!take_step(item->needs_step, &item->step, &series.has_last_step, &series.last_step)) {
                rc = vz_fail(err, 400, "invalid_value", "step", "the next step would overflow int64");
                break;
            }
            rc = insert_media(s, series.id, item, err);
        }
        if (rc == 0) rc = recount_series(s, s->stmt.recount_media_series[kind], series.id, err);
    }
    free(items);
    return rc;
}

/* ---- followed event files (follow.c) -----------------------------------------------------------
 * How far each followed file has been read, saved inside the write that carries the data of the records
 * before that offset: the two commit together or not at all, so a restart resumes exactly there. Prepared
 * per write rather than kept with the writer's statements: one such write carries thousands of points. */

static int save_source_progress(vz_store *s, const vz_source_progress *p, vz_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s->writer_db, &st,
                "INSERT INTO followed_files(path, inode, first_crc, offset) VALUES(?1, ?2, ?3, ?4) "
                "ON CONFLICT(path) DO UPDATE SET inode = excluded.inode, first_crc = excluded.first_crc, "
                "offset = excluded.offset", err) < 0)
        return -1;
    bind_text(st, 1, p->path);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)p->inode);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)p->first_crc);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)p->offset);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, "saving a followed file's offset");
}

static int apply_write(vz_store *s, vz_write *w, vz_error *err)
{
    int64_t run_id = 0;
    if (upsert_run(s, w, clock_now_s(), &run_id, err) < 0) return -1;
    if (apply_scalars(s, run_id, w, err) < 0) return -1;
    if (apply_histograms(s, run_id, w, err) < 0) return -1;
    if (apply_media(s, run_id, w, err) < 0) return -1;
    if (w->graph_json && upsert_graph(s, run_id, w->graph_json, err) < 0) return -1;
    return w->source ? save_source_progress(s, w->source, err) : 0;
}

static int apply_delete_run(vz_store *s, const char *run, vz_error *err)
{
    static const char *const statements[] = {
        "DELETE FROM scalar_tail WHERE series_id IN "
        "(SELECT series.id FROM series JOIN runs ON runs.id = series.run_id WHERE runs.name = ?1)",
        "DELETE FROM scalar_blocks WHERE series_id IN "
        "(SELECT series.id FROM series JOIN runs ON runs.id = series.run_id WHERE runs.name = ?1)",
        "DELETE FROM scalar_summaries WHERE series_id IN "
        "(SELECT series.id FROM series JOIN runs ON runs.id = series.run_id WHERE runs.name = ?1)",
        "DELETE FROM scalar_summaries_pending WHERE series_id IN "
        "(SELECT series.id FROM series JOIN runs ON runs.id = series.run_id WHERE runs.name = ?1)",
        "DELETE FROM histogram_steps WHERE series_id IN "
        "(SELECT series.id FROM series JOIN runs ON runs.id = series.run_id WHERE runs.name = ?1)",
        "DELETE FROM images WHERE series_id IN "
        "(SELECT series.id FROM series JOIN runs ON runs.id = series.run_id WHERE runs.name = ?1)",
        "DELETE FROM tensors WHERE series_id IN "
        "(SELECT series.id FROM series JOIN runs ON runs.id = series.run_id WHERE runs.name = ?1)",
        "DELETE FROM texts WHERE series_id IN "
        "(SELECT series.id FROM series JOIN runs ON runs.id = series.run_id WHERE runs.name = ?1)",
        "DELETE FROM blobs WHERE ?1 IS NOT NULL AND id NOT IN (SELECT blob_id FROM images) "
        "AND id NOT IN (SELECT blob_id FROM tensors)",
        "DELETE FROM series WHERE run_id IN (SELECT id FROM runs WHERE name = ?1)",
        "DELETE FROM graphs WHERE run_id IN (SELECT id FROM runs WHERE name = ?1)",
        "DELETE FROM runs WHERE name = ?1",
    };
    for (size_t i = 0; i < sizeof statements / sizeof *statements; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->writer_db, statements[i], -1, &st, NULL) != SQLITE_OK)
            return sql_fail(err, s->writer_db, "deleting a run");
        bind_text(st, 1, run);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return sql_fail(err, s->writer_db, "deleting a run");
    }
    if (sqlite3_changes(s->writer_db) == 0) return vz_fail(err, 404, "not_found", "run", "no such run");
    return 0;
}

/* ---- the writer thread and group commit -------------------------------------------------------- */

static int apply_job(vz_store *s, store_job *job)
{
    if (job->kind == JOB_WRITE) return apply_write(s, job->write, &job->err);
    return apply_delete_run(s, job->run, &job->err);
}

/* A statement around the requests (BEGIN, SAVEPOINT, ROLLBACK TO, RELEASE, COMMIT) failed, or an I/O
 * error rolled the transaction back under us: what the transaction holds is then unknown, so none of it
 * is committed. Every job not already refused on its own fails with that error; a job refused for its
 * own reason (a 400 naming its field) keeps that answer. */
static void fail_group(vz_store *s, store_job *jobs, const vz_error *err)
{
    forget_summary_changes(s);
    if (!sqlite3_get_autocommit(s->writer_db)) sqlite3_exec(s->writer_db, "ROLLBACK", NULL, NULL, NULL);
    for (store_job *job = jobs; job; job = job->next) {
        if (job->rc < 0) continue;
        job->rc = -1;
        job->err = *err;
    }
}

/* Run one of the prepared transaction statements (BEGIN, SAVEPOINT, ...): they run for every group and
 * every request, and parsing them each time was a tenth of a one-point write. */
static int run_statement(vz_store *s, sqlite3_stmt *st, const char *what, vz_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(err, s->writer_db, what);
}

/* Apply a group of jobs in one transaction. With savepoints, each job runs in a SAVEPOINT of its own, so a
 * failing job is undone alone. Without, a failing job rolls the whole transaction back (nothing of it is
 * committed, and every job's rc is reset) and -1 asks for the group to be applied again with them. */
static int apply_group(vz_store *s, store_job *jobs, bool has_savepoints)
{
    sqlite3 *db = s->writer_db;
    writer_statements *w = &s->stmt;
    vz_error group_err;
    if (run_statement(s, w->begin, "starting a transaction", &group_err) < 0) {
        fail_group(s, jobs, &group_err);
        return 0;
    }
    for (store_job *job = jobs; job; job = job->next) {
        if (has_savepoints && run_statement(s, w->savepoint, "starting a request", &group_err) < 0) {
            fail_group(s, jobs, &group_err);
            return 0;
        }
        job->rc = apply_job(s, job);
        if (job->rc < 0 && !has_savepoints) {
            forget_summary_changes(s);
            if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            for (store_job *each = jobs; each; each = each->next) each->rc = 0;
            return -1;
        }
        if (has_savepoints &&
            ((job->rc < 0 && run_statement(s, w->rollback_to, "undoing a refused request", &group_err) < 0) ||
             run_statement(s, w->release, "finishing a request", &group_err) < 0)) {
            fail_group(s, jobs, &group_err);
            return 0;
        }
        if (sqlite3_get_autocommit(db)) { /* an I/O error rolled back the whole transaction */
            vz_fail(&group_err, 500, "internal", "", "the transaction was rolled back by the database");
            fail_group(s, jobs, &group_err);
            return 0;
        }
    }
    if (commit_summaries(s, &group_err) < 0 || run_statement(s, w->commit, "committing", &group_err) < 0) {
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

/* After a burst of writes, once the queue has been idle a moment, copy the WAL into the database and
 * truncate it. Until then readers find the newest pages in the WAL, which they read with pread rather
 * than through the memory map: a reduced query over a freshly written million points takes twice as long.
 * A reader in the way only makes this checkpoint give up early (short busy timeout); the next idle
 * moment tries again, and SQLite's own automatic checkpoints keep running meanwhile. */
static bool checkpoint_when_idle(vz_store *s)
{
    sqlite3_busy_timeout(s->writer_db, 20);
    int rc = sqlite3_wal_checkpoint_v2(s->writer_db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_busy_timeout(s->writer_db, 10000);
    return rc == SQLITE_OK;
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
    return group;
}

/* What the writer does once the queue has been idle a moment: fold the tails of some series, and when
 * none is left, checkpoint. Sets whether idle work remains and whether it is due at once (more tails). */
static void work_when_idle(vz_store *s, bool *has_idle_work, bool *is_due)
{
    vz_error err; /* a fold that fails leaves valid tails; the next idle moment after a write tries again */
    if (fold_some_tails(s, &err) == IDLE_FOLD_SERIES) {
        *has_idle_work = *is_due = true;
        return;
    }
    *is_due = false;
    *has_idle_work = !checkpoint_when_idle(s); /* a reader was in the way: try again */
}

static void *writer_main(void *arg)
{
    vz_store *s = arg;
    bool has_idle_work = false, is_due = false;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->queue_head && !s->stopping) {
            if (!has_idle_work) {
                pthread_cond_wait(&s->job_ready, &s->lock);
                continue;
            }
            if (wait_for_job(s, is_due ? 0 : IDLE_CHECKPOINT_MS) == ETIMEDOUT) {
                pthread_mutex_unlock(&s->lock);
                work_when_idle(s, &has_idle_work, &is_due);
                pthread_mutex_lock(&s->lock);
            }
        }
        if (!s->queue_head) break; /* stopping, and every queued job is done */
        has_idle_work = true;
        is_due = false; /* the rest of a long idle fold waits for the next idle moment */
        store_job *group = take_group(s);
        pthread_mutex_unlock(&s->lock);
        commit_group(s, group);
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
    for (size_t i = 0; i < n; i++) {
        if (s->queue_tail) s->queue_tail->next = &jobs[i];
        else s->queue_head = &jobs[i];
        s->queue_tail = &jobs[i];
    }
    pthread_cond_signal(&s->job_ready);
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
    if (s->queue_tail) s->queue_tail->next = job;
    else s->queue_head = job;
    s->queue_tail = job;
    pthread_cond_signal(&s->job_ready);
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

/* ---- reading ---------------------------------------------------------------------------------- */

static int reader_acquire(vz_store *s, sqlite3 **out, vz_error *err)
{
    pthread_mutex_lock(&s->reader_lock);
    sqlite3 *db = s->idle_count ? s->idle_readers[--s->idle_count] : NULL;
    pthread_mutex_unlock(&s->reader_lock);
    if (db) {
        *out = db;
        return 0;
    }
    if (open_connection(s->path, SQLITE_OPEN_READWRITE, &db, err) < 0) return -1;
    /* Reading blocks through a memory map instead of read() copies halves the time of a reduced query. As
     * much of the file as SQLite allows (its build caps the map, at 2 GiB on Debian): a block past the map
     * is read with pread() through a page cache of a few MB, which doubled the cost of a zoom into the
     * end of a 2.5 GB series against one into its start. */
    sqlite3_exec(db, "PRAGMA query_only = 1; PRAGMA mmap_size = 1099511627776", NULL, NULL, NULL);
    *out = db;
    return 0;
}

/* A connection still inside a transaction (its COMMIT failed) would hold an old snapshot for the next
 * reader: it is closed rather than pooled. */
static void reader_release(vz_store *s, sqlite3 *db)
{
    pthread_mutex_lock(&s->reader_lock);
    if (s->idle_count < MAX_READERS && sqlite3_get_autocommit(db)) {
        s->idle_readers[s->idle_count++] = db;
        db = NULL;
    }
    pthread_mutex_unlock(&s->reader_lock);
    sqlite3_close(db);
}

/* A read transaction, so the statements of one answer see one consistent snapshot. */
static int read_begin(sqlite3 *db, vz_error *err) { return exec_sql(db, "BEGIN", "starting a read", err); }

/* End a read begun with read_begin; rc is the read's own result, which a failing COMMIT turns into an
 * error when the read itself succeeded. */
static int read_end(sqlite3 *db, int rc, vz_error *err)
{
    if (sqlite3_get_autocommit(db)) return rc;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        if (rc == 0) rc = sql_fail(err, db, "finishing a read");
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

int store_read_sources(vz_store *s, store_source_fn visit, void *ctx, vz_error *err)
{
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    sqlite3_stmt *st = NULL;
    int rc = read_begin(db, err);
    if (rc == 0) rc = prepare(db, &st, "SELECT path, inode, first_crc, offset FROM followed_files", err);
    while (rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = sql_fail(err, db, "reading followed files");
            break;
        }
        vz_source_progress p = {(const char *)sqlite3_column_text(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
                                (uint32_t)sqlite3_column_int64(st, 2), (uint64_t)sqlite3_column_int64(st, 3)};
        if (p.path) rc = visit(ctx, &p, err);
    }
    sqlite3_finalize(st);
    rc = read_end(db, rc, err);
    reader_release(s, db);
    return rc;
}

/* A run's graph counts as a kind of its own: 1 or 0, so the dashboard knows which runs have one. */
static const char list_runs_sql[] =
    "SELECT r.name, r.description, r.hparams, r.created_at, r.updated_at, s.kind, "
    "sum(s.count) FROM runs r LEFT JOIN series s ON s.run_id = r.id "
    "GROUP BY r.id, s.kind "
    "UNION ALL SELECT r.name, r.description, r.hparams, r.created_at, r.updated_at, 'graph', "
    "(SELECT count(*) FROM graphs g WHERE g.run_id = r.id) FROM runs r "
    "ORDER BY 1, 6";

/* A run spans a row per kind, so the row handed out keeps copies of its strings: stepping to the next
 * kind's row frees SQLite's. */
struct store_runs_cursor {
    vz_store *store;
    sqlite3 *db;
    sqlite3_stmt *st;
    bool has_row; /* st stands on the first row of the next run */
    store_run_row row;
    char *strings[3 + VZ_RUN_KINDS]; /* name, description, hparams, each kind */
};

static void runs_cursor_free_row(store_runs_cursor *c)
{
    for (size_t i = 0; i < sizeof c->strings / sizeof *c->strings; i++) {
        free(c->strings[i]);
        c->strings[i] = NULL;
    }
    memset(&c->row, 0, sizeof c->row);
}

/* A copy of column i's text kept in the cursor's string slot k ("" for NULL); NULL when out of memory. */
static const char *runs_cursor_keep(store_runs_cursor *c, size_t k, int i, const char *if_null)
{
    const char *text = (const char *)sqlite3_column_text(c->st, i);
    c->strings[k] = strdup(text ? text : if_null);
    return c->strings[k];
}

int store_runs_cursor_open(vz_store *s, store_runs_cursor **out, vz_error *err)
{
    store_runs_cursor *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "listing runs");
    c->store = s;
    if (reader_acquire(s, &c->db, err) < 0) {
        free(c);
        return -1;
    }
    int rc = read_begin(c->db, err);
    if (rc == 0 && sqlite3_prepare_v2(c->db, list_runs_sql, -1, &c->st, NULL) != SQLITE_OK)
        rc = sql_fail(err, c->db, "listing runs");
    if (rc == 0) {
        int step = sqlite3_step(c->st);
        c->has_row = step == SQLITE_ROW;
        if (step != SQLITE_ROW && step != SQLITE_DONE) rc = sql_fail(err, c->db, "listing runs");
    }
    if (rc < 0) {
        store_runs_cursor_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

int store_runs_cursor_next(store_runs_cursor *c, const store_run_row **run, vz_error *err)
{
    *run = NULL;
    runs_cursor_free_row(c);
    if (!c->has_row) return 0;
    store_run_row *r = &c->row;
    r->name = runs_cursor_keep(c, 0, 0, "");
    r->description = runs_cursor_keep(c, 1, 1, "");
    r->hparams_json = runs_cursor_keep(c, 2, 2, "{}");
    r->created_at = sqlite3_column_double(c->st, 3);
    r->updated_at = sqlite3_column_double(c->st, 4);
    if (!r->name || !r->description || !r->hparams_json) return vz_out_of_memory(err, "listing runs");
    int step = SQLITE_ROW;
    while (step == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(c->st, 0), r->name) == 0) {
        if (sqlite3_column_type(c->st, 5) != SQLITE_NULL) {
            if (r->kind_count == VZ_RUN_KINDS)
                return vz_fail(err, 500, "internal", "", "a run has more than %d kinds", VZ_RUN_KINDS);
            const char *kind = runs_cursor_keep(c, 3 + r->kind_count, 5, "");
            if (!kind) return vz_out_of_memory(err, "listing runs");
            r->counts[r->kind_count].kind = kind;
            r->counts[r->kind_count++].count = sqlite3_column_int64(c->st, 6);
        }
        step = sqlite3_step(c->st);
    }
    c->has_row = step == SQLITE_ROW;
    if (step != SQLITE_ROW && step != SQLITE_DONE) return sql_fail(err, c->db, "listing runs");
    *run = r;
    return 0;
}

void store_runs_cursor_close(store_runs_cursor *c)
{
    if (!c) return;
    sqlite3_finalize(c->st);
    if (c->db) {
        read_end(c->db, 0, NULL);
        reader_release(c->store, c->db);
    }
    runs_cursor_free_row(c);
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

/* ---- run summaries: what the HParams view needs, in one read ------------------------------------ */

/* Per run: its hparams and, per asked scalar tag, the series' count and last point (kept in the series
 * row) and its lowest and highest value (NaN left out) with the step where each first occurs, from the
 * series' top-level M4 summaries (a row per about 4 M points): no point is read. */
struct store_summary_cursor {
    vz_store *store;
    sqlite3 *db;
    sqlite3_stmt *all_runs, *one_run; /* id, name, hparams */
    sqlite3_stmt *series, *top_summaries, *tail;
    char **runs; /* the runs asked for by name (copied: the cursor outlives the request), or NULL: all */
    size_t run_count, next_run;
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

/* Steps to the cursor's next run (SQLITE_ROW, *row standing on it), or SQLITE_DONE after the last. A run asked
 * for by name that is missing is a 404. */
static int summary_next_run(store_summary_cursor *c, sqlite3_stmt **row, vz_error *err)
{
    if (!c->runs) {
        *row = c->all_runs;
        int rc = sqlite3_step(c->all_runs);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? rc : sql_fail(err, c->db, "listing runs");
    }
    if (c->next_run == c->run_count) return SQLITE_DONE;
    const char *name = c->runs[c->next_run++];
    *row = c->one_run;
    sqlite3_reset(c->one_run);
    bind_text(c->one_run, 1, name);
    int rc = sqlite3_step(c->one_run);
    if (rc == SQLITE_DONE) return vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", name);
    return rc == SQLITE_ROW ? rc : sql_fail(err, c->db, "listing runs");
}

int store_summary_cursor_open(vz_store *s, const char *const *tags, size_t tag_count, const char *const *runs,
                              size_t run_count, store_summary_cursor **out, vz_error *err)
{
    store_summary_cursor *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "the run summaries");
    c->store = s;
    int rc = 0;
    if (run_count && !(c->runs = calloc(run_count, sizeof *c->runs))) rc = vz_out_of_memory(err, "the run summaries");
    for (size_t i = 0; rc == 0 && i < run_count; i++, c->run_count++)
        if (!(c->runs[i] = strdup(runs[i]))) rc = vz_out_of_memory(err, "the run summaries");
    for (size_t i = 0; rc == 0 && i < tag_count && i < VZ_MAX_SUMMARY_TAGS; i++, c->tag_count++)
        if (!(c->tags[i] = strdup(tags[i]))) rc = vz_out_of_memory(err, "the run summaries");
    if (rc == 0 && reader_acquire(s, &c->db, err) < 0) rc = -1;
    if (rc < 0) {
        store_summary_cursor_close(c);
        return -1;
    }
    rc = read_begin(c->db, err);
    if (rc == 0) rc = prepare(c->db, &c->all_runs, "SELECT id, name, hparams FROM runs ORDER BY name", err);
    if (rc == 0) rc = prepare(c->db, &c->one_run, "SELECT id, name, hparams FROM runs WHERE name = ?1", err);
    if (rc == 0)
        rc = prepare(c->db, &c->series,
                     "SELECT id, count, last_step, last_value, last_wall_time FROM series "
                     "WHERE run_id = ?1 AND kind = 'scalars' AND tag = ?2",
                     err);
    if (rc == 0)
        rc = prepare(c->db, &c->top_summaries,
                     "SELECT count, picks FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 "
                     "ORDER BY first_step",
                     err);
    if (rc == 0) rc = prepare(c->db, &c->tail, tail_in_range_sql, err);
    /* Without tags asked for, the metric tags the runs' add_hparams recorded: a first pass over the runs. */
    if (rc == 0 && tag_count == 0) {
        sqlite3_stmt *row;
        int step;
        while (rc == 0 && (step = summary_next_run(c, &row, err)) == SQLITE_ROW)
            rc = add_metric_tags(c, (const char *)sqlite3_column_text(row, 2), err);
        if (rc == 0 && step != SQLITE_DONE) rc = -1;
        sqlite3_reset(c->all_runs);
        c->next_run = 0;
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

/* The series' M4 summary as a whole: its rows at the top level of scalar_summaries (groups of about 8^4
 * blocks, which partition the blocks) appended in step order, then its tail's points, so the lowest and
 * highest value (NaN left out, the earliest of equal ones) come with their steps from a row or two and at
 * most TAIL_MAX_POINTS points, without a block opened. */
static int summarise_whole_series(store_summary_cursor *c, int64_t series_id, vz_m4_summary *whole, vz_error *err)
{
    *whole = (vz_m4_summary){0};
    sqlite3_stmt *st = c->top_summaries;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, SUMMARY_LEVELS);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        vz_m4_summary group;
        picks_decode(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), sqlite3_column_int64(st, 0), &group);
        m4_summary_append(whole, &group);
    }
    if (rc != SQLITE_DONE) return sql_fail(err, c->db, "summarising a series");
    /* The tail's points come after every group's. */
    point_columns tail = {0};
    sqlite3_bind_int64(c->tail, 1, series_id);
    sqlite3_bind_int64(c->tail, 2, INT64_MIN);
    sqlite3_bind_int64(c->tail, 3, INT64_MAX);
    rc = tail_rows_append(c->db, c->tail, &tail, err);
    if (rc == 0 && tail.count) {
        vz_m4_summary group;
        m4_summarise(tail.steps, tail.wall_times_s, tail.values, tail.count, &group);
        m4_summary_append(whole, &group);
    }
    columns_free(&tail);
    return rc;
}

/* The summary of (run, tag) into the next of the current run's tag summaries; nothing when the run has no
 * points of that tag. */
static int summarise_series(store_summary_cursor *c, int64_t run_id, const char *tag, vz_error *err)
{
    sqlite3_stmt *st = c->series;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, tag);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || (rc == SQLITE_ROW && sqlite3_column_type(st, 2) == SQLITE_NULL)) return 0;
    if (rc != SQLITE_ROW) return sql_fail(err, c->db, "summarising a series");
    int64_t series_id = sqlite3_column_int64(st, 0);
    store_tag_summary *t = &c->summaries[c->current.tag_count];
    *t = (store_tag_summary){.tag = tag, .count = sqlite3_column_int64(st, 1),
                             .last = {sqlite3_column_int64(st, 2), sqlite3_column_double(st, 4), blob_to_double(st, 3)}};
    vz_m4_summary whole;
    if (summarise_whole_series(c, series_id, &whole, err) < 0) return -1;
    t->has_extremes = whole.count > 0 && whole.has_finite;
    t->min = whole.min;
    t->max = whole.max;
    c->current.tag_count++;
    return 0;
}

int store_summary_cursor_next(store_summary_cursor *c, const store_run_summary **run, vz_error *err)
{
    *run = NULL;
    sqlite3_stmt *row;
    int rc = summary_next_run(c, &row, err);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return -1;
    int64_t run_id = sqlite3_column_int64(row, 0);
    const char *hparams = (const char *)sqlite3_column_text(row, 2);
    c->current = (store_run_summary){.name = (const char *)sqlite3_column_text(row, 1),
                                     .hparams_json = hparams ? hparams : "{}", .tags = c->summaries};
    for (size_t i = 0; i < c->tag_count; i++)
        if (summarise_series(c, run_id, c->tags[i], err) < 0) return -1;
    *run = &c->current;
    return 0;
}

void store_summary_cursor_close(store_summary_cursor *c)
{
    if (!c) return;
    sqlite3_stmt *statements[] = {c->all_runs, c->one_run, c->series, c->top_summaries, c->tail};
    for (size_t i = 0; i < sizeof statements / sizeof *statements; i++) sqlite3_finalize(statements[i]);
    if (c->db) {
        read_end(c->db, 0, NULL);
        reader_release(c->store, c->db);
    }
    for (size_t i = 0; i < c->tag_count; i++) free(c->tags[i]);
    for (size_t i = 0; i < c->run_count; i++) free(c->runs[i]);
    free(c->runs);
    free(c);
}

/* A page is the `limit` series after the cursor in id order (the primary key: a page starts where the last
 * one ended, in O(log n)), handed out sorted by run, kind and id so that a caller can write each run's and
 * each kind's object once, as it goes, instead of building a tree. With a run named, its series are found
 * through the (run_id, kind, tag) index rather than by reading every series after the cursor. */
#define TAGS_PAGE_COLUMNS                                                                                        \
    "SELECT r.name, p.kind, p.tag, p.count, p.first_step, p.last_step, p.last_value, p.last_wall_time, p.id "   \
    "FROM page p JOIN runs r ON r.id = p.run_id ORDER BY p.run_id, p.kind, p.id"
static const char tags_page_sql[] =
    "WITH page AS (SELECT * FROM series s WHERE s.id > ?3 AND (?2 IS NULL OR s.kind = ?2) AND s.count > 0 "
    "ORDER BY s.id LIMIT ?4) " TAGS_PAGE_COLUMNS;
static const char tags_page_of_run_sql[] =
    "WITH page AS (SELECT * FROM series s WHERE s.run_id = (SELECT id FROM runs WHERE name = ?1) AND s.id > ?3 "
    "AND (?2 IS NULL OR s.kind = ?2) AND s.count > 0 ORDER BY s.id LIMIT ?4) " TAGS_PAGE_COLUMNS;
static const char tags_after_page_sql[] =
    "SELECT EXISTS (SELECT 1 FROM series s WHERE s.id > ?3 AND (?2 IS NULL OR s.kind = ?2) AND s.count > 0 "
    "AND (?1 IS NULL OR s.run_id = (SELECT id FROM runs WHERE name = ?1)))";

static int tags_page_statement(sqlite3 *db, const char *sql, const char *run, const char *kind, int64_t after,
                               int64_t limit, sqlite3_stmt **st, vz_error *err)
{
    if (prepare(db, st, sql, err) < 0) return -1;
    if (run) bind_text(*st, 1, run);
    if (kind) bind_text(*st, 2, kind);
    sqlite3_bind_int64(*st, 3, after);
    sqlite3_bind_int64(*st, 4, limit);
    return 0;
}

int store_visit_tags(vz_store *s, const char *run, const char *kind, int64_t after, size_t limit,
                     store_tag_visitor visit, void *ctx, int64_t *next, vz_error *err)
{
    *next = -1;
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    sqlite3_stmt *st = NULL;
    int64_t last_id = after;
    size_t rows = 0;
    int rc = read_begin(db, err); /* the page and the look past it see one snapshot */
    if (rc == 0)
        rc = tags_page_statement(db, run ? tags_page_of_run_sql : tags_page_sql, run, kind, after, (int64_t)limit,
                                 &st, err);
    while (rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = sql_fail(err, db, "listing tags");
            break;
        }
        store_tag_info info = {
            .run = (const char *)sqlite3_column_text(st, 0), .kind = (const char *)sqlite3_column_text(st, 1),
            .tag = (const char *)sqlite3_column_text(st, 2), .count = sqlite3_column_int64(st, 3),
            .first_step = sqlite3_column_int64(st, 4), .last_step = sqlite3_column_int64(st, 5),
            .has_last_value = sqlite3_column_type(st, 6) == SQLITE_BLOB, .last_value = blob_to_double(st, 6),
            .last_wall_time = sqlite3_column_double(st, 7)};
        int64_t id = sqlite3_column_int64(st, 8);
        if (id > last_id) last_id = id;
        rows++;
        if (!info.run || !info.kind || !info.tag) {
            rc = vz_out_of_memory(err, "listing tags");
            break;
        }
        rc = visit(ctx, &info, err);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == 0 && rows == limit) {
        /* Is there a series past this full page? (It may have been the last one.) */
        rc = tags_page_statement(db, tags_after_page_sql, run, kind, last_id, 0, &st, err);
        if (rc == 0 && sqlite3_step(st) != SQLITE_ROW) rc = sql_fail(err, db, "listing tags");
        if (rc == 0 && sqlite3_column_int(st, 0)) *next = last_id;
        sqlite3_finalize(st);
    }
    rc = read_end(db, rc, err);
    reader_release(s, db);
    return rc;
}

static int find_run_series(sqlite3 *db, const char *run, const char *kind, const char *tag,
                           int64_t *series_id, int64_t *first_step, int64_t *last_step, vz_error *err)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT r.id, s.id, s.first_step, s.last_step FROM runs r LEFT JOIN series s "
                      "ON s.run_id = r.id AND s.kind = ?2 AND s.tag = ?3 WHERE r.name = ?1";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return sql_fail(err, db, "finding a series");
    bind_text(st, 1, run);
    bind_text(st, 2, kind);
    bind_text(st, 3, tag);
    int rc = sqlite3_step(st);
    bool has_series = rc == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL &&
                      sqlite3_column_type(st, 2) != SQLITE_NULL;
    *series_id = has_series ? sqlite3_column_int64(st, 1) : -1;
    *first_step = has_series ? sqlite3_column_int64(st, 2) : 0;
    *last_step = has_series ? sqlite3_column_int64(st, 3) : 0;
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", run);
    if (rc != SQLITE_ROW) return sql_fail(err, db, "finding a series");
    return 0;
}

/* The blocks of series ?1 holding steps in [?2, ?3], in step order. The scan starts at the block holding ?2,
 * found by one index descent (the subquery): a condition on last_step alone would make SQLite walk every
 * block from the series' first, so a zoom into the end of a long series would cost more than one into its
 * start. A block starting at or before ?2 that ends before it yields no point; the readers skip it. */
static const char blocks_in_range_sql[] =
    "SELECT points FROM scalar_blocks WHERE series_id = ?1 AND first_step >= "
    "coalesce((SELECT first_step FROM scalar_blocks WHERE series_id = ?1 AND first_step <= ?2 "
    "ORDER BY first_step DESC LIMIT 1), ?2) AND first_step <= ?3 ORDER BY first_step";

/* Hand the visitor the points of one block that fall in [start, end]. A block's BLOB is large enough to
 * live on overflow pages, which SQLite assembles into a malloc'd (so aligned) buffer: its columns are then
 * used where they lie. Only a BLOB at an odd address is copied into aligned columns first. */
static void visit_block(const unsigned char *blob, size_t n, int64_t start, int64_t end, point_columns *scratch,
                        const store_scalar_visitor *visitor)
{
    const int64_t *steps;
    const double *walls, *values;
    if ((uintptr_t)blob % sizeof(int64_t) == 0) {
        steps = (const int64_t *)(const void *)blob;
        walls = (const double *)(const void *)(blob + n * sizeof(int64_t));
        values = walls + n;
    } else {
        scratch->count = 0;
        blob_decode_append(blob, n, scratch);
        if (scratch->is_failed) return;
        steps = scratch->steps;
        walls = scratch->wall_times_s;
        values = scratch->values;
    }
    size_t from = 0, to = n;
    while (from < to && steps[from] < start) from++;
    while (to > from && steps[to - 1] > end) to--;
    if (to > from) visitor->points(visitor->ctx, steps + from, walls + from, values + from, to - from);
}

/* Hand the visitor the series' tail points in [start, end], after its blocks. */
static int visit_tail(sqlite3 *db, int64_t series_id, int64_t start, int64_t end, point_columns *scratch,
                      const store_scalar_visitor *visitor, vz_error *err)
{
    scratch->count = 0;
    if (read_tail(db, series_id, start, end, scratch, err) < 0) return -1;
    if (scratch->count)
        visitor->points(visitor->ctx, scratch->steps, scratch->wall_times_s, scratch->values, scratch->count);
    return 0;
}

static int scan_blocks(sqlite3 *db, int64_t series_id, int64_t start, int64_t end,
                       const store_scalar_visitor *visitor, vz_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, blocks_in_range_sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(err, db, "reading scalars");
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, start);
    sqlite3_bind_int64(st, 3, end);
    point_columns scratch = {0};
    int rc;
    while (!scratch.is_failed && (rc = sqlite3_step(st)) == SQLITE_ROW)
        visit_block(sqlite3_column_blob(st, 0), blob_point_count(sqlite3_column_bytes(st, 0)), start, end,
                    &scratch, visitor);
    sqlite3_finalize(st);
    if (scratch.is_failed) rc = vz_out_of_memory(err, "reading scalars");
    else if (rc != SQLITE_DONE) rc = sql_fail(err, db, "reading scalars");
    else rc = visit_tail(db, series_id, start, end, &scratch, visitor, err);
    columns_free(&scratch);
    return rc;
}


/* ---- reading through the summaries: a reduced query in O(buckets x log n) rows --------------------- */

/* The entries of one summary level from some step on, in step order. */
typedef struct {
    sqlite3_stmt *st;
    bool has_row;
    int64_t first_step, last_step;
} level_cursor;

static int cursor_step(sqlite3 *db, level_cursor *c, vz_error *err)
{
    int rc = sqlite3_step(c->st);
    c->has_row = rc == SQLITE_ROW;
    if (c->has_row) {
        c->first_step = sqlite3_column_int64(c->st, 0);
        c->last_step = sqlite3_column_int64(c->st, 1);
    }
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_fail(err, db, "reading scalar summaries");
}

/* Put the cursor on the first entry starting at or after step. Where the walk goes next is usually the
 * next row, so one step is tried before a seek (an index descent). */
static int cursor_reach(sqlite3 *db, level_cursor *c, int64_t step, vz_error *err)
{
    if (c->has_row && c->first_step >= step) return 0;
    if (c->has_row && cursor_step(db, c, err) < 0) return -1;
    if (c->has_row && c->first_step >= step) return 0;
    sqlite3_reset(c->st);
    sqlite3_bind_int64(c->st, 3, step);
    return cursor_step(db, c, err);
}

static void summary_of_row(const level_cursor *c, vz_m4_summary *out)
{
    picks_decode(sqlite3_column_blob(c->st, 3), sqlite3_column_bytes(c->st, 3), sqlite3_column_int64(c->st, 2), out);
}

/* Hand the visitor the points of [start, end] of a series, each entry (block or group) that lies whole in
 * the range and in one span (see store_scalar_visitor) as its summary, and only the blocks that straddle
 * the range's ends or a span's border as points. Walking left to right, at each block the coarsest group
 * starting there that fits is taken, and the walk continues after it. */
static int walk_summaries(sqlite3 *db, int64_t series_id, int64_t start, int64_t end,
                          const store_scalar_visitor *visitor, vz_error *err)
{
    level_cursor levels[SUMMARY_LEVELS + 1] = {0};
    sqlite3_stmt *block = NULL;
    point_columns scratch = {0};
    int rc = 0;
    for (int level = 0; level <= SUMMARY_LEVELS && rc == 0; level++) {
        if (sqlite3_prepare_v2(db, "SELECT first_step, last_step, count, picks FROM scalar_summaries "
                               "WHERE series_id = ?1 AND level = ?2 AND first_step >= ?3 ORDER BY first_step",
                               -1, &levels[level].st, NULL) != SQLITE_OK) {
            rc = sql_fail(err, db, "reading scalar summaries");
            break;
        }
        sqlite3_bind_int64(levels[level].st, 1, series_id);
        sqlite3_bind_int(levels[level].st, 2, level);
    }
    if (rc == 0 && sqlite3_prepare_v2(db, "SELECT points FROM scalar_blocks WHERE series_id = ?1 AND first_step = ?2",
                                      -1, &block, NULL) != SQLITE_OK)
        rc = sql_fail(err, db, "reading scalars");
    /* The first block: the one holding start (the last starting at or before it), else the first after. */
    sqlite3_stmt *first = NULL;
    int64_t step = start;
    if (rc == 0 && sqlite3_prepare_v2(db, "SELECT first_step FROM scalar_summaries WHERE series_id = ?1 AND level = 0 "
                                      "AND first_step <= ?2 ORDER BY first_step DESC LIMIT 1", -1, &first,
                                      NULL) != SQLITE_OK)
        rc = sql_fail(err, db, "reading scalar summaries");
    if (rc == 0) {
        sqlite3_bind_int64(first, 1, series_id);
        sqlite3_bind_int64(first, 2, start);
        int first_rc = sqlite3_step(first);
        if (first_rc == SQLITE_ROW) step = sqlite3_column_int64(first, 0);
        else if (first_rc != SQLITE_DONE) rc = sql_fail(err, db, "reading scalar summaries");
    }
    sqlite3_finalize(first);
    if (rc == 0) rc = cursor_reach(db, &levels[0], step, err);
    bool has_step = levels[0].has_row;
    step = levels[0].first_step;
    while (rc == 0 && has_step && step <= end) {
        /* step is the first step of the next block not yet visited; every level's entry that starts there
         * ends at a block boundary. */
        bool may_summarise = step >= start;
        int64_t limit = end;
        if (may_summarise && visitor->span_last_step) {
            int64_t span_end = visitor->span_last_step(visitor->ctx, step);
            if (span_end < limit) limit = span_end;
        }
        int level = may_summarise ? SUMMARY_LEVELS : 0;
        for (; level > 0 && rc == 0; level--) {
            level_cursor *c = &levels[level];
            rc = cursor_reach(db, c, step, err);
            if (rc == 0 && c->has_row && c->first_step == step && c->last_step <= limit) break;
        }
        if (rc == 0 && level == 0) rc = cursor_reach(db, &levels[0], step, err);
        if (rc < 0) break;
        level_cursor *c = &levels[level];
        if (!c->has_row || c->first_step != step) { /* the levels disagree: a damaged file */
            rc = vz_fail(err, 500, "internal", "", "scalar summaries out of step with the blocks at step %lld",
                         (long long)step);
            break;
        }
        if (may_summarise && c->last_step <= limit) {
            vz_m4_summary summary;
            summary_of_row(c, &summary);
            visitor->summary(visitor->ctx, &summary);
        } else {
            sqlite3_bind_int64(block, 1, series_id);
            sqlite3_bind_int64(block, 2, step);
            int block_rc = sqlite3_step(block);
            if (block_rc == SQLITE_ROW)
                visit_block(sqlite3_column_blob(block, 0), blob_point_count(sqlite3_column_bytes(block, 0)), start, end,
                            &scratch, visitor);
            sqlite3_reset(block);
            if (block_rc != SQLITE_ROW && block_rc != SQLITE_DONE) rc = sql_fail(err, db, "reading scalars");
            else if (scratch.is_failed) rc = vz_out_of_memory(err, "reading scalars");
            if (rc < 0) break;
        }
        /* Groups of a level tile the blocks, so the next entry of this level starts at the next block. */
        rc = cursor_step(db, c, err);
        has_step = c->has_row;
        step = c->first_step;
    }
    if (rc == 0) rc = visit_tail(db, series_id, start, end, &scratch, visitor, err);
    for (int level = 0; level <= SUMMARY_LEVELS; level++) sqlite3_finalize(levels[level].st);
    sqlite3_finalize(block);
    columns_free(&scratch);
    return rc;
}

static void count_points(void *ctx, const int64_t *steps, const double *wall_times_s, const double *values,
                         size_t count)
{
    (void)steps, (void)wall_times_s, (void)values;
    *(uint64_t *)ctx += count;
}

static void count_summary(void *ctx, const vz_m4_summary *summary) { *(uint64_t *)ctx += summary->count; }

/* How many points of the series lie in [start, end]: the same walk with one span, so it reads the
 * coarsest groups inside the range and points only of the two blocks at its ends. */
static int count_in_range(sqlite3 *db, int64_t series_id, int64_t start, int64_t end, uint64_t *count,
                          vz_error *err)
{
    *count = 0;
    store_scalar_visitor counter = {.points = count_points, .summary = count_summary, .ctx = count};
    return walk_summaries(db, series_id, start, end, &counter, err);
}

int store_scan_scalars(vz_store *s, const char *run, const char *tag, int64_t start, int64_t end,
                       const store_scalar_visitor *visitor, vz_error *err)
{
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    /* One read transaction, so the blocks come from one consistent snapshot. */
    if (read_begin(db, err) < 0) {
        reader_release(s, db);
        return -1;
    }
    int64_t series_id, first_step, last_step;
    int rc = find_run_series(db, run, "scalars", tag, &series_id, &first_step, &last_step, err);
    if (rc == 0 && series_id >= 0 && first_step <= end && last_step >= start) {
        uint64_t count = 0;
        bool may_summarise = visitor->summary && visitor->span_last_step;
        if (may_summarise) rc = count_in_range(db, series_id, start, end, &count, err);
        if (rc == 0 && visitor->begin)
            visitor->begin(visitor->ctx, first_step > start ? first_step : start, last_step < end ? last_step : end);
        if (rc == 0 && may_summarise && count > visitor->summarise_above)
            rc = walk_summaries(db, series_id, start, end, visitor, err);
        else if (rc == 0)
            rc = scan_blocks(db, series_id, start, end, visitor, err);
    }
    rc = read_end(db, rc, err);
    reader_release(s, db);
    return rc;
}

int store_check_runs(vz_store *s, const char *const *runs, size_t n, vz_error *err)
{
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs WHERE name = ?1", -1, &st, NULL) != SQLITE_OK) {
        rc = sql_fail(err, db, "finding runs");
    } else {
        for (size_t i = 0; i < n && rc == 0; i++) {
            bind_text(st, 1, runs[i]);
            int step_rc = sqlite3_step(st);
            if (step_rc == SQLITE_DONE) rc = vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", runs[i]);
            else if (step_rc != SQLITE_ROW) rc = sql_fail(err, db, "finding runs");
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
    }
    reader_release(s, db);
    return rc;
}

/* ---- a scalar cursor: the points of a series a block at a time, for answers streamed to a client ---- */

struct store_scalar_cursor {
    vz_store *store;
    sqlite3 *db;
    sqlite3_stmt *st; /* NULL once the series' blocks are done (or when it has no points) */
    int64_t tail_series_id; /* the series whose tail comes after its blocks; -1 once handed out (or none) */
    int64_t start, end;
    point_columns scratch;
};

int store_scalar_cursor_open(vz_store *s, const char *run, const char *tag, int64_t start, int64_t end,
                             store_scalar_cursor **out, vz_error *err)
{
    store_scalar_cursor *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "reading scalars");
    *c = (store_scalar_cursor){.store = s, .tail_series_id = -1, .start = start, .end = end};
    if (reader_acquire(s, &c->db, err) < 0) {
        free(c);
        return -1;
    }
    int64_t series_id = -1, first_step, last_step;
    int rc = read_begin(c->db, err);
    if (rc == 0) rc = find_run_series(c->db, run, "scalars", tag, &series_id, &first_step, &last_step, err);
    if (rc == 0 && series_id >= 0 && first_step <= end && last_step >= start) {
        if (sqlite3_prepare_v2(c->db, blocks_in_range_sql, -1, &c->st, NULL) != SQLITE_OK) {
            rc = sql_fail(err, c->db, "reading scalars");
        } else {
            sqlite3_bind_int64(c->st, 1, series_id);
            sqlite3_bind_int64(c->st, 2, start);
            sqlite3_bind_int64(c->st, 3, end);
            c->tail_series_id = series_id;
        }
    }
    if (rc < 0) {
        store_scalar_cursor_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

int store_scalar_cursor_next(store_scalar_cursor *c, const int64_t **steps, const double **wall_times_s,
                             const double **values, size_t *count, vz_error *err)
{
    *count = 0;
    while (c->st && *count == 0) {
        int rc = sqlite3_step(c->st);
        if (rc == SQLITE_DONE) {
            sqlite3_finalize(c->st);
            c->st = NULL;
            break;
        }
        if (rc != SQLITE_ROW) return sql_fail(err, c->db, "reading scalars");
        const unsigned char *blob = sqlite3_column_blob(c->st, 0);
        size_t n = blob_point_count(sqlite3_column_bytes(c->st, 0));
        if ((uintptr_t)blob % sizeof(int64_t) == 0) { /* see visit_block */
            *steps = (const int64_t *)(const void *)blob;
            *wall_times_s = (const double *)(const void *)(blob + n * sizeof(int64_t));
            *values = *wall_times_s + n;
        } else {
            c->scratch.count = 0;
            blob_decode_append(blob, n, &c->scratch);
            if (c->scratch.is_failed) return vz_out_of_memory(err, "reading scalars");
            *steps = c->scratch.steps;
            *wall_times_s = c->scratch.wall_times_s;
            *values = c->scratch.values;
        }
        size_t from = 0, to = n;
        while (from < to && (*steps)[from] < c->start) from++;
        while (to > from && (*steps)[to - 1] > c->end) to--;
        *steps += from;
        *wall_times_s += from;
        *values += from;
        *count = to - from;
    }
    if (*count == 0 && c->tail_series_id >= 0) { /* the blocks are done: the tail comes last */
        int64_t series_id = c->tail_series_id;
        c->tail_series_id = -1;
        c->scratch.count = 0;
        if (read_tail(c->db, series_id, c->start, c->end, &c->scratch, err) < 0) return -1;
        *steps = c->scratch.steps;
        *wall_times_s = c->scratch.wall_times_s;
        *values = c->scratch.values;
        *count = c->scratch.count;
    }
    return 0;
}

void store_scalar_cursor_close(store_scalar_cursor *c)
{
    if (!c) return;
    sqlite3_finalize(c->st);
    if (c->db) {
        read_end(c->db, 0, NULL);
        reader_release(c->store, c->db);
    }
    columns_free(&c->scratch);
    free(c);
}

typedef struct {
    vz_points *out;
    size_t cap;
    bool is_failed;
} point_collector;

static void append_points(void *ctx, const int64_t *steps, const double *wall_times_s, const double *values,
                          size_t count)
{
    point_collector *c = ctx;
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
    point_collector collector = {.out = out};
    store_scalar_visitor visitor = {.points = append_points, .ctx = &collector};
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

/* The k-th of max_steps kept positions among total steps: round(k * (total - 1) / (max_steps - 1)), so
 * the kept steps are evenly spread and the first and the last are always among them. */
static size_t kept_position(size_t k, size_t total, size_t max_steps)
{
    if (max_steps == 0 || total <= max_steps) return k;
    if (max_steps == 1) return total - 1;
    return (2 * k * (total - 1) + (max_steps - 1)) / (2 * (max_steps - 1));
}

static int histogram_from_row(sqlite3_stmt *st, vz_histogram_step *out)
{
    double stats[5] = {0};
    if (sqlite3_column_bytes(st, 2) == (int)sizeof stats) memcpy(stats, sqlite3_column_blob(st, 2), sizeof stats);
    size_t n = (size_t)sqlite3_column_int64(st, 3);
    if ((size_t)sqlite3_column_bytes(st, 5) != 2 * n * sizeof(double)) n = 0;
    vz_histogram *h = &out->histogram;
    *h = (vz_histogram){stats[0], stats[1], stats[2], stats[3], stats[4], n, NULL, NULL,
                        (size_t)sqlite3_column_int64(st, 4)};
    h->bucket_limits = malloc((n ? n : 1) * sizeof(double));
    h->bucket_counts = malloc((n ? n : 1) * sizeof(double));
    if (!h->bucket_limits || !h->bucket_counts) return -1; /* the caller frees what was allocated */
    if (n) {
        const unsigned char *blob = sqlite3_column_blob(st, 5);
        memcpy(h->bucket_limits, blob, n * sizeof(double));
        memcpy(h->bucket_counts, blob + n * sizeof(double), n * sizeof(double));
    }
    out->step = sqlite3_column_int64(st, 0);
    out->wall_time_s = sqlite3_column_double(st, 1);
    return 0;
}

int store_read_histograms(vz_store *s, const char *run, const char *tag, size_t max_steps,
                          vz_histogram_steps *out, vz_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    int64_t series_id = -1, first_step, last_step;
    int rc = read_begin(db, err);
    if (rc == 0) rc = find_run_series(db, run, "histograms", tag, &series_id, &first_step, &last_step, err);
    sqlite3_stmt *st = NULL;
    if (rc == 0 && series_id >= 0 &&
        sqlite3_prepare_v2(db, "SELECT step, wall_time, stats, bucket_count, nan_count, buckets, "
                               "(SELECT count(*) FROM histogram_steps WHERE series_id = ?1) "
                               "FROM histogram_steps WHERE series_id = ?1 ORDER BY step", -1, &st, NULL) != SQLITE_OK)
        rc = sql_fail(err, db, "reading histograms");
    if (st) {
        sqlite3_bind_int64(st, 1, series_id);
        int step_rc;
        size_t cap = 0;
        for (size_t index = 0; (step_rc = sqlite3_step(st)) == SQLITE_ROW; index++) {
            if (index == 0) {
                out->total = (size_t)sqlite3_column_int64(st, 6);
                cap = max_steps && max_steps < out->total ? max_steps : out->total;
                out->steps = calloc(cap ? cap : 1, sizeof *out->steps);
                if (!out->steps) break;
            }
            if (out->count < cap && index == kept_position(out->count, out->total, max_steps) &&
                histogram_from_row(st, &out->steps[out->count++]) < 0)
                break;
        }
        if (step_rc == SQLITE_ROW) rc = vz_out_of_memory(err, "reading histograms");
        else if (step_rc != SQLITE_DONE) rc = sql_fail(err, db, "reading histograms");
        sqlite3_finalize(st);
    }
    rc = read_end(db, rc, err);
    reader_release(s, db);
    if (rc < 0) store_histogram_steps_free(out);
    return rc;
}

void store_histogram_steps_free(vz_histogram_steps *steps)
{
    for (size_t i = 0; i < steps->count; i++) hist_free(&steps->steps[i].histogram);
    free(steps->steps);
    memset(steps, 0, sizeof *steps);
}

int store_read_graph(vz_store *s, const char *run, char **graph_json, vz_error *err)
{
    *graph_json = NULL;
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT g.graph FROM runs r LEFT JOIN graphs g ON g.run_id = r.id WHERE r.name = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sql_fail(err, db, "reading a graph");
    } else {
        bind_text(st, 1, run);
        int step_rc = sqlite3_step(st);
        if (step_rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            *graph_json = strdup((const char *)sqlite3_column_text(st, 0));
            if (!*graph_json) rc = vz_out_of_memory(err, "reading a graph");
        } else if (step_rc == SQLITE_ROW)
            rc = vz_fail(err, 404, "not_found", "run", "run \"%s\" has no graph", run);
        else if (step_rc == SQLITE_DONE)
            rc = vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", run);
        else
            rc = sql_fail(err, db, "reading a graph");
        sqlite3_finalize(st);
    }
    reader_release(s, db);
    return rc;
}

/* One row of the media queries below as a store_media_row (the strings live as long as the row). */
static void media_row(sqlite3_stmt *st, vz_media_kind kind, store_media_row *row)
{
    memset(row, 0, sizeof *row);
    row->step = sqlite3_column_int64(st, 0);
    row->wall_time_s = sqlite3_column_double(st, 1);
    row->index = sqlite3_column_int64(st, 2);
    if (kind == VZ_MEDIA_TEXT) {
        row->text = (const char *)sqlite3_column_text(st, 3);
        return;
    }
    row->blob = (const char *)sqlite3_column_text(st, 3);
    if (kind == VZ_MEDIA_IMAGE) {
        row->width = sqlite3_column_int64(st, 4);
        row->height = sqlite3_column_int64(st, 5);
        row->content_type = (const char *)sqlite3_column_text(st, 6);
        return;
    }
    row->shape_json = (const char *)sqlite3_column_text(st, 4);
    row->dtype = (const char *)sqlite3_column_text(st, 5);
    row->has_min = sqlite3_column_type(st, 6) != SQLITE_NULL;
    row->min = sqlite3_column_double(st, 6);
    row->has_max = sqlite3_column_type(st, 7) != SQLITE_NULL;
    row->max = sqlite3_column_double(st, 7);
    row->display_json = (const char *)sqlite3_column_text(st, 8);
}

int store_visit_media(vz_store *s, const char *run, const char *tag, vz_media_kind kind, store_media_visitor visit,
                      void *ctx, vz_error *err)
{
    static const char *const queries[] = {
        "SELECT i.step, i.wall_time, i.idx, b.sha256, i.width, i.height, b.content_type FROM images i "
        "JOIN blobs b ON b.id = i.blob_id WHERE i.series_id = ?1 ORDER BY i.step, i.idx",
        "SELECT t.step, t.wall_time, t.idx, b.sha256, t.shape, t.dtype, t.min_value, t.max_value, t.display "
        "FROM tensors t JOIN blobs b ON b.id = t.blob_id WHERE t.series_id = ?1 ORDER BY t.step, t.idx",
        "SELECT step, wall_time, idx, text FROM texts WHERE series_id = ?1 ORDER BY step, idx",
    };
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    int64_t series_id = -1, first_step, last_step;
    int rc = read_begin(db, err);
    if (rc == 0) rc = find_run_series(db, run, media_kind_names[kind], tag, &series_id, &first_step, &last_step, err);
    sqlite3_stmt *st = NULL;
    if (rc == 0 && series_id >= 0 && sqlite3_prepare_v2(db, queries[kind], -1, &st, NULL) != SQLITE_OK)
        rc = sql_fail(err, db, "reading items");
    if (st) {
        sqlite3_bind_int64(st, 1, series_id);
        int step_rc;
        while (rc == 0 && (step_rc = sqlite3_step(st)) == SQLITE_ROW) {
            store_media_row row;
            media_row(st, kind, &row);
            rc = visit(ctx, &row, err);
        }
        if (rc == 0 && step_rc != SQLITE_DONE) rc = sql_fail(err, db, "reading items");
        sqlite3_finalize(st);
    }
    rc = read_end(db, rc, err);
    reader_release(s, db);
    return rc;
}

int store_read_blob(vz_store *s, const char *name, unsigned char **bytes, size_t *size, char *type,
                    size_t type_size, vz_error *err)
{
    if (bytes) *bytes = NULL;
    *size = 0;
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    sqlite3_stmt *st;
    int rc = 0;
    /* Without bytes wanted, the CASE keeps SQLite from reading the blob's overflow pages at all. */
    if (sqlite3_prepare_v2(db, "SELECT content_type, size, CASE WHEN ?2 THEN bytes END FROM blobs WHERE sha256 = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sql_fail(err, db, "reading a blob");
    } else {
        bind_text(st, 1, name);
        sqlite3_bind_int(st, 2, bytes != NULL);
        int step_rc = sqlite3_step(st);
        if (step_rc == SQLITE_ROW) {
            snprintf(type, type_size, "%s", (const char *)sqlite3_column_text(st, 0));
            *size = (size_t)sqlite3_column_int64(st, 1);
            if (bytes) {
                *size = (size_t)sqlite3_column_bytes(st, 2);
                *bytes = malloc(*size + 1);
                if (!*bytes) rc = vz_out_of_memory(err, "a blob");
                else {
                    if (*size) memcpy(*bytes, sqlite3_column_blob(st, 2), *size);
                    (*bytes)[*size] = '\0'; /* so a vz_buf can adopt the bytes (api_blob) */
                }
            }
        } else if (step_rc == SQLITE_DONE) {
            rc = vz_fail(err, 404, "not_found", "", "no such blob");
        } else {
            rc = sql_fail(err, db, "reading a blob");
        }
        sqlite3_finalize(st);
    }
    reader_release(s, db);
    return rc;
}

int store_status(vz_store *s, store_status_info *out, vz_error *err)
{
    const struct {
        int64_t *out;
        const char *sql;
    } counts[] = {
        {&out->runs, "SELECT count(*) FROM runs"},
        {&out->series, "SELECT count(*) FROM series"},
        {&out->scalar_points, "SELECT coalesce(sum(count), 0) FROM series WHERE kind = 'scalars'"},
        {&out->scalar_blocks, "SELECT count(*) FROM scalar_blocks"},
        {&out->histogram_steps, "SELECT count(*) FROM histogram_steps"},
        {&out->images, "SELECT count(*) FROM images"},
        {&out->tensors, "SELECT count(*) FROM tensors"},
        {&out->texts, "SELECT count(*) FROM texts"},
        {&out->graphs, "SELECT count(*) FROM graphs"},
        {&out->blobs, "SELECT count(*) FROM blobs"},
    };
    memset(out, 0, sizeof *out);
    out->db_path = s->path;
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    int64_t pages = 0, page_size = 0;
    int rc = pragma_int(db, "PRAGMA page_count", &pages) | pragma_int(db, "PRAGMA page_size", &page_size);
    out->db_bytes = pages * page_size;
    for (size_t i = 0; i < sizeof counts / sizeof *counts && rc == 0; i++)
        rc = pragma_int(db, counts[i].sql, counts[i].out);
    if (rc != 0) sql_fail(err, db, "reading the status");
    reader_release(s, db);
    return rc != 0 ? -1 : 0;
}
