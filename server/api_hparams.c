/* api_hparams.c -- GET /api/v1/hparams: what the HParams view and the Runs table's metric columns need, in
 * one request: per run its hparams and, for chosen scalar tags, the last, lowest and highest value with
 * their steps.
 *
 * The summaries come from what the store keeps per series and its M4 summaries (store_summary_cursor),
 * not from the points, so 1,000 runs cost a few small indexed reads per run and tag. Without tag= the
 * tags are the metric tags the runs' add_hparams recorded. The answer is streamed a run at a time: a run
 * carries up to 64 KiB of hparams, and there may be thousands. */
#include <stdlib.h>

#include "vizd/api.h"
#include "vizd/json.h"

typedef struct {
    store_summary_cursor *cursor;
    bool has_started;
    size_t sent;
} summary_stream;

static void summary_stream_free(void *ctx)
{
    summary_stream *st = ctx;
    store_summary_cursor_close(st->cursor);
    free(st);
}

/* The lowest or highest value with its step, or null when every value is NaN. */
static json_t *extreme_json(const store_tag_summary *t, const vz_point *point)
{
    if (!t->has_extremes) return json_null();
    return json_pack("{s:I, s:o}", "step", (json_int_t)point->step, "value", json_from_double(point->value));
}

/* {"name", "hparams", "scalars": {tag: {"count", "last": {"step", "value", "wall_time"}, "min": {"step",
 * "value"} | null, "max": ...}}}; NULL when out of memory. */
static json_t *run_summary_json(const store_run_summary *summary)
{
    json_t *hparams = json_loads(summary->hparams_json, 0, NULL);
    json_t *run = json_pack("{s:s, s:o, s:{}}", "name", summary->name, "hparams", hparams ? hparams : json_object(),
                            "scalars");
    json_t *scalars = json_object_get(run, "scalars");
    for (size_t i = 0; run && i < summary->tag_count; i++) {
        const store_tag_summary *t = &summary->tags[i];
        json_t *tag = json_pack("{s:I, s:{s:I, s:o, s:f}, s:o, s:o}", "count", (json_int_t)t->count, "last", "step",
                                (json_int_t)t->last.step, "value", json_from_double(t->last.value), "wall_time",
                                t->last.wall_time_s, "min", extreme_json(t, &t->min), "max", extreme_json(t, &t->max));
        if (!tag || json_object_set_new(scalars, t->tag, tag) < 0) {
            json_decref(run);
            return NULL;
        }
    }
    return run;
}

static int produce_summaries(void *ctx, vz_buf *out, bool *is_done, vz_error *err)
{
    summary_stream *st = ctx;
    if (!st->has_started) {
        st->has_started = true;
        bool has_more;
        size_t count;
        const char *const *tags = store_summary_cursor_tags(st->cursor, &count, &has_more);
        buf_puts(out, "{\"metrics\":[");
        for (size_t i = 0; i < count; i++) {
            if (i) buf_putc(out, ',');
            buf_put_json_string(out, tags[i]);
        }
        buf_putc(out, ']');
        if (has_more) buf_puts(out, ",\"more_metrics\":true");
        buf_puts(out, ",\"runs\":[");
    }
    const store_run_summary *summary;
    if (store_summary_cursor_next(st->cursor, &summary, err) < 0) return -1;
    if (!summary) {
        buf_puts(out, "]}\n");
        *is_done = true;
        return 0;
    }
    json_t *run = run_summary_json(summary);
    if (!run) return vz_out_of_memory(err, "the run summaries");
    if (st->sent++) buf_putc(out, ',');
    json_write(out, run);
    json_decref(run);
    return 0;
}

/* The values of an optional repeated name parameter: none is fine, else http_query_names' rules. */
static int optional_names(const http_request *req, const char *key, const char **values, size_t max, size_t *count,
                          vz_error *err)
{
    vz_error missing;
    if (http_query_names(req, key, values, max, count, &missing) == 0) return 0;
    if (*count == 0) return 0;
    *err = missing;
    return -1;
}

int api_hparams(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    const char *tags[VZ_MAX_SUMMARY_TAGS], *runs[VZ_MAX_RUNS_PER_QUERY];
    size_t tag_count, run_count;
    if (optional_names(req, "tag", tags, VZ_MAX_SUMMARY_TAGS, &tag_count, err) < 0 ||
        optional_names(req, "run", runs, VZ_MAX_RUNS_PER_QUERY, &run_count, err) < 0)
        return -1;
    summary_stream *st = calloc(1, sizeof *st);
    if (!st) return vz_out_of_memory(err, "the answer");
    if (store_summary_cursor_open(app->store, tags, tag_count, runs, run_count, &st->cursor, err) < 0) {
        free(st);
        return -1;
    }
    return http_answer_produced(res, "application/json", produce_summaries, summary_stream_free, st, (size_t)64 << 20,
                                err);
}
