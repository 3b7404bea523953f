/* store_pg_read.c -- the PostgreSQL backend's reads: what store.h's readers answer, from the schema in
 * migrations/postgresql/, in the same C rows and visitors and with the same orders and errors.
 *
 * Connections: a small pool of reader connections (any thread may read), each used by one read at a time.
 * A read that needs several statements runs them in one REPEATABLE READ READ ONLY transaction, so they see
 * one snapshot, as SQLite's read transactions do. A pooled connection may have been cut since its last use
 * (PostgreSQL restarted): a read whose first statement finds it so connects again and retries once; a
 * failure after that is 503 "database_unavailable".
 *
 * Orders compare names byte by byte (COLLATE "C"), as SQLite does, whatever the database's collation, so
 * both backends list runs and tags in one order. Scalar points come in binary (int8 and float8 as sent
 * on the wire, big-endian), a chunk at a time through a server-side cursor, so a million-point read holds
 * one chunk in memory. A reduced read walks the M4 summaries instead (walk_summaries): a statement per
 * summary level, and the points of the chunks that straddle a bucket's border. */
#include <endian.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/block.h"
#include "vizd/buf.h"
#include "vizd/downsample.h"
#include "vizd/histogram.h"
#include "vizd/numfmt.h"
#include "vizd/store_pg.h"
#include "vizd/store_pg_pyramid.h"
#include "vizd/write_group.h"

#define POOL_MAX 16            /* idle reader connections kept */
#define POINTS_PER_FETCH 4096  /* scalar points per chunk of a cursor */

struct store_pg_readers {
    char *conninfo;
    pthread_mutex_t lock;
    PGconn *idle[POOL_MAX];
    size_t idle_count;
};

/* ---- connections ----------------------------------------------------------------------------------- */

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *new_connection(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (conn && PQstatus(conn) == CONNECTION_OK) PQsetNoticeProcessor(conn, ignore_notice, NULL);
    return conn;
}

int store_pg_readers_open(store_pg_readers **out, const char *conninfo, vz_error *err)
{
    *out = NULL;
    store_pg_readers *r = calloc(1, sizeof *r);
    if (!r || !(r->conninfo = strdup(conninfo))) {
        free(r);
        return vz_out_of_memory(err, "the reader connections");
    }
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return 0;
}

void store_pg_readers_close(store_pg_readers *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->idle_count; i++) PQfinish(r->idle[i]);
    pthread_mutex_destroy(&r->lock);
    free(r->conninfo);
    free(r);
}

/* A connection for one read: an idle one, or a new one (a failed connection is still returned: the first
 * statement's failure is what reports it, and what the retry looks at). */
static PGconn *reader_acquire(store_pg_readers *r)
{
    pthread_mutex_lock(&r->lock);
    PGconn *conn = r->idle_count ? r->idle[--r->idle_count] : NULL;
    pthread_mutex_unlock(&r->lock);
    return conn ? conn : new_connection(r->conninfo);
}

static void reader_release(store_pg_readers *r, PGconn *conn)
{
    if (!conn) return;
    bool is_reusable = PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE;
    pthread_mutex_lock(&r->lock);
    if (is_reusable && r->idle_count < POOL_MAX) {
        r->idle[r->idle_count++] = conn;
        conn = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    PQfinish(conn);
}

static bool is_unavailable(PGconn *conn, const PGresult *res)
{
    if (!conn || PQstatus(conn) != CONNECTION_OK) return true;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state) return res == NULL;
    return strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 || strcmp(state, "53300") == 0;
}

static int read_fail(vz_error *err, PGconn *conn, PGresult *res, const char *what)
{
    const char *message = res ? PQresultErrorMessage(res) : "";
    if ((!message || !*message) && conn) message = PQerrorMessage(conn);
    char text[240];
    snprintf(text, sizeof text, "%s", message ? message : "no connection");
    text[strcspn(text, "\n")] = '\0';
    bool is_away = is_unavailable(conn, res);
    PQclear(res);
    if (is_away)
        return vz_fail(err, 503, "database_unavailable", "", "%s: the database is unavailable (%s)", what, text);
    return vz_fail(err, 500, "internal", "", "%s: %s", what, text);
}

/* sql with n text parameters on conn; the result when it has rows (or is a command), else NULL and err. */
static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *params, int result_format,
                     const char *what, vz_error *err)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, result_format);
    ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return res;
    read_fail(err, conn, res, what);
    return NULL;
}

/* Start a read: a connection in *conn and, for a read of several statements (is_snapshot), its
 * transaction. A cut pooled connection is replaced once. */
static int read_begin(store_pg_readers *r, PGconn **conn, bool is_snapshot, const char *what, vz_error *err)
{
    const char *sql = is_snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "SELECT 1";
    for (int attempt = 0; attempt < 2; attempt++) {
        *conn = attempt == 0 ? reader_acquire(r) : new_connection(r->conninfo);
        PGresult *res = *conn && PQstatus(*conn) == CONNECTION_OK ? PQexec(*conn, sql) : NULL;
        ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            PQclear(res);
            return 0;
        }
        bool is_away = is_unavailable(*conn, res);
        if (!is_away || attempt == 1) {
            read_fail(err, *conn, res, what);
            PQfinish(*conn);
            *conn = NULL;
            return -1;
        }
        PQclear(res);
        PQfinish(*conn);
    }
    return -1;
}

/* End a read: its transaction closed, its connection back in the pool. Returns rc. */
static int read_end(store_pg_readers *r, PGconn *conn, int rc)
{
    if (conn && PQtransactionStatus(conn) != PQTRANS_IDLE) PQclear(PQexec(conn, "ROLLBACK"));
    reader_release(r, conn);
    return rc;
}

/* ---- field decoding -------------------------------------------------------------------------------- */

static int64_t text_int64(const PGresult *res, int row, int col) { return strtoll(PQgetvalue(res, row, col), NULL, 10); }

/* float8 text output is the shortest form that reads back exactly (extra_float_digits is 1 by default
 * since PostgreSQL 12), and strtod reads "NaN" and "Infinity". */
static double text_double(const PGresult *res, int row, int col) { return strtod(PQgetvalue(res, row, col), NULL); }

static uint64_t binary_u64(const PGresult *res, int row, int col)
{
    uint64_t v;
    memcpy(&v, PQgetvalue(res, row, col), sizeof v);
    return be64toh(v);
}

static int64_t binary_int64(const PGresult *res, int row, int col) { return (int64_t)binary_u64(res, row, col); }

static double binary_double(const PGresult *res, int row, int col)
{
    uint64_t bits = binary_u64(res, row, col);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}


/* ---- runs -------------------------------------------------------------------------------------------- */

/* A run's graph counts as a kind of its own: 1 or 0, so the dashboard knows which runs have one. */
static const char list_runs_sql[] =
    "SELECT * FROM (SELECT r.name, r.description, r.hparams, r.created_at, r.updated_at, s.kind, "
    "sum(s.count)::bigint AS count FROM runs r LEFT JOIN series s ON s.run_id = r.id GROUP BY r.id, s.kind "
    "UNION ALL SELECT r.name, r.description, r.hparams, r.created_at, r.updated_at, 'graph', "
    "(SELECT count(*) FROM graphs g WHERE g.run_id = r.id) FROM runs r) runs "
    "ORDER BY name COLLATE \"C\", kind COLLATE \"C\"";

/* The list is read through a server-side cursor, RUNS_FETCH_ROWS rows at a time, so a listing of runs with
 * large descriptions or hparams streams in constant memory as on SQLite. A run's rows (one per kind, then
 * its graph) are fewer than a batch, so they lie in at most two batches: the batch before the current one
 * is kept until the next call, as the row handed out may point into it. */
#define RUNS_FETCH_ROWS 32 /* each row repeats the run's description and hparams (up to 64 KiB each) */
_Static_assert(RUNS_FETCH_ROWS > VZ_RUN_KINDS + 1, "a run's rows must fit in two batches");

struct store_pg_runs_cursor {
    store_pg_readers *readers;
    PGconn *conn;
    PGresult *res, *prev; /* the current batch, and the one before it */
    int row;              /* the next row of res */
    bool has_more;        /* res was a full batch: the cursor may have rows left */
    store_run_row current;
};

static int runs_fetch(store_pg_runs_cursor *c, vz_error *err)
{
    char fetch[48];
    snprintf(fetch, sizeof fetch, "FETCH %d FROM runs", RUNS_FETCH_ROWS);
    PQclear(c->prev);
    c->prev = c->res;
    c->res = run(c->conn, fetch, 0, NULL, 0, "listing runs", err);
    c->row = 0;
    if (!c->res) return -1;
    c->has_more = PQntuples(c->res) == RUNS_FETCH_ROWS;
    return 0;
}

/* Make c->row a row of c->res, fetching the next batch when this one is used up; *has_row is false after
 * the last row. */
static int runs_reach_row(store_pg_runs_cursor *c, bool *has_row, vz_error *err)
{
    if (c->row >= PQntuples(c->res) && c->has_more && runs_fetch(c, err) < 0) return -1;
    *has_row = c->row < PQntuples(c->res);
    return 0;
}

int store_pg_runs_cursor_open(store_pg_readers *r, store_pg_runs_cursor **out, vz_error *err)
{
    *out = NULL;
    store_pg_runs_cursor *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "listing runs");
    c->readers = r;
    int rc = read_begin(r, &c->conn, true, "listing runs", err);
    if (rc == 0) {
        char declare[sizeof list_runs_sql + 48];
        snprintf(declare, sizeof declare, "DECLARE runs NO SCROLL CURSOR FOR %s", list_runs_sql);
        PGresult *res = run(c->conn, declare, 0, NULL, 0, "listing runs", err);
        rc = res ? 0 : -1;
        PQclear(res);
    }
    if (rc == 0) rc = runs_fetch(c, err);
    if (rc < 0) {
        store_pg_runs_cursor_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

int store_pg_runs_cursor_next(store_pg_runs_cursor *c, const store_run_row **run_row, vz_error *err)
{
    *run_row = NULL;
    bool has_row;
    if (runs_reach_row(c, &has_row, err) < 0) return -1;
    if (!has_row) return 0;
    store_run_row *r = &c->current;
    memset(r, 0, sizeof *r);
    r->name = PQgetvalue(c->res, c->row, 0);
    r->description = PQgetvalue(c->res, c->row, 1);
    r->hparams_json = PQgetvalue(c->res, c->row, 2);
    r->created_at = text_double(c->res, c->row, 3);
    r->updated_at = text_double(c->res, c->row, 4);
    while (has_row && strcmp(PQgetvalue(c->res, c->row, 0), r->name) == 0) {
        if (!PQgetisnull(c->res, c->row, 5)) {
            if (r->kind_count == VZ_RUN_KINDS)
                return vz_fail(err, 500, "internal", "", "a run has more than %d kinds", VZ_RUN_KINDS);
            r->counts[r->kind_count].kind = PQgetvalue(c->res, c->row, 5);
            r->counts[r->kind_count++].count = text_int64(c->res, c->row, 6);
        }
        c->row++;
        if (runs_reach_row(c, &has_row, err) < 0) return -1;
    }
    *run_row = r;
    return 0;
}

void store_pg_runs_cursor_close(store_pg_runs_cursor *c)
{
    if (!c) return;
    PQclear(c->res);
    PQclear(c->prev);
    read_end(c->readers, c->conn, 0);
    free(c);
}

int store_pg_check_runs(store_pg_readers *r, const char *const *runs, size_t n, vz_error *err)
{
    PGconn *conn;
    if (read_begin(r, &conn, false, "finding runs", err) < 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *params[] = {runs[i]};
        PGresult *res = run(conn, "SELECT 1 FROM runs WHERE name = $1", 1, params, 0, "finding runs", err);
        if (!res) rc = -1;
        else if (PQntuples(res) == 0) rc = vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", runs[i]);
        PQclear(res);
    }
    return read_end(r, conn, rc);
}

/* ---- run summaries for the HParams view -------------------------------------------------------------- */

/* The runs in turn (every run by name, or those asked for in their order), and per run the summary of a
 * scalar tag; the front (store.c) chooses the tags. One snapshot for all of it. */
struct store_pg_summary {
    store_pg_readers *readers;
    PGconn *conn;
    PGresult *runs; /* id, name, hparams (id NULL: a run asked for that does not exist) */
    int next_run;
    const char *run_id; /* the current run's */
};

int store_pg_summary_open(store_pg_readers *r, const char *const *runs, size_t run_count, store_pg_summary **out,
                          vz_error *err)
{
    *out = NULL;
    store_pg_summary *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "the run summaries");
    c->readers = r;
    int rc = read_begin(r, &c->conn, true, "the run summaries", err);
    if (rc == 0 && run_count == 0) {
        c->runs = run(c->conn, "SELECT id, name, hparams FROM runs ORDER BY name COLLATE \"C\"", 0, NULL, 0,
                      "listing runs", err);
        if (!c->runs) rc = -1;
    } else if (rc == 0) {
        /* The names as a JSON array: one parameter, however many runs (json_dumps escapes what needs it). */
        json_t *names = json_array();
        for (size_t i = 0; i < run_count && names; i++)
            if (json_array_append_new(names, json_string(runs[i])) < 0) {
                json_decref(names);
                names = NULL;
            }
        char *text = names ? json_dumps(names, JSON_COMPACT) : NULL;
        json_decref(names);
        const char *params[] = {text};
        if (!text) rc = vz_out_of_memory(err, "the run summaries");
        else if (!(c->runs = run(c->conn,
                                 "SELECT r.id, a.name, r.hparams FROM jsonb_array_elements_text($1::jsonb) WITH "
                                 "ORDINALITY AS a(name, n) LEFT JOIN runs r ON r.name = a.name ORDER BY a.n",
                                 1, params, 0, "listing runs", err)))
            rc = -1;
        free(text);
    }
    if (rc < 0) {
        store_pg_summary_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

int store_pg_summary_next_run(store_pg_summary *c, const char **name, const char **hparams_json, vz_error *err)
{
    if (c->next_run >= PQntuples(c->runs)) return 0;
    int row = c->next_run++;
    if (PQgetisnull(c->runs, row, 0))
        return vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", PQgetvalue(c->runs, row, 1));
    c->run_id = PQgetvalue(c->runs, row, 0);
    *name = PQgetvalue(c->runs, row, 1);
    *hparams_json = PQgetvalue(c->runs, row, 2);
    return 1;
}

void store_pg_summary_rewind(store_pg_summary *c)
{
    c->next_run = 0;
    c->run_id = NULL;
}

/* The lowest and highest value of a series (NaN left out, the first step holding each) from its points:
 * a scan of the series, for one whose summaries are not built yet (migrations/postgresql/0002). */
static int scan_extremes(PGconn *conn, const char *series_id, store_tag_summary *out, vz_error *err)
{
    const char *id[] = {series_id};
    PGresult *extremes = run(conn,
                             "SELECT * FROM (SELECT step, wall_time, value FROM scalar_points WHERE series_id = $1 "
                             "AND value <> 'NaN' ORDER BY value, step LIMIT 1) lo UNION ALL SELECT * FROM (SELECT "
                             "step, wall_time, value FROM scalar_points WHERE series_id = $1 AND value <> 'NaN' "
                             "ORDER BY value DESC, step LIMIT 1) hi",
                             1, id, 0, "summarising a series", err);
    if (!extremes) return -1;
    out->has_extremes = PQntuples(extremes) == 2;
    if (out->has_extremes) {
        out->min = (vz_point){text_int64(extremes, 0, 0), text_double(extremes, 0, 1), text_double(extremes, 0, 2)};
        out->max = (vz_point){text_int64(extremes, 1, 0), text_double(extremes, 1, 1), text_double(extremes, 1, 2)};
    }
    PQclear(extremes);
    return 0;
}

/* The same from the top level of the series' summaries: every point is in exactly one entry of each
 * level (its rows, then its head), and the top level has a handful of entries whatever the series holds,
 * where the scan read every point. */
static int summary_extremes(PGconn *conn, const char *series_id, const pg_pyramid_heads *heads,
                            store_tag_summary *out, vz_error *err)
{
    const int top = PG_PYRAMID_LEVELS - 1;
    numfmt_text level_text;
    const char *params[] = {series_id, numfmt_int64_text(&level_text, top)};
    PGresult *res = run(conn,
                        "SELECT anchor, count, picks FROM scalar_summaries WHERE series_id = $1 AND level = $2::int "
                        "ORDER BY anchor",
                        2, params, 1, "summarising a series", err);
    if (!res) return -1;
    vz_m4_summary whole = {0};
    for (int i = 0; i < PQntuples(res); i++) {
        vz_m4_summary entry;
        picks_decode((const unsigned char *)PQgetvalue(res, i, 2), PQgetlength(res, i, 2), binary_int64(res, i, 1),
                     &entry);
        m4_summary_append(&whole, &entry);
    }
    PQclear(res);
    if (heads->has[top]) m4_summary_append(&whole, &heads->entry[top].sum); /* after every row */
    out->has_extremes = whole.count > 0 && whole.has_finite;
    out->min = whole.min;
    out->max = whole.max;
    return 0;
}

/* The count and last point from the series row; the lowest and highest value from its summaries, or
 * from its points while those are not built. */
int store_pg_summary_tag(store_pg_summary *c, const char *tag, store_tag_summary *out, bool *found, vz_error *err)
{
    *found = false;
    const char *params[] = {c->run_id, tag};
    PGresult *series = run(c->conn,
                           "SELECT id, count, last_step, last_wall_time, last_value, summary_heads FROM series "
                           "WHERE run_id = $1 AND kind = 'scalars' AND tag = $2 AND last_step IS NOT NULL",
                           2, params, 0, "summarising a series", err);
    if (!series) return -1;
    if (PQntuples(series) == 0) {
        PQclear(series);
        return 0;
    }
    *out = (store_tag_summary){.count = text_int64(series, 0, 1),
                               .last = {text_int64(series, 0, 2), text_double(series, 0, 3), text_double(series, 0, 4)}};
    int rc;
    if (PQgetisnull(series, 0, 5)) {
        rc = scan_extremes(c->conn, PQgetvalue(series, 0, 0), out, err);
    } else {
        pg_pyramid_heads heads;
        pg_pyramid_heads_unpack(PQgetvalue(series, 0, 5), &heads);
        rc = summary_extremes(c->conn, PQgetvalue(series, 0, 0), &heads, out, err);
    }
    PQclear(series);
    if (rc == 0) *found = true;
    return rc;
}

void store_pg_summary_close(store_pg_summary *c)
{
    if (!c) return;
    PQclear(c->runs);
    read_end(c->readers, c->conn, 0);
    free(c);
}

/* ---- tags ---------------------------------------------------------------------------------------------- */

/* A page is the `limit` series after the cursor in id order, handed out by run (in creation order), kind
 * and id, as the SQLite store does. Ids come from a sequence, so with several replicas a series created
 * while a client pages may get an id below the cursor and show up only on a fresh listing. */
int store_pg_visit_tags(store_pg_readers *r, const char *run_name, const char *kind, int64_t after, size_t limit,
                        store_tag_visitor visit, void *ctx, int64_t *next, vz_error *err)
{
    *next = -1;
    PGconn *conn;
    if (read_begin(r, &conn, true, "listing tags", err) < 0) return -1;
    numfmt_text after_text, limit_text;
    const char *params[] = {run_name, kind, numfmt_int64_text(&after_text, after), numfmt_int64_text(&limit_text, (int64_t)limit)};
    PGresult *res = run(conn,
                        "WITH page AS (SELECT * FROM series s WHERE s.id > $3::bigint AND ($2::text IS NULL OR "
                        "s.kind = $2) AND s.count > 0 AND ($1::text IS NULL OR s.run_id = (SELECT id FROM runs "
                        "WHERE name = $1)) ORDER BY s.id LIMIT $4::bigint) "
                        "SELECT r.name, p.kind, p.tag, p.count, p.first_step, p.last_step, p.last_value, "
                        "p.last_wall_time, p.id FROM page p JOIN runs r ON r.id = p.run_id "
                        "ORDER BY p.run_id, p.kind COLLATE \"C\", p.id",
                        4, params, 0, "listing tags", err);
    int rc = res ? 0 : -1;
    int64_t last_id = after;
    int rows = res ? PQntuples(res) : 0;
    for (int i = 0; i < rows && rc == 0; i++) {
        /* Series of every kind keep last_value NULL but scalars (the SQLite store's BLOB column the same). */
        store_tag_info info = {.run = PQgetvalue(res, i, 0), .kind = PQgetvalue(res, i, 1), .tag = PQgetvalue(res, i, 2),
                               .count = text_int64(res, i, 3), .first_step = text_int64(res, i, 4),
                               .last_step = text_int64(res, i, 5), .has_last_value = !PQgetisnull(res, i, 6),
                               .last_value = PQgetisnull(res, i, 6) ? 0 : text_double(res, i, 6),
                               .last_wall_time = text_double(res, i, 7)};
        int64_t id = text_int64(res, i, 8);
        if (id > last_id) last_id = id;
        rc = visit(ctx, &info, err);
    }
    PQclear(res);
    if (rc == 0 && (size_t)rows == limit) {
        /* Is there a series past this full page? (It may have been the last one.) */
        numfmt_text last_text;
        const char *more[] = {run_name, kind, numfmt_int64_text(&last_text, last_id)};
        res = run(conn,
                  "SELECT EXISTS (SELECT 1 FROM series s WHERE s.id > $3::bigint AND ($2::text IS NULL OR s.kind = $2) "
                  "AND s.count > 0 AND ($1::text IS NULL OR s.run_id = (SELECT id FROM runs WHERE name = $1)))",
                  3, more, 0, "listing tags", err);
        if (!res) rc = -1;
        else if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) *next = last_id;
        PQclear(res);
    }
    return read_end(r, conn, rc);
}

/* The series of (run, kind, tag): its id (-1 when the run has no such series, or no point in it), step
 * range and point count; for scalars also its summaries' heads and whether its summaries are built (not:
 * migration 0002 left it to store_pg.c's build at open, which has not run yet). */
typedef struct {
    int64_t id, first_step, last_step;
    uint64_t count;
    bool is_summarised;
    pg_pyramid_heads heads;
} found_series;

/* 404 naming "run" when there is no such run. */
static int find_run_series(PGconn *conn, const char *run_name, const char *kind, const char *tag, found_series *out,
                           vz_error *err)
{
    const char *params[] = {run_name, kind, tag};
    PGresult *res = run(conn,
                        "SELECT r.id, s.id, s.first_step, s.last_step, s.count, s.summary_heads FROM runs r "
                        "LEFT JOIN series s ON s.run_id = r.id AND s.kind = $2 AND s.tag = $3 "
                        "WHERE r.name = $1",
                        3, params, 0, "finding a series", err);
    if (!res) return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", run_name);
    }
    bool has_series = !PQgetisnull(res, 0, 1) && !PQgetisnull(res, 0, 2);
    out->id = -1;
    if (has_series) {
        out->id = text_int64(res, 0, 1);
        out->first_step = text_int64(res, 0, 2);
        out->last_step = text_int64(res, 0, 3);
        out->count = (uint64_t)text_int64(res, 0, 4);
        out->is_summarised = !PQgetisnull(res, 0, 5);
        pg_pyramid_heads_unpack(PQgetvalue(res, 0, 5), &out->heads);
    }
    PQclear(res);
    return 0;
}

/* ---- scalars --------------------------------------------------------------------------------------------- */

struct store_pg_scalar_cursor {
    store_pg_readers *readers;
    PGconn *conn;
    bool is_open; /* a server-side cursor with points left */
    bool has_range; /* the series has steps in [start, end]: first and last are its extent clipped to it */
    int64_t first, last;
    PGresult *chunk;
    int64_t *steps;
    double *wall_times_s, *values;
};

int store_pg_scalar_cursor_open(store_pg_readers *r, const char *run_name, const char *tag, int64_t start,
                                int64_t end, store_pg_scalar_cursor **out, vz_error *err)
{
    *out = NULL;
    store_pg_scalar_cursor *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "reading scalars");
    c->readers = r;
    c->steps = malloc(POINTS_PER_FETCH * sizeof *c->steps);
    c->wall_times_s = malloc(POINTS_PER_FETCH * sizeof *c->wall_times_s);
    c->values = malloc(POINTS_PER_FETCH * sizeof *c->values);
    int rc = c->steps && c->wall_times_s && c->values ? 0 : vz_out_of_memory(err, "reading scalars");
    if (rc == 0) rc = read_begin(r, &c->conn, true, "reading scalars", err);
    found_series series = {.id = -1};
    if (rc == 0) rc = find_run_series(c->conn, run_name, "scalars", tag, &series, err);
    if (rc == 0 && series.id >= 0 && series.first_step <= end && series.last_step >= start) {
        numfmt_text id, from, to;
        const char *params[] = {numfmt_int64_text(&id, series.id), numfmt_int64_text(&from, start), numfmt_int64_text(&to, end)};
        PGresult *res = run(c->conn,
                            "DECLARE points BINARY NO SCROLL CURSOR FOR SELECT step, wall_time, value FROM "
                            "scalar_points WHERE series_id = $1 AND step BETWEEN $2 AND $3 ORDER BY step",
                            3, params, 0, "reading scalars", err);
        if (!res) rc = -1;
        PQclear(res);
        c->is_open = c->has_range = rc == 0;
        c->first = series.first_step > start ? series.first_step : start;
        c->last = series.last_step < end ? series.last_step : end;
    }
    if (rc < 0) {
        store_pg_scalar_cursor_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

int store_pg_scalar_cursor_next(store_pg_scalar_cursor *c, const int64_t **steps, const double **wall_times_s,
                                const double **values, size_t *count, vz_error *err)
{
    *count = 0;
    if (!c->is_open) return 0;
    PQclear(c->chunk);
    char fetch[48];
    snprintf(fetch, sizeof fetch, "FETCH %d FROM points", POINTS_PER_FETCH);
    c->chunk = run(c->conn, fetch, 0, NULL, 1, "reading scalars", err);
    if (!c->chunk) return -1;
    int n = PQntuples(c->chunk);
    for (int i = 0; i < n; i++) {
        c->steps[i] = binary_int64(c->chunk, i, 0);
        c->wall_times_s[i] = binary_double(c->chunk, i, 1);
        c->values[i] = binary_double(c->chunk, i, 2);
    }
    if (n < POINTS_PER_FETCH) c->is_open = false;
    *steps = c->steps;
    *wall_times_s = c->wall_times_s;
    *values = c->values;
    *count = (size_t)n;
    return 0;
}

void store_pg_scalar_cursor_close(store_pg_scalar_cursor *c)
{
    if (!c) return;
    PQclear(c->chunk);
    read_end(c->readers, c->conn, 0);
    free(c->steps);
    free(c->wall_times_s);
    free(c->values);
    free(c);
}

/* ---- reading through the summaries: a reduced query in O(spans x log n) rows ------------------------ */

/* What a walk hands on: entries that lie whole in the range and in one span, and the points of the
 * chunks that do not, each in step order. */
typedef struct {
    pg_pyramid_list used;
    int64_t *steps;
    double *wall_times_s, *values;
    size_t count;
} walk_result;

static void walk_result_free(walk_result *w)
{
    pg_pyramid_list_free(&w->used);
    free(w->steps);
    free(w->wall_times_s);
    free(w->values);
    *w = (walk_result){0};
}

/* Step ranges as two bigint[] literals, lo and hi, and the last one's bounds. */
typedef struct {
    vz_buf lo, hi;
    size_t count;
    int64_t last_lo, last_hi;
} range_arrays;

static void ranges_init(range_arrays *r)
{
    buf_init(&r->lo);
    buf_init(&r->hi);
    buf_putc(&r->lo, '{');
    buf_putc(&r->hi, '{');
    r->count = 0;
}

static void ranges_add(range_arrays *r, int64_t lo, int64_t hi)
{
    if (r->count++) {
        buf_putc(&r->lo, ',');
        buf_putc(&r->hi, ',');
    }
    buf_put_int64(&r->lo, lo);
    buf_put_int64(&r->hi, hi);
    r->last_lo = lo;
    r->last_hi = hi;
}

static int ranges_finish(range_arrays *r, vz_error *err)
{
    buf_puts(&r->lo, "}");
    buf_puts(&r->hi, "}");
    buf_putc(&r->lo, '\0');
    buf_putc(&r->hi, '\0');
    return buf_check(&r->lo, "reading scalars", err) | buf_check(&r->hi, "reading scalars", err);
}

static void ranges_free(range_arrays *r)
{
    buf_free(&r->lo);
    buf_free(&r->hi);
}

/* Whether the entry's points all lie in [start, end] and in one span of the visitor (NULL: one span). */
static bool is_usable(const vz_m4_summary *s, int64_t start, int64_t end, const store_scalar_visitor *spans)
{
    if (s->first.step < start || s->last.step > end) return false;
    return !spans || spans->span_last_step(spans->ctx, s->first.step) >= s->last.step;
}

/* Sort one entry of level into used, the ranges of the level below (an entry to look into), or, at level
 * 0, the raw ranges to read. */
static void walk_entry(const pg_pyramid_entry *e, int level, int64_t start, int64_t end,
                       const store_scalar_visitor *spans, walk_result *out, range_arrays *next)
{
    const vz_m4_summary *s = &e->sum;
    if (s->count == 0 || s->first.step > end || s->last.step < start) return;
    if (is_usable(s, start, end, spans)) pg_pyramid_list_add(&out->used, e->anchor, s);
    else if (level > 0) ranges_add(next, e->anchor, s->last.step);
    else ranges_add(next, s->first.step > start ? s->first.step : start, s->last.step < end ? s->last.step : end);
}

/* One level's entries anchored in the ranges: its rows, and its head (the last entry, kept in the series
 * row), which only the last range can hold, as the head comes after every row. */
static int walk_level(PGconn *conn, const char *series_id, const pg_pyramid_heads *heads, int level,
                      range_arrays *ranges, int64_t start, int64_t end, const store_scalar_visitor *spans,
                      walk_result *out, range_arrays *next, vz_error *err)
{
    numfmt_text level_text, from;
    const char *params[] = {series_id, ranges->lo.data, ranges->hi.data, numfmt_int64_text(&level_text, level),
                            numfmt_int64_text(&from, start)};
    /* OFFSET 0 keeps the subquery a lateral index range scan per range: a level freshly written has no
     * statistics, and the planner would otherwise scan the whole level once per range. */
    PGresult *res = run(conn,
                        "SELECT s.anchor, s.count, s.picks FROM unnest($2::bigint[], $3::bigint[]) AS r(lo, hi) "
                        "CROSS JOIN LATERAL (SELECT anchor, count, picks FROM scalar_summaries WHERE series_id = $1 "
                        "AND level = $4::int AND anchor BETWEEN r.lo AND r.hi AND last_step >= $5::bigint OFFSET 0) s",
                        5, params, 1, "reading scalar summaries", err);
    if (!res) return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        pg_pyramid_entry e = {.anchor = binary_int64(res, i, 0)};
        picks_decode((const unsigned char *)PQgetvalue(res, i, 2), PQgetlength(res, i, 2), binary_int64(res, i, 1),
                     &e.sum);
        walk_entry(&e, level, start, end, spans, out, next);
    }
    PQclear(res);
    const pg_pyramid_entry *head = &heads->entry[level];
    if (heads->has[level] && head->anchor >= ranges->last_lo && head->anchor <= ranges->last_hi)
        walk_entry(head, level, start, end, spans, out, next);
    return out->used.is_failed ? vz_out_of_memory(err, "reading scalars") : 0;
}

static int compare_steps(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The points in the ranges (disjoint), into out's columns in step order. */
static int read_raw_ranges(PGconn *conn, const char *series_id, range_arrays *ranges, walk_result *out,
                           vz_error *err)
{
    const char *params[] = {series_id, ranges->lo.data, ranges->hi.data};
    PGresult *res = run(conn,
                        "SELECT p.step, p.wall_time, p.value FROM unnest($2::bigint[], $3::bigint[]) AS r(lo, hi) "
                        "CROSS JOIN LATERAL (SELECT step, wall_time, value FROM scalar_points WHERE series_id = $1 "
                        "AND step BETWEEN r.lo AND r.hi ORDER BY step) p",
                        3, params, 1, "reading scalars", err);
    if (!res) return -1;
    size_t n = (size_t)PQntuples(res);
    /* Sorted by step through an index of rows: the ranges come in any order. */
    int64_t(*rows)[2] = malloc((n ? n : 1) * sizeof *rows);
    out->steps = malloc((n ? n : 1) * sizeof *out->steps);
    out->wall_times_s = malloc((n ? n : 1) * sizeof *out->wall_times_s);
    out->values = malloc((n ? n : 1) * sizeof *out->values);
    int rc = rows && out->steps && out->wall_times_s && out->values ? 0 : vz_out_of_memory(err, "reading scalars");
    for (size_t i = 0; rc == 0 && i < n; i++) rows[i][0] = binary_int64(res, (int)i, 0), rows[i][1] = (int64_t)i;
    if (rc == 0 && n) qsort(rows, n, sizeof *rows, compare_steps);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int row = (int)rows[i][1];
        out->steps[i] = rows[i][0];
        out->wall_times_s[i] = binary_double(res, row, 1);
        out->values[i] = binary_double(res, row, 2);
    }
    if (rc == 0) out->count = n;
    free(rows);
    PQclear(res);
    return rc;
}

/* The entries and raw points that make up [start, end] of the series: from the top level down, an entry
 * whole in the range and in one span (spans NULL: the range is one span) is used as it is, one that is not
 * is looked into at the level below, and a chunk that is not is read as points. Each level is one
 * statement, so the walk costs PG_PYRAMID_LEVELS + 1 round trips and about 8 rows per level per span
 * border, whatever the series holds. */
static int walk_summaries(PGconn *conn, const char *series_id, const pg_pyramid_heads *heads, int64_t start,
                          int64_t end, const store_scalar_visitor *spans, walk_result *out, vz_error *err)
{
    *out = (walk_result){0};
    range_arrays ranges, next;
    ranges_init(&ranges);
    ranges_add(&ranges, PG_PYRAMID_NO_ANCHOR, end);
    int rc = 0;
    for (int level = PG_PYRAMID_LEVELS - 1; level >= 0 && rc == 0 && ranges.count; level--) {
        ranges_init(&next);
        rc = ranges_finish(&ranges, err);
        if (rc == 0) rc = walk_level(conn, series_id, heads, level, &ranges, start, end, spans, out, &next, err);
        ranges_free(&ranges);
        ranges = next;
    }
    if (rc == 0 && ranges.count && (rc = ranges_finish(&ranges, err)) == 0)
        rc = read_raw_ranges(conn, series_id, &ranges, out, err);
    ranges_free(&ranges);
    if (rc < 0) walk_result_free(out);
    return rc;
}

static int compare_entries(const void *a, const void *b)
{
    const pg_pyramid_entry *x = a, *y = b;
    return (x->sum.first.step > y->sum.first.step) - (x->sum.first.step < y->sum.first.step);
}

/* Hand the walk's entries and points to the visitor, merged in step order. */
static void visit_walk(walk_result *w, const store_scalar_visitor *visitor)
{
    if (w->used.count) qsort(w->used.entries, w->used.count, sizeof *w->used.entries, compare_entries);
    size_t point = 0;
    for (size_t i = 0; i <= w->used.count; i++) {
        size_t from = point;
        while (point < w->count && (i == w->used.count || w->steps[point] < w->used.entries[i].sum.first.step))
            point++;
        if (point > from)
            visitor->points(visitor->ctx, w->steps + from, w->wall_times_s + from, w->values + from, point - from);
        if (i < w->used.count) visitor->summary(visitor->ctx, &w->used.entries[i].sum);
    }
}

/* How many points of the series lie in [start, end]: the whole series' count when the range holds it,
 * else a walk with one span, which reads points only of the chunks at the range's ends. */
static int count_in_range(PGconn *conn, const char *series_id, const pg_pyramid_heads *heads, int64_t start,
                          int64_t end, uint64_t *count, vz_error *err)
{
    walk_result w;
    if (walk_summaries(conn, series_id, heads, start, end, NULL, &w, err) < 0) return -1;
    *count = w.count;
    for (size_t i = 0; i < w.used.count; i++) *count += w.used.entries[i].sum.count;
    walk_result_free(&w);
    return 0;
}

/* A reduced scan through the summaries, when the range holds more than the visitor's summarise_above
 * points; *is_done false when it does not (or the series is not summarised yet), and nothing was visited. */
static int scan_summarised(store_pg_readers *r, const char *run_name, const char *tag, int64_t start, int64_t end,
                           const store_scalar_visitor *visitor, bool *is_done, vz_error *err)
{
    *is_done = false;
    PGconn *conn;
    if (read_begin(r, &conn, true, "reading scalars", err) < 0) return -1;
    found_series series = {.id = -1};
    int rc = find_run_series(conn, run_name, "scalars", tag, &series, err);
    bool is_in_range = rc == 0 && series.id >= 0 && series.first_step <= end && series.last_step >= start;
    numfmt_text id;
    const char *series_id = numfmt_int64_text(&id, series.id);
    uint64_t count = series.count;
    if (is_in_range && series.is_summarised && (start > series.first_step || end < series.last_step))
        rc = count_in_range(conn, series_id, &series.heads, start, end, &count, err);
    if (rc == 0 && is_in_range && series.is_summarised && count > visitor->summarise_above) {
        *is_done = true;
        if (visitor->begin)
            visitor->begin(visitor->ctx, series.first_step > start ? series.first_step : start,
                           series.last_step < end ? series.last_step : end);
        walk_result w;
        rc = walk_summaries(conn, series_id, &series.heads, start, end, visitor, &w, err);
        if (rc == 0) visit_walk(&w, visitor);
        walk_result_free(&w);
    }
    return read_end(r, conn, rc);
}

/* Every point in range, a chunk at a time; or, for a reducer that takes summaries (store_scalar_visitor)
 * and a range of more than its summarise_above points, the walk through the summaries. */
int store_pg_scan_scalars(store_pg_readers *r, const char *run_name, const char *tag, int64_t start, int64_t end,
                          const store_scalar_visitor *visitor, vz_error *err)
{
    if (visitor->summary && visitor->span_last_step) {
        bool is_done;
        if (scan_summarised(r, run_name, tag, start, end, visitor, &is_done, err) < 0) return -1;
        if (is_done) return 0;
    }
    store_pg_scalar_cursor *c;
    if (store_pg_scalar_cursor_open(r, run_name, tag, start, end, &c, err) < 0) return -1;
    int rc = 0;
    if (c->has_range && visitor->begin) visitor->begin(visitor->ctx, c->first, c->last);
    const int64_t *steps;
    const double *walls, *values;
    size_t count;
    while ((rc = store_pg_scalar_cursor_next(c, &steps, &walls, &values, &count, err)) == 0 && count > 0)
        visitor->points(visitor->ctx, steps, walls, values, count);
    store_pg_scalar_cursor_close(c);
    return rc;
}

int store_pg_read_scalars(store_pg_readers *r, const char *run_name, const char *tag, int64_t start, int64_t end,
                          vz_points *out, vz_error *err)
{
    *out = (vz_points){0};
    store_point_collector collector = {.out = out};
    store_scalar_visitor visitor = {.points = store_collect_points, .ctx = &collector};
    int rc = store_pg_scan_scalars(r, run_name, tag, start, end, &visitor, err);
    if (rc == 0 && collector.is_failed) rc = vz_out_of_memory(err, "reading scalars");
    if (rc < 0) {
        free(out->points);
        *out = (vz_points){0};
    }
    return rc;
}

/* ---- histograms, graphs, media, blobs ------------------------------------------------------------------ */

/* A histogram row (step, wall_time, stats, bucket_count, nan_count, buckets; binary) as a vz_histogram_step. */
static int histogram_from_row(const PGresult *res, int row, vz_histogram_step *out)
{
    double stats[5] = {0};
    if (PQgetlength(res, row, 2) == (int)sizeof stats) memcpy(stats, PQgetvalue(res, row, 2), sizeof stats);
    size_t n = (size_t)(uint32_t)be32toh(*(const uint32_t *)(const void *)PQgetvalue(res, row, 3));
    if ((size_t)PQgetlength(res, row, 5) != 2 * n * sizeof(double)) n = 0;
    vz_histogram *h = &out->histogram;
    *h = (vz_histogram){stats[0], stats[1], stats[2], stats[3], stats[4], n, NULL, NULL,
                        (size_t)binary_int64(res, row, 4)};
    h->bucket_limits = malloc((n ? n : 1) * sizeof(double));
    h->bucket_counts = malloc((n ? n : 1) * sizeof(double));
    if (!h->bucket_limits || !h->bucket_counts) return -1; /* the caller frees what was allocated */
    if (n) {
        const char *packed = PQgetvalue(res, row, 5);
        memcpy(h->bucket_limits, packed, n * sizeof(double));
        memcpy(h->bucket_counts, packed + n * sizeof(double), n * sizeof(double));
    }
    out->step = binary_int64(res, row, 0);
    out->wall_time_s = binary_double(res, row, 1);
    return 0;
}

int store_pg_read_histograms(store_pg_readers *r, const char *run_name, const char *tag, size_t max_steps,
                             vz_histogram_steps *out, vz_error *err)
{
    memset(out, 0, sizeof *out);
    PGconn *conn;
    if (read_begin(r, &conn, true, "reading histograms", err) < 0) return -1;
    found_series series = {.id = -1};
    int rc = find_run_series(conn, run_name, "histograms", tag, &series, err);
    PGresult *res = NULL;
    if (rc == 0 && series.id >= 0) {
        numfmt_text id;
        const char *params[] = {numfmt_int64_text(&id, series.id)};
        res = run(conn,
                  "SELECT step, wall_time, stats, bucket_count, nan_count, buckets FROM histogram_steps "
                  "WHERE series_id = $1 ORDER BY step",
                  1, params, 1, "reading histograms", err);
        if (!res) rc = -1;
    }
    if (res) {
        out->total = (size_t)PQntuples(res);
        size_t cap = max_steps && max_steps < out->total ? max_steps : out->total;
        out->steps = calloc(cap ? cap : 1, sizeof *out->steps);
        if (!out->steps) rc = vz_out_of_memory(err, "reading histograms");
        for (size_t index = 0; rc == 0 && index < out->total && out->count < cap; index++)
            if (index == hist_kept_position(out->count, out->total, max_steps) &&
                histogram_from_row(res, (int)index, &out->steps[out->count++]) < 0)
                rc = vz_out_of_memory(err, "reading histograms");
        PQclear(res);
    }
    read_end(r, conn, rc);
    if (rc < 0) {
        for (size_t i = 0; i < out->count; i++) hist_free(&out->steps[i].histogram);
        free(out->steps);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

int store_pg_read_graph(store_pg_readers *r, const char *run_name, char **graph_json, vz_error *err)
{
    *graph_json = NULL;
    PGconn *conn;
    if (read_begin(r, &conn, false, "reading a graph", err) < 0) return -1;
    const char *params[] = {run_name};
    PGresult *res = run(conn, "SELECT g.graph FROM runs r LEFT JOIN graphs g ON g.run_id = r.id WHERE r.name = $1",
                        1, params, 0, "reading a graph", err);
    int rc = res ? 0 : -1;
    if (res && PQntuples(res) == 0) rc = vz_fail(err, 404, "not_found", "run", "no run named \"%s\"", run_name);
    else if (res && PQgetisnull(res, 0, 0)) rc = vz_fail(err, 404, "not_found", "run", "run \"%s\" has no graph", run_name);
    else if (res && !(*graph_json = strdup(PQgetvalue(res, 0, 0)))) rc = vz_out_of_memory(err, "reading a graph");
    PQclear(res);
    return read_end(r, conn, rc);
}


int store_pg_visit_media(store_pg_readers *r, const char *run_name, const char *tag, vz_media_kind kind,
                         store_media_visitor visit, void *ctx, vz_error *err)
{
    static const char *const queries[] = {
        "SELECT i.step, i.wall_time, i.idx, b.sha256, i.width, i.height, b.content_type FROM images i "
        "JOIN blobs b ON b.sha256 = i.blob WHERE i.series_id = $1 ORDER BY i.step, i.idx",
        "SELECT step, wall_time, idx, blob, shape, dtype, min_value, max_value, display "
        "FROM tensors WHERE series_id = $1 ORDER BY step, idx",
        "SELECT step, wall_time, idx, text FROM texts WHERE series_id = $1 ORDER BY step, idx",
    };
    PGconn *conn;
    if (read_begin(r, &conn, true, "reading items", err) < 0) return -1;
    found_series series = {.id = -1};
    int rc = find_run_series(conn, run_name, media_kind_names[kind], tag, &series, err);
    PGresult *res = NULL;
    if (rc == 0 && series.id >= 0) {
        numfmt_text id;
        const char *params[] = {numfmt_int64_text(&id, series.id)};
        if (!(res = run(conn, queries[kind], 1, params, 0, "reading items", err))) rc = -1;
    }
    /* Visited after the read has ended: a visitor may take its time (it writes to a client). */
    read_end(r, conn, rc);
    for (int i = 0; res && rc == 0 && i < PQntuples(res); i++) {
        store_media_row row = {.step = text_int64(res, i, 0), .wall_time_s = text_double(res, i, 1),
                               .index = text_int64(res, i, 2)};
        if (kind == VZ_MEDIA_TEXT) {
            row.text = PQgetvalue(res, i, 3);
        } else if (kind == VZ_MEDIA_IMAGE) {
            row.blob = PQgetvalue(res, i, 3);
            row.width = text_int64(res, i, 4);
            row.height = text_int64(res, i, 5);
            row.content_type = PQgetvalue(res, i, 6);
        } else {
            row.blob = PQgetvalue(res, i, 3);
            row.shape_json = PQgetvalue(res, i, 4);
            row.dtype = PQgetvalue(res, i, 5);
            row.has_min = !PQgetisnull(res, i, 6);
            row.min = row.has_min ? text_double(res, i, 6) : 0;
            row.has_max = !PQgetisnull(res, i, 7);
            row.max = row.has_max ? text_double(res, i, 7) : 0;
            row.display_json = PQgetvalue(res, i, 8);
        }
        rc = visit(ctx, &row, err);
    }
    PQclear(res);
    return rc;
}

int store_pg_read_blob(store_pg_readers *r, const char *name, unsigned char **bytes, size_t *size, char *type,
                       size_t type_size, vz_error *err)
{
    if (bytes) *bytes = NULL;
    *size = 0;
    PGconn *conn;
    if (read_begin(r, &conn, false, "reading a blob", err) < 0) return -1;
    const char *params[] = {name, bytes ? "t" : "f"};
    /* Binary, so the bytes come as they are; without bytes wanted, the CASE leaves them on the server. */
    PGresult *res = run(conn,
                        "SELECT content_type, size, CASE WHEN $2::boolean THEN bytes END FROM blobs WHERE sha256 = $1",
                        2, params, 1, "reading a blob", err);
    int rc = res ? 0 : -1;
    if (res && PQntuples(res) == 0) {
        rc = vz_fail(err, 404, "not_found", "", "no such blob");
    } else if (res) {
        snprintf(type, type_size, "%.*s", PQgetlength(res, 0, 0), PQgetvalue(res, 0, 0));
        *size = (size_t)binary_int64(res, 0, 1);
        if (bytes) {
            *size = (size_t)PQgetlength(res, 0, 2);
            if (!(*bytes = malloc(*size + 1))) {
                rc = vz_out_of_memory(err, "a blob");
            } else {
                memcpy(*bytes, PQgetvalue(res, 0, 2), *size);
                (*bytes)[*size] = '\0'; /* so a vz_buf can adopt the bytes (api_blob) */
            }
        }
    }
    PQclear(res);
    return read_end(r, conn, rc);
}

int store_pg_read_sources(store_pg_readers *r, store_source_fn visit, void *ctx, vz_error *err)
{
    PGconn *conn;
    if (read_begin(r, &conn, false, "reading followed files", err) < 0) return -1;
    PGresult *res = run(conn, "SELECT path, inode, first_crc, \"offset\" FROM followed_files", 0, NULL, 0,
                        "reading followed files", err);
    read_end(r, conn, 0);
    if (!res) return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        vz_source_progress p = {PQgetvalue(res, i, 0), (uint64_t)text_int64(res, i, 1),
                                (uint32_t)text_int64(res, i, 2), (uint64_t)text_int64(res, i, 3)};
        rc = visit(ctx, &p, err);
    }
    PQclear(res);
    return rc;
}

/* Counts as the SQLite store gives them; scalar_blocks is 0 (points are rows here) and db_bytes is the
 * database's size as PostgreSQL reports it. */
int store_pg_status(store_pg_readers *r, store_status_info *out, vz_error *err)
{
    memset(out, 0, sizeof *out);
    PGconn *conn;
    if (read_begin(r, &conn, true, "reading the status", err) < 0) return -1;
    PGresult *res = run(conn,
                        "SELECT pg_database_size(current_database()), (SELECT count(*) FROM runs), "
                        "(SELECT count(*) FROM series), (SELECT coalesce(sum(count), 0) FROM series WHERE kind = "
                        "'scalars'), (SELECT count(*) FROM histogram_steps), (SELECT count(*) FROM images), "
                        "(SELECT count(*) FROM tensors), (SELECT count(*) FROM texts), (SELECT count(*) FROM graphs), "
                        "(SELECT count(*) FROM blobs)",
                        0, NULL, 0, "reading the status", err);
    if (res) {
        int64_t *fields[] = {&out->db_bytes, &out->runs, &out->series, &out->scalar_points, &out->histogram_steps,
                             &out->images, &out->tensors, &out->texts, &out->graphs, &out->blobs};
        for (int i = 0; i < (int)(sizeof fields / sizeof *fields); i++) *fields[i] = text_int64(res, 0, i);
        PQclear(res);
    }
    return read_end(r, conn, res ? 0 : -1);
}
