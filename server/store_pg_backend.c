/* store_pg_backend.c -- the PostgreSQL backend as store.c runs it: store_backend.h's table over the
 * writer connection (store_pg.c), the reader pool (store_pg_read.c) and the change notices.
 *
 * Change notices: every write and run deletion a group commits is announced to the other replicas with a
 * NOTIFY on STORE_PG_CHANNEL queued in the same transaction, so PostgreSQL delivers it only if the group
 * commits, and in commit order. The payload is "ORIGIN EVENT DATA": this process's random origin (so a
 * replica skips its own, which it published already), the Server-Sent Event's name ("write" or "delete")
 * and its data, the same JSON a replica's own subscribers get (write_event_data). A write undone by its
 * savepoint takes its notice back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <libpq-fe.h>

#include "vizd/buf.h"
#include "vizd/clock.h"
#include "vizd/store_backend.h"
#include "vizd/store_pg.h"

#define NOTICE_MAX_BYTES 7900 /* a notice longer than this (PostgreSQL refuses 8,000) says less; see below */

struct store_backend_state {
    store_pg *writer;
    store_pg_readers *readers;
    char db_name[256]; /* user@host:port/dbname, without a password, for the status */
    char origin[17];
    char **notices; /* of the group's writes and deletions so far */
    size_t notice_count, notice_cap, savepoint_mark;
    bool has_lost_notice; /* out of memory for one: the group fails rather than leave replicas unaware */
    store_pg_listener *listener;
    store_remote_fn remote;
    void *remote_ctx;
};

static int pg_open(const char *target, store_backend_state **out, vz_error *err)
{
    *out = NULL;
    store_backend_state *b = calloc(1, sizeof *b);
    if (!b) return vz_out_of_memory(err, "opening the store");
    if (store_pg_open(&b->writer, target, err) < 0 || store_pg_readers_open(&b->readers, target, err) < 0) {
        store_pg_close(b->writer);
        free(b);
        return -1;
    }
    store_pg_describe(b->writer, b->db_name, sizeof b->db_name);
    uint64_t random_bits = 0;
    if (getrandom(&random_bits, sizeof random_bits, 0) != sizeof random_bits) random_bits = (uint64_t)clock_now_s();
    snprintf(b->origin, sizeof b->origin, "%016llx", (unsigned long long)random_bits);
    *out = b;
    return 0;
}

static void clear_notices(store_backend_state *b)
{
    for (size_t i = 0; i < b->notice_count; i++) free(b->notices[i]);
    b->notice_count = b->savepoint_mark = 0;
    b->has_lost_notice = false;
}

static void pg_close_backend(store_backend_state *b)
{
    store_pg_listener_stop(b->listener);
    clear_notices(b);
    free(b->notices);
    store_pg_readers_close(b->readers);
    store_pg_close(b->writer);
    free(b);
}

/* ---- the writer ------------------------------------------------------------------------------------ */

static int pg_begin(store_backend_state *b, vz_write *const *writes, size_t write_count, const char *const *deleted,
                    size_t deleted_count, vz_error *err)
{
    clear_notices(b);
    /* A connection lost since the last group (PostgreSQL restarted) is replaced here; while the server is
     * away, every group fails with 503 and nothing is acknowledged. */
    if (!store_pg_is_connected(b->writer) && store_pg_reconnect(b->writer, err) < 0) return -1;
    return store_pg_begin_group(b->writer, writes, write_count, deleted, deleted_count, err);
}

static int pg_savepoint(store_backend_state *b, vz_error *err)
{
    b->savepoint_mark = b->notice_count;
    return store_pg_savepoint(b->writer, err);
}

static int pg_rollback_to(store_backend_state *b, vz_error *err)
{
    while (b->notice_count > b->savepoint_mark) free(b->notices[--b->notice_count]);
    return store_pg_rollback_to_savepoint(b->writer, err);
}

static int pg_release(store_backend_state *b, vz_error *err) { return store_pg_release_savepoint(b->writer, err); }

/* Keep a notice for the commit: "ORIGIN EVENT DATA". */
static void add_notice(store_backend_state *b, const char *event, char *data)
{
    char *notice = NULL;
    if (data && asprintf(&notice, "%s %s %s", b->origin, event, data) < 0) notice = NULL;
    free(data);
    if (notice && b->notice_count == b->notice_cap) {
        size_t cap = b->notice_cap ? 2 * b->notice_cap : 16;
        char **grown = realloc(b->notices, cap * sizeof *grown);
        if (grown) {
            b->notices = grown;
            b->notice_cap = cap;
        }
    }
    if (!notice || b->notice_count == b->notice_cap) {
        free(notice);
        b->has_lost_notice = true;
        return;
    }
    b->notices[b->notice_count++] = notice;
}

static int pg_apply_write(store_backend_state *b, vz_write *w, double now_s, vz_error *err)
{
    if (store_pg_apply_write(b->writer, w, now_s, err) < 0) return -1;
    add_notice(b, "write", write_event_data(w, NOTICE_MAX_BYTES));
    return 0;
}

static int pg_delete_run(store_backend_state *b, const char *run, vz_error *err)
{
    if (store_pg_delete_run(b->writer, run, err) < 0) return -1;
    vz_buf data;
    buf_init(&data);
    buf_puts(&data, "{\"run\":");
    buf_put_json_string(&data, run);
    buf_putc(&data, '}');
    buf_putc(&data, '\0');
    add_notice(b, "delete", data.is_failed ? (buf_free(&data), NULL) : buf_release(&data, NULL));
    return 0;
}

static bool pg_is_transaction_lost(store_backend_state *b) { return store_pg_is_transaction_lost(b->writer); }

static int pg_commit(store_backend_state *b, vz_error *err)
{
    if (b->has_lost_notice) {
        store_pg_rollback(b->writer);
        return vz_out_of_memory(err, "the change notices");
    }
    int rc = store_pg_commit(b->writer, (const char *const *)b->notices, b->notice_count, err);
    clear_notices(b);
    return rc;
}

static void pg_rollback(store_backend_state *b)
{
    clear_notices(b);
    store_pg_rollback(b->writer);
}

/* ---- the other replicas' changes ------------------------------------------------------------------------ */

static void on_notice(void *ctx, const char *payload)
{
    store_backend_state *b = ctx;
    const char *event = strchr(payload, ' ');
    if (!event || (size_t)(event - payload) != strlen(b->origin) || strncmp(payload, b->origin, strlen(b->origin)) == 0)
        return; /* this replica's own (published already), or not one of ours */
    event++;
    const char *data = strchr(event, ' ');
    if (!data) return;
    char name[16];
    snprintf(name, sizeof name, "%.*s", (int)(data - event), event);
    b->remote(b->remote_ctx, name, data + 1);
}

static int pg_listen(store_backend_state *b, store_remote_fn remote, void *ctx, vz_error *err)
{
    b->remote = remote;
    b->remote_ctx = ctx;
    return store_pg_listener_start(&b->listener, store_pg_conninfo(b->writer), on_notice, b, err);
}

/* ---- readers ----------------------------------------------------------------------------------------- */

static int pg_read_sources(store_backend_state *b, store_source_fn visit, void *ctx, vz_error *err)
{
    return store_pg_read_sources(b->readers, visit, ctx, err);
}

static int pg_runs_open(store_backend_state *b, store_backend_runs **out, vz_error *err)
{
    return store_pg_runs_cursor_open(b->readers, (store_pg_runs_cursor **)out, err);
}

static int pg_runs_next(store_backend_runs *c, const store_run_row **run, vz_error *err)
{
    return store_pg_runs_cursor_next((store_pg_runs_cursor *)c, run, err);
}

static void pg_runs_close(store_backend_runs *c) { store_pg_runs_cursor_close((store_pg_runs_cursor *)c); }

static int pg_summary_open(store_backend_state *b, const char *const *runs, size_t run_count,
                           store_backend_summary **out, vz_error *err)
{
    return store_pg_summary_open(b->readers, runs, run_count, (store_pg_summary **)out, err);
}

static int pg_summary_next_run(store_backend_summary *c, const char **name, const char **hparams_json, vz_error *err)
{
    return store_pg_summary_next_run((store_pg_summary *)c, name, hparams_json, err);
}

static void pg_summary_rewind(store_backend_summary *c) { store_pg_summary_rewind((store_pg_summary *)c); }

static int pg_summary_tag(store_backend_summary *c, const char *tag, store_tag_summary *out, bool *found,
                          vz_error *err)
{
    return store_pg_summary_tag((store_pg_summary *)c, tag, out, found, err);
}

static void pg_summary_close(store_backend_summary *c) { store_pg_summary_close((store_pg_summary *)c); }

static int pg_visit_tags(store_backend_state *b, const char *run, const char *kind, int64_t after, size_t limit,
                         store_tag_visitor visit, void *ctx, int64_t *next, vz_error *err)
{
    return store_pg_visit_tags(b->readers, run, kind, after, limit, visit, ctx, next, err);
}

static int pg_scan_scalars(store_backend_state *b, const char *run, const char *tag, int64_t start, int64_t end,
                           const store_scalar_visitor *visitor, vz_error *err)
{
    return store_pg_scan_scalars(b->readers, run, tag, start, end, visitor, err);
}

static int pg_check_runs(store_backend_state *b, const char *const *runs, size_t n, vz_error *err)
{
    return store_pg_check_runs(b->readers, runs, n, err);
}

static int pg_scalars_open(store_backend_state *b, const char *run, const char *tag, int64_t start, int64_t end,
                           store_backend_scalars **out, vz_error *err)
{
    return store_pg_scalar_cursor_open(b->readers, run, tag, start, end, (store_pg_scalar_cursor **)out, err);
}

static int pg_scalars_next(store_backend_scalars *c, const int64_t **steps, const double **wall_times_s,
                           const double **values, size_t *count, vz_error *err)
{
    return store_pg_scalar_cursor_next((store_pg_scalar_cursor *)c, steps, wall_times_s, values, count, err);
}

static void pg_scalars_close(store_backend_scalars *c) { store_pg_scalar_cursor_close((store_pg_scalar_cursor *)c); }

static int pg_read_histograms(store_backend_state *b, const char *run, const char *tag, size_t max_steps,
                              vz_histogram_steps *out, vz_error *err)
{
    return store_pg_read_histograms(b->readers, run, tag, max_steps, out, err);
}

static int pg_read_graph(store_backend_state *b, const char *run, char **graph_json, vz_error *err)
{
    return store_pg_read_graph(b->readers, run, graph_json, err);
}

static int pg_visit_media(store_backend_state *b, const char *run, const char *tag, vz_media_kind kind,
                          store_media_visitor visit, void *ctx, vz_error *err)
{
    return store_pg_visit_media(b->readers, run, tag, kind, visit, ctx, err);
}

static int pg_read_blob(store_backend_state *b, const char *name, unsigned char **bytes, size_t *size, char *type,
                        size_t type_size, vz_error *err)
{
    return store_pg_read_blob(b->readers, name, bytes, size, type, type_size, err);
}

static int pg_status(store_backend_state *b, store_status_info *out, vz_error *err)
{
    int rc = store_pg_status(b->readers, out, err);
    out->db_path = b->db_name;
    return rc;
}

const store_backend store_pg_backend = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close_backend,
    .begin = pg_begin,
    .savepoint = pg_savepoint,
    .rollback_to = pg_rollback_to,
    .release = pg_release,
    .apply_write = pg_apply_write,
    .delete_run = pg_delete_run,
    .is_transaction_lost = pg_is_transaction_lost,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .idle_work = NULL,
    .listen = pg_listen,
    .read_sources = pg_read_sources,
    .runs_open = pg_runs_open,
    .runs_next = pg_runs_next,
    .runs_close = pg_runs_close,
    .summary_open = pg_summary_open,
    .summary_next_run = pg_summary_next_run,
    .summary_rewind = pg_summary_rewind,
    .summary_tag = pg_summary_tag,
    .summary_close = pg_summary_close,
    .visit_tags = pg_visit_tags,
    .scan_scalars = pg_scan_scalars,
    .check_runs = pg_check_runs,
    .scalars_open = pg_scalars_open,
    .scalars_next = pg_scalars_next,
    .scalars_close = pg_scalars_close,
    .read_histograms = pg_read_histograms,
    .read_graph = pg_read_graph,
    .visit_media = pg_visit_media,
    .read_blob = pg_read_blob,
    .status = pg_status,
};
