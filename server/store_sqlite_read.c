/* store_sqlite_read.c -- the SQLite backend's reads, each on a connection of its own from a small pool.
 *
 * WAL mode lets readers read while the writer writes; a read that issues several statements (a page of
 * tags and the look past it, the blocks of one answer) does so in one read transaction, so it sees one
 * consistent snapshot. A reduced query over a long series reads the summaries of blocks and of groups of
 * blocks (store_sqlite_write.c keeps them) instead of every point: about (number of spans) x log(points)
 * rows. */
#include "vizd/store_sqlite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vizd/block.h"
#include "vizd/downsample.h"
#include "vizd/histogram.h"
#include "vizd/write_group.h"

static int reader_acquire(sqlite_store *s, sqlite3 **out, vz_error *err)
{
    pthread_mutex_lock(&s->reader_lock);
    sqlite3 *db = s->idle_count ? s->idle_readers[--s->idle_count] : NULL;
    pthread_mutex_unlock(&s->reader_lock);
    if (db) {
        *out = db;
        return 0;
    }
    if (sq_open_connection(s->path, SQLITE_OPEN_READWRITE, &db, err) < 0) return -1;
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
static void reader_release(sqlite_store *s, sqlite3 *db)
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
static int read_begin(sqlite3 *db, vz_error *err) { return sq_exec(db, "BEGIN", "starting a read", err); }

/* End a read begun with read_begin; rc is the read's own result, which a failing COMMIT turns into an
 * error when the read itself succeeded. */
static int read_end(sqlite3 *db, int rc, vz_error *err)
{
    if (sqlite3_get_autocommit(db)) return rc;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        if (rc == 0) rc = sq_fail(err, db, "finishing a read");
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

int sq_read_sources(sqlite_store *s, store_source_fn visit, void *ctx, vz_error *err)
{
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    sqlite3_stmt *st = NULL;
    int rc = read_begin(db, err);
    if (rc == 0) rc = sq_prepare(db, &st, "SELECT path, inode, first_crc, offset FROM followed_files", err);
    while (rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(err, db, "reading followed files");
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

/* A run's graph counts as a kind of its own: 1 or 0, so the dashboard knows which runs have one. A run's
 * updated_at is the latest of its own and its series' (a write of scalar points stamps only the series:
 * migrations/sqlite/0011_series_updated_at.sql); each kind's row carries its series' latest. */
static const char list_runs_sql[] =
    "SELECT r.name, r.description, r.hparams, r.created_at, "
    "max(r.updated_at, coalesce(max(s.updated_at), r.updated_at)), s.kind, "
    "sum(s.count) FROM runs r LEFT JOIN series s ON s.run_id = r.id "
    "GROUP BY r.id, s.kind "
    "UNION ALL SELECT r.name, r.description, r.hparams, r.created_at, r.updated_at, 'graph', "
    "(SELECT count(*) FROM graphs g WHERE g.run_id = r.id) FROM runs r "
    "ORDER BY 1, 6";

/* A run spans a row per kind, so the row handed out keeps copies of its strings: stepping to the next
 * kind's row frees SQLite's. */
struct store_backend_runs {
    sqlite_store *store;
    sqlite3 *db;
    sqlite3_stmt *st;
    bool has_row; /* st stands on the first row of the next run */
    store_run_row row;
    char *strings[3 + VZ_RUN_KINDS]; /* name, description, hparams, each kind */
};

static void runs_cursor_free_row(store_backend_runs *c)
{
    for (size_t i = 0; i < sizeof c->strings / sizeof *c->strings; i++) {
        free(c->strings[i]);
        c->strings[i] = NULL;
    }
    memset(&c->row, 0, sizeof c->row);
}

/* A copy of column i's text kept in the cursor's string slot k ("" for NULL); NULL when out of memory. */
static const char *runs_cursor_keep(store_backend_runs *c, size_t k, int i, const char *if_null)
{
    const char *text = (const char *)sqlite3_column_text(c->st, i);
    c->strings[k] = strdup(text ? text : if_null);
    return c->strings[k];
}

int sq_runs_open(sqlite_store *s, store_backend_runs **out, vz_error *err)
{
    store_backend_runs *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "listing runs");
    c->store = s;
    if (reader_acquire(s, &c->db, err) < 0) {
        free(c);
        return -1;
    }
    int rc = read_begin(c->db, err);
    if (rc == 0 && sqlite3_prepare_v2(c->db, list_runs_sql, -1, &c->st, NULL) != SQLITE_OK)
        rc = sq_fail(err, c->db, "listing runs");
    if (rc == 0) {
        int step = sqlite3_step(c->st);
        c->has_row = step == SQLITE_ROW;
        if (step != SQLITE_ROW && step != SQLITE_DONE) rc = sq_fail(err, c->db, "listing runs");
    }
    if (rc < 0) {
        sq_runs_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

int sq_runs_next(store_backend_runs *c, const store_run_row **run, vz_error *err)
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
        if (sqlite3_column_double(c->st, 4) > r->updated_at) r->updated_at = sqlite3_column_double(c->st, 4);
        step = sqlite3_step(c->st);
    }
    c->has_row = step == SQLITE_ROW;
    if (step != SQLITE_ROW && step != SQLITE_DONE) return sq_fail(err, c->db, "listing runs");
    *run = r;
    return 0;
}

void sq_runs_close(store_backend_runs *c)
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

/* ---- the tail: points after the blocks (store_sqlite_write.c keeps it) ---------------------------- */

int sq_tail_rows_append(sqlite3 *db, sqlite3_stmt *st, point_columns *out, vz_error *err)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double pair[2] = {NAN, NAN}; /* a point BLOB of the wrong size (a damaged file) reads as NaN */
        const void *point = sqlite3_column_blob(st, 1);
        if (point && sqlite3_column_bytes(st, 1) == (int)TAIL_POINT_BYTES) memcpy(pair, point, sizeof pair);
        columns_push(out, sqlite3_column_int64(st, 0), pair[0], pair[1]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sq_fail(err, db, "reading a series' tail");
    return out->is_failed ? vz_out_of_memory(err, "reading a series' tail") : 0;
}

/* The series' tail points in [start, end] (migrations/sqlite/0010_scalar_tail_points.sql), appended to out: they
 * come after every block's, so a reader hands them on after the blocks. */
static const char tail_in_range_sql[] =
    "SELECT step, point FROM scalar_tail WHERE series_id = ?1 AND step BETWEEN ?2 AND ?3 ORDER BY step";

static int read_tail(sqlite3 *db, int64_t series_id, int64_t start, int64_t end, point_columns *out, vz_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, tail_in_range_sql, -1, &st, NULL) != SQLITE_OK)
        return sq_fail(err, db, "reading a series' tail");
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, start);
    sqlite3_bind_int64(st, 3, end);
    int rc = sq_tail_rows_append(db, st, out, err);
    sqlite3_finalize(st);
    return rc;
}

/* ---- run summaries: what the HParams view needs, in one read ------------------------------------ */

/* Per run: its hparams and, per asked scalar tag, the series' count and last point (kept in the series
 * row) and its lowest and highest value (NaN left out) with the step where each first occurs, from the
 * series' top-level M4 summaries (a row per about 4 M points): no point is read. */
struct store_backend_summary {
    sqlite_store *store;
    sqlite3 *db;
    sqlite3_stmt *all_runs, *one_run; /* id, name, hparams */
    sqlite3_stmt *series, *top_summaries, *tail;
    sqlite3_stmt *row; /* the statement standing on the current run */
    char **runs; /* the runs asked for by name (copied: the cursor outlives the request), or NULL: all */
    size_t run_count, next_run;
};

int sq_summary_next_run(store_backend_summary *c, const char **name, const char **hparams_json, vz_error *err)
{
    int rc;
    if (!c->runs) {
        c->row = c->all_runs;
        rc = sqlite3_step(c->all_runs);
    } else {
        if (c->next_run == c->run_count) return 0;
        const char *wanted = c->runs[c->next_run++];
        c->row = c->one_run;
        sqlite3_reset(c->one_run);
        sq_bind_text(c->one_run, 1, wanted);
        rc = sqlite3_step(c->one_run);
        if (rc == SQLITE_DONE) return vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", wanted);
    }
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return sq_fail(err, c->db, "listing runs");
    const char *hparams = (const char *)sqlite3_column_text(c->row, 2);
    *name = (const char *)sqlite3_column_text(c->row, 1);
    *hparams_json = hparams ? hparams : "{}";
    return 1;
}

void sq_summary_rewind(store_backend_summary *c)
{
    sqlite3_reset(c->all_runs);
    c->next_run = 0;
}

int sq_summary_open(sqlite_store *s, const char *const *runs, size_t run_count, store_backend_summary **out,
                    vz_error *err)
{
    store_backend_summary *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "the run summaries");
    c->store = s;
    int rc = 0;
    if (run_count && !(c->runs = calloc(run_count, sizeof *c->runs))) rc = vz_out_of_memory(err, "the run summaries");
    for (size_t i = 0; rc == 0 && i < run_count; i++, c->run_count++)
        if (!(c->runs[i] = strdup(runs[i]))) rc = vz_out_of_memory(err, "the run summaries");
    if (rc == 0 && reader_acquire(s, &c->db, err) < 0) rc = -1;
    if (rc < 0) {
        sq_summary_close(c);
        return -1;
    }
    rc = read_begin(c->db, err);
    if (rc == 0) rc = sq_prepare(c->db, &c->all_runs, "SELECT id, name, hparams FROM runs ORDER BY name", err);
    if (rc == 0) rc = sq_prepare(c->db, &c->one_run, "SELECT id, name, hparams FROM runs WHERE name = ?1", err);
    if (rc == 0)
        rc = sq_prepare(c->db, &c->series,
                        "SELECT id, count, last_step, last_value, last_wall_time, tail_points FROM series "
                        "WHERE run_id = ?1 AND kind = 'scalars' AND tag = ?2",
                        err);
    if (rc == 0)
        rc = sq_prepare(c->db, &c->top_summaries,
                        "SELECT count, picks FROM scalar_summaries WHERE series_id = ?1 AND level = ?2 "
                        "ORDER BY first_step",
                        err);
    if (rc == 0) rc = sq_prepare(c->db, &c->tail, tail_in_range_sql, err);
    if (rc < 0) {
        sq_summary_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

/* The series' M4 summary as a whole: its rows at the top level of scalar_summaries (groups of about 8^4
 * blocks, which partition the blocks) appended in step order, then its tail's points, so the lowest and
 * highest value (NaN left out, the earliest of equal ones) come with their steps from a row or two and at
 * most TAIL_MAX_POINTS points, without a block opened. */
static int summarise_whole_series(store_backend_summary *c, int64_t series_id, bool has_tail, vz_m4_summary *whole,
                                  vz_error *err)
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
    if (rc != SQLITE_DONE) return sq_fail(err, c->db, "summarising a series");
    if (!has_tail) return 0;
    /* The tail's points come after every group's. */
    point_columns tail = {0};
    sqlite3_bind_int64(c->tail, 1, series_id);
    sqlite3_bind_int64(c->tail, 2, INT64_MIN);
    sqlite3_bind_int64(c->tail, 3, INT64_MAX);
    rc = sq_tail_rows_append(c->db, c->tail, &tail, err);
    if (rc == 0 && tail.count) {
        vz_m4_summary group;
        m4_summarise(tail.steps, tail.wall_times_s, tail.values, tail.count, &group);
        m4_summary_append(whole, &group);
    }
    columns_free(&tail);
    return rc;
}

int sq_summary_tag(store_backend_summary *c, const char *tag, store_tag_summary *out, bool *found, vz_error *err)
{
    *found = false;
    sqlite3_stmt *st = c->series;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, sqlite3_column_int64(c->row, 0));
    sq_bind_text(st, 2, tag);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || (rc == SQLITE_ROW && sqlite3_column_type(st, 2) == SQLITE_NULL)) return 0;
    if (rc != SQLITE_ROW) return sq_fail(err, c->db, "summarising a series");
    int64_t series_id = sqlite3_column_int64(st, 0);
    *out = (store_tag_summary){.count = sqlite3_column_int64(st, 1),
                               .last = {sqlite3_column_int64(st, 2), sqlite3_column_double(st, 4),
                                        sq_blob_to_double(st, 3)}};
    vz_m4_summary whole;
    if (summarise_whole_series(c, series_id, sqlite3_column_int64(st, 5) > 0, &whole, err) < 0) return -1;
    out->has_extremes = whole.count > 0 && whole.has_finite;
    out->min = whole.min;
    out->max = whole.max;
    *found = true;
    return 0;
}

void sq_summary_close(store_backend_summary *c)
{
    if (!c) return;
    sqlite3_stmt *statements[] = {c->all_runs, c->one_run, c->series, c->top_summaries, c->tail};
    for (size_t i = 0; i < sizeof statements / sizeof *statements; i++) sqlite3_finalize(statements[i]);
    if (c->db) {
        read_end(c->db, 0, NULL);
        reader_release(c->store, c->db);
    }
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
    if (sq_prepare(db, st, sql, err) < 0) return -1;
    if (run) sq_bind_text(*st, 1, run);
    if (kind) sq_bind_text(*st, 2, kind);
    sqlite3_bind_int64(*st, 3, after);
    sqlite3_bind_int64(*st, 4, limit);
    return 0;
}

int sq_visit_tags(sqlite_store *s, const char *run, const char *kind, int64_t after, size_t limit,
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
            rc = sq_fail(err, db, "listing tags");
            break;
        }
        store_tag_info info = {
            .run = (const char *)sqlite3_column_text(st, 0), .kind = (const char *)sqlite3_column_text(st, 1),
            .tag = (const char *)sqlite3_column_text(st, 2), .count = sqlite3_column_int64(st, 3),
            .first_step = sqlite3_column_int64(st, 4), .last_step = sqlite3_column_int64(st, 5),
            .has_last_value = sqlite3_column_type(st, 6) == SQLITE_BLOB, .last_value = sq_blob_to_double(st, 6),
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
        if (rc == 0 && sqlite3_step(st) != SQLITE_ROW) rc = sq_fail(err, db, "listing tags");
        if (rc == 0 && sqlite3_column_int(st, 0)) *next = last_id;
        sqlite3_finalize(st);
    }
    rc = read_end(db, rc, err);
    reader_release(s, db);
    return rc;
}

/* The series of (run, kind, tag): its id (-1: none) and extent, and with tail_points (NULL: not asked) how
 * many of its points wait in the tail, so a read of a series with none skips looking there. */
static int find_run_series(sqlite3 *db, const char *run, const char *kind, const char *tag, int64_t *series_id,
                           int64_t *first_step, int64_t *last_step, int64_t *tail_points, vz_error *err)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT r.id, s.id, s.first_step, s.last_step, s.tail_points FROM runs r LEFT JOIN series s "
                      "ON s.run_id = r.id AND s.kind = ?2 AND s.tag = ?3 WHERE r.name = ?1";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return sq_fail(err, db, "finding a series");
    sq_bind_text(st, 1, run);
    sq_bind_text(st, 2, kind);
    sq_bind_text(st, 3, tag);
    int rc = sqlite3_step(st);
    bool has_series = rc == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL &&
                      sqlite3_column_type(st, 2) != SQLITE_NULL;
    *series_id = has_series ? sqlite3_column_int64(st, 1) : -1;
    *first_step = has_series ? sqlite3_column_int64(st, 2) : 0;
    *last_step = has_series ? sqlite3_column_int64(st, 3) : 0;
    if (tail_points) *tail_points = has_series ? sqlite3_column_int64(st, 4) : 0;
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", run);
    if (rc != SQLITE_ROW) return sq_fail(err, db, "finding a series");
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

static int scan_blocks(sqlite3 *db, int64_t series_id, bool has_tail, int64_t start, int64_t end,
                       const store_scalar_visitor *visitor, vz_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, blocks_in_range_sql, -1, &st, NULL) != SQLITE_OK)
        return sq_fail(err, db, "reading scalars");
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
    else if (rc != SQLITE_DONE) rc = sq_fail(err, db, "reading scalars");
    else if (has_tail) rc = visit_tail(db, series_id, start, end, &scratch, visitor, err);
    else rc = 0;
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
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(err, db, "reading scalar summaries");
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
static int walk_summaries(sqlite3 *db, int64_t series_id, bool has_tail, int64_t start, int64_t end,
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
            rc = sq_fail(err, db, "reading scalar summaries");
            break;
        }
        sqlite3_bind_int64(levels[level].st, 1, series_id);
        sqlite3_bind_int(levels[level].st, 2, level);
    }
    if (rc == 0 && sqlite3_prepare_v2(db, "SELECT points FROM scalar_blocks WHERE series_id = ?1 AND first_step = ?2",
                                      -1, &block, NULL) != SQLITE_OK)
        rc = sq_fail(err, db, "reading scalars");
    /* The first block: the one holding start (the last starting at or before it), else the first after. */
    sqlite3_stmt *first = NULL;
    int64_t step = start;
    if (rc == 0 && sqlite3_prepare_v2(db, "SELECT first_step FROM scalar_summaries WHERE series_id = ?1 AND level = 0 "
                                      "AND first_step <= ?2 ORDER BY first_step DESC LIMIT 1", -1, &first,
                                      NULL) != SQLITE_OK)
        rc = sq_fail(err, db, "reading scalar summaries");
    if (rc == 0) {
        sqlite3_bind_int64(first, 1, series_id);
        sqlite3_bind_int64(first, 2, start);
        int first_rc = sqlite3_step(first);
        if (first_rc == SQLITE_ROW) step = sqlite3_column_int64(first, 0);
        else if (first_rc != SQLITE_DONE) rc = sq_fail(err, db, "reading scalar summaries");
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
            if (block_rc != SQLITE_ROW && block_rc != SQLITE_DONE) rc = sq_fail(err, db, "reading scalars");
            else if (scratch.is_failed) rc = vz_out_of_memory(err, "reading scalars");
            if (rc < 0) break;
        }
        /* Groups of a level tile the blocks, so the next entry of this level starts at the next block. */
        rc = cursor_step(db, c, err);
        has_step = c->has_row;
        step = c->first_step;
    }
    if (rc == 0 && has_tail) rc = visit_tail(db, series_id, start, end, &scratch, visitor, err);
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
static int count_in_range(sqlite3 *db, int64_t series_id, bool has_tail, int64_t start, int64_t end, uint64_t *count,
                          vz_error *err)
{
    *count = 0;
    store_scalar_visitor counter = {.points = count_points, .summary = count_summary, .ctx = count};
    return walk_summaries(db, series_id, has_tail, start, end, &counter, err);
}

int sq_scan_scalars(sqlite_store *s, const char *run, const char *tag, int64_t start, int64_t end,
                       const store_scalar_visitor *visitor, vz_error *err)
{
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    /* One read transaction, so the blocks come from one consistent snapshot. */
    if (read_begin(db, err) < 0) {
        reader_release(s, db);
        return -1;
    }
    int64_t series_id, first_step, last_step, tail_points;
    int rc = find_run_series(db, run, "scalars", tag, &series_id, &first_step, &last_step, &tail_points, err);
    bool has_tail = tail_points > 0;
    if (rc == 0 && series_id >= 0 && first_step <= end && last_step >= start) {
        uint64_t count = 0;
        bool may_summarise = visitor->summary && visitor->span_last_step;
        if (may_summarise) rc = count_in_range(db, series_id, has_tail, start, end, &count, err);
        if (rc == 0 && visitor->begin)
            visitor->begin(visitor->ctx, first_step > start ? first_step : start, last_step < end ? last_step : end);
        if (rc == 0 && may_summarise && count > visitor->summarise_above)
            rc = walk_summaries(db, series_id, has_tail, start, end, visitor, err);
        else if (rc == 0)
            rc = scan_blocks(db, series_id, has_tail, start, end, visitor, err);
    }
    rc = read_end(db, rc, err);
    reader_release(s, db);
    return rc;
}

int sq_check_runs(sqlite_store *s, const char *const *runs, size_t n, vz_error *err)
{
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs WHERE name = ?1", -1, &st, NULL) != SQLITE_OK) {
        rc = sq_fail(err, db, "finding runs");
    } else {
        for (size_t i = 0; i < n && rc == 0; i++) {
            sq_bind_text(st, 1, runs[i]);
            int step_rc = sqlite3_step(st);
            if (step_rc == SQLITE_DONE) rc = vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", runs[i]);
            else if (step_rc != SQLITE_ROW) rc = sq_fail(err, db, "finding runs");
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
    }
    reader_release(s, db);
    return rc;
}

/* ---- a scalar cursor: the points of a series a block at a time, for answers streamed to a client ---- */

struct store_backend_scalars {
    sqlite_store *store;
    sqlite3 *db;
    sqlite3_stmt *st; /* NULL once the series' blocks are done (or when it has no points) */
    int64_t tail_series_id; /* the series whose tail comes after its blocks; -1 once handed out (or none) */
    int64_t start, end;
    point_columns scratch;
};

int sq_scalars_open(sqlite_store *s, const char *run, const char *tag, int64_t start, int64_t end,
                             store_backend_scalars **out, vz_error *err)
{
    store_backend_scalars *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "reading scalars");
    *c = (store_backend_scalars){.store = s, .tail_series_id = -1, .start = start, .end = end};
    if (reader_acquire(s, &c->db, err) < 0) {
        free(c);
        return -1;
    }
    int64_t series_id = -1, first_step, last_step, tail_points = 0;
    int rc = read_begin(c->db, err);
    if (rc == 0)
        rc = find_run_series(c->db, run, "scalars", tag, &series_id, &first_step, &last_step, &tail_points, err);
    if (rc == 0 && series_id >= 0 && first_step <= end && last_step >= start) {
        if (sqlite3_prepare_v2(c->db, blocks_in_range_sql, -1, &c->st, NULL) != SQLITE_OK) {
            rc = sq_fail(err, c->db, "reading scalars");
        } else {
            sqlite3_bind_int64(c->st, 1, series_id);
            sqlite3_bind_int64(c->st, 2, start);
            sqlite3_bind_int64(c->st, 3, end);
            if (tail_points > 0) c->tail_series_id = series_id;
        }
    }
    if (rc < 0) {
        sq_scalars_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

int sq_scalars_next(store_backend_scalars *c, const int64_t **steps, const double **wall_times_s,
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
        if (rc != SQLITE_ROW) return sq_fail(err, c->db, "reading scalars");
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

void sq_scalars_close(store_backend_scalars *c)
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

int sq_read_histograms(sqlite_store *s, const char *run, const char *tag, size_t max_steps,
                          vz_histogram_steps *out, vz_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    int64_t series_id = -1, first_step, last_step;
    int rc = read_begin(db, err);
    if (rc == 0) rc = find_run_series(db, run, "histograms", tag, &series_id, &first_step, &last_step, NULL, err);
    sqlite3_stmt *st = NULL;
    if (rc == 0 && series_id >= 0 &&
        sqlite3_prepare_v2(db, "SELECT step, wall_time, stats, bucket_count, nan_count, buckets, "
                               "(SELECT count(*) FROM histogram_steps WHERE series_id = ?1) "
                               "FROM histogram_steps WHERE series_id = ?1 ORDER BY step", -1, &st, NULL) != SQLITE_OK)
        rc = sq_fail(err, db, "reading histograms");
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
            if (out->count < cap && index == hist_kept_position(out->count, out->total, max_steps) &&
                histogram_from_row(st, &out->steps[out->count++]) < 0)
                break;
        }
        if (step_rc == SQLITE_ROW) rc = vz_out_of_memory(err, "reading histograms");
        else if (step_rc != SQLITE_DONE) rc = sq_fail(err, db, "reading histograms");
        sqlite3_finalize(st);
    }
    rc = read_end(db, rc, err);
    reader_release(s, db);
    if (rc < 0) store_histogram_steps_free(out);
    return rc;
}

int sq_read_graph(sqlite_store *s, const char *run, char **graph_json, vz_error *err)
{
    *graph_json = NULL;
    sqlite3 *db;
    if (reader_acquire(s, &db, err) < 0) return -1;
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT g.graph FROM runs r LEFT JOIN graphs g ON g.run_id = r.id WHERE r.name = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sq_fail(err, db, "reading a graph");
    } else {
        sq_bind_text(st, 1, run);
        int step_rc = sqlite3_step(st);
        if (step_rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            *graph_json = strdup((const char *)sqlite3_column_text(st, 0));
            if (!*graph_json) rc = vz_out_of_memory(err, "reading a graph");
        } else if (step_rc == SQLITE_ROW)
            rc = vz_fail(err, 404, "not_found", "run", "run \"%s\" has no graph", run);
        else if (step_rc == SQLITE_DONE)
            rc = vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", run);
        else
            rc = sq_fail(err, db, "reading a graph");
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

int sq_visit_media(sqlite_store *s, const char *run, const char *tag, vz_media_kind kind, store_media_visitor visit,
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
    if (rc == 0) rc = find_run_series(db, run, media_kind_names[kind], tag, &series_id, &first_step, &last_step,
                                      NULL, err);
    sqlite3_stmt *st = NULL;
    if (rc == 0 && series_id >= 0 && sqlite3_prepare_v2(db, queries[kind], -1, &st, NULL) != SQLITE_OK)
        rc = sq_fail(err, db, "reading items");
    if (st) {
        sqlite3_bind_int64(st, 1, series_id);
        int step_rc;
        while (rc == 0 && (step_rc = sqlite3_step(st)) == SQLITE_ROW) {
            store_media_row row;
            media_row(st, kind, &row);
            rc = visit(ctx, &row, err);
        }
        if (rc == 0 && step_rc != SQLITE_DONE) rc = sq_fail(err, db, "reading items");
        sqlite3_finalize(st);
    }
    rc = read_end(db, rc, err);
    reader_release(s, db);
    return rc;
}

int sq_read_blob(sqlite_store *s, const char *name, unsigned char **bytes, size_t *size, char *type,
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
        rc = sq_fail(err, db, "reading a blob");
    } else {
        sq_bind_text(st, 1, name);
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
            rc = sq_fail(err, db, "reading a blob");
        }
        sqlite3_finalize(st);
    }
    reader_release(s, db);
    return rc;
}

int sq_status(sqlite_store *s, store_status_info *out, vz_error *err)
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
    int rc = sq_pragma_int(db, "PRAGMA page_count", &pages) | sq_pragma_int(db, "PRAGMA page_size", &page_size);
    out->db_bytes = pages * page_size;
    for (size_t i = 0; i < sizeof counts / sizeof *counts && rc == 0; i++)
        rc = sq_pragma_int(db, counts[i].sql, counts[i].out);
    if (rc != 0) sq_fail(err, db, "reading the status");
    reader_release(s, db);
    return rc != 0 ? -1 : 0;
}
