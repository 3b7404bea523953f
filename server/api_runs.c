/* api_runs.c -- GET and DELETE /api/v1/runs, GET /api/v1/tags. */
#include <stdlib.h>
#include <string.h>

#include "vizd/api.h"
#include "vizd/json.h"

/* Runs are streamed one at a time: each carries up to 64 KiB of description and of hparams, and there
 * may be thousands. */
typedef struct {
    store_runs_cursor *cursor;
    bool has_started;
    size_t sent;
} runs_stream;

static void runs_stream_free(void *ctx)
{
    runs_stream *st = ctx;
    store_runs_cursor_close(st->cursor);
    free(st);
}

/* {"name", "description", "hparams", "created_at", "updated_at", "counts": {kind: n}}; NULL when out of
 * memory. */
static json_t *run_json(const store_run_row *row)
{
    json_t *hparams = json_loads(row->hparams_json, 0, NULL);
    json_t *run = json_pack("{s:s, s:s, s:o, s:f, s:f, s:{}}", "name", row->name, "description", row->description,
                            "hparams", hparams ? hparams : json_object(), "created_at", row->created_at,
                            "updated_at", row->updated_at, "counts");
    json_t *counts = json_object_get(run, "counts");
    for (size_t i = 0; run && i < row->kind_count; i++)
        if (json_object_set_new(counts, row->counts[i].kind, json_integer(row->counts[i].count)) < 0) {
            json_decref(run);
            return NULL;
        }
    return run;
}

static int produce_runs(void *ctx, vz_buf *out, bool *is_done, vz_error *err)
{
    runs_stream *st = ctx;
    if (!st->has_started) {
        st->has_started = true;
        buf_puts(out, "{\"runs\":[");
    }
    const store_run_row *row;
    if (store_runs_cursor_next(st->cursor, &row, err) < 0) return -1;
    if (!row) {
        buf_puts(out, "]}\n");
        *is_done = true;
        return 0;
    }
    json_t *run = run_json(row);
    if (!run) return vz_out_of_memory(err, "listing runs");
    if (st->sent++) buf_putc(out, ',');
    json_write(out, run);
    json_decref(run);
    return 0;
}

int api_runs_list(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    (void)req;
    runs_stream *st = calloc(1, sizeof *st);
    if (!st) return vz_out_of_memory(err, "the answer");
    if (store_runs_cursor_open(app->store, &st->cursor, err) < 0) {
        free(st);
        return -1;
    }
    return http_answer_produced(res, "application/json", produce_runs, runs_stream_free, st, (size_t)64 << 20, err);
}

int api_runs_delete(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    const char *run;
    if (http_query_name(req, "run", &run, err) < 0) return -1;
    if (store_delete_run(app->store, run, err) < 0) return -1;
    events_publish_delete(app->events, run);
    return http_answer_json(res, json_pack("{s:s}", "deleted", run));
}

static bool is_known_kind(const char *kind)
{
    static const char *const kinds[] = {"scalars", "histograms", "images", "tensors", "texts"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(kind, kinds[i]) == 0) return true;
    return false;
}

/* A page of tags is written as the store hands it out, grouped by run and then kind, with no tree in
 * between: a page of 10,000 series built as a Jansson tree spent more time allocating and freeing it than
 * reading the database. */
typedef struct {
    vz_buf *out;
    char *run, *kind; /* the object open now, or NULL */
} tags_writer;

static int write_tag(void *ctx, const store_tag_info *t, vz_error *err)
{
    tags_writer *w = ctx;
    bool is_new_run = !w->run || strcmp(w->run, t->run) != 0;
    if (is_new_run) {
        if (w->run) buf_puts(w->out, "}},");
        buf_put_json_string(w->out, t->run);
        buf_puts(w->out, ":{");
        free(w->run);
        free(w->kind);
        w->run = strdup(t->run);
        w->kind = NULL;
    }
    if (!w->kind || strcmp(w->kind, t->kind) != 0) {
        if (w->kind) buf_puts(w->out, "},");
        buf_put_json_string(w->out, t->kind);
        buf_puts(w->out, ":{");
        free(w->kind);
        w->kind = strdup(t->kind);
    } else {
        buf_putc(w->out, ',');
    }
    if (!w->run || !w->kind) return vz_out_of_memory(err, "listing tags");
    buf_put_json_string(w->out, t->tag);
    buf_puts(w->out, ":{\"count\":");
    buf_put_int64(w->out, t->count);
    buf_puts(w->out, ",\"first_step\":");
    buf_put_int64(w->out, t->first_step);
    buf_puts(w->out, ",\"last_step\":");
    buf_put_int64(w->out, t->last_step);
    buf_puts(w->out, ",\"last_wall_time\":");
    buf_put_json_double(w->out, t->last_wall_time);
    if (t->has_last_value) {
        buf_puts(w->out, ",\"last_value\":");
        buf_put_json_double(w->out, t->last_value);
    }
    buf_putc(w->out, '}');
    return 0;
}

/* One answer lists at most this many series: a write of many tags made every later answer huge. */
#define MAX_TAGS_PER_PAGE 10000

int api_tags(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    const char *run = http_query(req, "run"), *kind = http_query(req, "kind"), *after_text = http_query(req, "after");
    if (run && name_check(run, "run", err) < 0) return -1;
    if (kind && !is_known_kind(kind))
        return vz_fail(err, 400, "invalid_value", "kind", "expected scalars, histograms, images, tensors or texts");
    int64_t limit, after = 0;
    if (http_query_int64(req, "limit", MAX_TAGS_PER_PAGE, &limit, err) < 0) return -1;
    if (limit < 1 || limit > MAX_TAGS_PER_PAGE)
        return vz_fail(err, 400, "invalid_value", "limit", "expected 1 to %d", MAX_TAGS_PER_PAGE);
    if (after_text && (http_query_int64(req, "after", 0, &after, err) < 0 || after < 0))
        return vz_fail(err, 400, "invalid_value", "after", "expected the \"next\" of an earlier answer");
    tags_writer w = {.out = &res->body};
    int64_t next;
    buf_puts(w.out, "{\"runs\":{");
    int rc = store_visit_tags(app->store, run, kind, after, (size_t)limit, write_tag, &w, &next, err);
    bool has_runs = w.run != NULL;
    free(w.run);
    free(w.kind);
    if (rc < 0) return -1;
    buf_puts(w.out, has_runs ? "}}}" : "}");
    buf_puts(w.out, ",\"next\":");
    if (next >= 0) {
        buf_putc(w.out, '"');
        buf_put_int64(w.out, next);
        buf_putc(w.out, '"');
    } else {
        buf_puts(w.out, "null");
    }
    buf_puts(w.out, "}\n");
    http_set_json(res, 200);
    return 0;
}
