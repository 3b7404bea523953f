/* import.c -- TensorBoard event files into the store.
 *
 * tfevents.c decodes records; this file decides what each Summary.Value becomes and gathers the results
 * into vz_write batches of at most IMPORT_BATCH_ITEMS items, so a file of millions of points is never
 * held in memory at once and each batch commits in one transaction. An event's graph_def becomes the
 * run's model graph (graphdef.c; the last one of a run wins, as a new add_graph replaces the graph), and
 * the hparams plugin data add_hparams writes the run's hparams. Batches are handed on only between
 * records, so a batch always ends at a record boundary: --logdir saves that offset with it. What
 * vizd has no place for (audio, pr curves, other plugins, run metadata) is counted as skipped, by kind
 * and with its first tags, rather than refused: an event file mixes kinds, and the rest of it is still
 * worth importing. */
#include "vizd/import.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vizd/write.h"
#include "vizd/graphdef.h"
#include "vizd/json.h"
#include "vizd/media.h"
#include "vizd/summary.h"
#include "vizd/tfevents.h"

#define EVENT_FILE_PREFIX "events.out.tfevents."

typedef struct {
    vz_write write;
    size_t *scalar_capacity; /* per scalar item */
    size_t scalar_items_capacity, histogram_capacity, media_capacity;
    size_t items;
    import_batch_fn on_batch;
    void *ctx;
    import_stats *stats;
    vz_source_progress *source; /* NULL, or the file's progress, sent with every batch (follow mode) */
    const tfe_record_reader *reader;
    json_t *hparams; /* add_hparams' values and metric tags found so far in this file; NULL when none */
    bool has_new_hparams;
} batch;

static int out_of_memory(vz_error *err)
{
    return vz_out_of_memory(err, "importing");
}

static bool grow(void **array, size_t *capacity, size_t needed, size_t element_size)
{
    if (needed <= *capacity) return true;
    size_t n = *capacity ? *capacity * 2 : 16;
    while (n < needed) n *= 2;
    void *grown = realloc(*array, n * element_size);
    if (!grown) return false;
    *array = grown;
    *capacity = n;
    return true;
}

static void batch_reset(batch *b)
{
    char *run = b->write.run;
    b->write.run = NULL;
    write_free(&b->write);
    free(b->scalar_capacity);
    b->scalar_capacity = NULL;
    b->scalar_items_capacity = b->histogram_capacity = b->media_capacity = 0;
    b->items = 0;
    b->write.run = run;
}

/* Hand the batch on. It is only ever called between records, so the reader's offset is exactly where
 * the batch's data ends: saved with it, a resumed read neither repeats nor skips a value. A followed file
 * sends its progress even with no items (records of nothing vizd keeps still move the offset on). */
static int batch_flush(batch *b, vz_error *err)
{
    if (b->has_new_hparams) {
        /* Kept for the whole file: each batch's hparams replace the run's, so each holds all found. */
        free(b->write.hparams_json);
        b->write.hparams_json = json_dumps(b->hparams, JSON_COMPACT | JSON_SORT_KEYS);
        if (!b->write.hparams_json) return out_of_memory(err);
        b->has_new_hparams = false;
        b->items++;
    }
    vz_source_progress reached;
    if (b->source) {
        if (b->items == 0 && b->reader->offset == b->source->offset) return 0;
        reached = *b->source;
        reached.offset = b->reader->offset;
        b->write.source = &reached;
    } else if (b->items == 0) {
        return 0;
    }
    int rc = b->on_batch(b->ctx, &b->write, err);
    if (rc == 0 && b->source) b->source->offset = reached.offset; /* only once it is stored */
    b->write.source = NULL;
    batch_reset(b);
    return rc;
}

/* Count a skipped value under its kind, keeping its tag if it is one of the first of that kind. */
static void note_skip(import_stats *stats, const char *kind, const char *tag)
{
    stats->skipped++;
    import_skip *skip = NULL;
    for (size_t i = 0; i < stats->skip_kinds && !skip; i++)
        if (strcmp(stats->skips[i].kind, kind) == 0) skip = &stats->skips[i];
    if (!skip && stats->skip_kinds < IMPORT_SKIP_KINDS) {
        skip = &stats->skips[stats->skip_kinds++];
        snprintf(skip->kind, sizeof skip->kind, "%s", stats->skip_kinds == IMPORT_SKIP_KINDS ? "other" : kind);
    }
    if (!skip) skip = &stats->skips[IMPORT_SKIP_KINDS - 1]; /* "other" */
    skip->count++;
    if (!tag || !*tag) return;
    for (size_t i = 0; i < skip->tag_count; i++)
        if (strncmp(skip->tags[i], tag, sizeof skip->tags[i] - 1) == 0) return;
    if (skip->tag_count == IMPORT_SKIP_TAGS) {
        skip->has_more_tags = true;
        return;
    }
    snprintf(skip->tags[skip->tag_count++], sizeof skip->tags[0], "%s", tag);
}

void import_describe_skips(const import_stats *stats, vz_buf *out)
{
    for (size_t i = 0; i < stats->skip_kinds; i++) {
        const import_skip *skip = &stats->skips[i];
        buf_printf(out, "%s%s %zu", i ? ", " : "", skip->kind, skip->count);
        for (size_t t = 0; t < skip->tag_count; t++) buf_printf(out, "%s%s", t ? ", " : " (tags ", skip->tags[t]);
        if (skip->tag_count) buf_puts(out, skip->has_more_tags ? ", ...)" : ")");
    }
}

static int batch_counted(batch *b, vz_error *err)
{
    (void)err;
    b->items++; /* the batch is handed on after the record, once full (see batch_flush) */
    return 0;
}

static char *copy_bytes(tfe_bytes bytes)
{
    char *s = malloc(bytes.size + 1);
    if (!s) return NULL;
    if (bytes.size) memcpy(s, bytes.data, bytes.size);
    s[bytes.size] = '\0';
    return s;
}

static int add_scalar(batch *b, const char *tag, int64_t step, double wall_time_s, double value, vz_error *err)
{
    vz_write *w = &b->write;
    size_t i = w->scalar_count;
    /* Events come tag after tag in turn: the tag is nearly always among the last few. */
    for (size_t k = w->scalar_count; k-- > 0;)
        if (strcmp(w->scalars[k].tag, tag) == 0) {
            i = k;
            break;
        }
    if (i == w->scalar_count) {
        size_t capacity = b->scalar_items_capacity;
        if (!grow((void **)&w->scalars, &capacity, i + 1, sizeof *w->scalars)) return out_of_memory(err);
        size_t counts_capacity = b->scalar_items_capacity;
        if (!grow((void **)&b->scalar_capacity, &counts_capacity, i + 1, sizeof *b->scalar_capacity))
            return out_of_memory(err);
        b->scalar_items_capacity = capacity < counts_capacity ? capacity : counts_capacity;
        memset(&w->scalars[i], 0, sizeof w->scalars[i]);
        b->scalar_capacity[i] = 0;
        if (!(w->scalars[i].tag = strdup(tag))) return out_of_memory(err);
        w->scalar_count++;
    }
    vz_scalar_item *item = &w->scalars[i];
    if (item->count == b->scalar_capacity[i]) {
        size_t n = item->count ? item->count * 2 : 64;
        int64_t *steps = realloc(item->steps, n * sizeof *steps);
        if (steps) item->steps = steps;
        double *wall_times = realloc(item->wall_times_s, n * sizeof *wall_times);
        if (wall_times) item->wall_times_s = wall_times;
        double *values = realloc(item->values, n * sizeof *values);
        if (values) item->values = values;
        if (!steps || !wall_times || !values) return out_of_memory(err);
        b->scalar_capacity[i] = n;
    }
    item->steps[item->count] = step;
    item->wall_times_s[item->count] = wall_time_s;
    item->values[item->count] = value;
    item->count++;
    b->stats->scalars++;
    return batch_counted(b, err);
}

static int add_histogram(batch *b, const char *tag, int64_t step, double wall_time_s, const tfe_value *v,
                         vz_error *err)
{
    vz_histogram_input in = {
        .min = v->histo.min, .max = v->histo.max, .num = v->histo.num, .sum = v->histo.sum,
        .sum_squares = v->histo.sum_squares,
        .bucket_limits = v->histo.bucket_limits, .bucket_limits_len = v->histo.bucket_limit_count,
        .bucket_counts = v->histo.buckets, .bucket_counts_len = v->histo.bucket_count,
    };
    vz_histogram h;
    vz_error why;
    if (hist_from_buckets(&in, "histo", &h, &why) < 0) {
        if (why.status >= 500) {
            *err = why;
            return -1;
        }
        note_skip(b->stats, "histograms (invalid)", tag); /* left out, not the whole file */
        return 0;
    }
    vz_write *w = &b->write;
    if (!grow((void **)&w->histograms, &b->histogram_capacity, w->histogram_count + 1, sizeof *w->histograms)) {
        hist_free(&h);
        return out_of_memory(err);
    }
    vz_histogram_item *item = &w->histograms[w->histogram_count++];
    memset(item, 0, sizeof *item);
    item->histogram = h;
    item->step = step;
    item->wall_time_s = wall_time_s;
    if (!(item->tag = strdup(tag))) return out_of_memory(err);
    b->stats->histograms++;
    return batch_counted(b, err);
}

static vz_media_item *new_media(batch *b, vz_media_kind kind, const char *tag, int64_t step, int64_t index,
                                double wall_time_s)
{
    vz_write *w = &b->write;
    if (!grow((void **)&w->media, &b->media_capacity, w->media_count + 1, sizeof *w->media)) return NULL;
    vz_media_item *item = &w->media[w->media_count++]; /* counted first, so write_free releases it */
    memset(item, 0, sizeof *item);
    item->kind = kind;
    item->step = step;
    item->index = index;
    item->wall_time_s = wall_time_s;
    return (item->tag = strdup(tag)) ? item : NULL;
}

static int add_image(batch *b, const char *tag, int64_t step, int64_t index, double wall_time_s, tfe_bytes encoded,
                     int64_t width, int64_t height, vz_error *err)
{
    vz_image_info info;
    vz_error why;
    if (encoded.size == 0 || image_sniff(encoded.data, encoded.size, &info, "image", &why) < 0) {
        note_skip(b->stats, "images (not PNG, JPEG, GIF or WebP)", tag);
        return 0;
    }
    vz_media_item *item = new_media(b, VZ_MEDIA_IMAGE, tag, step, index, wall_time_s);
    if (!item || !(item->bytes = malloc(encoded.size))) return out_of_memory(err);
    memcpy(item->bytes, encoded.data, encoded.size);
    item->size = encoded.size;
    item->content_type = info.content_type;
    /* The header is what the browser will draw; the proto's numbers are only what the writer meant. */
    item->width = info.width ? info.width : width;
    item->height = info.height ? info.height : height;
    b->stats->images++;
    return batch_counted(b, err);
}

/* A text-plugin tensor: its strings, one per line (TensorBoard draws a 1-D text tensor as a table). */
static int add_text(batch *b, const char *tag, int64_t step, double wall_time_s, const tfe_tensor *t, vz_error *err)
{
    size_t size = 0;
    for (size_t i = 0; i < t->string_count; i++) size += t->strings[i].size + 1;
    char *text = malloc(size + 1);
    if (!text) return out_of_memory(err);
    size_t at = 0;
    for (size_t i = 0; i < t->string_count; i++) {
        if (i) text[at++] = '\n';
        memcpy(text + at, t->strings[i].data, t->strings[i].size);
        at += t->strings[i].size;
    }
    text[at] = '\0';
    if (t->string_count == 0 || memchr(text, '\0', at) || !utf8_is_valid(text, at)) {
        free(text);
        note_skip(b->stats, "texts (not UTF-8)", tag);
        return 0;
    }
    vz_media_item *item = new_media(b, VZ_MEDIA_TEXT, tag, step, 0, wall_time_s);
    if (!item) {
        free(text);
        return out_of_memory(err);
    }
    item->text = text;
    b->stats->texts++;
    return batch_counted(b, err);
}

/* A TensorBoard summary v2 histogram: a [k, 3] tensor of (left edge, right edge, count) rows. */
static int add_histogram_v2(batch *b, const char *tag, int64_t step, double wall_time_s, const tfe_tensor *t,
                            vz_error *err)
{
    double *cells;
    size_t n;
    vz_error why;
    if (t->dims != 2 || t->shape[1] != 3 || tfe_tensor_reals(t, &cells, &n, &why) < 0 || n == 0) {
        note_skip(b->stats, "histograms (not a [k, 3] tensor)", tag);
        return 0;
    }
    size_t k = n / 3;
    tfe_value v = {.kind = TFE_VALUE_HISTO};
    v.histo.bucket_limits = malloc(k * sizeof(double));
    v.histo.buckets = malloc(k * sizeof(double));
    if (!v.histo.bucket_limits || !v.histo.buckets) {
        free(cells);
        tfe_value_free(&v);
        return out_of_memory(err);
    }
    /* Only the buckets survive in this form: min and max are the outer edges, the sums are taken from
     * bucket centres (what TensorBoard itself can know of them). */
    v.histo.min = cells[0];
    v.histo.max = cells[3 * (k - 1) + 1];
    for (size_t i = 0; i < k; i++) {
        double left = cells[3 * i], right = cells[3 * i + 1], count = cells[3 * i + 2], centre = (left + right) / 2;
        v.histo.bucket_limits[i] = right;
        v.histo.buckets[i] = count;
        v.histo.num += count;
        v.histo.sum += count * centre;
        v.histo.sum_squares += count * centre * centre;
    }
    v.histo.bucket_limit_count = v.histo.bucket_count = k;
    free(cells);
    int rc = add_histogram(b, tag, step, wall_time_s, &v, err);
    tfe_value_free(&v);
    return rc;
}

/* google.protobuf.Value as JSON: number_value (2), string_value (3), bool_value (4); NULL for others. */
static json_t *pb_value_json(tfe_bytes bytes, vz_error *err)
{
    tfe_pb pb;
    tfe_field f;
    json_t *value = NULL;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    int got;
    while ((got = tfe_pb_next(&pb, &f, err)) == 1) {
        json_decref(value);
        value = NULL;
        if (f.number == 2 && f.wire_type == TFE_WIRE_FIXED64) {
            double x = tfe_field_double(&f);
            value = isfinite(x) ? json_real(x) : NULL;
        } else if (f.number == 3 && f.wire_type == TFE_WIRE_BYTES && utf8_is_valid((const char *)f.bytes.data, f.bytes.size) &&
                   !memchr(f.bytes.data, 0, f.bytes.size)) {
            value = json_stringn((const char *)f.bytes.data, f.bytes.size);
        } else if (f.number == 4 && f.wire_type == TFE_WIRE_VARINT) {
            value = json_boolean(f.varint != 0);
        }
    }
    if (got < 0) {
        json_decref(value);
        return NULL;
    }
    return value;
}

/* Read one field (number) of a message's sub-messages: calls visit for each. */
static int each_field(tfe_bytes message, uint32_t number, int (*visit)(batch *, tfe_bytes, vz_error *), batch *b,
                      vz_error *err)
{
    tfe_pb pb;
    tfe_field f;
    tfe_pb_init(&pb, message.data, message.size);
    int got;
    while ((got = tfe_pb_next(&pb, &f, err)) == 1)
        if (f.number == number && f.wire_type == TFE_WIRE_BYTES && visit(b, f.bytes, err) < 0) return -1;
    return got;
}

static json_t *hparams_object(batch *b)
{
    if (!b->hparams) b->hparams = json_object();
    return b->hparams;
}

/* SessionStartInfo.hparams (1): map entries of key (1) and google.protobuf.Value (2). */
static int read_hparam(batch *b, tfe_bytes entry, vz_error *err)
{
    tfe_pb pb;
    tfe_field f;
    tfe_bytes key = {0}, value = {0};
    tfe_pb_init(&pb, entry.data, entry.size);
    int got;
    while ((got = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.number == 1 && f.wire_type == TFE_WIRE_BYTES) key = f.bytes;
        if (f.number == 2 && f.wire_type == TFE_WIRE_BYTES) value = f.bytes;
    }
    if (got < 0) return -1;
    char *name = copy_bytes(key);
    json_t *json = pb_value_json(value, err);
    json_t *object = hparams_object(b);
    if (name && json && object && strlen(name) == key.size && utf8_is_valid(name, key.size))
        json_object_set(object, name, json);
    json_decref(json);
    free(name);
    b->has_new_hparams = true;
    return 0;
}

/* Experiment.metric_infos (5): MetricInfo.name (1) is a MetricName whose tag (2) names a scalar. */
static int read_metric(batch *b, tfe_bytes info, vz_error *err)
{
    tfe_pb pb, name_pb;
    tfe_field f, g;
    tfe_pb_init(&pb, info.data, info.size);
    int got;
    while ((got = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.number != 1 || f.wire_type != TFE_WIRE_BYTES) continue;
        tfe_pb_init(&name_pb, f.bytes.data, f.bytes.size);
        while (tfe_pb_next(&name_pb, &g, err) == 1) {
            if (g.number != 2 || g.wire_type != TFE_WIRE_BYTES) continue;
            json_t *object = hparams_object(b);
            if (!object) return out_of_memory(err);
            json_t *metrics = json_object_get(object, "metrics");
            if (!json_is_array(metrics)) json_object_set_new(object, "metrics", metrics = json_array());
            if (utf8_is_valid((const char *)g.bytes.data, g.bytes.size) && !memchr(g.bytes.data, 0, g.bytes.size))
                json_array_append_new(metrics, json_stringn((const char *)g.bytes.data, g.bytes.size));
            b->has_new_hparams = true;
        }
    }
    return got;
}

static int read_session_start(batch *b, tfe_bytes info, vz_error *err)
{
    return each_field(info, 1, read_hparam, b, err);
}

static int read_experiment(batch *b, tfe_bytes experiment, vz_error *err)
{
    return each_field(experiment, 5, read_metric, b, err);
}

/* The hparams plugin data add_hparams writes (HParamsPluginData: experiment 2, session_start_info 3,
 * session_end_info 4) into the run's hparams: {name: value, ..., "metrics": [tag, ...]}. */
static int import_hparams(batch *b, const tfe_value *v, const char *tag, vz_error *err)
{
    vz_error why;
    tfe_pb pb;
    tfe_field f;
    tfe_pb_init(&pb, v->plugin_content.data, v->plugin_content.size);
    int got, rc = 0;
    while (rc == 0 && (got = tfe_pb_next(&pb, &f, &why)) == 1) {
        if (f.wire_type != TFE_WIRE_BYTES) continue;
        if (f.number == 2) rc = read_experiment(b, f.bytes, &why);
        else if (f.number == 3) rc = read_session_start(b, f.bytes, &why);
    }
    if (rc < 0 && why.status >= 500) {
        *err = why;
        return -1;
    }
    if (rc < 0 || got < 0) note_skip(b->stats, "hparams (unreadable)", tag);
    return 0;
}

static bool plugin_is(const tfe_value *v, const char *name)
{
    size_t n = strlen(name);
    return v->plugin_name.size == n && memcmp(v->plugin_name.data, name, n) == 0;
}

/* What a value vizd does not import is, for the skipped line: its plugin's name when it has one. */
static const char *skipped_kind(const tfe_value *v, char *plugin, size_t plugin_size)
{
    if (v->kind == TFE_VALUE_AUDIO) return "audio";
    if (v->plugin_name.size) {
        size_t n = v->plugin_name.size < plugin_size - 1 ? v->plugin_name.size : plugin_size - 1;
        memcpy(plugin, v->plugin_name.data, n);
        plugin[n] = '\0';
        return utf8_is_valid(plugin, n) ? plugin : "plugin data";
    }
    if (v->kind == TFE_VALUE_TENSOR) return "tensors";
    return "values of no known kind";
}

static int import_value(batch *b, const tfe_event *event, const tfe_value *v, vz_error *err)
{
    char *tag = copy_bytes(v->tag);
    if (!tag) return out_of_memory(err);
    vz_error why;
    int rc = 0;
    double scalar;
    if (name_check(tag, "tag", &why) < 0) {
        note_skip(b->stats, "values with an unusable tag", NULL);
    } else if (v->kind == TFE_VALUE_SIMPLE) {
        rc = add_scalar(b, tag, event->step, event->wall_time_s, v->simple_value, err);
    } else if (v->kind == TFE_VALUE_HISTO) {
        rc = add_histogram(b, tag, event->step, event->wall_time_s, v, err);
    } else if (v->kind == TFE_VALUE_IMAGE) {
        rc = add_image(b, tag, event->step, 0, event->wall_time_s, v->image.encoded, v->image.width,
                       v->image.height, err);
    } else if (v->kind == TFE_VALUE_TENSOR && (plugin_is(v, "scalars") || v->plugin_name.size == 0) &&
               tfe_tensor_scalar(&v->tensor, &scalar)) {
        /* torch's add_scalar(new_style=True) and TensorBoard's summary v2 write a one-element tensor. */
        rc = add_scalar(b, tag, event->step, event->wall_time_s, scalar, err);
    } else if (v->kind == TFE_VALUE_TENSOR && plugin_is(v, "histograms")) {
        rc = add_histogram_v2(b, tag, event->step, event->wall_time_s, &v->tensor, err);
    } else if (plugin_is(v, "hparams")) {
        rc = import_hparams(b, v, tag, err);
    } else if (v->kind == TFE_VALUE_TENSOR && plugin_is(v, "text") && v->tensor.dtype == TFE_DT_STRING) {
        rc = add_text(b, tag, event->step, event->wall_time_s, &v->tensor, err);
    } else if (v->kind == TFE_VALUE_TENSOR && plugin_is(v, "images") && v->tensor.dtype == TFE_DT_STRING &&
               v->tensor.string_count >= 2) {
        /* Summary v2 images: [width, height, image 0, image 1, ...] as strings. */
        for (size_t i = 2; i < v->tensor.string_count && rc == 0; i++)
            rc = add_image(b, tag, event->step, (int64_t)(i - 2), event->wall_time_s, v->tensor.strings[i], 0, 0, err);
    } else {
        char plugin[40];
        note_skip(b->stats, skipped_kind(v, plugin, sizeof plugin), tag);
    }
    free(tag);
    return rc;
}

/* The run's model graph from an event's graph_def. One that cannot be read is skipped, not the file. */
static int import_graph(batch *b, const tfe_event *event, vz_error *err)
{
    json_t *graph;
    vz_error why;
    if (graphdef_to_graph(event->graph_def, &graph, &why) < 0) {
        note_skip(b->stats, "graphs (not a readable GraphDef)", NULL);
        return 0;
    }
    char *replaced = b->write.graph_json;
    b->write.graph_json = NULL;
    int rc = summary_graph_text(graph, &b->write.graph_json, &why);
    json_decref(graph);
    if (rc < 0) {
        b->write.graph_json = replaced;
        if (why.status >= 500) {
            *err = why;
            return -1;
        }
        note_skip(b->stats, "graphs (refused by validation)", why.path);
        return 0;
    }
    free(replaced);
    b->stats->graphs++;
    return batch_counted(b, err);
}

/* Prefix err's message with the file it came from. */
static int fail_in_file(vz_error *err, const char *path)
{
    vz_error inner = *err;
    return vz_fail(err, inner.status, inner.code, "", "%s: %s", path, inner.message);
}

static int read_file(const char *path, const char *run, vz_source_progress *source, import_batch_fn on_batch,
                     void *ctx, import_stats *stats, vz_error *err)
{
    import_stats unused = {0};
    if (!stats) stats = &unused;
    if (name_check(run, "run", err) < 0) return -1;
    FILE *file = fopen(path, "rb");
    if (!file) return vz_fail(err, 404, "not_found", "", "%s: cannot open", path);
    /* Read-ahead: event files are read front to back, and stdio's 4 KiB buffer meant a read call for
     * every few records. */
    setvbuf(file, NULL, _IOFBF, 1 << 20);
    tfe_record_reader reader;
    tfe_record_reader_init(&reader, file);
    batch b = {.on_batch = on_batch, .ctx = ctx, .stats = stats, .source = source, .reader = &reader};
    int rc = 0;
    if (source && source->offset) {
        if (fseeko(file, (off_t)source->offset, SEEK_SET) != 0) {
            fclose(file);
            return vz_fail(err, 500, "io_error", "", "%s: cannot seek to byte %llu", path,
                           (unsigned long long)source->offset);
        }
        reader.offset = source->offset;
    }
    b.write.run = strdup(run);
    if (!b.write.run) rc = out_of_memory(err);
    tfe_bytes record;
    while (rc == 0) {
        int more = tfe_record_next(&reader, &record, err);
        if (more < 0) rc = fail_in_file(err, path);
        if (more <= 0) break;
        tfe_event event;
        if (tfe_event_decode(record, &event, err) < 0) {
            rc = vz_fail(err, 400, "corrupt_record", "", "%s: record at byte %llu: %s", path,
                         (unsigned long long)reader.record_offset, err->message);
            break;
        }
        stats->events++;
        if (event.graph_def.size) rc = import_graph(&b, &event, err);
        if (event.has_run_metadata) {
            char *tag = copy_bytes(event.run_metadata_tag);
            note_skip(stats, "run metadata", tag && utf8_is_valid(tag, strlen(tag)) ? tag : NULL);
            free(tag);
        }
        if (rc < 0 || !event.has_summary) continue; /* file_version, session logs */
        tfe_summary_iter it;
        tfe_summary_iter_init(&it, event.summary);
        tfe_value value;
        int got;
        while (rc == 0 && (got = tfe_summary_next(&it, &value, err)) == 1) {
            rc = import_value(&b, &event, &value, err);
            tfe_value_free(&value);
        }
        if (rc == 0 && got < 0) {
            vz_error inner = *err;
            rc = vz_fail(err, 400, "corrupt_record", "", "%s: record at byte %llu: %s", path,
                         (unsigned long long)reader.record_offset, inner.message);
        }
        if (rc == 0 && b.items >= IMPORT_BATCH_ITEMS) rc = batch_flush(&b, err);
    }
    if (rc == 0) rc = batch_flush(&b, err);
    if (rc == 0) {
        stats->files++;
        if (reader.is_truncated) stats->truncated++;
    }
    free(b.write.run);
    b.write.run = NULL;
    batch_reset(&b);
    json_decref(b.hparams);
    tfe_record_reader_free(&reader);
    fclose(file);
    return rc;
}

int import_file(const char *path, const char *run, import_batch_fn on_batch, void *ctx, import_stats *stats,
                vz_error *err)
{
    return read_file(path, run, NULL, on_batch, ctx, stats, err);
}

int import_file_from(const char *path, const char *run, vz_source_progress *progress, import_batch_fn on_batch,
                     void *ctx, import_stats *stats, vz_error *err)
{
    return read_file(path, run, progress, on_batch, ctx, stats, err);
}

/* ---- logdir ---------------------------------------------------------------------------------------- */

static int store_batch(void *ctx, vz_write *batch_write, vz_error *err)
{
    return store_write(ctx, batch_write, err);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* Import the event files of dir/rel as run (rel, or base when rel is ""), then its sub-directories. */
static int walk(const char *dir, const char *rel, const char *base, vz_store *store, import_stats *stats,
                unsigned depth, vz_error *err)
{
    if (depth > 64) return 0; /* deeper than any real logdir: a loop through a bind mount */
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel) >= (int)sizeof path)
        return vz_fail(err, 400, "invalid_value", "", "%s/%s: path too long", dir, rel);
    DIR *d = opendir(path);
    if (!d) return vz_fail(err, 404, "not_found", "", "%s: cannot open directory", path);
    char **files = NULL, **subdirs = NULL;
    size_t file_count = 0, subdir_count = 0, file_capacity = 0, subdir_capacity = 0;
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir(d))) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        char child[PATH_MAX];
        struct stat st;
        if (snprintf(child, sizeof child, "%s/%s", path, name) >= (int)sizeof child || lstat(child, &st) < 0) continue;
        bool is_events = S_ISREG(st.st_mode) && strncmp(name, EVENT_FILE_PREFIX, strlen(EVENT_FILE_PREFIX)) == 0;
        if (!is_events && !S_ISDIR(st.st_mode)) continue; /* symlinks are not followed: no loops */
        char ***list = is_events ? &files : &subdirs;
        size_t *count = is_events ? &file_count : &subdir_count;
        size_t *capacity = is_events ? &file_capacity : &subdir_capacity;
        char *copy = strdup(name);
        if (!copy || !grow((void **)list, capacity, *count + 1, sizeof **list)) {
            free(copy);
            rc = out_of_memory(err);
            break;
        }
        (*list)[(*count)++] = copy;
    }
    closedir(d);
    if (file_count) qsort(files, file_count, sizeof *files, compare_names);
    if (subdir_count) qsort(subdirs, subdir_count, sizeof *subdirs, compare_names);
    if (rc == 0 && file_count) stats->runs++;
    for (size_t i = 0; rc == 0 && i < file_count; i++) {
        char file[PATH_MAX];
        if (snprintf(file, sizeof file, "%s/%s", path, files[i]) >= (int)sizeof file) continue;
        rc = import_file(file, *rel ? rel : base, store_batch, store, stats, err);
    }
    for (size_t i = 0; rc == 0 && i < subdir_count; i++) {
        char child_rel[PATH_MAX];
        if (snprintf(child_rel, sizeof child_rel, "%s%s%s", rel, *rel ? "/" : "", subdirs[i]) >= (int)sizeof child_rel)
            continue;
        rc = walk(dir, child_rel, base, store, stats, depth + 1, err);
    }
    free_names(files, file_count);
    free_names(subdirs, subdir_count);
    return rc;
}

int import_logdir(const char *dir, vz_store *store, import_stats *stats, vz_error *err)
{
    import_stats unused = {0};
    if (!stats) stats = &unused;
    char resolved[PATH_MAX];
    if (!realpath(dir, resolved)) return vz_fail(err, 404, "not_found", "", "%s: no such directory", dir);
    const char *slash = strrchr(resolved, '/');
    const char *base = slash && slash[1] ? slash + 1 : "logdir";
    return walk(resolved, "", base, store, stats, 0, err);
}
