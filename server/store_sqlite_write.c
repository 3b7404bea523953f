/* store_sqlite_write.c -- the SQLite backend's writes: scalar blocks and their summaries, the tail,
 * histograms, media and blobs, graphs, followed files, deleting a run. Runs on the writer thread, inside
 * the transaction store.c's group commit opened (store_sqlite.c's begin).
 *
 * Scalars are stored in blocks (see migrations/sqlite/0001_init.sql, block.c): a write merges its points, sorted
 * by step, into the block whose step range they fall in, or appends them to the series' tail, rewriting
 * each touched block once and splitting any that outgrow VZ_SCALAR_BLOCK_POINTS. A write of a few points
 * after the last step is cheaper still: a row per point in the series' tail, which readers read after the
 * blocks, folded into blocks later (see fold_tail).
 *
 * Every block is inserted by insert_block and removed by delete_block, and nothing else touches
 * scalar_blocks: those two keep the block's M4 summary (migrations/sqlite/0009_scalar_summaries.sql, level 0) in
 * step and note the steps they changed; before each COMMIT, sq_commit_summaries rebuilds the groups of
 * blocks above (levels 1..SUMMARY_LEVELS) around the noted steps, once per series however many blocks the
 * transaction touched. So a transaction that changes blocks must end through sq_commit_summaries. */
#include "vizd/store_sqlite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/block.h"
#include "vizd/clock.h"
#include "vizd/downsample.h"
#include "vizd/write_group.h"

/* ---- summaries of blocks and of groups of blocks (migrations/sqlite/0009_scalar_summaries.sql) --------- */

static int put_summary(sqlite_store *s, int64_t series_id, int level, const vz_m4_summary *sum, vz_error *err)
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
    return rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "writing a scalar summary");
}

/* Remember that the blocks of series_id changed at first_step, for sq_commit_summaries. Consecutive notes of
 * one series (a write's blocks) widen one range. */
static void note_summary_change(sqlite_store *s, int64_t series_id, int64_t first_step)
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

void sq_forget_summary_changes(sqlite_store *s)
{
    s->summary_change_count = 0;
    s->has_lost_summary_change = false;
}

/* The first step of the last summary of (series, level) starting at or before step (or before it, when
 * is_strict); *found says whether there is one. */
static int summary_start_before(sqlite_store *s, int64_t series_id, int level, int64_t step, bool is_strict,
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
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "reading scalar summaries");
}

static int summary_exists(sqlite_store *s, int64_t series_id, int level, int64_t step, bool *exists, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.summary_exists;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, level);
    sqlite3_bind_int64(st, 3, step);
    int rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "reading scalar summaries");
}

/* The first group of level after step that starts at a boundary (not merely at what was the series' first
 * block): groups from there on are untouched by changes at or before step. */
static int next_boundary_group(sqlite_store *s, int64_t series_id, int level, int64_t step, int64_t *out, bool *found,
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
    return *found || rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "reading scalar summaries");
}

/* Rebuild the groups of level (>= 1) that hold, or held before they changed, the entries of the level
 * below starting in [*lo, *hi]. On return [*lo, *hi] spans the groups rebuilt: what changed for the level
 * above. */
static int rebuild_level(sqlite_store *s, int64_t series_id, int level, int64_t *lo, int64_t *hi, vz_error *err)
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
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "rebuilding scalar summaries");

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
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "rebuilding scalar summaries");
    if (group.count && put_summary(s, series_id, level, &group, err) < 0) return -1;
    *lo = from;
    *hi = to;
    return 0;
}

/* Whether no block of the series starts after first_step. */
static int is_last_block(sqlite_store *s, int64_t series_id, int64_t first_step, bool *is_last, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.has_later_block;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, first_step);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    *is_last = rc == SQLITE_DONE;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "reading scalar summaries");
}

/* A block appended after every other block of its series, the common case (a training loop's points, a
 * tail block), extends each level's last group, or starts a new group where its first step is a boundary:
 * done at once, a read and a write per level, instead of a rebuild at commit. Should earlier changes of
 * the same transaction have left a last group stale, the rebuild they noted reaches to the series' end
 * and redoes it from the entries below. */
static int append_summaries(sqlite_store *s, int64_t series_id, const vz_m4_summary *block, vz_error *err)
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
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "reading scalar summaries");
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
int sq_commit_summaries(sqlite_store *s, vz_error *err)
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
    sq_forget_summary_changes(s);
    return rc;
}

/* Build the summaries of the series migration 0009 left pending (written before summaries existed), in
 * one transaction. */
int sq_build_pending_summaries(sqlite_store *s, vz_error *err)
{
    sqlite3 *db = s->writer_db;
    sqlite3_stmt *pending = NULL, *blocks = NULL;
    if (sqlite3_prepare_v2(db, "SELECT series_id FROM scalar_summaries_pending", -1, &pending, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT points FROM scalar_blocks WHERE series_id = ?1 ORDER BY first_step", -1,
                           &blocks, NULL) != SQLITE_OK) {
        sqlite3_finalize(pending);
        return sq_fail(err, db, "summarising scalars");
    }
    int rc = sq_exec(db, "BEGIN IMMEDIATE", "summarising scalars", err), step_rc = SQLITE_DONE;
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
        if (rc == 0 && block_rc != SQLITE_DONE) rc = sq_fail(err, db, "summarising scalars");
        sqlite3_reset(blocks);
    }
    if (rc == 0 && step_rc != SQLITE_DONE) rc = sq_fail(err, db, "summarising scalars");
    sqlite3_finalize(pending);
    sqlite3_finalize(blocks);
    columns_free(&block);
    if (rc == 0) rc = sq_commit_summaries(s, err);
    if (rc == 0) rc = sq_exec(db, "DELETE FROM scalar_summaries_pending", "summarising scalars", err);
    if (rc == 0) return sq_exec(db, "COMMIT", "summarising scalars", err);
    sq_forget_summary_changes(s);
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Insert the points [from, from + n) of c as a block, with its summaries. is_appended: the caller knows
 * that no block of the series starts after it (a fold of the tail), which saves looking. */
static int insert_block(sqlite_store *s, int64_t series_id, const point_columns *c, size_t from, size_t n,
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
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "writing a scalar block");
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
static int load_block_for_step(sqlite_store *s, int64_t series_id, int64_t step, point_columns *block,
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
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "reading a scalar block");
    return block->is_failed ? vz_out_of_memory(err, "a scalar block") : 0;
}

static int64_t next_block_start(sqlite_store *s, int64_t series_id, int64_t after, bool *exists)
{
    sqlite3_stmt *st = s->stmt.next_block_start;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, after);
    *exists = sqlite3_step(st) == SQLITE_ROW;
    int64_t start = *exists ? sqlite3_column_int64(st, 0) : INT64_MAX;
    sqlite3_reset(st);
    return start;
}

static int delete_block(sqlite_store *s, int64_t series_id, int64_t first_step, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.delete_block;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, first_step);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "replacing a scalar block");
    st = s->stmt.delete_summary;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int(st, 2, 0);
    sqlite3_bind_int64(st, 3, first_step);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "replacing a scalar block");
    note_summary_change(s, series_id, first_step);
    return 0;
}

/* Insert c's points as blocks; is_appended: they come after every block of the series (see insert_block). */
static int write_blocks(sqlite_store *s, int64_t series_id, const point_columns *c, bool is_appended, vz_error *err)
{
    for (size_t from = 0; from < c->count; from += VZ_SCALAR_BLOCK_POINTS) {
        size_t n = c->count - from < VZ_SCALAR_BLOCK_POINTS ? c->count - from : VZ_SCALAR_BLOCK_POINTS;
        if (insert_block(s, series_id, c, from, n, is_appended, err) < 0) return -1;
    }
    return 0;
}

/* Store sorted, unique points into a series' blocks, touching each affected block once. */
static int merge_into_blocks(sqlite_store *s, int64_t series_id, const point_columns *in, size_t *added,
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

/* ---- the tail: cheap appends (migrations/sqlite/0010_scalar_tail_points.sql) -------------------------------
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

/* Insert the sorted points in, all after the series' last step, as tail rows. */
static int append_to_tail(sqlite_store *s, int64_t series_id, const point_columns *in, vz_error *err)
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
        if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "appending to a series' tail");
    }
    return 0;
}

/* Fold a series' tail (its last tail.blocks block rows and its tail rows) and the open block before it,
 * followed by the sorted points in (NULL: none), which all come after them, into full blocks. */
static int fold_tail(sqlite_store *s, int64_t series_id, series_tail tail, const point_columns *in, vz_error *err)
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
    if (step_rc != SQLITE_DONE) rc = sq_fail(err, s->writer_db, "folding a series' tail");
    if (rc == 0 && tail.points > 0) {
        st = s->stmt.tail_points;
        sqlite3_bind_int64(st, 1, series_id);
        rc = sq_tail_rows_append(s->writer_db, st, &merged, err);
        st = s->stmt.delete_tail;
        sqlite3_bind_int64(st, 1, series_id);
        if (rc == 0 && sqlite3_step(st) != SQLITE_DONE) rc = sq_fail(err, s->writer_db, "folding a series' tail");
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
static int store_points(sqlite_store *s, int64_t series_id, bool has_last_step, int64_t last_step,
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
int sq_fold_some_tails(sqlite_store *s, vz_error *err)
{
    sqlite3 *db = s->writer_db;
    if (sq_exec(db, "BEGIN IMMEDIATE", "folding tails", err) < 0) return -1;
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
    if (n < IDLE_FOLD_SERIES && step_rc != SQLITE_DONE) rc = sq_fail(err, db, "folding tails");
    for (int i = 0; i < n && rc == 0; i++) {
        if ((rc = fold_tail(s, ids[i], tails[i], NULL, err)) < 0) break;
        st = s->stmt.set_tail_blocks;
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_fail(err, db, "folding tails");
        sqlite3_reset(st);
    }
    if (rc == 0 && sq_commit_summaries(s, err) == 0 && sq_exec(db, "COMMIT", "folding tails", err) == 0) {
        s->fold_after = n == IDLE_FOLD_SERIES ? ids[n - 1] : 0; /* a pass over every series ends with fewer */
        return n;
    }
    sq_forget_summary_changes(s);
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* ---- applying a write ------------------------------------------------------------------------- */

/* Whether a write adds scalar points and nothing else: its time is then kept in the series rows it
 * updates anyway, not in the run's (migrations/sqlite/0011_series_updated_at.sql). */
static bool adds_only_scalar_points(const vz_write *w)
{
    if (w->scalar_count == 0 || w->histogram_count || w->media_count || w->graph_json || w->description ||
        w->hparams_json)
        return false;
    for (size_t i = 0; i < w->scalar_count; i++)
        if (w->scalars[i].count == 0) return false;
    return true;
}

/* Find the run and touch its updated_at (unless the series will carry it), or create it. Plain statements
 * rather than one INSERT ... ON CONFLICT DO UPDATE ... RETURNING: an upsert opens a statement journal (a
 * savepoint) each time, and that was a sixth of the cost of a one-point write. */
static int upsert_run(sqlite_store *s, const vz_write *w, double now, int64_t *run_id, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.find_run;
    sq_bind_text(st, 1, w->run);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *run_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "finding the run");
    bool exists = rc == SQLITE_ROW;
    if (exists && adds_only_scalar_points(w)) return 0;
    st = exists ? s->stmt.touch_run : s->stmt.insert_run;
    if (exists) sqlite3_bind_int64(st, 1, *run_id);
    else sq_bind_text(st, 1, w->run);
    sqlite3_bind_double(st, 2, now);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "writing the run");
    if (!exists) *run_id = sqlite3_last_insert_rowid(s->writer_db);
    for (int k = 0; k < 2; k++) {
        const char *text = k == 0 ? w->description : w->hparams_json;
        if (!text) continue;
        st = k == 0 ? s->stmt.set_description : s->stmt.set_hparams;
        sqlite3_bind_int64(st, 1, *run_id);
        sq_bind_text(st, 2, text);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "writing the run");
    }
    return 0;
}

typedef struct {
    int64_t id;
    bool has_last_step;
    int64_t last_step;
    series_tail tail; /* scalars: see fold_tail */
} series_state;

static int find_or_create_series(sqlite_store *s, int64_t run_id, const char *kind, const char *tag,
                                 series_state *out, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.find_series;
    sqlite3_bind_int64(st, 1, run_id);
    sq_bind_text(st, 2, kind);
    sq_bind_text(st, 3, tag);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->has_last_step = sqlite3_column_type(st, 2) != SQLITE_NULL;
        out->last_step = sqlite3_column_int64(st, 2);
        out->tail = (series_tail){sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4)};
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "finding a series");
    st = s->stmt.insert_series;
    sqlite3_bind_int64(st, 1, run_id);
    sq_bind_text(st, 2, kind);
    sq_bind_text(st, 3, tag);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "creating a series");
    out->id = sqlite3_last_insert_rowid(s->writer_db);
    out->has_last_step = false;
    out->last_step = 0;
    out->tail = (series_tail){0, 0};
    return 0;
}

/* ---- scalars of a write --------------------------------------------------------------------------- */

static int update_series_summary(sqlite_store *s, int64_t series_id, const series_state *before,
                                 const point_columns *points, size_t added, const series_tail *tail, double now,
                                 vz_error *err)
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
    sqlite3_bind_double(st, 10, now);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "updating a series");
}

static int apply_scalars(sqlite_store *s, int64_t run_id, vz_write *w, double now, vz_error *err)
{
    tagged_item *items = tagged_items_alloc(w->scalar_count);
    if (!items) return vz_out_of_memory(err, "the write");
    for (size_t k = 0; k < w->scalar_count; k++) items[k] = (tagged_item){0, w->scalars[k].tag, k};
    tagged_items_sort(items, w->scalar_count);
    point_columns points = {0};
    int rc = 0;
    for (size_t from = 0, end; from < w->scalar_count && rc == 0; from = end) {
        end = tagged_group_end(items, w->scalar_count, from);
        series_state series = {0};
        size_t added = 0;
        if ((rc = find_or_create_series(s, run_id, "scalars", items[from].tag, &series, err)) < 0) break;
        if ((rc = assign_scalar_steps(w, items + from, end - from, series.has_last_step, series.last_step, err)) < 0)
            break;
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
        rc = update_series_summary(s, series.id, &series, &points, added, &tail, now, err);
    }
    columns_free(&points);
    free(items);
    return rc;
}

static int insert_histogram(sqlite_store *s, int64_t series_id, const vz_histogram_item *item, vz_error *err)
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
    return rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "writing a histogram");
}

static int recount_series(sqlite_store *s, sqlite3_stmt *st, int64_t series_id, vz_error *err)
{
    sqlite3_bind_int64(st, 1, series_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "updating a series");
}

/* Each tag's histograms in request order; one without a step gets the tag's last step + 1. */
static int apply_histograms(sqlite_store *s, int64_t run_id, vz_write *w, vz_error *err)
{
    tagged_item *items = tagged_items_alloc(w->histogram_count);
    if (!items) return vz_out_of_memory(err, "the write");
    for (size_t k = 0; k < w->histogram_count; k++) items[k] = (tagged_item){0, w->histograms[k].tag, k};
    tagged_items_sort(items, w->histogram_count);
    int rc = 0;
    for (size_t from = 0, end; from < w->histogram_count && rc == 0; from = end) {
        end = tagged_group_end(items, w->histogram_count, from);
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

static int upsert_graph(sqlite_store *s, int64_t run_id, const char *graph_json, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.upsert_graph;
    sqlite3_bind_int64(st, 1, run_id);
    sq_bind_text(st, 2, graph_json);
    sqlite3_bind_double(st, 3, clock_now_s());
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "writing a graph");
}

/* The id of a blob holding exactly these bytes, stored now if no blob does yet. */
static int store_blob(sqlite_store *s, const vz_media_item *item, int64_t *blob_id, vz_error *err)
{
    char name[VZ_BLOB_NAME_BYTES + 1];
    int64_t short_hash;
    blob_name(item->content_type, item->bytes, item->size, name, &short_hash);
    sqlite3_stmt *st = s->stmt.find_blob;
    sq_bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *blob_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "finding a blob");
    st = s->stmt.insert_blob;
    sqlite3_bind_int64(st, 1, short_hash);
    sq_bind_text(st, 2, item->content_type);
    sqlite3_bind_int64(st, 3, (int64_t)item->size);
    sqlite3_bind_blob(st, 4, item->bytes, (int)item->size, SQLITE_STATIC);
    sq_bind_text(st, 5, name);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "writing a blob");
    *blob_id = sqlite3_last_insert_rowid(s->writer_db);
    return 0;
}

/* The blob of the image or tensor stored at (series, step, index), or 0 when there is none. */
static int64_t blob_at(sqlite_store *s, int64_t series_id, const vz_media_item *item)
{
    sqlite3_stmt *st = item->kind == VZ_MEDIA_IMAGE ? s->stmt.old_image_blob : s->stmt.old_tensor_blob;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, item->step);
    sqlite3_bind_int64(st, 3, item->index);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return id;
}

static int delete_blob_if_unused(sqlite_store *s, int64_t blob_id, vz_error *err)
{
    sqlite3_stmt *st = s->stmt.delete_blob_if_unused;
    sqlite3_bind_int64(st, 1, blob_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "removing an unused blob");
}

static int insert_media(sqlite_store *s, int64_t series_id, const vz_media_item *item, vz_error *err)
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
        sq_bind_text(st, 5, item->text);
    } else {
        sqlite3_bind_int64(st, 5, blob_id);
    }
    if (item->kind == VZ_MEDIA_IMAGE) {
        sqlite3_bind_int64(st, 6, item->width);
        sqlite3_bind_int64(st, 7, item->height);
    } else if (item->kind == VZ_MEDIA_TENSOR) {
        sq_bind_text(st, 6, item->shape_json);
        sq_bind_text(st, 7, item->dtype);
        sq_bind_finite_or_null(st, 8, item->min);
        sq_bind_finite_or_null(st, 9, item->max);
        sq_bind_text(st, 10, item->display_json);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "writing an item");
    /* A replaced image or tensor may have left its old bytes without a user. */
    return replaced_blob_id && replaced_blob_id != blob_id ? delete_blob_if_unused(s, replaced_blob_id, err) : 0;
}


/* Per kind and tag, in request order; an item without a step gets the tag's last step + 1. */
static int apply_media(sqlite_store *s, int64_t run_id, vz_write *w, vz_error *err)
{
    tagged_item *items = tagged_items_alloc(w->media_count);
    if (!items) return vz_out_of_memory(err, "the write");
    for (size_t k = 0; k < w->media_count; k++) items[k] = (tagged_item){(int)w->media[k].kind, w->media[k].tag, k};
    tagged_items_sort(items, w->media_count);
    int rc = 0;
    for (size_t from = 0, end; from < w->media_count && rc == 0; from = end) {
        end = tagged_group_end(items, w->media_count, from);
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

static int save_source_progress(sqlite_store *s, const vz_source_progress *p, vz_error *err)
{
    sqlite3_stmt *st;
    if (sq_prepare(s->writer_db, &st,
                "INSERT INTO followed_files(path, inode, first_crc, offset) VALUES(?1, ?2, ?3, ?4) "
                "ON CONFLICT(path) DO UPDATE SET inode = excluded.inode, first_crc = excluded.first_crc, "
                "offset = excluded.offset", err) < 0)
        return -1;
    sq_bind_text(st, 1, p->path);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)p->inode);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)p->first_crc);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)p->offset);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(err, s->writer_db, "saving a followed file's offset");
}

int sq_apply_write(sqlite_store *s, vz_write *w, double now_s, vz_error *err)
{
    int64_t run_id = 0;
    if (upsert_run(s, w, now_s, &run_id, err) < 0) return -1;
    if (apply_scalars(s, run_id, w, now_s, err) < 0) return -1;
    if (apply_histograms(s, run_id, w, err) < 0) return -1;
    if (apply_media(s, run_id, w, err) < 0) return -1;
    if (w->graph_json && upsert_graph(s, run_id, w->graph_json, err) < 0) return -1;
    return w->source ? save_source_progress(s, w->source, err) : 0;
}

int sq_delete_run(sqlite_store *s, const char *run, vz_error *err)
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
            return sq_fail(err, s->writer_db, "deleting a run");
        sq_bind_text(st, 1, run);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return sq_fail(err, s->writer_db, "deleting a run");
    }
    if (sqlite3_changes(s->writer_db) == 0) return vz_fail(err, 404, "not_found", "run", "no such run");
    return 0;
}

