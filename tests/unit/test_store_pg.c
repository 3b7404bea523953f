/* test_store_pg.c -- the PostgreSQL backend's writes against a real server: the throwaway cluster that
 * tests/api/pgcluster.py starts (`make test-unit` runs these under it; VIZD_PG_URL names it). Each test
 * gets a new database. Several store_pg connections stand for several vizd replicas on one database. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vizd/block.h"
#include "vizd/downsample.h"
#include "vizd/store_pg.h"
#include "vizd/store_pg_pyramid.h"

static PGconn *connect_or_fail(const char *url)
{
    PGconn *conn = PQconnectdb(url);
    cr_assert_eq(PQstatus(conn), CONNECTION_OK, "%s: %s", url, PQerrorMessage(conn));
    return conn;
}

/* A new empty database on the cluster; its URL (caller frees). Skips the test without a cluster. */
static char *new_database(void)
{
    const char *base = getenv("VIZD_PG_URL");
    if (!base) cr_skip_test("VIZD_PG_URL is not set: run under tests/api/pgcluster.py (make test-unit does)");
    static int counter;
    char name[64], sql[128];
    snprintf(name, sizeof name, "vizd_unit_%d_%d", (int)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGconn *conn = connect_or_fail(base);
    PGresult *res = PQexec(conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    const char *slash = strrchr(base, '/');
    char *url = malloc(strlen(base) + sizeof name);
    sprintf(url, "%.*s/%s", (int)(slash - base), base, name);
    return url;
}

/* The first column of the first row of sql on the database at url, as text (caller frees); NULL for NULL. */
static char *db_text(const char *url, const char *sql)
{
    PGconn *conn = connect_or_fail(url);
    PGresult *res = PQexec(conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(conn));
    cr_assert_geq(PQntuples(res), 1, "%s: no row", sql);
    char *text = PQgetisnull(res, 0, 0) ? NULL : strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return text;
}

static long long db_int(const char *url, const char *sql)
{
    char *text = db_text(url, sql);
    cr_assert_not_null(text, "%s: NULL", sql);
    long long v = atoll(text);
    free(text);
    return v;
}

static void db_exec(const char *url, const char *sql)
{
    PGconn *conn = connect_or_fail(url);
    PGresult *res = PQexec(conn, sql);
    cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
              PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

static store_pg *open_or_fail(const char *url)
{
    store_pg *pg = NULL;
    vz_error err;
    cr_assert_eq(store_pg_open(&pg, url, &err), 0, "store_pg_open: %s", err.message);
    return pg;
}

/* Commit writes as one group, each under a savepoint, as the writer does. */
static int commit_group(store_pg *pg, vz_write *const *writes, size_t n, vz_error *err)
{
    if (store_pg_begin_group(pg, writes, n, NULL, 0, err) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        if (store_pg_savepoint(pg, err) < 0 || store_pg_apply_write(pg, writes[i], 1000.0, err) < 0 ||
            store_pg_release_savepoint(pg, err) < 0) {
            store_pg_rollback(pg);
            return -1;
        }
    }
    if (store_pg_commit(pg, NULL, 0, err) < 0) return -1;
    return 0;
}

/* A write of one point to (run, tag): at step, or without one (step < 0). */
typedef struct {
    vz_write write;
    vz_scalar_item item;
    int64_t step;
    double wall_time_s, value;
    unsigned char needs_step;
} one_point;

static vz_write *one_point_write(one_point *p, const char *run, const char *tag, int64_t step, double value)
{
    *p = (one_point){.step = step < 0 ? 0 : step, .wall_time_s = 1.5, .value = value, .needs_step = step < 0};
    p->item = (vz_scalar_item){.tag = (char *)tag, .count = 1, .steps = &p->step, .wall_times_s = &p->wall_time_s,
                               .values = &p->value, .needs_step = &p->needs_step};
    p->write = (vz_write){.run = (char *)run, .scalars = &p->item, .scalar_count = 1};
    return &p->write;
}

Test(store_pg, tells_connection_strings_from_paths)
{
    cr_assert(store_pg_is_conninfo("postgresql://u@h:5432/vizd"));
    cr_assert(store_pg_is_conninfo("postgres://h/vizd"));
    cr_assert(store_pg_is_conninfo("host=db dbname=vizd"));
    cr_assert(!store_pg_is_conninfo("runs.sqlite"));
    cr_assert(!store_pg_is_conninfo("/data/a=b.sqlite"));
    cr_assert(!store_pg_is_conninfo("./host=x"));
    cr_assert(!store_pg_is_conninfo("runs=1.sqlite"));
    cr_assert(store_pg_is_conninfo("dbname=vizd"));
}

#define REPLICAS 4

typedef struct {
    const char *url;
    int rc;
    vz_error err;
    int thread;
    int64_t *steps; /* assigned steps of this replica's "loss" writes, per run */
    size_t step_count[3];
} replica;

static void *open_replica(void *arg)
{
    replica *r = arg;
    store_pg *pg = NULL;
    r->rc = store_pg_open(&pg, r->url, &r->err);
    store_pg_close(pg);
    return NULL;
}

Test(store_pg, replicas_starting_together_apply_the_schema_once)
{
    char *url = new_database();
    pthread_t threads[REPLICAS];
    replica replicas[REPLICAS];
    for (int i = 0; i < REPLICAS; i++) {
        replicas[i] = (replica){.url = url};
        pthread_create(&threads[i], NULL, open_replica, &replicas[i]);
    }
    for (int i = 0; i < REPLICAS; i++) {
        pthread_join(threads[i], NULL);
        cr_assert_eq(replicas[i].rc, 0, "replica %d: %s", i, replicas[i].err.message);
    }
    cr_assert_eq(db_int(url, "SELECT count(*) FROM vizd_schema"), 1);
    cr_assert_eq(db_int(url, "SELECT version FROM vizd_schema"), 2);
    cr_assert_eq(db_int(url, "SELECT count(*) FROM runs"), 0);
    free(url);
}

Test(store_pg, refuses_a_database_that_is_not_a_vizd_one)
{
    char *url = new_database();
    db_exec(url, "CREATE TABLE accounts (id int)");
    store_pg *pg = NULL;
    vz_error err;
    cr_assert_eq(store_pg_open(&pg, url, &err), -1);
    cr_assert(strstr(err.message, "not a vizd one"), "%s", err.message);
    cr_assert_eq(db_int(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 1);
    free(url);
}

Test(store_pg, refuses_a_database_written_by_a_newer_vizd)
{
    char *url = new_database();
    store_pg_close(open_or_fail(url));
    db_exec(url, "UPDATE vizd_schema SET version = 999");
    store_pg *pg = NULL;
    vz_error err;
    cr_assert_eq(store_pg_open(&pg, url, &err), -1);
    cr_assert(strstr(err.message, "newer vizd"), "%s", err.message);
    free(url);
}

/* Each replica commits groups of three one-point writes without steps, to the runs a, b and c in an order
 * of its own, plus a point at a step of its own to a tag of its own. */
#define GROUPS 40
static const char *const run_names[3] = {"a", "b", "c"};

static void *hammer(void *arg)
{
    replica *r = arg;
    store_pg *pg = NULL;
    if ((r->rc = store_pg_open(&pg, r->url, &r->err)) < 0) return NULL;
    unsigned seed = (unsigned)r->thread * 7919u + 1;
    char own_tag[32];
    snprintf(own_tag, sizeof own_tag, "own%d", r->thread);
    for (int g = 0; g < GROUPS && r->rc == 0; g++) {
        one_point points[4];
        vz_write *writes[4];
        int first = (int)(rand_r(&seed) % 3);
        for (int k = 0; k < 3; k++) writes[k] = one_point_write(&points[k], run_names[(first + k) % 3], "loss", -1, g);
        writes[3] = one_point_write(&points[3], "a", own_tag, g, g);
        if ((r->rc = commit_group(pg, writes, 4, &r->err)) < 0) break;
        for (int k = 0; k < 3; k++) {
            int run = (first + k) % 3;
            r->steps[run * GROUPS + (int)r->step_count[run]++] = points[k].step;
        }
    }
    store_pg_close(pg);
    return NULL;
}

Test(store_pg, steps_omitted_stay_exact_when_replicas_write_one_series_at_once)
{
    char *url = new_database();
    store_pg_close(open_or_fail(url));
    pthread_t threads[REPLICAS];
    replica replicas[REPLICAS];
    for (int i = 0; i < REPLICAS; i++) {
        replicas[i] = (replica){.url = url, .thread = i, .steps = calloc(3 * GROUPS, sizeof(int64_t))};
        pthread_create(&threads[i], NULL, hammer, &replicas[i]);
    }
    for (int i = 0; i < REPLICAS; i++) pthread_join(threads[i], NULL);
    for (int run = 0; run < 3; run++) {
        /* The steps the replicas were told are 0 .. N-1, each once, and they are what is stored. */
        bool seen[REPLICAS * GROUPS] = {false};
        for (int i = 0; i < REPLICAS; i++) {
            cr_assert_eq(replicas[i].rc, 0, "replica %d: %s", i, replicas[i].err.message);
            cr_assert_eq(replicas[i].step_count[run], GROUPS);
            for (size_t k = 0; k < GROUPS; k++) {
                int64_t step = replicas[i].steps[run * GROUPS + (int)k];
                cr_assert(step >= 0 && step < REPLICAS * GROUPS, "step %lld", (long long)step);
                cr_assert(!seen[step], "step %lld given twice", (long long)step);
                seen[step] = true;
            }
        }
        char sql[400];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) || ' ' || count(DISTINCT p.step) || ' ' || min(p.step) || ' ' || max(p.step) || "
                 "' ' || min(s.count) || ' ' || min(s.last_step) FROM scalar_points p JOIN series s ON s.id = "
                 "p.series_id JOIN runs r ON r.id = s.run_id WHERE r.name = '%s' AND s.tag = 'loss'",
                 run_names[run]);
        char *summary = db_text(url, sql);
        char expected[64];
        int n = REPLICAS * GROUPS;
        snprintf(expected, sizeof expected, "%d %d 0 %d %d %d", n, n, n - 1, n, n - 1);
        cr_assert_str_eq(summary, expected, "run %s", run_names[run]);
        free(summary);
    }
    cr_assert_eq(db_int(url, "SELECT count(*) FROM scalar_points p JOIN series s ON s.id = p.series_id "
                             "WHERE s.tag LIKE 'own%'"), REPLICAS * GROUPS);
    for (int i = 0; i < REPLICAS; i++) free(replicas[i].steps);
    free(url);
}

Test(store_pg, an_overwritten_step_is_replaced_and_counted_once)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    int64_t steps[4] = {0, 1, 2, 3};
    double walls[4] = {1, 2, 3, 4}, values[4] = {0.5, -0.0, 1.0 / 0.0, 0.0 / 0.0};
    vz_scalar_item item = {.tag = "loss", .count = 4, .steps = steps, .wall_times_s = walls, .values = values};
    vz_write w = {.run = "r", .scalars = &item, .scalar_count = 1};
    vz_write *group[] = {&w};
    vz_error err;
    cr_assert_eq(commit_group(pg, group, 1, &err), 0, "%s", err.message);
    char *text = db_text(url, "SELECT string_agg(value::text, ' ' ORDER BY step) FROM scalar_points");
    cr_assert_str_eq(text, "0.5 -0 Infinity NaN");
    free(text);
    /* Steps 2 .. 5, step 3 twice in one write: the later point wins. */
    int64_t steps2[5] = {2, 3, 4, 3, 5};
    double walls2[5] = {9, 9, 9, 9, 9}, values2[5] = {20, 30, 40, 31, 50};
    item = (vz_scalar_item){.tag = "loss", .count = 5, .steps = steps2, .wall_times_s = walls2, .values = values2};
    cr_assert_eq(commit_group(pg, group, 1, &err), 0, "%s", err.message);
    text = db_text(url, "SELECT string_agg(step || '=' || value, ' ' ORDER BY step) FROM scalar_points");
    cr_assert_str_eq(text, "0=0.5 1=-0 2=20 3=31 4=40 5=50");
    free(text);
    text = db_text(url, "SELECT count || ' ' || first_step || ' ' || last_step || ' ' || last_value FROM series");
    cr_assert_str_eq(text, "6 0 5 50");
    free(text);
    store_pg_close(pg);
    free(url);
}

Test(store_pg, deleting_a_run_removes_what_it_held_and_blobs_no_one_uses)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    unsigned char png[] = {1, 2, 3, 4};
    vz_media_item image = {.kind = VZ_MEDIA_IMAGE, .tag = "img", .bytes = png, .size = sizeof png,
                           .content_type = "image/png", .width = 1, .height = 1};
    one_point p1, p2;
    vz_write *r = one_point_write(&p1, "r", "loss", -1, 1), *s = one_point_write(&p2, "s", "loss", -1, 1);
    r->media = &image;
    r->media_count = 1;
    s->media = &image;
    s->media_count = 1;
    vz_write *group[] = {r, s};
    vz_error err;
    cr_assert_eq(commit_group(pg, group, 2, &err), 0, "%s", err.message);
    cr_assert_eq(db_int(url, "SELECT count(*) FROM blobs"), 1);
    for (int k = 0; k < 2; k++) {
        const char *name = k == 0 ? "r" : "s";
        cr_assert_eq(store_pg_begin_group(pg, NULL, 0, &name, 1, &err), 0, "%s", err.message);
        cr_assert_eq(store_pg_delete_run(pg, name, &err), 0, "%s", err.message);
        cr_assert_eq(store_pg_commit(pg, NULL, 0, &err), 0, "%s", err.message);
        /* The blob stays while the other run's image uses it. */
        cr_assert_eq(db_int(url, "SELECT count(*) FROM blobs"), k == 0 ? 1 : 0);
    }
    cr_assert_eq(db_int(url, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM series) + "
                             "(SELECT count(*) FROM scalar_points) + (SELECT count(*) FROM images)"), 0);
    const char *name = "r";
    cr_assert_eq(store_pg_begin_group(pg, NULL, 0, &name, 1, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_delete_run(pg, name, &err), -1);
    cr_assert_eq(err.status, 404);
    store_pg_rollback(pg);
    store_pg_close(pg);
    free(url);
}

Test(store_pg, a_lost_connection_is_a_503_and_a_reconnect_writes_again)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    db_exec(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND pid <> pg_backend_pid()");
    one_point p;
    vz_write *group[] = {one_point_write(&p, "r", "loss", -1, 1)};
    vz_error err;
    cr_assert_eq(commit_group(pg, group, 1, &err), -1);
    cr_assert_eq(err.status, 503, "%d %s", err.status, err.message);
    cr_assert_str_eq(err.code, "database_unavailable");
    cr_assert_eq(db_int(url, "SELECT count(*) FROM scalar_points"), 0);
    cr_assert_eq(store_pg_reconnect(pg, &err), 0, "%s", err.message);
    cr_assert_eq(commit_group(pg, group, 1, &err), 0, "%s", err.message);
    cr_assert_eq(db_int(url, "SELECT count(*) FROM scalar_points"), 1);
    store_pg_close(pg);
    free(url);
}

/* The notifications of a group reach a listener, in order, when the group commits; a group whose
 * transaction had failed (a statement refused outside a savepoint) commits nothing and announces nothing. */
Test(store_pg, a_notification_is_sent_only_with_a_commit)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    PGconn *listener = connect_or_fail(url);
    PQclear(PQexec(listener, "LISTEN " STORE_PG_CHANNEL));
    vz_error err;
    one_point p, q;
    vz_write *group[] = {one_point_write(&p, "r", "loss", -1, 1)};
    cr_assert_eq(store_pg_begin_group(pg, group, 1, NULL, 0, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_apply_write(pg, group[0], 1000.0, &err), 0, "%s", err.message);
    /* Text that is not UTF-8 (the API refuses it first): PostgreSQL fails the statement, and without a
     * savepoint the whole transaction. */
    vz_media_item text = {.kind = VZ_MEDIA_TEXT, .tag = "notes", .text = "\xff"};
    vz_write bad = {.run = "r", .media = &text, .media_count = 1};
    cr_assert_eq(store_pg_apply_write(pg, &bad, 1000.0, &err), -1);
    const char *lost[] = {"failed group"};
    cr_assert_eq(store_pg_commit(pg, lost, 1, &err), -1);
    group[0] = one_point_write(&q, "r", "loss", -1, 1);
    cr_assert_eq(store_pg_begin_group(pg, group, 1, NULL, 0, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_apply_write(pg, group[0], 1000.0, &err), 0, "%s", err.message);
    const char *payloads[] = {"first", "it's second"};
    cr_assert_eq(store_pg_commit(pg, payloads, 2, &err), 0, "%s", err.message);
    char heard[2][32] = {"", ""};
    for (int tries = 0, n = 0; tries < 100 && n < 2; tries++) {
        PQconsumeInput(listener);
        PGnotify *notice;
        while (n < 2 && (notice = PQnotifies(listener)) != NULL) {
            snprintf(heard[n++], sizeof heard[0], "%s", notice->extra);
            PQfreemem(notice);
        }
        if (n < 2) usleep(10000);
    }
    cr_assert_str_eq(heard[0], "first");
    cr_assert_str_eq(heard[1], "it's second");
    PQconsumeInput(listener);
    cr_assert_null(PQnotifies(listener));
    cr_assert_eq(db_int(url, "SELECT count(*) FROM scalar_points"), 1);
    PQfinish(listener);
    store_pg_close(pg);
    free(url);
}

/* What a listener heard, for the test below. */
typedef struct {
    pthread_mutex_t lock;
    char heard[8][32];
    int count;
} notices;

static void note_notice(void *ctx, const char *payload)
{
    notices *n = ctx;
    pthread_mutex_lock(&n->lock);
    if (n->count < 8) snprintf(n->heard[n->count++], sizeof n->heard[0], "%s", payload);
    pthread_mutex_unlock(&n->lock);
}

static int notices_count(notices *n)
{
    pthread_mutex_lock(&n->lock);
    int count = n->count;
    pthread_mutex_unlock(&n->lock);
    return count;
}

static void commit_notice(store_pg *pg, const char *payload)
{
    vz_error err;
    one_point p;
    vz_write *group[] = {one_point_write(&p, "r", "loss", -1, 1)};
    cr_assert_eq(store_pg_begin_group(pg, group, 1, NULL, 0, &err), 0, "%s", err.message);
    const char *payloads[] = {payload};
    cr_assert_eq(store_pg_commit(pg, payloads, 1, &err), 0, "%s", err.message);
}

/* A listener hears commits in order, and again after its connection was cut (it reconnects by itself). */
Test(store_pg, a_listener_hears_commits_and_reconnects_after_a_lost_connection)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    notices n = {.lock = PTHREAD_MUTEX_INITIALIZER};
    store_pg_listener *listener = NULL;
    vz_error err;
    cr_assert_eq(store_pg_listener_start(&listener, url, note_notice, &n, &err), 0, "%s", err.message);
    commit_notice(pg, "first");
    commit_notice(pg, "second");
    for (int tries = 0; tries < 500 && notices_count(&n) < 2; tries++) usleep(10000);
    cr_assert_eq(notices_count(&n), 2);
    cr_assert_str_eq(n.heard[0], "first");
    cr_assert_str_eq(n.heard[1], "second");
    /* Cut every other connection to the database: the listener's and the writer's. */
    db_exec(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND pid <> pg_backend_pid()");
    cr_assert_eq(store_pg_reconnect(pg, &err), 0, "%s", err.message);
    /* Until the listener is back, a notification may be lost: send until one arrives (at most 5 s). */
    for (int tries = 0; tries < 50 && notices_count(&n) < 3; tries++) {
        commit_notice(pg, "after");
        for (int wait = 0; wait < 10 && notices_count(&n) < 3; wait++) usleep(10000);
    }
    cr_assert_geq(notices_count(&n), 3);
    cr_assert_str_eq(n.heard[2], "after");
    store_pg_listener_stop(listener);
    store_pg_close(pg);
    free(url);
}

/* ---- reads ---------------------------------------------------------------------------------------------- */

static store_pg_readers *readers_or_fail(const char *url)
{
    store_pg_readers *r = NULL;
    vz_error err;
    cr_assert_eq(store_pg_readers_open(&r, url, &err), 0, "%s", err.message);
    return r;
}

static void commit_one(store_pg *pg, vz_write *w)
{
    vz_write *group[] = {w};
    vz_error err;
    cr_assert_eq(commit_group(pg, group, 1, &err), 0, "%s", err.message);
}

/* Scalars come back exactly (NaN, the infinities, -0 included), in step order, a cursor chunk at a time. */
Test(store_pg, scalars_read_back_exactly_and_in_chunks)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    enum { N = 10000 };
    static int64_t steps[N];
    static double walls[N], values[N];
    for (int i = 0; i < N; i++) {
        steps[i] = N - 1 - i; /* written backwards: read in step order */
        walls[i] = 1764000000.25 + i;
        values[i] = i % 4 == 0 ? 0.0 / 0.0 : i % 4 == 1 ? -0.0 : i % 4 == 2 ? 1.0 / 0.0 : 0.1 * i;
    }
    vz_scalar_item item = {.tag = "loss", .count = N, .steps = steps, .wall_times_s = walls, .values = values};
    vz_write w = {.run = "r", .scalars = &item, .scalar_count = 1};
    commit_one(pg, &w);
    store_pg_readers *r = readers_or_fail(url);
    vz_points points;
    vz_error err;
    cr_assert_eq(store_pg_read_scalars(r, "r", "loss", 10, 8009, &points, &err), 0, "%s", err.message);
    cr_assert_eq(points.count, 8000);
    for (size_t k = 0; k < points.count; k++) {
        int i = N - 1 - (int)points.points[k].step;
        cr_assert_eq(points.points[k].step, (int64_t)k + 10);
        /* NaN as NaN (PostgreSQL keeps one NaN, whatever the sign bit), every other value bit for bit. */
        if (isnan(values[i])) cr_assert(isnan(points.points[k].value), "step %zu", k + 10);
        else cr_assert_eq(memcmp(&points.points[k].value, &values[i], sizeof(double)), 0, "step %zu", k + 10);
        cr_assert_eq(points.points[k].wall_time_s, walls[i]);
    }
    free(points.points);
    store_pg_scalar_cursor *c;
    cr_assert_eq(store_pg_scalar_cursor_open(r, "r", "loss", 0, INT64_MAX, &c, &err), 0, "%s", err.message);
    size_t total = 0, chunks = 0, count;
    const int64_t *s;
    const double *wt, *v;
    while (store_pg_scalar_cursor_next(c, &s, &wt, &v, &count, &err) == 0 && count > 0) {
        cr_assert_eq(s[0], (int64_t)total);
        total += count;
        chunks++;
    }
    store_pg_scalar_cursor_close(c);
    cr_assert_eq(total, N);
    cr_assert_geq(chunks, 2);
    cr_assert_eq(store_pg_read_scalars(r, "nope", "loss", 0, 10, &points, &err), -1);
    cr_assert_eq(err.status, 404);
    cr_assert_str_eq(err.path, "run");
    cr_assert_eq(store_pg_read_scalars(r, "r", "other", 0, 10, &points, &err), 0);
    cr_assert_eq(points.count, 0);
    store_pg_readers_close(r);
    store_pg_close(pg);
    free(url);
}

static int count_run(void *ctx, const store_tag_info *info, vz_error *err)
{
    (void)err;
    char *seen = ctx;
    strcat(seen, info->run);
    strcat(seen, ":");
    strcat(seen, info->kind);
    strcat(seen, ":");
    strcat(seen, info->tag);
    strcat(seen, " ");
    return 0;
}

static int note_media(void *ctx, const store_media_row *row, vz_error *err)
{
    (void)err;
    const store_media_row **out = ctx;
    (void)out;
    cr_assert_eq(row->step, 3);
    cr_assert_eq(row->width, 2);
    cr_assert_str_eq(row->content_type, "image/png");
    cr_assert_eq(strlen(row->blob), 64);
    *(int *)ctx += 1;
    return 0;
}

/* Runs by name (byte order), their counts per kind and graph, tags paged by id, histograms thinned, an image
 * and its blob, the graph, the status and the HParams summary (NaN left out of min and max). */
Test(store_pg, runs_tags_histograms_media_and_summaries_read_back)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    double values[3] = {0.0 / 0.0, 2.5, -1.0};
    int64_t steps[3] = {0, 1, 2};
    double walls[3] = {1, 2, 3};
    vz_scalar_item item = {.tag = "acc", .count = 3, .steps = steps, .wall_times_s = walls, .values = values};
    vz_histogram_item hists[5];
    double limits[2] = {0, 1}, counts[2] = {3, 4};
    for (int i = 0; i < 5; i++)
        hists[i] = (vz_histogram_item){.tag = "w", .step = i, .wall_time_s = i,
                                       .histogram = {0, 1, 7, 3, 2, 2, limits, counts, 0}};
    unsigned char png[] = {9, 8, 7};
    vz_media_item image = {.kind = VZ_MEDIA_IMAGE, .tag = "img", .step = 3, .bytes = png, .size = sizeof png,
                           .content_type = "image/png", .width = 2, .height = 1};
    vz_write b = {.run = "b", .hparams_json = "{\"lr\":0.1,\"metrics\":[\"acc\"]}", .scalars = &item,
                  .scalar_count = 1, .histograms = hists, .histogram_count = 5, .media = &image, .media_count = 1,
                  .graph_json = "{\"nodes\":[]}"};
    one_point p;
    commit_one(pg, &b);
    commit_one(pg, one_point_write(&p, "B", "loss", -1, 1)); /* "B" < "b" byte by byte */
    store_pg_readers *r = readers_or_fail(url);
    vz_error err;
    store_pg_runs_cursor *runs;
    cr_assert_eq(store_pg_runs_cursor_open(r, &runs, &err), 0, "%s", err.message);
    const store_run_row *row;
    cr_assert_eq(store_pg_runs_cursor_next(runs, &row, &err), 0);
    cr_assert_str_eq(row->name, "B");
    cr_assert_eq(store_pg_runs_cursor_next(runs, &row, &err), 0);
    cr_assert_str_eq(row->name, "b");
    cr_assert_str_eq(row->hparams_json, "{\"lr\":0.1,\"metrics\":[\"acc\"]}");
    char kinds[200] = "";
    for (size_t i = 0; i < row->kind_count; i++)
        sprintf(kinds + strlen(kinds), "%s=%lld ", row->counts[i].kind, (long long)row->counts[i].count);
    cr_assert_str_eq(kinds, "graph=1 histograms=5 images=1 scalars=3 ");
    cr_assert_eq(store_pg_runs_cursor_next(runs, &row, &err), 0);
    cr_assert_null(row);
    store_pg_runs_cursor_close(runs);
    const char *names[] = {"b", "x"};
    cr_assert_eq(store_pg_check_runs(r, names, 2, &err), -1);
    cr_assert_eq(err.status, 404);
    char seen[400] = "";
    int64_t next;
    cr_assert_eq(store_pg_visit_tags(r, NULL, NULL, 0, 2, count_run, seen, &next, &err), 0, "%s", err.message);
    cr_assert_str_eq(seen, "b:histograms:w b:scalars:acc ");
    cr_assert_neq(next, -1);
    seen[0] = '\0';
    cr_assert_eq(store_pg_visit_tags(r, NULL, NULL, next, 2, count_run, seen, &next, &err), 0, "%s", err.message);
    cr_assert_str_eq(seen, "b:images:img B:scalars:loss ");
    cr_assert_eq(next, -1);
    vz_histogram_steps h;
    cr_assert_eq(store_pg_read_histograms(r, "b", "w", 3, &h, &err), 0, "%s", err.message);
    cr_assert_eq(h.total, 5);
    cr_assert_eq(h.count, 3);
    cr_assert_eq(h.steps[0].step, 0);
    cr_assert_eq(h.steps[1].step, 2);
    cr_assert_eq(h.steps[2].step, 4);
    cr_assert_eq(h.steps[2].histogram.bucket_count, 2);
    cr_assert_eq(h.steps[2].histogram.bucket_counts[1], 4);
    cr_assert_eq(h.steps[2].histogram.num, 7);
    for (size_t i = 0; i < h.count; i++) hist_free(&h.steps[i].histogram);
    free(h.steps);
    int images = 0;
    cr_assert_eq(store_pg_visit_media(r, "b", "img", VZ_MEDIA_IMAGE, note_media, &images, &err), 0, "%s", err.message);
    cr_assert_eq(images, 1);
    char *name = db_text(url, "SELECT sha256 FROM blobs");
    unsigned char *bytes;
    size_t size;
    char type[64];
    cr_assert_eq(store_pg_read_blob(r, name, &bytes, &size, type, sizeof type, &err), 0, "%s", err.message);
    cr_assert_eq(size, 3);
    cr_assert_eq(memcmp(bytes, png, 3), 0);
    cr_assert_str_eq(type, "image/png");
    free(bytes);
    free(name);
    cr_assert_eq(store_pg_read_blob(r, "00", NULL, &size, type, sizeof type, &err), -1);
    cr_assert_eq(err.status, 404);
    char *graph;
    cr_assert_eq(store_pg_read_graph(r, "b", &graph, &err), 0, "%s", err.message);
    cr_assert_str_eq(graph, "{\"nodes\":[]}");
    free(graph);
    cr_assert_eq(store_pg_read_graph(r, "B", &graph, &err), -1);
    cr_assert_eq(err.status, 404);
    store_status_info status;
    cr_assert_eq(store_pg_status(r, &status, &err), 0, "%s", err.message);
    cr_assert_eq(status.runs, 2);
    cr_assert_eq(status.scalar_points, 4);
    cr_assert_eq(status.histogram_steps, 5);
    cr_assert_eq(status.images, 1);
    cr_assert_eq(status.blobs, 1);
    cr_assert_eq(status.graphs, 1);
    store_pg_summary *sc;
    cr_assert_eq(store_pg_summary_open(r, NULL, 0, &sc, &err), 0, "%s", err.message);
    const char *run_name, *hparams;
    store_tag_summary t;
    bool found;
    cr_assert_eq(store_pg_summary_next_run(sc, &run_name, &hparams, &err), 1);
    cr_assert_str_eq(run_name, "B");
    cr_assert_eq(store_pg_summary_tag(sc, "acc", &t, &found, &err), 0, "%s", err.message);
    cr_assert(!found);
    cr_assert_eq(store_pg_summary_next_run(sc, &run_name, &hparams, &err), 1);
    cr_assert_str_eq(run_name, "b");
    cr_assert_eq(store_pg_summary_tag(sc, "acc", &t, &found, &err), 0, "%s", err.message);
    cr_assert(found);
    cr_assert_eq(t.count, 3);
    cr_assert_eq(t.last.step, 2);
    cr_assert(t.has_extremes);
    cr_assert_eq(t.min.step, 2);
    cr_assert_eq(t.max.value, 2.5);
    cr_assert_eq(store_pg_summary_next_run(sc, &run_name, &hparams, &err), 0);
    store_pg_summary_rewind(sc);
    cr_assert_eq(store_pg_summary_next_run(sc, &run_name, &hparams, &err), 1);
    cr_assert_str_eq(run_name, "B");
    store_pg_summary_close(sc);
    const char *missing[] = {"b", "gone"};
    cr_assert_eq(store_pg_summary_open(r, missing, 2, &sc, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_summary_next_run(sc, &run_name, &hparams, &err), 1);
    cr_assert_eq(store_pg_summary_next_run(sc, &run_name, &hparams, &err), -1);
    cr_assert_eq(err.status, 404);
    store_pg_summary_close(sc);
    store_pg_readers_close(r);
    store_pg_close(pg);
    free(url);
}

/* A pooled reader connection cut since its last read: the next read connects again and succeeds. */
Test(store_pg, a_read_after_the_connection_was_cut_retries_once)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    one_point p;
    commit_one(pg, one_point_write(&p, "r", "loss", -1, 1));
    store_pg_readers *r = readers_or_fail(url);
    const char *names[] = {"r"};
    vz_error err;
    cr_assert_eq(store_pg_check_runs(r, names, 1, &err), 0, "%s", err.message);
    db_exec(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND pid <> pg_backend_pid()");
    usleep(100000);
    vz_points points;
    cr_assert_eq(store_pg_read_scalars(r, "r", "loss", 0, 10, &points, &err), 0, "%s", err.message);
    cr_assert_eq(points.count, 1);
    free(points.points);
    store_pg_readers_close(r);
    store_pg_close(pg);
    free(url);
}

/* A refused write stores nothing, not even its (new) run; deleting a run that only a later write of the same
 * group creates is a 404, and that write still creates it. */
Test(store_pg, a_refused_write_leaves_no_run_and_a_delete_sees_no_placeholder)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    one_point good, bad;
    vz_write *ok = one_point_write(&good, "kept", "loss", -1, 1);
    vz_write *refused = one_point_write(&bad, "refused", "loss", INT64_MAX, 1);
    vz_write *writes[] = {ok, refused};
    vz_error err;
    cr_assert_eq(store_pg_begin_group(pg, writes, 2, NULL, 0, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_savepoint(pg, &err), 0);
    cr_assert_eq(store_pg_apply_write(pg, ok, 1000.0, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_release_savepoint(pg, &err), 0);
    /* "refused" has a point at INT64_MAX only inside this group, then a point without a step: overflow. */
    cr_assert_eq(store_pg_savepoint(pg, &err), 0);
    cr_assert_eq(store_pg_apply_write(pg, refused, 1000.0, &err), 0, "%s", err.message);
    bad.needs_step = 1;
    cr_assert_eq(store_pg_apply_write(pg, refused, 1000.0, &err), -1);
    cr_assert_eq(err.status, 400);
    cr_assert_eq(store_pg_rollback_to_savepoint(pg, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_release_savepoint(pg, &err), 0, "%s", err.message);
    cr_assert(!store_pg_is_transaction_lost(pg));
    cr_assert_eq(store_pg_commit(pg, NULL, 0, &err), 0, "%s", err.message);
    char *names = db_text(url, "SELECT string_agg(name || ' ' || (created_at = updated_at), ',') FROM runs");
    cr_assert_str_eq(names, "kept true");
    free(names);
    /* [delete "new", write "new"]: the delete finds no run, the write makes one. */
    const char *deleted[] = {"new"};
    one_point p;
    vz_write *create = one_point_write(&p, "new", "loss", -1, 1);
    cr_assert_eq(store_pg_begin_group(pg, &create, 1, deleted, 1, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_savepoint(pg, &err), 0);
    cr_assert_eq(store_pg_delete_run(pg, "new", &err), -1);
    cr_assert_eq(err.status, 404);
    cr_assert_eq(store_pg_rollback_to_savepoint(pg, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_release_savepoint(pg, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_apply_write(pg, create, 1000.0, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_commit(pg, NULL, 0, &err), 0, "%s", err.message);
    cr_assert_eq(db_int(url, "SELECT count(*) FROM runs WHERE name = 'new' AND created_at = 1000"), 1);
    store_pg_close(pg);
    free(url);
}

/* ---- M4 summaries (migrations/postgresql/0002_scalar_summaries.sql) ----------------------------------- */

/* Write count points of run/tag at steps from..from + count * stride, values from a seeded generator with
 * NaN, the infinities, ties and spikes. */
static void write_points(store_pg *pg, const char *run, int64_t from, int64_t stride, size_t count, unsigned *seed)
{
    int64_t *steps = malloc(count * sizeof *steps);
    double *walls = malloc(count * sizeof *walls), *values = malloc(count * sizeof *values);
    for (size_t i = 0; i < count; i++) {
        int r = rand_r(seed) % 40;
        steps[i] = from + (int64_t)i * stride;
        walls[i] = 1764000000.0 + (double)steps[i];
        values[i] = r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -INFINITY : r == 3 ? rand_r(seed) * 1e3 : r % 9 - 4.0;
    }
    vz_scalar_item item = {.tag = "t", .count = count, .steps = steps, .wall_times_s = walls, .values = values};
    vz_write w = {.run = (char *)run, .scalars = &item, .scalar_count = 1};
    commit_one(pg, &w);
    free(steps);
    free(walls);
    free(values);
}

static bool same_summary(const vz_m4_summary *a, const vz_m4_summary *b)
{
    unsigned char x[PICKS_BYTES], y[PICKS_BYTES];
    picks_encode(a, x);
    picks_encode(b, y);
    return a->count == b->count && memcmp(x, y, sizeof x) == 0;
}

/* Every level as stored (its rows, then its head from the series row) equals the pyramid built afresh
 * from every point of the series: the writer kept each entry exact. */
static void check_summaries_equal_a_rebuild(const char *url, store_pg_readers *r, const char *run)
{
    vz_points all;
    vz_error err;
    cr_assert_eq(store_pg_read_scalars(r, run, "t", INT64_MIN, INT64_MAX, &all, &err), 0, "%s", err.message);
    int64_t *steps = malloc(all.count * sizeof *steps);
    double *walls = malloc(all.count * sizeof *walls), *values = malloc(all.count * sizeof *values);
    for (size_t i = 0; i < all.count; i++)
        steps[i] = all.points[i].step, walls[i] = all.points[i].wall_time_s, values[i] = all.points[i].value;
    pg_pyramid_list expected[PG_PYRAMID_LEVELS] = {0};
    pg_pyramid_from_points(0, NULL, steps, walls, values, all.count, &expected[0]);
    for (int level = 1; level < PG_PYRAMID_LEVELS; level++)
        pg_pyramid_from_entries(level, expected[level - 1].entries, expected[level - 1].count, &expected[level]);

    char sql[512];
    snprintf(sql, sizeof sql, "SELECT s.summary_heads FROM series s JOIN runs r ON r.id = s.run_id WHERE r.name = "
                              "'%s' AND s.tag = 't'", run);
    char *heads_text = db_text(url, sql);
    cr_assert_not_null(heads_text, "the series is summarised");
    pg_pyramid_heads heads;
    pg_pyramid_heads_unpack(heads_text, &heads);
    free(heads_text);
    PGconn *conn = connect_or_fail(url);
    for (int level = 0; level < PG_PYRAMID_LEVELS; level++) {
        snprintf(sql, sizeof sql, "SELECT s.anchor, s.count, s.picks FROM scalar_summaries s JOIN series x ON x.id = "
                                  "s.series_id JOIN runs r ON r.id = x.run_id WHERE r.name = '%s' AND s.level = %d "
                                  "ORDER BY s.anchor", run, level);
        PGresult *res = PQexec(conn, sql);
        cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(conn));
        size_t rows = (size_t)PQntuples(res);
        cr_assert_eq(rows + heads.has[level], expected[level].count, "level %d: %zu rows and %d head, %zu expected",
                     level, rows, heads.has[level], expected[level].count);
        for (size_t i = 0; i < expected[level].count; i++) {
            pg_pyramid_entry got = heads.entry[level];
            if (i < rows) {
                size_t n = 0;
                unsigned char *picks = PQunescapeBytea((const unsigned char *)PQgetvalue(res, (int)i, 2), &n);
                got.anchor = atoll(PQgetvalue(res, (int)i, 0));
                picks_decode(picks, (int)n, atoll(PQgetvalue(res, (int)i, 1)), &got.sum);
                PQfreemem(picks);
            }
            cr_assert_eq(got.anchor, expected[level].entries[i].anchor, "level %d entry %zu", level, i);
            cr_assert(same_summary(&got.sum, &expected[level].entries[i].sum), "level %d entry %zu", level, i);
        }
        PQclear(res);
    }
    PQfinish(conn);
    for (int level = 0; level < PG_PYRAMID_LEVELS; level++) pg_pyramid_list_free(&expected[level]);
    free(steps);
    free(walls);
    free(values);
    store_points_free(&all);
}

/* A reducer as api_scalars.c drives one: buckets laid out at begin, summaries taken for whole spans. */
typedef struct {
    m4_reducer m;
    vz_point *out;
    size_t buckets, summaries;
} reducer;

static void reducer_begin(void *ctx, int64_t first, int64_t last)
{
    reducer *d = ctx;
    m4_init(&d->m, first, last, d->buckets, d->out);
}

static void reducer_points(void *ctx, const int64_t *steps, const double *walls, const double *values, size_t n)
{
    m4_add_columns(&((reducer *)ctx)->m, steps, walls, values, n);
}

static int64_t reducer_span(void *ctx, int64_t step) { return m4_bucket_last_step(&((reducer *)ctx)->m, step); }

static void reducer_summary(void *ctx, const vz_m4_summary *summary)
{
    reducer *d = ctx;
    m4_add_summary(&d->m, summary);
    d->summaries++;
}

/* The reduced answer read through the summaries equals m4_reduce over every point of [start, end]; returns
 * how many summaries the read used. */
static size_t check_reduced(store_pg_readers *r, const char *run, int64_t start, int64_t end, size_t buckets)
{
    vz_points all, inside;
    vz_error err;
    cr_assert_eq(store_pg_read_scalars(r, run, "t", INT64_MIN, INT64_MAX, &all, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_read_scalars(r, run, "t", start, end, &inside, &err), 0, "%s", err.message);
    cr_assert_gt(inside.count, 0);
    int64_t first = all.points[0].step > start ? all.points[0].step : start;
    int64_t last = all.points[all.count - 1].step < end ? all.points[all.count - 1].step : end;
    vz_point *expected = malloc(4 * buckets * sizeof *expected);
    size_t expected_count = m4_reduce(inside.points, inside.count, first, last, buckets, expected);
    reducer d = {.out = malloc(4 * buckets * sizeof *d.out), .buckets = buckets};
    store_scalar_visitor visitor = {.begin = reducer_begin, .points = reducer_points, .ctx = &d,
                                    .span_last_step = reducer_span, .summary = reducer_summary};
    cr_assert_eq(store_pg_scan_scalars(r, run, "t", start, end, &visitor, &err), 0, "%s", err.message);
    size_t got = m4_finish(&d.m);
    cr_assert_eq(got, expected_count, "[%lld, %lld] in %zu buckets", (long long)start, (long long)end, buckets);
    for (size_t i = 0; i < got; i++) {
        cr_assert_eq(d.out[i].step, expected[i].step, "point %zu of [%lld, %lld] in %zu buckets", i,
                     (long long)start, (long long)end, buckets);
        cr_assert(memcmp(&d.out[i].value, &expected[i].value, sizeof(double)) == 0 ||
                      (isnan(d.out[i].value) && isnan(expected[i].value)), "point %zu", i);
    }
    free(d.out);
    free(expected);
    store_points_free(&all);
    store_points_free(&inside);
    return d.summaries;
}

static void check_reduced_answers(store_pg_readers *r, const char *run, unsigned *seed, int64_t lo, int64_t hi)
{
    static const size_t buckets[] = {1, 3, 10, 64, 333, 1000};
    size_t summaries = 0;
    for (size_t b = 0; b < sizeof buckets / sizeof *buckets; b++) {
        summaries += check_reduced(r, run, INT64_MIN, INT64_MAX, buckets[b]);
        int64_t a = lo + rand_r(seed) % (hi - lo), z = lo + rand_r(seed) % (hi - lo);
        check_reduced(r, run, a < z ? a : z, (a < z ? z : a) + 50, buckets[b]);
    }
    cr_assert_gt(summaries, 0, "the whole-series reads used summaries");
}

Test(store_pg, summaries_stay_exact_through_appends_overwrites_and_inserts_before_the_end, .timeout = 120)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    store_pg_readers *r = readers_or_fail(url);
    unsigned seed = 14;
    write_points(pg, "r", 0, 2, 20000, &seed); /* steps 0..39998, even: several levels */
    check_summaries_equal_a_rebuild(url, r, "r");
    check_reduced_answers(r, "r", &seed, 0, 40000);
    for (int i = 0; i < 300; i++) { /* one point at a time after the end: heads only, rows as chunks close */
        one_point p;
        commit_one(pg, one_point_write(&p, "r", "t", 40000 + i, i % 7 == 0 ? 1e9 : (double)(i % 5)));
    }
    check_summaries_equal_a_rebuild(url, r, "r");
    write_points(pg, "r", 1000, 2, 3000, &seed);  /* overwrites in the middle, across many chunks */
    write_points(pg, "r", 20001, 2, 700, &seed);  /* inserts before the end: odd steps between stored ones */
    write_points(pg, "r", -500, 1, 10, &seed);    /* before the first point */
    write_points(pg, "r", 40290, 1, 20, &seed);   /* over the end: overwrites, then appends */
    check_summaries_equal_a_rebuild(url, r, "r");
    check_reduced_answers(r, "r", &seed, -500, 40400);
    store_pg_readers_close(r);
    store_pg_close(pg);
    free(url);
}

Test(store_pg, a_database_without_summaries_answers_and_is_summarised_when_opened, .timeout = 120)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    unsigned seed = 15;
    write_points(pg, "r", 0, 3, 5000, &seed);
    store_pg_close(pg);
    /* As a database migration 0002 found: points, no summaries. */
    db_exec(url, "UPDATE series SET summary_heads = NULL; DELETE FROM scalar_summaries");
    store_pg_readers *r = readers_or_fail(url);
    cr_assert_eq(check_reduced(r, "r", INT64_MIN, INT64_MAX, 100), 0, "no summary is read before they are built");
    pg = open_or_fail(url);
    cr_assert_eq(db_int(url, "SELECT count(*) FROM series WHERE summary_heads IS NULL"), 0);
    check_summaries_equal_a_rebuild(url, r, "r");
    check_reduced_answers(r, "r", &seed, 0, 15000);
    write_points(pg, "r", 15000, 1, 100, &seed); /* appends to what the build made */
    check_summaries_equal_a_rebuild(url, r, "r");
    store_pg_readers_close(r);
    store_pg_close(pg);
    free(url);
}

/* The summary of run r's tag "t" (the HParams view's: count, last point, lowest and highest value). */
static store_tag_summary summary_of_t(const char *url)
{
    store_pg_readers *r = readers_or_fail(url);
    store_pg_summary *sc;
    vz_error err;
    const char *runs[] = {"r"}, *run_name, *hparams;
    cr_assert_eq(store_pg_summary_open(r, runs, 1, &sc, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_summary_next_run(sc, &run_name, &hparams, &err), 1, "%s", err.message);
    store_tag_summary t;
    bool found;
    cr_assert_eq(store_pg_summary_tag(sc, "t", &t, &found, &err), 0, "%s", err.message);
    cr_assert(found);
    store_pg_summary_close(sc);
    store_pg_readers_close(r);
    return t;
}

static void assert_same_point(vz_point got, vz_point want, const char *what)
{
    cr_assert_eq(got.step, want.step, "%s: step %lld, want %lld", what, (long long)got.step, (long long)want.step);
    cr_assert(memcmp(&got.value, &want.value, sizeof got.value) == 0, "%s: value %g, want %g", what, got.value,
              want.value);
}

/* A run summary's lowest and highest value come from the top level of the series' summaries, its rows
 * and its head, and are what a look at every point finds: NaN left out, the earliest of equal values. */
Test(store_pg, run_summaries_take_the_extremes_from_the_top_summaries, .timeout = 120)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    unsigned seed = 17;
    /* Points around three steps that start entries of the top level, and before the first of them. */
    const int top = PG_PYRAMID_LEVELS - 1;
    int64_t boundary[3];
    size_t found = 0;
    for (int64_t step = 1; found < 3; step++)
        if (pg_pyramid_is_boundary(step, top)) boundary[found++] = step;
    write_points(pg, "r", 0, 1, 300, &seed);
    for (size_t i = 0; i < 3; i++) write_points(pg, "r", boundary[i] - 200, 1, 400, &seed);
    cr_assert_geq(db_int(url, "SELECT count(*) FROM scalar_summaries WHERE level = 6"), 2,
                  "the top level has rows, not only its head");

    vz_points all;
    vz_error err;
    store_pg_readers *r = readers_or_fail(url);
    cr_assert_eq(store_pg_read_scalars(r, "r", "t", INT64_MIN, INT64_MAX, &all, &err), 0, "%s", err.message);
    store_pg_readers_close(r);
    vz_point lowest = {0}, highest = {0};
    bool has_finite = false;
    for (size_t i = 0; i < all.count; i++) {
        vz_point p = all.points[i];
        if (isnan(p.value)) continue;
        if (!has_finite || p.value < lowest.value) lowest = p;
        if (!has_finite || p.value > highest.value) highest = p;
        has_finite = true;
    }
    cr_assert(has_finite);

    store_tag_summary from_summaries = summary_of_t(url);
    cr_assert_eq(from_summaries.count, all.count);
    cr_assert(from_summaries.has_extremes);
    assert_same_point(from_summaries.min, lowest, "lowest, from the summaries");
    assert_same_point(from_summaries.max, highest, "highest, from the summaries");
    assert_same_point(from_summaries.last, all.points[all.count - 1], "last");
    /* As before migration 0002 built them: the points are scanned, with the same answer. */
    db_exec(url, "UPDATE series SET summary_heads = NULL");
    store_tag_summary from_scan = summary_of_t(url);
    assert_same_point(from_scan.min, lowest, "lowest, from a scan");
    assert_same_point(from_scan.max, highest, "highest, from a scan");
    store_points_free(&all);
    store_pg_close(pg);
    free(url);
}

Test(store_pg, deleting_a_run_deletes_its_summaries)
{
    char *url = new_database();
    store_pg *pg = open_or_fail(url);
    unsigned seed = 16;
    write_points(pg, "gone", 0, 1, 3000, &seed);
    write_points(pg, "kept", 0, 1, 3000, &seed);
    long long kept = db_int(url, "SELECT count(*) FROM scalar_summaries s JOIN series x ON x.id = s.series_id JOIN "
                                 "runs r ON r.id = x.run_id WHERE r.name = 'kept'");
    cr_assert_gt(kept, 0);
    vz_error err;
    const char *names[] = {"gone"};
    cr_assert_eq(store_pg_begin_group(pg, NULL, 0, names, 1, &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_delete_run(pg, "gone", &err), 0, "%s", err.message);
    cr_assert_eq(store_pg_commit(pg, NULL, 0, &err), 0, "%s", err.message);
    cr_assert_eq(db_int(url, "SELECT count(*) FROM scalar_summaries"), kept);
    write_points(pg, "gone", 100, 1, 50, &seed); /* the run anew: summaries from scratch */
    store_pg_readers *r = readers_or_fail(url);
    check_summaries_equal_a_rebuild(url, r, "gone");
    check_summaries_equal_a_rebuild(url, r, "kept");
    store_pg_readers_close(r);
    store_pg_close(pg);
    free(url);
}
