/* api_histograms.c -- histograms in and out: the "histograms" items of POST /api/v1/write, raw value
 * uploads on POST /api/v1/histograms, and GET /api/v1/histograms and /api/v1/distributions.
 *
 * A histogram arrives as raw values (binned here by histogram.c, with TensorBoard's edges, or with
 * bins=N equal bins) or as precomputed buckets in HistogramProto's shape. Reads convert each step as
 * TensorBoard does (buckets from the first to the last non-empty one, min and max as outer edges), and
 * the distributions are TensorBoard's compressed histograms at its nine basis points. Series with many
 * steps are thinned for display: at most `steps` (default 100) steps, evenly spread, the last kept. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/clock.h"
#include "vizd/api.h"
#include "vizd/histogram.h"
#include "vizd/json.h"

#define DEFAULT_DISPLAY_STEPS 100

/* ---- parsing the "histograms" items of a write ----------------------------------------------- */

static int get_number_field(const json_t *item, const char *key, const char *path, double *out, vz_error *err)
{
    char field[160];
    snprintf(field, sizeof field, "%s.%s", path, key);
    const json_t *v = json_object_get(item, key);
    if (!v) return vz_fail(err, 400, "missing_field", field, "required with bucket_limits and bucket_counts");
    return json_get_value(v, field, out, err);
}

/* A JSON array of values into a new C array (*out, freed by the caller even on error). */
static int get_number_array(const json_t *item, const char *key, const char *path, double **out, size_t *len,
                            vz_error *err)
{
    char field[160];
    snprintf(field, sizeof field, "%s.%s", path, key);
    const json_t *array = json_object_get(item, key);
    *out = NULL;
    *len = 0;
    if (!array) return vz_fail(err, 400, "missing_field", field, "required");
    if (!json_is_array(array)) return vz_fail(err, 400, "invalid_value", field, "expected an array of numbers");
    *len = json_array_size(array);
    *out = malloc((*len ? *len : 1) * sizeof **out);
    if (!*out) return vz_out_of_memory(err, "the histogram values");
    for (size_t i = 0; i < *len; i++) {
        const json_t *v = json_array_get(array, i);
        if (json_is_number(v)) {
            (*out)[i] = json_number_value(v);
            continue;
        }
        snprintf(field, sizeof field, "%s.%s[%zu]", path, key, i);
        if (json_get_value(v, field, &(*out)[i], err) < 0) return -1;
    }
    return 0;
}

/* histogram.c names fields relative to the histogram ("values", "bins"); make them absolute. */
static int prefix_error_path(vz_error *err, const char *prefix)
{
    char relative[sizeof err->path], detail[sizeof err->message], code[sizeof err->code];
    snprintf(code, sizeof code, "%s", err->code);
    snprintf(relative, sizeof relative, "%s", err->path);
    size_t skip = relative[0] ? strlen(relative) + 2 : 0; /* the message starts with "path: " */
    snprintf(detail, sizeof detail, "%s", strlen(err->message) >= skip ? err->message + skip : err->message);
    char path[2 * sizeof err->path]; /* vz_fail cuts it to fit */
    snprintf(path, sizeof path, "%s%s%s", prefix, relative[0] ? "." : "", relative);
    return vz_fail(err, err->status, code, path, "%s", detail);
}

static int parse_raw_values(const json_t *item, const char *path, vz_histogram *out, vz_error *err)
{
    double *values;
    size_t n;
    int bins = 0;
    const json_t *bins_json = json_object_get(item, "bins");
    if (bins_json) {
        char field[160];
        snprintf(field, sizeof field, "%s.bins", path);
        if (!json_is_integer(bins_json) || json_integer_value(bins_json) < 0 ||
            json_integer_value(bins_json) > HIST_MAX_EQUAL_BINS)
            return vz_fail(err, 400, "invalid_value", field, "expected 0 (TensorBoard's edges) or 1 to %d",
                           HIST_MAX_EQUAL_BINS);
        bins = (int)json_integer_value(bins_json);
    }
    int rc = get_number_array(item, "values", path, &values, &n, err);
    if (rc == 0 && hist_from_values(values, n, bins, out, err) < 0) rc = prefix_error_path(err, path);
    free(values);
    return rc;
}

static int parse_buckets(const json_t *item, const char *path, vz_histogram *out, vz_error *err)
{
    vz_histogram_input in = {0};
    double *limits = NULL, *counts = NULL;
    int rc = 0;
    const char *const names[5] = {"min", "max", "num", "sum", "sum_squares"};
    double *fields[5] = {&in.min, &in.max, &in.num, &in.sum, &in.sum_squares};
    for (int i = 0; i < 5 && rc == 0; i++) rc = get_number_field(item, names[i], path, fields[i], err);
    if (rc == 0) rc = get_number_array(item, "bucket_limits", path, &limits, &in.bucket_limits_len, err);
    if (rc == 0) rc = get_number_array(item, "bucket_counts", path, &counts, &in.bucket_counts_len, err);
    in.bucket_limits = limits;
    in.bucket_counts = counts;
    if (rc == 0) rc = hist_from_buckets(&in, path, out, err);
    free(limits);
    free(counts);
    return rc < 0 ? -1 : 0;
}

static int parse_histogram_item(const json_t *v, size_t index, double received_at_s, vz_histogram_item *item,
                                vz_error *err)
{
    static const char *const keys[] = {"tag", "step", "wall_time", "values", "bins", "min", "max", "num", "sum",
                                       "sum_squares", "bucket_limits", "bucket_counts", NULL};
    char path[64], field[96];
    snprintf(path, sizeof path, "histograms[%zu]", index);
    if (!json_is_object(v)) return vz_fail(err, 400, "invalid_value", path, "expected an object");
    if (json_check_keys(v, keys, path, err) < 0) return -1;
    const char *tag_name;
    if (json_get_item_tag(v, path, &tag_name, err) < 0) return -1;
    const json_t *step = json_object_get(v, "step"), *wall = json_object_get(v, "wall_time");
    snprintf(field, sizeof field, "%s.step", path);
    if (step && json_get_step(step, field, &item->step, err) < 0) return -1;
    item->needs_step = step == NULL;
    item->wall_time_s = received_at_s;
    snprintf(field, sizeof field, "%s.wall_time", path);
    if (wall && json_get_wall_time(wall, field, &item->wall_time_s, err) < 0) return -1;
    /* Exactly one of the two forms, with no field of the other: a stray field would be dropped silently. */
    static const char *const bucket_fields[] = {"bucket_limits", "bucket_counts", "min", "max", "num", "sum",
                                                "sum_squares", NULL};
    bool has_values = json_object_get(v, "values") != NULL;
    bool has_buckets = json_object_get(v, "bucket_limits") || json_object_get(v, "bucket_counts");
    if (!has_values && !has_buckets) {
        snprintf(field, sizeof field, "%s.values", path);
        return vz_fail(err, 400, "missing_field", field, "required (or bucket_limits and bucket_counts)");
    }
    for (const char *const *f = bucket_fields; has_values && *f; f++)
        if (json_object_get(v, *f)) {
            snprintf(field, sizeof field, "%s.%s", path, *f);
            return vz_fail(err, 400, "invalid_value", field, "send either values or the bucket form, not both");
        }
    if (!has_values && json_object_get(v, "bins")) {
        snprintf(field, sizeof field, "%s.bins", path);
        return vz_fail(err, 400, "invalid_value", field, "bins applies to raw values only");
    }
    int rc = has_values ? parse_raw_values(v, path, &item->histogram, err)
                        : parse_buckets(v, path, &item->histogram, err);
    if (rc == 0 && !(item->tag = strdup(tag_name))) rc = vz_out_of_memory(err, "the write");
    return rc;
}

int histograms_parse(const json_t *array, double received_at_s, vz_write *out, vz_error *err)
{
    if (!json_is_array(array)) return vz_fail(err, 400, "invalid_value", "histograms", "expected an array");
    size_t n = json_array_size(array);
    out->histograms = calloc(n ? n : 1, sizeof *out->histograms);
    if (!out->histograms) return vz_out_of_memory(err, "the write");
    for (size_t i = 0; i < n; i++) {
        out->histogram_count = i + 1; /* so write_free releases a half-parsed item too */
        if (parse_histogram_item(json_array_get(array, i), i, received_at_s, &out->histograms[i], err) < 0)
            return -1;
    }
    return 0;
}

/* ---- raw upload: POST /api/v1/histograms?run=&tag=&step=[&dtype=][&bins=] ---------------------- */

/* Check the body's length against the dtype; the values are then binned where they lie (see
 * hist_from_le_bytes): the body is the only copy of them. */
static int check_raw_values(const http_request *req, const char *dtype, bool *is_float32, size_t *n, vz_error *err)
{
    *is_float32 = !dtype || strcmp(dtype, "float32") == 0;
    if (!*is_float32 && strcmp(dtype, "float64") != 0)
        return vz_fail(err, 400, "invalid_value", "dtype", "expected float32 or float64");
    size_t width = *is_float32 ? sizeof(float) : sizeof(double);
    if (req->body_len == 0) return vz_fail(err, 400, "invalid_value", "body", "expected at least one value");
    if (req->body_len % width)
        return vz_fail(err, 400, "invalid_value", "body", "%zu bytes is not a whole number of %s values",
                       req->body_len, *is_float32 ? "float32" : "float64");
    *n = req->body_len / width;
    return 0;
}

int api_histograms_upload(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    const char *run, *tag;
    int64_t step, bins;
    if (http_query_name(req, "run", &run, err) < 0 || http_query_name(req, "tag", &tag, err) < 0) return -1;
    bool needs_step = http_query(req, "step") == NULL;
    if (http_query_int64(req, "step", 0, &step, err) < 0 || http_query_int64(req, "bins", 0, &bins, err) < 0)
        return -1;
    if (bins < 0 || bins > HIST_MAX_EQUAL_BINS)
        return vz_fail(err, 400, "invalid_value", "bins", "expected 0 (TensorBoard's edges) or 1 to %d",
                       HIST_MAX_EQUAL_BINS);
    bool is_float32;
    size_t n = 0;
    if (check_raw_values(req, http_query(req, "dtype"), &is_float32, &n, err) < 0) return -1;
    vz_histogram_item item = {.step = step, .needs_step = needs_step};
    if (http_query_wall_time(req, clock_now_s(), &item.wall_time_s, err) < 0) return -1;
    int rc = hist_from_le_bytes(req->body, n, is_float32, (int)bins, &item.histogram, err);
    if (rc < 0) return -1;
    item.tag = (char *)tag;
    vz_write write = {.run = (char *)run, .histograms = &item, .histogram_count = 1};
    rc = store_write(app->store, &write, err);
    hist_free(&item.histogram);
    if (rc < 0) return -1;
    buf_puts(&res->body, "{\"run\":");
    buf_put_json_string(&res->body, run);
    buf_printf(&res->body, ",\"written\":{\"histograms\":1},\"step\":%lld}\n", (long long)item.step);
    http_set_json(res, 200);
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------------ */

typedef void (*step_writer)(vz_buf *out, const vz_histogram_step *step);

static void put_step_header(vz_buf *out, const vz_histogram_step *s)
{
    buf_puts(out, "{\"step\":");
    buf_put_int64(out, s->step);
    buf_puts(out, ",\"wall_time\":");
    buf_put_json_double(out, s->wall_time_s);
}

static void put_histogram_step(vz_buf *out, const vz_histogram_step *s)
{
    const vz_histogram *h = &s->histogram;
    put_step_header(out, s);
    const char *names[5] = {"min", "max", "num", "sum", "sum_squares"};
    double values[5] = {h->min, h->max, h->num, h->sum, h->sum_squares};
    for (int i = 0; i < 5; i++) {
        buf_printf(out, ",\"%s\":", names[i]);
        buf_put_json_double(out, values[i]);
    }
    vz_bucket *buckets = malloc((h->bucket_count ? h->bucket_count : 1) * sizeof *buckets);
    if (!buckets) {
        out->is_failed = true; /* the answer is then refused as out of memory (buf.h) */
        return;
    }
    size_t n = hist_to_buckets(h, buckets);
    buf_puts(out, ",\"buckets\":[");
    for (size_t i = 0; i < n; i++) {
        buf_puts(out, i ? ",[" : "[");
        buf_put_json_double(out, buckets[i].left);
        buf_putc(out, ',');
        buf_put_json_double(out, buckets[i].right);
        buf_putc(out, ',');
        buf_put_json_double(out, buckets[i].count);
        buf_putc(out, ']');
    }
    buf_puts(out, "]}");
    free(buckets);
}

static void put_distribution_step(vz_buf *out, const vz_histogram_step *s)
{
    double values[HIST_BASIS_POINT_COUNT];
    hist_compress(&s->histogram, values);
    put_step_header(out, s);
    buf_puts(out, ",\"percentiles\":[");
    for (int i = 0; i < HIST_BASIS_POINT_COUNT; i++) {
        buf_printf(out, "%s[%d,", i ? "," : "", hist_basis_points[i]);
        buf_put_json_double(out, values[i]);
        buf_putc(out, ']');
    }
    buf_puts(out, "]}");
}

static int answer_histograms(vz_app *app, const http_request *req, http_response *res, step_writer write_step,
                             vz_error *err)
{
    const char *tag, *runs[VZ_MAX_RUNS_PER_QUERY];
    if (http_query_name(req, "tag", &tag, err) < 0) return -1;
    size_t run_count;
    if (http_query_names(req, "run", runs, VZ_MAX_RUNS_PER_QUERY, &run_count, err) < 0) return -1;
    int64_t max_steps;
    if (http_query_int64(req, "steps", DEFAULT_DISPLAY_STEPS, &max_steps, err) < 0) return -1;
    if (max_steps < 0) return vz_fail(err, 400, "invalid_value", "steps", "expected 0 (all) or more");
    vz_buf *out = &res->body;
    buf_puts(out, "{\"tag\":");
    buf_put_json_string(out, tag);
    buf_puts(out, ",\"series\":[");
    for (size_t i = 0; i < run_count; i++) {
        vz_histogram_steps steps;
        if (store_read_histograms(app->store, runs[i], tag, (size_t)max_steps, &steps, err) < 0) return -1;
        buf_puts(out, i ? ",{\"run\":" : "{\"run\":");
        buf_put_json_string(out, runs[i]);
        buf_printf(out, ",\"total\":%zu,\"steps\":[", steps.total);
        for (size_t k = 0; k < steps.count; k++) {
            if (k) buf_putc(out, ',');
            write_step(out, &steps.steps[k]);
        }
        buf_puts(out, "]}");
        store_histogram_steps_free(&steps);
    }
    buf_puts(out, "]}\n");
    http_set_json(res, 200);
    return 0;
}

int api_histograms(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    return answer_histograms(app, req, res, put_histogram_step, err);
}

int api_distributions(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    return answer_histograms(app, req, res, put_distribution_step, err);
}
