/* api_scalars.c -- GET /api/v1/scalars: the points of one tag for one or more runs, as JSON or CSV.
 *
 * With more points in the requested step range than `points` (default 1000), each run's series is
 * reduced with M4 over `points` equal step buckets of the range (downsample.c): at most 4 points per
 * bucket, every extreme kept. points=0 sends everything, for export. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/api.h"
#include "vizd/downsample.h"
#include "vizd/json.h"

#define DEFAULT_DISPLAY_POINTS 1000
#define MAX_DISPLAY_POINTS 100000
#define MAX_RUNS_PER_QUERY 256

typedef struct {
    const char *tag;
    const char *runs[MAX_RUNS_PER_QUERY];
    size_t run_count;
    int64_t start, end;
    size_t points;
    bool is_csv;
} scalars_query;

static int parse_query(const http_request *req, scalars_query *q, vz_error *err)
{
    q->tag = http_query(req, "tag");
    if (!q->tag) return vz_fail(err, 400, "missing_field", "tag", "required");
    if (name_check(q->tag, "tag", err) < 0) return -1;
    q->run_count = http_query_all(req, "run", q->runs, MAX_RUNS_PER_QUERY);
    if (q->run_count == 0) return vz_fail(err, 400, "missing_field", "run", "at least one run is required");
    for (size_t i = 0; i < q->run_count; i++)
        if (name_check(q->runs[i], "run", err) < 0) return -1;
    int64_t points;
    if (http_query_int64(req, "points", DEFAULT_DISPLAY_POINTS, &points, err) < 0 ||
        http_query_int64(req, "start", INT64_MIN, &q->start, err) < 0 ||
        http_query_int64(req, "end", INT64_MAX, &q->end, err) < 0)
        return -1;
    if (points < 0 || points > MAX_DISPLAY_POINTS)
        return vz_fail(err, 400, "invalid_value", "points", "expected 0 (all) to %d", MAX_DISPLAY_POINTS);
    q->points = (size_t)points;
    if (q->start > q->end) return vz_fail(err, 400, "invalid_value", "start", "greater than end");
    const char *format = http_query(req, "format");
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
        return vz_fail(err, 400, "invalid_value", "format", "expected json or csv");
    q->is_csv = format && strcmp(format, "csv") == 0;
    return 0;
}

/* Reduce in place when there are more points than asked for; returns whether it did. */
static bool reduce_for_display(vz_points *pts, size_t buckets)
{
    if (buckets == 0 || pts->count <= buckets) return false;
    int64_t first = pts->points[0].step, last = pts->points[pts->count - 1].step;
    /* m4_reduce writes no faster than it reads, so reducing into the same array is safe. */
    pts->count = m4_reduce(pts->points, pts->count, first, last, buckets, pts->points);
    return true;
}

static void put_csv_field(vz_buf *out, const char *text)
{
    if (!strpbrk(text, ",\"\n\r")) {
        buf_puts(out, text);
        return;
    }
    buf_putc(out, '"');
    for (const char *p = text; *p; p++) {
        if (*p == '"') buf_putc(out, '"');
        buf_putc(out, *p);
    }
    buf_putc(out, '"');
}

static void put_csv_series(vz_buf *out, const char *run, const vz_points *pts)
{
    for (size_t i = 0; i < pts->count; i++) {
        put_csv_field(out, run);
        buf_putc(out, ',');
        buf_put_int64(out, pts->points[i].step);
        buf_putc(out, ',');
        buf_put_plain_double(out, pts->points[i].wall_time_s);
        buf_putc(out, ',');
        buf_put_plain_double(out, pts->points[i].value);
        buf_putc(out, '\n');
    }
}

static void put_json_series(vz_buf *out, const char *run, const vz_points *pts, size_t total, bool sampled)
{
    buf_puts(out, "{\"run\":");
    buf_put_json_string(out, run);
    buf_printf(out, ",\"total\":%zu,\"sampled\":%s,\"points\":[", total, sampled ? "true" : "false");
    for (size_t i = 0; i < pts->count; i++) {
        if (i) buf_putc(out, ',');
        buf_putc(out, '[');
        buf_put_int64(out, pts->points[i].step);
        buf_putc(out, ',');
        buf_put_json_double(out, pts->points[i].wall_time_s);
        buf_putc(out, ',');
        buf_put_json_double(out, pts->points[i].value);
        buf_putc(out, ']');
    }
    buf_puts(out, "]}");
}

int api_scalars(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    scalars_query q;
    if (parse_query(req, &q, err) < 0) return -1;
    vz_buf *out = &res->body;
    if (q.is_csv) {
        buf_puts(out, "run,step,wall_time,value\n");
    } else {
        buf_puts(out, "{\"tag\":");
        buf_put_json_string(out, q.tag);
        buf_puts(out, ",\"series\":[");
    }
    for (size_t i = 0; i < q.run_count; i++) {
        vz_points pts;
        if (store_read_scalars(app->store, q.runs[i], q.tag, q.start, q.end, &pts, err) < 0) return -1;
        size_t total = pts.count;
        bool sampled = reduce_for_display(&pts, q.points);
        if (q.is_csv) {
            put_csv_series(out, q.runs[i], &pts);
        } else {
            if (i) buf_putc(out, ',');
            put_json_series(out, q.runs[i], &pts, total, sampled);
        }
        store_points_free(&pts);
    }
    if (!q.is_csv) buf_puts(out, "]}\n");
    res->status = 200;
    res->content_type = q.is_csv ? "text/csv; charset=utf-8" : "application/json";
    return 0;
}
