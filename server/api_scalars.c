/* api_scalars.c -- GET /api/v1/scalars: the points of one tag for one or more runs, as JSON or CSV.
 *
 * With more points in the requested step range than `points` (default 1000), each run's series is
 * reduced with M4 over `points` equal step buckets of the range (downsample.c): at most 4 points per
 * bucket, every extreme kept. points=0 sends everything, for export.
 *
 * Four forms: JSON rows ([step, wall_time, value] per point, the default), JSON columns (format=columns:
 * "steps", "values" and, when asked with fields=, "wall_times" arrays per run: about half the bytes
 * when the wall times are left out, which a chart over steps does not need), the same columns in bytes
 * (format=binary: a JSON header per run, then steps as varint deltas and values as float32 when every
 * value of the run is exact in it, else float64; bincol.c encodes the numbers), and CSV. Both columnar
 * forms are written by one column writer, which differs only in how a number becomes bytes.
 *
 * The answer is streamed: the HTTP layer pulls it as the client takes it, one run at a time, and with
 * points=0 one stored block (1,024 points) at a time through a store cursor, so memory stays constant
 * however many points are sent. A client that goes away closes the stream, and with it the work. Every
 * run is checked before the first byte, so an unknown run is still a plain 404. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/api.h"
#include "vizd/bincol.h"
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
    bool is_columns; /* format=columns or format=binary */
    bool is_binary;  /* format=binary: the columns in bytes */
    unsigned fields; /* the columnar forms: the FIELD_ bits of the columns sent */
} scalars_query;

enum { FIELD_STEP = 1, FIELD_WALL_TIME = 2, FIELD_VALUE = 4 };

/* fields=step,value[,wall_time]: a comma-separated set of column names, in any order. */
static int parse_fields(const char *text, unsigned *out, vz_error *err)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"step", FIELD_STEP}, {"wall_time", FIELD_WALL_TIME}, {"value", FIELD_VALUE}};
    *out = 0;
    for (const char *p = text;; p++) {
        size_t len = strcspn(p, ","), i = 0;
        while (i < sizeof names / sizeof *names && !(strlen(names[i].name) == len && strncmp(p, names[i].name, len) == 0))
            i++;
        if (i == sizeof names / sizeof *names)
            return vz_fail(err, 400, "invalid_value", "fields", "expected names among step, wall_time, value, separated by commas");
        if (*out & names[i].bit) return vz_fail(err, 400, "invalid_value", "fields", "names %s twice", names[i].name);
        *out |= names[i].bit;
        p += len;
        if (!*p) return 0;
    }
}

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
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0 && strcmp(format, "columns") != 0 &&
        strcmp(format, "binary") != 0)
        return vz_fail(err, 400, "invalid_value", "format", "expected json, columns, binary or csv");
    q->is_csv = format && strcmp(format, "csv") == 0;
    q->is_binary = format && strcmp(format, "binary") == 0;
    q->is_columns = q->is_binary || (format && strcmp(format, "columns") == 0);
    /* Columns are written run by run from the collected points (a binary run's header counts them before
     * they follow); an export of every point is streamed a block at a time, which only the row forms
     * allow. */
    if (q->is_columns && q->points == 0)
        return vz_fail(err, 400, "invalid_value", "format", "%s answers reduced reads (points 1 to %d); export with json or csv",
                       format, MAX_DISPLAY_POINTS);
    const char *fields = http_query(req, "fields");
    q->fields = FIELD_STEP | FIELD_VALUE;
    if (fields && !q->is_columns)
        return vz_fail(err, 400, "invalid_value", "fields", "only with format=columns or format=binary");
    if (fields && parse_fields(fields, &q->fields, err) < 0) return -1;
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
    bool is_failed; /* out of memory: the collection is incomplete */
} display_series;

static void display_begin(void *ctx, int64_t first_step, int64_t last_step)
{
    display_series *d = ctx;
    if (d->limit == 0) return;
    d->reduced = malloc(4 * d->limit * sizeof *d->reduced);
    if (!d->reduced) {
        d->is_failed = true;
        d->limit = 0; /* nothing below touches the reduction any more */
        return;
    }
    m4_init(&d->m4, first_step, last_step, d->limit, d->reduced);
}

static void display_points(void *ctx, const int64_t *steps, const double *wall_times_s, const double *values,
                           size_t count)
{
    display_series *d = ctx;
    if (d->is_failed) return;
    if (d->limit) m4_add_columns(&d->m4, steps, wall_times_s, values, count);
    /* Raw points are kept only up to the limit: past it the reduction is what will be sent. */
    size_t room = d->limit == 0 ? count : d->total < d->limit ? d->limit - d->total : 0;
    size_t keep = room < count ? room : count;
    d->total += count - keep;
    for (size_t i = 0; i < keep; i++) {
        if (d->raw.count == d->raw_cap) {
            size_t cap = d->raw_cap ? d->raw_cap * 2 : 1024;
            vz_point *grown = realloc(d->raw.points, cap * sizeof *grown);
            if (!grown) {
                d->is_failed = true;
                return;
            }
            d->raw.points = grown;
            d->raw_cap = cap;
        }
        d->raw.points[d->raw.count++] = (vz_point){steps[i], wall_times_s[i], values[i]};
        d->total++;
    }
}

/* With more points in the range than the limit, the store hands over whole blocks and groups of blocks
 * that fall in one bucket as summaries (raw points are then no longer collected whole, and not sent). */
static int64_t display_span_last_step(void *ctx, int64_t step)
{
    display_series *d = ctx;
    return m4_bucket_last_step(&d->m4, step);
}

static void display_summary(void *ctx, const vz_m4_summary *summary)
{
    display_series *d = ctx;
    if (d->is_failed) return;
    m4_add_summary(&d->m4, summary);
    d->total += summary->count;
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

static void put_point(vz_buf *out, bool is_csv, const char *run, bool is_first, int64_t step, double wall_time_s,
                      double value)
{
    if (is_csv) {
        put_csv_field(out, run);
        buf_putc(out, ',');
        buf_put_int64(out, step);
        buf_putc(out, ',');
        buf_put_plain_double(out, wall_time_s);
        buf_putc(out, ',');
        buf_put_plain_double(out, value);
        buf_putc(out, '\n');
        return;
    }
    buf_puts(out, is_first ? "[" : ",[");
    buf_put_int64(out, step);
    buf_putc(out, ',');
    buf_put_json_double(out, wall_time_s);
    buf_putc(out, ',');
    buf_put_json_double(out, value);
    buf_putc(out, ']');
}

/* How a column's numbers are written: as JSON text (format=columns), or in bytes (format=binary). */
typedef enum { COLUMN_JSON, COLUMN_ZIGZAG_DELTA, COLUMN_FLOAT32, COLUMN_FLOAT64 } column_encoding;

/* The columns in the order both columnar forms write them, and the names the binary header gives their
 * encodings. */
static const struct {
    const char *key;
    unsigned field;
} COLUMNS[] = {{"steps", FIELD_STEP}, {"wall_times", FIELD_WALL_TIME}, {"values", FIELD_VALUE}};
#define COLUMN_COUNT (sizeof COLUMNS / sizeof *COLUMNS)
static const char *const ENCODING_NAMES[] = {[COLUMN_ZIGZAG_DELTA] = "zigzag-delta-varint",
                                             [COLUMN_FLOAT32] = "float32", [COLUMN_FLOAT64] = "float64"};

static double double_field(const vz_point *p, unsigned field)
{
    return field == FIELD_VALUE ? p->value : p->wall_time_s;
}

/* A binary column's encoding: steps as deltas; values as float32 when every one of the run is exact in
 * it (a float32 loss widened to double is, and costs 4 bytes instead of 8); wall times as float64 (Unix
 * seconds with a fraction are not exact in float32). */
static column_encoding binary_encoding(unsigned field, vz_points pts)
{
    if (field == FIELD_STEP) return COLUMN_ZIGZAG_DELTA;
    if (field == FIELD_WALL_TIME) return COLUMN_FLOAT64;
    for (size_t i = 0; i < pts.count; i++)
        if (!bincol_is_float32(pts.points[i].value)) return COLUMN_FLOAT64;
    return COLUMN_FLOAT32;
}

/* One column: that field of every point, in the points' order. */
static void put_column(vz_buf *out, unsigned field, column_encoding encoding, vz_points pts)
{
    int64_t previous = 0; /* the first step's delta is from 0 */
    for (size_t i = 0; i < pts.count; i++) {
        const vz_point *p = &pts.points[i];
        switch (encoding) {
        case COLUMN_JSON:
            if (i) buf_putc(out, ',');
            if (field == FIELD_STEP) buf_put_int64(out, p->step);
            else buf_put_json_double(out, double_field(p, field));
            break;
        case COLUMN_ZIGZAG_DELTA:
            bincol_put_varint(out, bincol_zigzag(bincol_step_delta(p->step, previous)));
            previous = p->step;
            break;
        case COLUMN_FLOAT32: bincol_put_float32(out, double_field(p, field)); break;
        case COLUMN_FLOAT64: bincol_put_float64(out, double_field(p, field)); break;
        }
    }
}

/* One run's columns, one per field asked for, the points in the same order in each: JSON arrays, or
 * the bytes of the encodings the binary header named. */
static void put_columns(vz_buf *out, unsigned fields, const column_encoding encodings[COLUMN_COUNT], vz_points pts)
{
    for (size_t c = 0; c < COLUMN_COUNT; c++) {
        if (!(fields & COLUMNS[c].field)) continue;
        if (encodings[c] == COLUMN_JSON) {
            buf_puts(out, ",\"");
            buf_puts(out, COLUMNS[c].key);
            buf_puts(out, "\":[");
        }
        put_column(out, COLUMNS[c].field, encodings[c], pts);
        if (encodings[c] == COLUMN_JSON) buf_putc(out, ']');
    }
}

/* The answer being streamed. Its strings are copied: it outlives the handler. */
typedef struct {
    vz_store *store;
    scalars_query q;
    char *strings;              /* tag and runs, which q points into */
    size_t run_index;           /* the run being sent, or the next one */
    store_scalar_cursor *cursor; /* points=0: the run being sent, a block at a time */
    size_t run_points;          /* points of that run sent so far */
    bool has_started;
    vz_buf *pending;            /* where the piece being produced goes (http_answer_produced's out) */
} scalars_stream;

static void stream_free(void *ctx)
{
    scalars_stream *st = ctx;
    store_scalar_cursor_close(st->cursor);
    free(st->strings);
    free(st);
}

static void put_run_start(scalars_stream *st)
{
    if (st->q.is_csv) return;
    if (st->run_index) buf_putc(st->pending, ',');
    buf_puts(st->pending, "{\"run\":");
    buf_put_json_string(st->pending, st->q.runs[st->run_index]);
    if (!st->q.is_columns) buf_puts(st->pending, ",\"points\":[");
}

/* What a run's object says of its points besides them. */
static void put_run_counts(vz_buf *out, size_t total, bool sampled)
{
    buf_puts(out, ",\"total\":");
    buf_put_int64(out, (int64_t)total);
    buf_puts(out, sampled ? ",\"sampled\":true" : ",\"sampled\":false");
}

static void put_run_end(scalars_stream *st, size_t total, bool sampled)
{
    if (!st->q.is_csv) {
        if (!st->q.is_columns) buf_putc(st->pending, ']');
        put_run_counts(st->pending, total, sampled);
        buf_putc(st->pending, '}');
    }
    st->run_index++;
}

/* A frame of the binary form: the u32 length of a JSON object, then the object. */
static void put_binary_header(vz_buf *out, const vz_buf *header)
{
    if (header->is_failed) out->is_failed = true; /* an incomplete header must not pass for a whole one */
    bincol_put_u32(out, (uint32_t)header->len);
    buf_append(out, header->data, header->len);
}

/* The start of the binary form: the magic, then the frame of the answer's header. */
static void put_binary_start(vz_buf *out, const char *tag)
{
    vz_buf header;
    buf_init(&header);
    buf_puts(&header, "{\"tag\":");
    buf_put_json_string(&header, tag);
    buf_putc(&header, '}');
    buf_append(out, BINCOL_MAGIC, 4);
    put_binary_header(out, &header);
    buf_free(&header);
}

/* One run of the binary form: a frame whose object is the run's object of format=columns without the
 * arrays, plus the point count and each column's encoding; the columns' bytes follow it. */
static void put_binary_run(scalars_stream *st, vz_points pts, size_t total, bool sampled)
{
    column_encoding encodings[COLUMN_COUNT];
    vz_buf header;
    buf_init(&header);
    buf_puts(&header, "{\"run\":");
    buf_put_json_string(&header, st->q.runs[st->run_index]);
    put_run_counts(&header, total, sampled);
    buf_puts(&header, ",\"count\":");
    buf_put_int64(&header, (int64_t)pts.count);
    buf_puts(&header, ",\"encodings\":{");
    bool is_first = true;
    for (size_t c = 0; c < COLUMN_COUNT; c++) {
        if (!(st->q.fields & COLUMNS[c].field)) continue;
        encodings[c] = binary_encoding(COLUMNS[c].field, pts);
        buf_printf(&header, "%s\"%s\":\"%s\"", is_first ? "" : ",", COLUMNS[c].key, ENCODING_NAMES[encodings[c]]);
        is_first = false;
    }
    buf_puts(&header, "}}");
    put_binary_header(st->pending, &header);
    buf_free(&header);
    put_columns(st->pending, st->q.fields, encodings, pts);
    st->run_index++;
}

/* A reduced run in the row forms or as JSON columns. */
static void put_json_or_csv_run(scalars_stream *st, vz_points pts, size_t total, bool sampled)
{
    static const column_encoding json_encodings[COLUMN_COUNT] = {COLUMN_JSON, COLUMN_JSON, COLUMN_JSON};
    const char *run = st->q.runs[st->run_index];
    put_run_start(st);
    if (st->q.is_columns)
        put_columns(st->pending, st->q.fields, json_encodings, pts);
    else
        for (size_t i = 0; i < pts.count; i++)
            put_point(st->pending, st->q.is_csv, run, i == 0, pts.points[i].step, pts.points[i].wall_time_s,
                      pts.points[i].value);
    put_run_end(st, total, sampled);
}

/* One reduced run, collected whole: at most 4 x points of it are kept, whatever the series holds. */
static int put_reduced_run(scalars_stream *st, vz_error *err)
{
    const char *run = st->q.runs[st->run_index];
    display_series d = {.limit = st->q.points};
    store_scalar_visitor visitor = {.begin = display_begin, .points = display_points, .ctx = &d};
    if (d.limit) {
        visitor.span_last_step = display_span_last_step;
        visitor.summary = display_summary;
        visitor.summarise_above = d.limit;
    }
    int rc = store_scan_scalars(st->store, run, st->q.tag, st->q.start, st->q.end, &visitor, err);
    if (rc == 0 && d.is_failed) rc = vz_out_of_memory(err, "the answer");
    if (rc == 0) {
        bool sampled;
        vz_points pts = display_result(&d, &sampled);
        if (st->q.is_binary) put_binary_run(st, pts, d.total, sampled);
        else put_json_or_csv_run(st, pts, d.total, sampled);
    }
    display_free(&d);
    return rc;
}

/* The next block of a run sent whole (points=0); opens the run's cursor first and ends the run after its
 * last block. */
static int put_raw_block(scalars_stream *st, vz_error *err)
{
    const char *run = st->q.runs[st->run_index];
    if (!st->cursor) {
        if (store_scalar_cursor_open(st->store, run, st->q.tag, st->q.start, st->q.end, &st->cursor, err) < 0)
            return -1;
        st->run_points = 0;
        put_run_start(st);
    }
    const int64_t *steps;
    const double *walls, *values;
    size_t n;
    if (store_scalar_cursor_next(st->cursor, &steps, &walls, &values, &n, err) < 0) return -1;
    for (size_t i = 0; i < n; i++)
        put_point(st->pending, st->q.is_csv, run, st->run_points + i == 0, steps[i], walls[i], values[i]);
    st->run_points += n;
    if (n == 0) {
        store_scalar_cursor_close(st->cursor);
        st->cursor = NULL;
        put_run_end(st, st->run_points, false);
    }
    return 0;
}

/* Format the next piece of the answer into out. */
static int produce(void *ctx, vz_buf *out, bool *is_done, vz_error *err)
{
    scalars_stream *st = ctx;
    st->pending = out;
    if (!st->has_started) {
        st->has_started = true;
        if (st->q.is_csv) {
            buf_puts(out, "run,step,wall_time,value\n");
        } else if (st->q.is_binary) {
            put_binary_start(out, st->q.tag);
        } else {
            buf_puts(out, "{\"tag\":");
            buf_put_json_string(out, st->q.tag);
            buf_puts(out, ",\"series\":[");
        }
        return 0;
    }
    if (st->run_index == st->q.run_count) {
        if (st->q.is_binary) bincol_put_u32(out, 0); /* an empty frame: the answer is whole */
        else if (!st->q.is_csv) buf_puts(out, "]}\n");
        *is_done = true;
        return 0;
    }
    return st->q.points ? put_reduced_run(st, err) : put_raw_block(st, err);
}

/* Copy the query's strings into one allocation the stream owns. */
static int copy_strings(scalars_stream *st, vz_error *err)
{
    size_t bytes = strlen(st->q.tag) + 1;
    for (size_t i = 0; i < st->q.run_count; i++) bytes += strlen(st->q.runs[i]) + 1;
    char *p = st->strings = malloc(bytes);
    if (!p) return vz_out_of_memory(err, "the answer");
    const char **fields[VZ_MAX_RUNS_PER_QUERY + 1];
    fields[0] = &st->q.tag;
    for (size_t i = 0; i < st->q.run_count; i++) fields[i + 1] = &st->q.runs[i];
    for (size_t i = 0; i <= st->q.run_count; i++) {
        size_t n = strlen(*fields[i]) + 1;
        memcpy(p, *fields[i], n);
        *fields[i] = p;
        p += n;
    }
    return 0;
}

int api_scalars(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    scalars_stream *st = calloc(1, sizeof *st);
    if (!st) return vz_out_of_memory(err, "the answer");
    st->store = app->store;
    if (parse_query(req, &st->q, err) < 0 || store_check_runs(app->store, st->q.runs, st->q.run_count, err) < 0 ||
        copy_strings(st, err) < 0) {
        stream_free(st);
        return -1;
    }
    /* A piece is a block of points, or one reduced run (at most 400,000 points). */
    const char *type = st->q.is_csv ? "text/csv; charset=utf-8" : st->q.is_binary ? BINCOL_MEDIA_TYPE : "application/json";
    return http_answer_produced(res, type, produce, stream_free, st, (size_t)64 << 20, err);
}
