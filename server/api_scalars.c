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

typedef struct {
    const char *tag;
    const char *runs[VZ_MAX_RUNS_PER_QUERY];
    size_t run_count;
    int64_t start, end;
    size_t points;
    bool is_csv;
} scalars_query;

static int parse_query(const http_request *req, scalars_query *q, vz_error *err)
{
    if (http_query_name(req, "tag", &q->tag, err) < 0) return -1;
    if (http_query_names(req, "run", q->runs, VZ_MAX_RUNS_PER_QUERY, &q->run_count, err) < 0) return -1;
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

/* Collects one run's points for the answer while they stream out of the store: the raw points as long as
 * there are no more than `limit` of them, and at the same time their M4 reduction, which is what is sent
 * once the raw points overflow the limit. limit 0 means "everything". */
typedef struct {
    size_t limit;
    size_t total;
    vz_points raw;
    size_t raw_cap;
    m4_reducer m4;
    vz_point *reduced;
} display_series;

static void display_begin(void *ctx, int64_t first_step, int64_t last_step)
{
    display_series *d = ctx;
    if (d->limit == 0) return;
    d->reduced = malloc(4 * d->limit * sizeof *d->reduced);
    if (!d->reduced) abort();
    m4_init(&d->m4, first_step, last_step, d->limit, d->reduced);
}

static void display_points(void *ctx, const int64_t *steps, const double *wall_times_s, const double *values,
                           size_t count)
{
    display_series *d = ctx;
    if (d->limit) m4_add_columns(&d->m4, steps, wall_times_s, values, count);
    /* Raw points are kept only up to the limit: past it the reduction is what will be sent. */
    size_t room = d->limit == 0 ? count : d->total < d->limit ? d->limit - d->total : 0;
    size_t keep = room < count ? room : count;
    d->total += count - keep;
    for (size_t i = 0; i < keep; i++) {
        if (d->raw.count == d->raw_cap) {
            d->raw_cap = d->raw_cap ? d->raw_cap * 2 : 1024;
            d->raw.points = realloc(d->raw.points, d->raw_cap * sizeof *d->raw.points);
            if (!d->raw.points) abort();
        }
        d->raw.points[d->raw.count++] = (vz_point){steps[i], wall_times_s[i], values[i]};
        d->total++;
    }
}

/* The points to send: the raw ones, or the reduction when there were more than the limit. */
static vz_points display_result(display_series *d, bool *sampled)
{
    *sampled = d->limit && d->total > d->limit;
    if (!*sampled) return d->raw;
    return (vz_points){d->reduced, m4_finish(&d->m4)};
}

static void display_free(display_series *d)
{
    free(d->raw.points);
    free(d->reduced);
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
        display_series d = {.limit = q.points};
        store_scalar_visitor visitor = {display_begin, display_points, &d};
        if (store_scan_scalars(app->store, q.runs[i], q.tag, q.start, q.end, &visitor, err) < 0) {
            display_free(&d);
            return -1;
        }
        bool sampled;
        vz_points pts = display_result(&d, &sampled);
        if (q.is_csv) {
            put_csv_series(out, q.runs[i], &pts);
        } else {
            if (i) buf_putc(out, ',');
            put_json_series(out, q.runs[i], &pts, d.total, sampled);
        }
        display_free(&d);
    }
    if (!q.is_csv) buf_puts(out, "]}\n");
    res->status = 200;
    res->content_type = q.is_csv ? "text/csv; charset=utf-8" : "application/json";
    return 0;
}
