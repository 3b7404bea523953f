/* store_pg.c -- the PostgreSQL backend's writes: connection, schema migrations, group transactions.
 *
 * The schema is migrations/postgresql/ (its 0001 says how it differs from SQLite's and why). Several vizd
 * processes (replicas) write one database at once; what keeps them correct:
 *
 * - Migrations run in one transaction holding an advisory lock, so replicas starting together wait for
 *   the first one instead of applying a migration twice. The schema version is vizd_schema's one row.
 * - A group of writes is one transaction. It starts by inserting, or locking, the row of every run the
 *   group touches, in name order (store_pg_begin_group). Every writer of a run holds that row lock until
 *   it commits, so two replicas' groups over the same runs take their locks in the same order and wait
 *   for each other instead of deadlocking, and a run's series, points and items are changed by one
 *   transaction at a time. That is what makes "step omitted = last step + 1" exact across replicas: the
 *   series row read under the lock (SELECT ... FOR UPDATE, which would also protect it without the run
 *   lock) holds the last step every committed write left. Writes to different runs do not wait.
 * - A scalar point is a row keyed by (series_id, step); writing a step again replaces it (INSERT ... ON
 *   CONFLICT DO UPDATE), and the series' count grows by the rows that were new: an inserted row's xmax is
 *   0, an updated one's is this transaction's id.
 * - A scalar series' M4 summaries (0002_scalar_summaries.sql) change in the transaction that writes its
 *   points, under the same series lock: an append extends the heads kept in the series row, which the
 *   points' statement writes; any other write rebuilds the entries holding its steps after it
 *   (rebuild_summaries). A committed reader never sees points without their summaries.
 * - Deleting a run deletes its row; everything below goes with it (ON DELETE CASCADE). A writer of the
 *   run that holds the row lock finishes first; one that comes after creates the run anew.
 * - A write is acknowledged after COMMIT returns. A lost connection fails the group with 503: its writes
 *   may or may not have committed (COMMIT's answer was lost), which is why they are not acknowledged.
 *
 * Parameters travel as text (numbers in the shortest form that reads back exactly; NaN and the infinities
 * as PostgreSQL spells them) and bytes as binary; a scalar group goes as three arrays in one statement. */
#include "vizd/store_pg.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/block.h"
#include "vizd/buf.h"
#include "vizd/migrate.h"
#include "vizd/numfmt.h"
#include "vizd/store_pg_pyramid.h"
#include "vizd/write_group.h"

/* pg_advisory_xact_lock key of the migrations: "vizd" in ASCII. */
#define MIGRATION_LOCK_KEY "1986623076"
#define NOTIFY_MAX_BYTES 7999 /* PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more */

#define PREPARED_MAX 48 /* statements prepared on one connection (the writer uses about 20) */

struct store_pg {
    PGconn *conn;
    char *conninfo;
    char *prepared[PREPARED_MAX]; /* the text of statement "vzN" prepared on conn, N its index */
    size_t prepared_count;
    char *group_runs; /* the current group's written runs, as a text[] literal (store_pg_begin_group) */
};

bool store_pg_is_conninfo(const char *db)
{
    if (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0) return true;
    /* A keyword string: "host=... dbname=...", its first word one of libpq's keywords (so a file named
     * "runs=1.sqlite" stays a file). */
    size_t key = strspn(db, "abcdefghijklmnopqrstuvwxyz_");
    if (key == 0 || db[key] != '=') return false;
    PQconninfoOption *options = PQconndefaults();
    bool is_keyword = false;
    for (PQconninfoOption *o = options; o && o->keyword && !is_keyword; o++)
        is_keyword = strlen(o->keyword) == key && strncmp(o->keyword, db, key) == 0;
    PQconninfoFree(options);
    return is_keyword;
}

/* ---- errors --------------------------------------------------------------------------------------- */

/* Whether the failure means the server is away (connection lost, server shutting down or starting up,
 * too many connections): the write may succeed later, against this or a reconnected connection. */
static bool is_unavailable(const store_pg *pg, const PGresult *res)
{
    if (PQstatus(pg->conn) != CONNECTION_OK) return true;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state) return res == NULL;
    return strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 || strcmp(state, "53300") == 0;
}

/* A deadlock or serialisation failure: nothing of the transaction is stored, and a retry may succeed. */
static bool is_conflict(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return state && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0);
}

static int pg_fail(vz_error *err, store_pg *pg, PGresult *res, const char *what)
{
    const char *message = res ? PQresultErrorMessage(res) : "";
    if (!message || !*message) message = PQerrorMessage(pg->conn);
    char text[240];
    snprintf(text, sizeof text, "%s", message);
    text[strcspn(text, "\n")] = '\0';
    bool is_away = is_unavailable(pg, res), is_busy = is_conflict(res);
    if (res) PQclear(res);
    if (is_away)
        return vz_fail(err, 503, "database_unavailable", "", "%s: the database is unavailable (%s)", what, text);
    if (is_busy) return vz_fail(err, 503, "database_busy", "", "%s: %s; retry", what, text);
    return vz_fail(err, 500, "internal", "", "%s: %s", what, text);
}

static void forget_prepared(store_pg *pg)
{
    for (size_t i = 0; i < pg->prepared_count; i++) free(pg->prepared[i]);
    pg->prepared_count = 0;
}

/* The name of sql prepared on this connection, preparing it on first use; NULL when it cannot be (the cache
 * is full, or the transaction has failed): then it is sent with its text. Planning a statement cost more
 * PostgreSQL CPU than running it for a one-point write, and the writer runs the same twenty over and over. */
static bool find_prepared(store_pg *pg, const char *sql, int n, char name[16])
{
    size_t i = 0;
    while (i < pg->prepared_count && strcmp(pg->prepared[i], sql) != 0) i++;
    snprintf(name, 16, "vz%zu", i);
    if (i < pg->prepared_count) return true;
    if (i == PREPARED_MAX) return false;
    char *copy = strdup(sql);
    PGresult *res = copy ? PQprepare(pg->conn, name, sql, n, NULL) : NULL;
    bool is_prepared = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!is_prepared) {
        free(copy);
        return false;
    }
    pg->prepared[pg->prepared_count++] = copy;
    return true;
}

/* Run sql with n text parameters (binary where lengths[i] is not 0), as a prepared statement; the result
 * when it is status, else NULL with err filled. */
static PGresult *query(store_pg *pg, const char *sql, int n, const char *const *values, const int *lengths,
                     ExecStatusType status, const char *what, vz_error *err)
{
    int formats[16] = {0};
    for (int i = 0; i < n && lengths; i++) formats[i] = lengths[i] != 0;
    char name[16];
    PGresult *res = find_prepared(pg, sql, n, name)
                        ? PQexecPrepared(pg->conn, name, n, values, lengths, lengths ? formats : NULL, 0)
                        : PQexecParams(pg->conn, sql, n, NULL, values, lengths, lengths ? formats : NULL, 0);
    if (res && PQresultStatus(res) == status) return res;
    pg_fail(err, pg, res, what);
    return NULL;
}

static int run_command(store_pg *pg, const char *sql, int n, const char *const *values, const char *what,
                       vz_error *err)
{
    PGresult *res = query(pg, sql, n, values, NULL, PGRES_COMMAND_OK, what, err);
    if (!res) return -1;
    PQclear(res);
    return 0;
}

static int exec_simple(store_pg *pg, const char *sql, const char *what, vz_error *err)
{
    PGresult *res = PQexec(pg->conn, sql);
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
        PQclear(res);
        return 0;
    }
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        PQclear(res);
        return 0;
    }
    return pg_fail(err, pg, res, what);
}

/* ---- text forms of parameters --------------------------------------------------------------------- */


/* NaN and the infinities as float8 input reads them; finite values in the shortest exact form. */
static const char *double_text(numfmt_text *out, double v)
{
    if (isnan(v)) return "NaN";
    if (isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    numfmt_double(out->text, v);
    return out->text;
}

static void put_double(vz_buf *b, double v)
{
    numfmt_text t;
    buf_puts(b, double_text(&t, v));
}

/* ---- connection and migrations ----------------------------------------------------------------------- */

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and the like: nothing an operator must act on */
}

static int connect_to(store_pg *pg, vz_error *err)
{
    if (pg->conn) PQfinish(pg->conn);
    forget_prepared(pg);
    pg->conn = PQconnectdb(pg->conninfo);
    if (!pg->conn) return vz_out_of_memory(err, "a database connection");
    if (PQstatus(pg->conn) != CONNECTION_OK) return pg_fail(err, pg, NULL, "connecting to PostgreSQL");
    PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
    return exec_simple(pg, "SET client_encoding = 'UTF8'", "connecting to PostgreSQL", err);
}

static int latest_schema_version(void)
{
    int latest = 0;
    for (const vz_migration *m = vz_pg_migrations; m->version; m++) latest = m->version;
    return latest;
}

/* The schema version, creating the version table in an empty database; refuses a foreign or newer one. */
static int read_schema_version(store_pg *pg, int *version, vz_error *err)
{
    PGresult *res = query(pg,
                        "SELECT to_regclass('vizd_schema') IS NOT NULL, (SELECT count(*) FROM pg_class c JOIN "
                        "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND "
                        "c.relkind IN ('r', 'p'))",
                        0, NULL, NULL, PGRES_TUPLES_OK, "reading the schema version", err);
    if (!res) return -1;
    bool has_version = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    long long tables = atoll(PQgetvalue(res, 0, 1));
    PQclear(res);
    if (!has_version && tables > 0)
        return vz_fail(err, 500, "internal", "", "the PostgreSQL database holds tables, but is not a vizd one");
    if (!has_version) {
        *version = 0;
        return exec_simple(pg, "CREATE TABLE vizd_schema (version integer NOT NULL); "
                               "INSERT INTO vizd_schema VALUES (0)", "creating the schema version", err);
    }
    res = query(pg, "SELECT version FROM vizd_schema", 0, NULL, NULL, PGRES_TUPLES_OK, "reading the schema version",
              err);
    if (!res) return -1;
    bool is_one_row = PQntuples(res) == 1;
    *version = is_one_row ? atoi(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    if (!is_one_row) return vz_fail(err, 500, "internal", "", "vizd_schema must hold one row");
    if (*version > latest_schema_version())
        return vz_fail(err, 500, "internal", "", "the PostgreSQL database was written by a newer vizd (schema %d, "
                       "this binary knows %d)", *version, latest_schema_version());
    return 0;
}

static int apply_migrations(store_pg *pg, vz_error *err)
{
    if (exec_simple(pg, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_KEY ")", "starting migrations",
                    err) < 0)
        return -1;
    int version = 0;
    int rc = read_schema_version(pg, &version, err);
    for (const vz_migration *m = vz_pg_migrations; rc == 0 && m->version; m++) {
        if (m->version <= version) continue;
        numfmt_text v;
        const char *params[] = {numfmt_int64_text(&v, m->version)};
        rc = exec_simple(pg, m->sql, m->name, err);
        if (rc == 0) rc = run_command(pg, "UPDATE vizd_schema SET version = $1", 1, params, m->name, err);
    }
    if (rc == 0) return exec_simple(pg, "COMMIT", "committing migrations", err);
    PQclear(PQexec(pg->conn, "ROLLBACK"));
    return -1;
}

/* ---- M4 summaries of scalar points (migrations/postgresql/0002_scalar_summaries.sql) ------------------ */

#define NO_ANCHOR_TEXT "-9223372036854775808"
#define LAST_STEP_TEXT "9223372036854775807"

/* An entry from text columns anchor, count and picks (bytea's "\x" hex) at col of res's row. */
static void entry_from_row(const PGresult *res, int row, int col, pg_pyramid_entry *out)
{
    size_t bytes = 0;
    unsigned char *picks = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col + 2), &bytes);
    out->anchor = strtoll(PQgetvalue(res, row, col), NULL, 10);
    picks_decode(picks, picks ? (int)bytes : 0, strtoll(PQgetvalue(res, row, col + 1), NULL, 10), &out->sum);
    PQfreemem(picks);
}

/* Write the entries (entry i at levels[i], or all at level when levels is NULL) as rows, replacing the
 * rows of delete_level anchored in [lo, hi] that are not among them: one statement. picks travel as hex
 * text, so the writer's statements keep text parameters. */
static int put_entries(store_pg *pg, const char *series_id, const pg_pyramid_list *list, const int *levels,
                       int level, int delete_level, int64_t lo, int64_t hi, vz_error *err)
{
    if (list->is_failed) return vz_out_of_memory(err, "the scalar summaries");
    vz_buf arrays[6];
    for (int a = 0; a < 6; a++) {
        buf_init(&arrays[a]);
        buf_putc(&arrays[a], '{');
    }
    for (size_t i = 0; i < list->count; i++) {
        const pg_pyramid_entry *e = &list->entries[i];
        unsigned char picks[PICKS_BYTES];
        char hex[2 * PICKS_BYTES + 1] = "";
        picks_encode(&e->sum, picks);
        pg_pyramid_hex(picks, sizeof picks, hex);
        int64_t fields[5] = {levels ? levels[i] : level, e->anchor, e->sum.first.step, e->sum.last.step,
                             (int64_t)e->sum.count};
        for (int a = 0; a < 6; a++) {
            if (i) buf_putc(&arrays[a], ',');
            if (a < 5) buf_put_int64(&arrays[a], fields[a]);
            else buf_puts(&arrays[a], hex);
        }
    }
    int rc = 0;
    for (int a = 0; a < 6; a++) {
        buf_puts(&arrays[a], "}");
        buf_putc(&arrays[a], '\0');
        rc |= buf_check(&arrays[a], "the scalar summaries", err);
    }
    if (rc == 0) {
        numfmt_text level_text, from, to;
        const char *params[] = {series_id, arrays[0].data, arrays[1].data, arrays[2].data, arrays[3].data,
                                arrays[4].data, arrays[5].data, numfmt_int64_text(&level_text, delete_level),
                                numfmt_int64_text(&from, lo), numfmt_int64_text(&to, hi)};
        rc = run_command(pg,
                         "WITH e AS (SELECT * FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::bigint[], "
                         "$6::bigint[], $7::text[]) AS e(level, anchor, first_step, last_step, count, picks)), "
                         "put AS (INSERT INTO scalar_summaries (series_id, level, anchor, first_step, last_step, "
                         "count, picks) SELECT $1, level, anchor, first_step, last_step, count, decode(picks, 'hex') "
                         "FROM e ON CONFLICT (series_id, level, anchor) DO UPDATE SET first_step = "
                         "excluded.first_step, last_step = excluded.last_step, count = excluded.count, picks = "
                         "excluded.picks) "
                         "DELETE FROM scalar_summaries WHERE series_id = $1 AND level = $8::int AND anchor "
                         "BETWEEN $9::bigint AND $10::bigint AND anchor <> ALL ($3::bigint[])",
                         10, params, "writing scalar summaries", err);
    }
    for (int a = 0; a < 6; a++) buf_free(&arrays[a]);
    return rc;
}

typedef struct {
    int64_t *steps;
    double *wall_times_s, *values;
    size_t count;
} point_arrays;

static void point_arrays_free(point_arrays *p)
{
    free(p->steps);
    free(p->wall_times_s);
    free(p->values);
    *p = (point_arrays){0};
}

/* The new entries of a level rebuilt over [lo, hi]: when the range reaches the series' end, its last entry
 * is the level's head, and the others are rows (replacing those of the range); else all are rows. */
static int put_level(store_pg *pg, const char *series_id, int level, pg_pyramid_list *entries, int64_t lo,
                     int64_t hi, pg_pyramid_heads *heads, vz_error *err)
{
    if (hi == INT64_MAX && entries->count) {
        heads->entry[level] = entries->entries[--entries->count];
        heads->has[level] = true;
    }
    return put_entries(pg, series_id, entries, NULL, level, level, lo, hi, err);
}

/* The bounds of the entries of level to rebuild, as a SELECT's two columns lo and hi: from the entry
 * holding step $2 (the last anchored at or before it: a row, or the head $4) to before the first anchored
 * after $3 (to the series' end if none, or if $3 is the end already). $1 the series, $5 the level. */
#define REBUILD_BOUNDS_SQL                                                                                        \
    "coalesce(greatest((SELECT max(anchor) FROM scalar_summaries WHERE series_id = $1 AND level = $5::int AND "   \
    "anchor <= $2::bigint), CASE WHEN $4::bigint <= $2::bigint THEN $4::bigint END), " NO_ANCHOR_TEXT ") AS lo, " \
    "CASE WHEN $3::bigint = " LAST_STEP_TEXT " THEN $3::bigint ELSE coalesce(least((SELECT min(anchor) FROM "     \
    "scalar_summaries WHERE series_id = $1 AND level = $5::int AND anchor > $3::bigint), CASE WHEN $4::bigint > " \
    "$3::bigint THEN $4::bigint END) - 1, " LAST_STEP_TEXT ") END AS hi"

/* What level is rebuilt from, for the entries holding [*lo, *hi]: sql selects the bounds of REBUILD_BOUNDS_SQL
 * (which *lo and *hi become) and then the rows below in them, *rows of them (none when the third column
 * is NULL). */
static PGresult *read_for_rebuild(store_pg *pg, const char *series_id, const pg_pyramid_heads *heads, int level,
                                  const char *sql, int64_t *lo, int64_t *hi, size_t *rows, vz_error *err)
{
    numfmt_text from, to, head, level_text;
    const char *params[] = {series_id, numfmt_int64_text(&from, *lo), numfmt_int64_text(&to, *hi),
                            heads->has[level] ? numfmt_int64_text(&head, heads->entry[level].anchor) : NULL,
                            numfmt_int64_text(&level_text, level)};
    PGresult *res = query(pg, sql, 5, params, NULL, PGRES_TUPLES_OK, "reading scalars to summarise", err);
    if (!res) return NULL;
    *lo = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *hi = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    *rows = PQgetisnull(res, 0, 2) ? 0 : (size_t)PQntuples(res);
    return res;
}

/* Level 0 of a series rebuilt over the chunks holding steps [*lo, *hi]; on return [*lo, *hi] spans the
 * chunks rebuilt (to the next chunk, which the change left as it was). */
static int rebuild_chunks(store_pg *pg, const char *series_id, pg_pyramid_heads *heads, int64_t *lo, int64_t *hi,
                          vz_error *err)
{
    size_t n;
    PGresult *res = read_for_rebuild(pg, series_id, heads, 0,
                                     "WITH b AS (SELECT " REBUILD_BOUNDS_SQL ") SELECT b.lo, b.hi, p.step, "
                                     "p.wall_time, p.value FROM b LEFT JOIN scalar_points p ON p.series_id = $1 AND "
                                     "p.step BETWEEN b.lo AND b.hi ORDER BY p.step",
                                     lo, hi, &n, err);
    if (!res) return -1;
    point_arrays p = {malloc((n ? n : 1) * sizeof *p.steps), malloc((n ? n : 1) * sizeof *p.wall_times_s),
                      malloc((n ? n : 1) * sizeof *p.values), n};
    int rc = p.steps && p.wall_times_s && p.values ? 0 : vz_out_of_memory(err, "the scalar summaries");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        p.steps[i] = strtoll(PQgetvalue(res, (int)i, 2), NULL, 10);
        p.wall_times_s[i] = strtod(PQgetvalue(res, (int)i, 3), NULL);
        p.values[i] = strtod(PQgetvalue(res, (int)i, 4), NULL);
    }
    PQclear(res);
    pg_pyramid_list chunks = {0};
    if (rc == 0) pg_pyramid_from_points(0, NULL, p.steps, p.wall_times_s, p.values, n, &chunks);
    if (rc == 0) rc = put_level(pg, series_id, 0, &chunks, *lo, *hi, heads, err);
    pg_pyramid_list_free(&chunks);
    point_arrays_free(&p);
    return rc;
}

/* Level (>= 1) rebuilt over the groups holding the entries below anchored in [*lo, *hi] (the level below
 * is rebuilt already: its head is heads' new one); on return [*lo, *hi] spans the groups rebuilt, what
 * changed for the level above. */
static int rebuild_groups(store_pg *pg, const char *series_id, int level, pg_pyramid_heads *heads, int64_t *lo,
                          int64_t *hi, vz_error *err)
{
    size_t n;
    PGresult *res = read_for_rebuild(pg, series_id, heads, level,
                                     "WITH b AS (SELECT " REBUILD_BOUNDS_SQL ") SELECT b.lo, b.hi, s.anchor, "
                                     "s.count, s.picks FROM b LEFT JOIN scalar_summaries s ON s.series_id = $1 AND "
                                     "s.level = $5::int - 1 AND s.anchor BETWEEN b.lo AND b.hi ORDER BY s.anchor",
                                     lo, hi, &n, err);
    if (!res) return -1;
    /* The head below comes after every row below, so it is in the range when the range reaches the end. */
    bool has_head_below = *hi == INT64_MAX && heads->has[level - 1];
    pg_pyramid_entry *below = malloc((n + 1) * sizeof *below);
    if (!below) {
        PQclear(res);
        return vz_out_of_memory(err, "the scalar summaries");
    }
    for (size_t i = 0; i < n; i++) entry_from_row(res, (int)i, 2, &below[i]);
    PQclear(res);
    if (has_head_below) below[n++] = heads->entry[level - 1];
    pg_pyramid_list groups = {0};
    pg_pyramid_from_entries(level, below, n, &groups);
    free(below);
    int rc = put_level(pg, series_id, level, &groups, *lo, *hi, heads, err);
    pg_pyramid_list_free(&groups);
    return rc;
}

static int put_heads(store_pg *pg, const char *series_id, const pg_pyramid_heads *heads, vz_error *err)
{
    char hex[PG_PYRAMID_HEADS_HEX];
    pg_pyramid_heads_pack(heads, hex);
    const char *params[] = {series_id, hex};
    return run_command(pg, "UPDATE series SET summary_heads = decode($2, 'hex') WHERE id = $1", 2, params,
                       "writing scalar summaries", err);
}

/* Every level of the series rebuilt where it holds steps in [first, last]: after a write at or before the
 * series' last step, and for a series summarised for the first time. Costs the points of the chunks those
 * steps fall in, and about 8 rows per level around them: two statements per level. */
static int rebuild_summaries(store_pg *pg, const char *series_id, pg_pyramid_heads *heads, int64_t first,
                             int64_t last, vz_error *err)
{
    int64_t lo = first, hi = last;
    if (rebuild_chunks(pg, series_id, heads, &lo, &hi, err) < 0) return -1;
    for (int level = 1; level < PG_PYRAMID_LEVELS; level++)
        if (rebuild_groups(pg, series_id, level, heads, &lo, &hi, err) < 0) return -1;
    return put_heads(pg, series_id, heads, err);
}

/* Points appended after the series' last step extend each level's head, or start new entries at
 * boundaries: then the old head, complete, becomes a row (*closed, at (*levels)[i]). No statement. */
static void append_to_heads(pg_pyramid_heads *heads, const point_arrays *p, pg_pyramid_list *closed, int **levels)
{
    size_t levels_cap = 0;
    for (int level = 0; level < PG_PYRAMID_LEVELS && !closed->is_failed; level++) {
        pg_pyramid_list entries = {0};
        pg_pyramid_from_points(level, heads->has[level] ? &heads->entry[level] : NULL, p->steps, p->wall_times_s,
                               p->values, p->count, &entries);
        if (entries.is_failed || entries.count == 0) {
            closed->is_failed = true;
            pg_pyramid_list_free(&entries);
            break;
        }
        for (size_t i = 0; i + 1 < entries.count; i++) {
            pg_pyramid_list_add(closed, entries.entries[i].anchor, &entries.entries[i].sum);
            if (closed->count > levels_cap) {
                levels_cap = closed->cap;
                int *grown = realloc(*levels, levels_cap * sizeof *grown);
                if (!grown) closed->is_failed = true;
                else *levels = grown;
            }
            if (!closed->is_failed) (*levels)[closed->count - 1] = level;
        }
        heads->entry[level] = entries.entries[entries.count - 1];
        heads->has[level] = true;
        pg_pyramid_list_free(&entries);
    }
}

/* Summarise the series migration 0002 found (written before summaries existed), one transaction each.
 * FOR UPDATE waits for the series' writers (their points must be in the build); a replica building at the
 * same time waits too, and then finds the series built. */
static int build_pending_summaries(store_pg *pg, vz_error *err)
{
    for (;;) {
        if (exec_simple(pg, "BEGIN", "summarising scalars", err) < 0) return -1;
        PGresult *res = query(pg,
                              "SELECT id FROM series WHERE kind = 'scalars' AND summary_heads IS NULL ORDER BY id "
                              "LIMIT 1 FOR UPDATE",
                              0, NULL, NULL, PGRES_TUPLES_OK, "summarising scalars", err);
        char id[NUMFMT_MAX_BYTES] = "";
        if (res && PQntuples(res) == 1) snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        int rc = res ? 0 : -1;
        pg_pyramid_heads heads = {0};
        if (rc == 0 && *id) rc = rebuild_summaries(pg, id, &heads, INT64_MIN, INT64_MAX, err);
        if (rc == 0) rc = exec_simple(pg, "COMMIT", "summarising scalars", err);
        if (rc < 0) {
            PQclear(PQexec(pg->conn, "ROLLBACK"));
            return -1;
        }
        if (!*id) return 0;
    }
}

int store_pg_open(store_pg **out, const char *conninfo, vz_error *err)
{
    *out = NULL;
    store_pg *pg = calloc(1, sizeof *pg);
    if (!pg || !(pg->conninfo = strdup(conninfo))) {
        free(pg);
        return vz_out_of_memory(err, "a database connection");
    }
    if (connect_to(pg, err) < 0 || apply_migrations(pg, err) < 0 || build_pending_summaries(pg, err) < 0) {
        store_pg_close(pg);
        return -1;
    }
    *out = pg;
    return 0;
}

void store_pg_close(store_pg *pg)
{
    if (!pg) return;
    free(pg->group_runs);
    forget_prepared(pg);
    if (pg->conn) PQfinish(pg->conn);
    free(pg->conninfo);
    free(pg);
}

int store_pg_reconnect(store_pg *pg, vz_error *err) { return connect_to(pg, err); }

bool store_pg_is_connected(const store_pg *pg) { return PQstatus(pg->conn) == CONNECTION_OK; }

bool store_pg_is_transaction_lost(const store_pg *pg)
{
    PGTransactionStatusType status = PQtransactionStatus(pg->conn);
    return PQstatus(pg->conn) != CONNECTION_OK || status == PQTRANS_IDLE || status == PQTRANS_UNKNOWN;
}

const char *store_pg_conninfo(const store_pg *pg) { return pg->conninfo; }

void store_pg_describe(const store_pg *pg, char *out, size_t size)
{
    const char *host = PQhost(pg->conn);
    snprintf(out, size, "postgresql://%s@%s:%s/%s", PQuser(pg->conn), host && *host == '/' ? "localhost" : host,
             PQport(pg->conn), PQdb(pg->conn));
}

/* ---- group transactions ---------------------------------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A text[] literal of the names: {"a","b"}, each quoted with " and \ escaped. */
static void put_text_array(vz_buf *b, const char *const *names, size_t n)
{
    buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(b, ',');
        buf_putc(b, '"');
        for (const char *c = names[i]; *c; c++) {
            if (*c == '"' || *c == '\\') buf_putc(b, '\\');
            buf_putc(b, *c);
        }
        buf_putc(b, '"');
    }
    buf_putc(b, '}');
}

/* s as a quoted literal appended to b (PQescapeLiteral: quotes doubled, backslashes made E'' safe). */
static int put_literal(store_pg *pg, vz_buf *b, const char *s, vz_error *err)
{
    char *literal = PQescapeLiteral(pg->conn, s, strlen(s));
    if (!literal) return vz_out_of_memory(err, "a statement");
    buf_puts(b, literal);
    PQfreemem(literal);
    return 0;
}

/* The names as a text[] literal, appended to b. */
static int put_names_literal(store_pg *pg, vz_buf *b, const char *const *names, size_t n, vz_error *err)
{
    vz_buf array;
    buf_init(&array);
    put_text_array(&array, names, n);
    buf_putc(&array, '\0');
    int rc = buf_check(&array, "a statement", err);
    if (rc == 0) rc = put_literal(pg, b, array.data, err);
    buf_free(&array);
    return rc;
}

/* One round trip: BEGIN and the locks, sent as one simple query (names as escaped literals). */
int store_pg_begin_group(store_pg *pg, vz_write *const *writes, size_t n, const char *const *deleted_runs,
                         size_t deleted_count, vz_error *err)
{
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names) return vz_out_of_memory(err, "the write");
    for (size_t i = 0; i < n; i++) names[i] = writes[i]->run;
    /* The runs written are created now if new, and locked (as an update locks) if not; the runs to delete
     * are locked after them. ORDER BY is the lock order, the same in every replica, so groups over the
     * same runs never deadlock; only a group that deletes a run and one that writes runs on both sides of
     * its name in the other order can, and PostgreSQL then fails one of them (503, not acknowledged).
     * A run new here is a placeholder until a write of it succeeds: created_at NaN, which the write's
     * upsert_run replaces and store_pg_commit deletes if none did (a refused write stores nothing, not even
     * its run; and no reader ever sees a placeholder, which lives only inside this transaction). */
    vz_buf sql, group;
    buf_init(&sql);
    buf_init(&group);
    buf_puts(&sql, "BEGIN; INSERT INTO runs AS r (name, created_at, updated_at) SELECT DISTINCT name, 'NaN'::float8, "
                    "'NaN'::float8 FROM unnest(");
    int rc = put_names_literal(pg, &sql, names, n, err);
    buf_puts(&sql, "::text[]) AS name ORDER BY name ON CONFLICT (name) DO UPDATE SET name = r.name");
    if (rc == 0 && deleted_count) {
        buf_puts(&sql, "; SELECT id FROM runs WHERE name = ANY (");
        rc = put_names_literal(pg, &sql, deleted_runs, deleted_count, err);
        buf_puts(&sql, "::text[]) ORDER BY name FOR UPDATE");
    }
    if (rc == 0) rc = put_names_literal(pg, &group, names, n, err);
    buf_putc(&sql, '\0');
    buf_putc(&group, '\0');
    free(names);
    if (rc == 0) rc = buf_check(&sql, "a statement", err) | buf_check(&group, "a statement", err);
    if (rc == 0) rc = exec_simple(pg, sql.data, "locking the runs", err);
    free(pg->group_runs);
    pg->group_runs = rc == 0 ? buf_release(&group, NULL) : NULL;
    buf_free(&group);
    buf_free(&sql);
    return rc;
}

int store_pg_savepoint(store_pg *pg, vz_error *err) { return exec_simple(pg, "SAVEPOINT w", "starting a write", err); }

int store_pg_release_savepoint(store_pg *pg, vz_error *err)
{
    return exec_simple(pg, "RELEASE SAVEPOINT w", "finishing a write", err);
}

int store_pg_rollback_to_savepoint(store_pg *pg, vz_error *err)
{
    return exec_simple(pg, "ROLLBACK TO SAVEPOINT w", "undoing a refused write", err);
}

/* One round trip: the placeholders no write used deleted, the notices queued (PostgreSQL delivers them only
 * if the transaction commits, in order), and COMMIT, as one simple query. */
int store_pg_commit(store_pg *pg, const char *const *notices, size_t n, vz_error *err)
{
    vz_buf sql;
    buf_init(&sql);
    if (pg->group_runs) {
        buf_puts(&sql, "DELETE FROM runs WHERE name = ANY (");
        buf_puts(&sql, pg->group_runs);
        buf_puts(&sql, "::text[]) AND created_at = 'NaN'; ");
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strlen(notices[i]) > NOTIFY_MAX_BYTES)
            rc = vz_fail(err, 500, "internal", "", "a change notice of %zu bytes is too long", strlen(notices[i]));
        buf_puts(&sql, i ? ", pg_notify('" STORE_PG_CHANNEL "', " : "SELECT pg_notify('" STORE_PG_CHANNEL "', ");
        if (rc == 0) rc = put_literal(pg, &sql, notices[i], err);
        buf_puts(&sql, i + 1 == n ? "); " : ")");
    }
    buf_puts(&sql, "COMMIT");
    buf_putc(&sql, '\0');
    if (rc == 0) rc = buf_check(&sql, "committing", err);
    free(pg->group_runs);
    pg->group_runs = NULL;
    PGresult *res = rc == 0 ? PQexec(pg->conn, sql.data) : NULL;
    buf_free(&sql);
    if (rc < 0) return -1;
    /* A transaction that had failed answers COMMIT with ROLLBACK: nothing of it was stored. */
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT") == 0) {
        PQclear(res);
        return 0;
    }
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
        PQclear(res);
        return vz_fail(err, 500, "internal", "", "committing: the transaction had failed and was rolled back");
    }
    /* A statement before COMMIT failed (the transaction had failed already): COMMIT never ran. */
    pg_fail(err, pg, res, "committing");
    store_pg_rollback(pg);
    return -1;
}

void store_pg_rollback(store_pg *pg)
{
    free(pg->group_runs);
    pg->group_runs = NULL;
    if (PQstatus(pg->conn) == CONNECTION_OK) PQclear(PQexec(pg->conn, "ROLLBACK"));
}

/* ---- one write ---------------------------------------------------------------------------------------- */

static int upsert_run(store_pg *pg, const vz_write *w, double now_s, char run_id[NUMFMT_MAX_BYTES], vz_error *err)
{
    numfmt_text now;
    const char *params[] = {w->run, double_text(&now, now_s), w->description, w->hparams_json};
    PGresult *res = query(pg,
                        "INSERT INTO runs AS r (name, description, hparams, created_at, updated_at) "
                        "VALUES ($1, coalesce($3, ''), coalesce($4, '{}'), $2, $2) ON CONFLICT (name) DO UPDATE "
                        "SET updated_at = excluded.updated_at, created_at = CASE WHEN r.created_at = 'NaN' THEN "
                        "excluded.created_at ELSE r.created_at END, description = coalesce($3, r.description), "
                        "hparams = coalesce($4, r.hparams) RETURNING id",
                        4, params, NULL, PGRES_TUPLES_OK, "writing the run", err);
    if (!res) return -1;
    snprintf(run_id, NUMFMT_MAX_BYTES, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

typedef struct {
    char id[NUMFMT_MAX_BYTES];
    bool has_last_step;
    int64_t last_step;
    bool is_summarised; /* scalars: summary_heads is not NULL (0002_scalar_summaries.sql) */
    pg_pyramid_heads heads;
} series_state;

/* The series' row, locked until the transaction ends (created if new). */
static int lock_series(store_pg *pg, const char *run_id, const char *kind, const char *tag, series_state *out,
                       vz_error *err)
{
    const char *params[] = {run_id, kind, tag};
    for (int attempt = 0; attempt < 2; attempt++) {
        PGresult *res = query(pg,
                            "SELECT id, last_step, summary_heads FROM series WHERE run_id = $1 AND kind = $2 AND "
                            "tag = $3 FOR UPDATE",
                            3, params, NULL, PGRES_TUPLES_OK, "finding a series", err);
        if (!res) return -1;
        if (PQntuples(res) == 1) {
            snprintf(out->id, sizeof out->id, "%s", PQgetvalue(res, 0, 0));
            out->has_last_step = !PQgetisnull(res, 0, 1);
            out->last_step = out->has_last_step ? strtoll(PQgetvalue(res, 0, 1), NULL, 10) : 0;
            out->is_summarised = !PQgetisnull(res, 0, 2);
            pg_pyramid_heads_unpack(PQgetvalue(res, 0, 2), &out->heads);
            PQclear(res);
            return 0;
        }
        PQclear(res);
        /* New: insert it; the run's lock makes a concurrent insert impossible, ON CONFLICT makes it harmless. */
        if (run_command(pg, "INSERT INTO series (run_id, kind, tag) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        3, params, "creating a series", err) < 0)
            return -1;
    }
    return vz_fail(err, 500, "internal", "", "a series vanished while being written");
}

/* The scalars of one tag (items with that tag, in write order): steps assigned, then every point upserted
 * in one statement (one row per step: ON CONFLICT cannot touch a row twice, so a step written twice keeps
 * its last point), and the series' count, step range and last point updated. */
static int write_scalar_tag(store_pg *pg, const char *run_id, vz_write *w, const char *tag, vz_error *err)
{
    series_state series;
    if (lock_series(pg, run_id, "scalars", tag, &series, err) < 0) return -1;
    bool had_points = series.has_last_step;
    int64_t old_last_step = series.last_step;
    size_t total = 0;
    for (size_t k = 0; k < w->scalar_count; k++)
        if (strcmp(w->scalars[k].tag, tag) == 0) total += w->scalars[k].count;
    if (total == 0) return 0;
    ordered_point *points = malloc(total * sizeof *points);
    if (!points) return vz_out_of_memory(err, "the write");
    size_t n = 0;
    for (size_t k = 0; k < w->scalar_count; k++) {
        vz_scalar_item *item = &w->scalars[k];
        if (strcmp(item->tag, tag) != 0) continue;
        for (size_t i = 0; i < item->count; i++, n++) {
            if (!take_step(item->needs_step && item->needs_step[i], &item->steps[i], &series.has_last_step,
                           &series.last_step)) {
                free(points);
                char path[64];
                snprintf(path, sizeof path, "scalars[%zu].step", k);
                return vz_fail(err, 400, "invalid_value", path, "the next step would overflow int64");
            }
            points[n] = (ordered_point){item->steps[i], n, item->wall_times_s[i], item->values[i]};
        }
    }
    qsort(points, n, sizeof *points, compare_ordered_points);
    vz_buf steps, walls, values;
    buf_init(&steps);
    buf_init(&walls);
    buf_init(&values);
    buf_putc(&steps, '{');
    buf_putc(&walls, '{');
    buf_putc(&values, '{');
    size_t kept = 0, last = 0;
    point_arrays written = {malloc(n * sizeof *written.steps), malloc(n * sizeof *written.wall_times_s),
                            malloc(n * sizeof *written.values), 0};
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && points[i + 1].step == points[i].step) continue;
        if (written.steps && written.wall_times_s && written.values) {
            written.steps[written.count] = points[i].step;
            written.wall_times_s[written.count] = points[i].wall_time_s;
            written.values[written.count++] = points[i].value;
        }
        if (kept++) {
            buf_putc(&steps, ',');
            buf_putc(&walls, ',');
            buf_putc(&values, ',');
        }
        buf_put_int64(&steps, points[i].step);
        put_double(&walls, points[i].wall_time_s);
        put_double(&values, points[i].value);
        last = i;
    }
    buf_puts(&steps, "}");
    buf_puts(&walls, "}");
    buf_puts(&values, "}");
    buf_putc(&steps, '\0');
    buf_putc(&walls, '\0');
    buf_putc(&values, '\0');
    int rc = buf_check(&steps, "the write", err) | buf_check(&walls, "the write", err) |
             buf_check(&values, "the write", err);
    if (rc == 0 && written.count != kept) rc = vz_out_of_memory(err, "the write");
    /* Points appended after the last step change only the heads, which travel with the points' statement;
     * any other write rebuilds the summaries around its steps once its points are in. */
    bool is_append = series.is_summarised && (!had_points || written.steps[0] > old_last_step);
    pg_pyramid_list closed = {0};
    int *closed_levels = NULL;
    char heads_hex[PG_PYRAMID_HEADS_HEX];
    if (rc == 0 && is_append) {
        append_to_heads(&series.heads, &written, &closed, &closed_levels);
        pg_pyramid_heads_pack(&series.heads, heads_hex);
    }
    if (rc == 0) {
        numfmt_text first_step, last_step, last_wall, last_value;
        const char *params[] = {series.id, steps.data, walls.data, values.data,
                                numfmt_int64_text(&first_step, points[0].step), numfmt_int64_text(&last_step, points[last].step),
                                double_text(&last_wall, points[last].wall_time_s),
                                double_text(&last_value, points[last].value), is_append ? heads_hex : NULL};
        rc = run_command(pg,
                         "WITH written AS (INSERT INTO scalar_points (series_id, step, wall_time, value) "
                         "SELECT $1, p.step, p.wall_time, p.value "
                         "FROM unnest($2::bigint[], $3::float8[], $4::float8[]) AS p(step, wall_time, value) "
                         "ON CONFLICT (series_id, step) DO UPDATE SET wall_time = excluded.wall_time, "
                         "value = excluded.value RETURNING xmax = 0 AS is_new) "
                         "UPDATE series SET count = count + (SELECT count(*) FROM written WHERE is_new), "
                         "first_step = least(first_step, $5::bigint), last_step = greatest(last_step, $6::bigint), "
                         "last_value = CASE WHEN last_step IS NULL OR $6::bigint >= last_step THEN $8::float8 "
                         "ELSE last_value END, "
                         "last_wall_time = CASE WHEN last_step IS NULL OR $6::bigint >= last_step THEN $7::float8 "
                         "ELSE last_wall_time END, summary_heads = coalesce(decode($9, 'hex'), summary_heads) "
                         "WHERE id = $1",
                         9, params, "writing scalars", err);
    }
    if (rc == 0 && closed.count) rc = put_entries(pg, series.id, &closed, closed_levels, 0, -1, 1, 0, err);
    else if (rc == 0 && closed.is_failed) rc = vz_out_of_memory(err, "the scalar summaries");
    if (rc == 0 && series.is_summarised && !is_append)
        rc = rebuild_summaries(pg, series.id, &series.heads, written.steps[0], written.steps[written.count - 1], err);
    pg_pyramid_list_free(&closed);
    free(closed_levels);
    point_arrays_free(&written);
    buf_free(&steps);
    buf_free(&walls);
    buf_free(&values);
    free(points);
    return rc;
}

static bool is_tag_seen_before(const char *const *tags, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (strcmp(tags[i], tags[k]) == 0) return true;
    return false;
}

/* Tags in sorted order, each once, so the series rows are locked in one order by every writer. */
static const char **sorted_tags(const char *const *tags, size_t n)
{
    const char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) return NULL;
    memcpy(sorted, tags, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_names);
    return sorted;
}

static int apply_scalars(store_pg *pg, const char *run_id, vz_write *w, vz_error *err)
{
    const char **tags = malloc((w->scalar_count ? w->scalar_count : 1) * sizeof *tags);
    if (!tags) return vz_out_of_memory(err, "the write");
    for (size_t k = 0; k < w->scalar_count; k++) tags[k] = w->scalars[k].tag;
    const char **sorted = sorted_tags(tags, w->scalar_count);
    free(tags);
    if (!sorted) return vz_out_of_memory(err, "the write");
    int rc = 0;
    for (size_t k = 0; k < w->scalar_count && rc == 0; k++)
        if (k == 0 || strcmp(sorted[k], sorted[k - 1]) != 0) rc = write_scalar_tag(pg, run_id, w, sorted[k], err);
    free(sorted);
    return rc;
}

/* A series of items (histograms, images, ...) gets its count and step range from its table after a write:
 * replacing a step must not count it twice, and these tables hold few rows per series. */
static int recount_series(store_pg *pg, const char *table, const char *series_id, vz_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE series SET count = (SELECT count(*) FROM %1$s WHERE series_id = $1), "
             "first_step = (SELECT min(step) FROM %1$s WHERE series_id = $1), "
             "last_step = (SELECT max(step) FROM %1$s WHERE series_id = $1), "
             "last_wall_time = (SELECT wall_time FROM %1$s WHERE series_id = $1 ORDER BY step DESC LIMIT 1) "
             "WHERE id = $1", table);
    const char *params[] = {series_id};
    return run_command(pg, sql, 1, params, "updating a series", err);
}

static int insert_histogram(store_pg *pg, const char *series_id, const vz_histogram_item *item, vz_error *err)
{
    const vz_histogram *h = &item->histogram;
    double stats[5] = {h->min, h->max, h->num, h->sum, h->sum_squares};
    size_t n = h->bucket_count;
    double *buckets = malloc(n ? 2 * n * sizeof *buckets : 1);
    if (!buckets) return vz_out_of_memory(err, "a histogram");
    if (n) {
        memcpy(buckets, h->bucket_limits, n * sizeof *buckets);
        memcpy(buckets + n, h->bucket_counts, n * sizeof *buckets);
    }
    numfmt_text step, wall, count, nans;
    /* The packed forms are the SQLite store's: little-endian float64, as this machine writes them. A
     * zero-length bytea is sent as text "" (a length of 0 means text here). */
    const char *params[] = {series_id, numfmt_int64_text(&step, item->step), double_text(&wall, item->wall_time_s),
                            (const char *)stats, numfmt_int64_text(&count, (int64_t)n),
                            numfmt_int64_text(&nans, (int64_t)h->nan_count), n ? (const char *)buckets : ""};
    int lengths[] = {0, 0, 0, (int)sizeof stats, 0, 0, (int)(2 * n * sizeof *buckets)};
    PGresult *res = query(pg,
                        "INSERT INTO histogram_steps (series_id, step, wall_time, stats, bucket_count, nan_count, "
                        "buckets) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (series_id, step) DO UPDATE SET "
                        "wall_time = excluded.wall_time, stats = excluded.stats, bucket_count = "
                        "excluded.bucket_count, nan_count = excluded.nan_count, buckets = excluded.buckets",
                        7, params, lengths, PGRES_COMMAND_OK, "writing a histogram", err);
    free(buckets);
    if (!res) return -1;
    PQclear(res);
    return 0;
}

static int apply_histograms(store_pg *pg, const char *run_id, vz_write *w, vz_error *err)
{
    const char **tags = malloc((w->histogram_count ? w->histogram_count : 1) * sizeof *tags);
    if (!tags) return vz_out_of_memory(err, "the write");
    for (size_t k = 0; k < w->histogram_count; k++) tags[k] = w->histograms[k].tag;
    int rc = 0;
    for (size_t k = 0; k < w->histogram_count && rc == 0; k++) {
        if (is_tag_seen_before(tags, k)) continue;
        series_state series;
        if ((rc = lock_series(pg, run_id, "histograms", tags[k], &series, err)) < 0) break;
        for (size_t i = k; i < w->histogram_count && rc == 0; i++) {
            vz_histogram_item *item = &w->histograms[i];
            if (strcmp(item->tag, tags[k]) != 0) continue;
            if (!take_step(item->needs_step, &item->step, &series.has_last_step, &series.last_step)) {
                char path[64];
                snprintf(path, sizeof path, "histograms[%zu].step", i);
                rc = vz_fail(err, 400, "invalid_value", path, "the next step would overflow int64");
                break;
            }
            rc = insert_histogram(pg, series.id, item, err);
        }
        if (rc == 0) rc = recount_series(pg, "histogram_steps", series.id, err);
    }
    free(tags);
    return rc;
}

static int insert_media(store_pg *pg, const char *series_id, const vz_media_item *item, vz_error *err)
{
    char name[VZ_BLOB_NAME_BYTES + 1] = "";
    numfmt_text step, index, wall, width, height, min, max;
    if (item->kind != VZ_MEDIA_TEXT) {
        blob_name(item->content_type, item->bytes, item->size, name, NULL);
        numfmt_text size;
        const char *params[] = {name, item->content_type, numfmt_int64_text(&size, (int64_t)item->size),
                                item->size ? (const char *)item->bytes : ""};
        int lengths[] = {0, 0, 0, (int)item->size};
        PGresult *res = query(pg,
                            "INSERT INTO blobs (sha256, content_type, size, bytes) VALUES ($1, $2, $3, $4) "
                            "ON CONFLICT (sha256) DO NOTHING",
                            4, params, lengths, PGRES_COMMAND_OK, "writing a blob", err);
        if (!res) return -1;
        PQclear(res);
    }
    const char *sql;
    const char *params[10] = {series_id, numfmt_int64_text(&step, item->step), numfmt_int64_text(&index, item->index),
                              double_text(&wall, item->wall_time_s)};
    int n = 5;
    if (item->kind == VZ_MEDIA_IMAGE) {
        sql = "INSERT INTO images (series_id, step, idx, wall_time, blob, width, height) VALUES ($1, $2, $3, $4, "
              "$5, $6, $7) ON CONFLICT (series_id, step, idx) DO UPDATE SET wall_time = excluded.wall_time, "
              "blob = excluded.blob, width = excluded.width, height = excluded.height";
        params[4] = name;
        params[5] = numfmt_int64_text(&width, item->width);
        params[6] = numfmt_int64_text(&height, item->height);
        n = 7;
    } else if (item->kind == VZ_MEDIA_TENSOR) {
        sql = "INSERT INTO tensors (series_id, step, idx, wall_time, blob, shape, dtype, min_value, max_value, "
              "display) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (series_id, step, idx) DO "
              "UPDATE SET wall_time = excluded.wall_time, blob = excluded.blob, shape = excluded.shape, dtype = "
              "excluded.dtype, min_value = excluded.min_value, max_value = excluded.max_value, display = "
              "excluded.display";
        params[4] = name;
        params[5] = item->shape_json;
        params[6] = item->dtype;
        params[7] = isfinite(item->min) ? double_text(&min, item->min) : NULL;
        params[8] = isfinite(item->max) ? double_text(&max, item->max) : NULL;
        params[9] = item->display_json;
        n = 10;
    } else {
        sql = "INSERT INTO texts (series_id, step, idx, wall_time, text) VALUES ($1, $2, $3, $4, $5) "
              "ON CONFLICT (series_id, step, idx) DO UPDATE SET wall_time = excluded.wall_time, text = excluded.text";
        params[4] = item->text;
    }
    return run_command(pg, sql, n, params, "writing an item", err);
}

/* Blobs no image or tensor uses any more (one replaced, or a run deleted), removed one statement at a
 * time. Another replica may have just referred to one again: its foreign key check then makes the delete
 * fail, which is harmless, so the delete runs under a savepoint of its own. */
static int delete_unused_blobs(store_pg *pg, vz_error *err)
{
    if (exec_simple(pg, "SAVEPOINT blobs", "removing unused blobs", err) < 0) return -1;
    PGresult *res = PQexec(pg->conn, "DELETE FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.blob = "
                                     "b.sha256) AND NOT EXISTS (SELECT 1 FROM tensors t WHERE t.blob = b.sha256)");
    bool is_done = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!is_done && is_unavailable(pg, res)) return pg_fail(err, pg, res, "removing unused blobs");
    PQclear(res);
    return exec_simple(pg, is_done ? "RELEASE SAVEPOINT blobs" : "ROLLBACK TO SAVEPOINT blobs; RELEASE SAVEPOINT blobs",
                       "removing unused blobs", err);
}

static int apply_media(store_pg *pg, const char *run_id, vz_write *w, vz_error *err)
{
    int rc = 0;
    bool may_orphan = false;
    for (size_t k = 0; k < w->media_count && rc == 0; k++) {
        const vz_media_item *first = &w->media[k];
        bool is_seen = false;
        for (size_t i = 0; i < k && !is_seen; i++)
            is_seen = w->media[i].kind == first->kind && strcmp(w->media[i].tag, first->tag) == 0;
        if (is_seen) continue;
        series_state series;
        if ((rc = lock_series(pg, run_id, media_kind_names[first->kind], first->tag, &series, err)) < 0) break;
        for (size_t i = k; i < w->media_count && rc == 0; i++) {
            vz_media_item *item = &w->media[i];
            if (item->kind != first->kind || strcmp(item->tag, first->tag) != 0) continue;
            if (!take_step(item->needs_step, &item->step, &series.has_last_step, &series.last_step)) {
                rc = vz_fail(err, 400, "invalid_value", "step", "the next step would overflow int64");
                break;
            }
            rc = insert_media(pg, series.id, item, err);
            may_orphan = may_orphan || item->kind != VZ_MEDIA_TEXT;
        }
        static const char *const tables[] = {"images", "tensors", "texts"};
        if (rc == 0) rc = recount_series(pg, tables[first->kind], series.id, err);
    }
    /* Replacing an image at its step and index may have left the old bytes without a user. */
    if (rc == 0 && may_orphan) rc = delete_unused_blobs(pg, err);
    return rc;
}

static int save_source_progress(store_pg *pg, const vz_source_progress *p, vz_error *err)
{
    numfmt_text inode, crc, offset;
    const char *params[] = {p->path, numfmt_int64_text(&inode, (int64_t)p->inode), numfmt_int64_text(&crc, (int64_t)p->first_crc),
                            numfmt_int64_text(&offset, (int64_t)p->offset)};
    return run_command(pg,
                       "INSERT INTO followed_files (path, inode, first_crc, \"offset\") VALUES ($1, $2, $3, $4) "
                       "ON CONFLICT (path) DO UPDATE SET inode = excluded.inode, first_crc = excluded.first_crc, "
                       "\"offset\" = excluded.\"offset\"",
                       4, params, "saving a followed file's offset", err);
}

int store_pg_apply_write(store_pg *pg, vz_write *w, double now_s, vz_error *err)
{
    char run_id[NUMFMT_MAX_BYTES];
    if (upsert_run(pg, w, now_s, run_id, err) < 0) return -1;
    if (apply_scalars(pg, run_id, w, err) < 0) return -1;
    if (apply_histograms(pg, run_id, w, err) < 0) return -1;
    if (apply_media(pg, run_id, w, err) < 0) return -1;
    if (w->graph_json) {
        numfmt_text now;
        const char *params[] = {run_id, w->graph_json, double_text(&now, now_s)};
        if (run_command(pg,
                        "INSERT INTO graphs (run_id, graph, updated_at) VALUES ($1, $2, $3) ON CONFLICT (run_id) "
                        "DO UPDATE SET graph = excluded.graph, updated_at = excluded.updated_at",
                        3, params, "writing a graph", err) < 0)
            return -1;
    }
    return w->source ? save_source_progress(pg, w->source, err) : 0;
}

int store_pg_delete_run(store_pg *pg, const char *run, vz_error *err)
{
    const char *params[] = {run};
    /* A placeholder of this group (a run written later in it, new) is no run yet: 404, and the failed
     * delete's savepoint brings the placeholder back. */
    PGresult *res = query(pg, "DELETE FROM runs WHERE name = $1 RETURNING created_at <> 'NaN'", 1, params, NULL,
                          PGRES_TUPLES_OK, "deleting a run", err);
    if (!res) return -1;
    bool is_deleted = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!is_deleted) return vz_fail(err, 404, "not_found", "run", "no such run");
    return delete_unused_blobs(pg, err);
}
