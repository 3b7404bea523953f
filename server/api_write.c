/* api_write.c -- POST /api/v1/write: parse and validate a whole write, then hand it to the store.
 *
 * Validation is complete before the store sees anything, and every error names the field by its JSON
 * path ("scalars[3].values[7]"), so a refused request stores nothing and tells the client exactly what to
 * fix. Unknown keys are refused too: a typo ("scaler") must not make data vanish silently. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/clock.h"
#include "vizd/api.h"
#include "vizd/json.h"
#include "vizd/summary.h"

#define VZ_MAX_POINTS_PER_WRITE 1000000
/* Every later /api/v1/runs answer carries a run's description and hparams, so what one write may put
 * there is bounded: 64 KiB each (hparams measured as the compact JSON stored). */
#define VZ_MAX_DESCRIPTION_BYTES 65536
#define VZ_MAX_HPARAMS_BYTES 65536

/* Each distinct tag of a write is a series the writer finds or creates, and a write of a million tags
 * held the writer (and every write queued behind it) for seconds. Counted per kind; checked on the parsed
 * tree before any item is converted, so a refusal costs little more than reading the body. */
#define VZ_MAX_TAGS_PER_WRITE 10000
#define TAG_SET_SLOTS 32768 /* a power of two above 2 x VZ_MAX_TAGS_PER_WRITE: short probes */

typedef struct {
    const char *tag; /* NULL: free slot; points into the parsed tree or the body */
    size_t len;
} tag_slot;

static uint64_t tag_hash(const char *tag, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)tag[i]) * 1099511628211ull;
    return h;
}

/* Add a tag to the set (which holds one kind's tags); returns whether it was new. */
static bool tag_set_add(tag_slot *slots, const char *tag, size_t len)
{
    size_t i = (size_t)tag_hash(tag, len) & (TAG_SET_SLOTS - 1);
    while (slots[i].tag) {
        if (slots[i].len == len && memcmp(slots[i].tag, tag, len) == 0) return false;
        i = (i + 1) & (TAG_SET_SLOTS - 1);
    }
    slots[i] = (tag_slot){tag, len};
    return true;
}

static const char *const tag_kinds[] = {"scalars", "histograms", "images", "tensors", "texts"};

static int too_many_tags(int kind, size_t index, vz_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "%s[%zu].tag", tag_kinds[kind], index);
    return vz_fail(err, 413, "too_large", path, "more than %d distinct %s tags in one write", VZ_MAX_TAGS_PER_WRITE,
                   tag_kinds[kind]);
}

/* Refuse a write naming more than VZ_MAX_TAGS_PER_WRITE distinct tags of one kind, naming the item whose
 * tag is one too many. Items whose tag is missing or not a string are left to the item parsers. */
static int check_distinct_tags(const json_t *root, vz_error *err)
{
    const char *const *kinds = tag_kinds;
    tag_slot *slots = NULL;
    size_t counts[5] = {0};
    int rc = 0;
    for (int kind = 0; kind < 5 && rc == 0; kind++) {
        const json_t *items = json_object_get(root, kinds[kind]);
        size_t n = json_array_size(items); /* 0 for a non-array: its parser names that */
        if (n <= VZ_MAX_TAGS_PER_WRITE) continue; /* cannot hold too many */
        if (!slots && !(slots = calloc(TAG_SET_SLOTS, sizeof *slots))) return vz_out_of_memory(err, "the write");
        memset(slots, 0, TAG_SET_SLOTS * sizeof *slots);
        for (size_t i = 0; i < n; i++) {
            const json_t *tag = json_object_get(json_array_get(items, i), "tag");
            if (!json_is_string(tag) || !tag_set_add(slots, json_string_value(tag), json_string_length(tag)) ||
                ++counts[kind] <= VZ_MAX_TAGS_PER_WRITE)
                continue;
            rc = too_many_tags(kind, i, err);
            break;
        }
    }
    free(slots);
    return rc;
}

static int alloc_item(vz_scalar_item *item, size_t count, bool any_needs_step)
{
    size_t n = count ? count : 1;
    item->steps = calloc(n, sizeof *item->steps);
    item->wall_times_s = calloc(n, sizeof *item->wall_times_s);
    item->values = calloc(n, sizeof *item->values);
    item->needs_step = any_needs_step ? calloc(n, 1) : NULL;
    item->count = count;
    return item->steps && item->wall_times_s && item->values && (!any_needs_step || item->needs_step) ? 0 : -1;
}

static int parse_row_scalar(const json_t *v, const char *path, double received_at_s, vz_scalar_item *item,
                            vz_error *err)
{
    char field[192];
    const json_t *step = json_object_get(v, "step"), *value = json_object_get(v, "value");
    const json_t *wall = json_object_get(v, "wall_time");
    if (!value) {
        snprintf(field, sizeof field, "%s.value", path);
        return vz_fail(err, 400, "missing_field", field, "required (or \"values\" for the columnar form)");
    }
    if (alloc_item(item, 1, step == NULL) < 0) return vz_out_of_memory(err, "the write");
    snprintf(field, sizeof field, "%s.value", path);
    if (json_get_value(value, field, &item->values[0], err) < 0) return -1;
    snprintf(field, sizeof field, "%s.step", path);
    if (step && json_get_step(step, field, &item->steps[0], err) < 0) return -1;
    if (!step) item->needs_step[0] = 1;
    item->wall_times_s[0] = received_at_s;
    snprintf(field, sizeof field, "%s.wall_time", path);
    return wall ? json_get_wall_time(wall, field, &item->wall_times_s[0], err) : 0;
}

static int expect_array(const json_t *v, const char *path, size_t expected_len, vz_error *err)
{
    if (!json_is_array(v)) return vz_fail(err, 400, "invalid_value", path, "expected an array");
    if (json_array_size(v) != expected_len)
        return vz_fail(err, 400, "invalid_value", path, "has %zu entries, but \"values\" has %zu",
                       json_array_size(v), expected_len);
    return 0;
}

static int parse_columnar_scalars(const json_t *v, const char *path, double received_at_s, size_t budget,
                                  vz_scalar_item *item, vz_error *err)
{
    char field[192];
    const json_t *steps = json_object_get(v, "steps"), *values = json_object_get(v, "values");
    const json_t *walls = json_object_get(v, "wall_times");
    snprintf(field, sizeof field, "%s.values", path);
    if (!values) return vz_fail(err, 400, "missing_field", field, "required with \"steps\"");
    if (!json_is_array(values)) return vz_fail(err, 400, "invalid_value", field, "expected an array");
    size_t n = json_array_size(values);
    if (n > budget)
        return vz_fail(err, 400, "too_many_items", field, "more than %d points in one request",
                       VZ_MAX_POINTS_PER_WRITE);
    snprintf(field, sizeof field, "%s.steps", path);
    if (steps && expect_array(steps, field, n, err) < 0) return -1;
    snprintf(field, sizeof field, "%s.wall_times", path);
    if (walls && expect_array(walls, field, n, err) < 0) return -1;
    if (alloc_item(item, n, steps == NULL) < 0) return vz_out_of_memory(err, "the write");
    /* The common case (plain numbers, integer steps) is checked inline; the field path, which costs a
     * snprintf, is only formatted for an entry that turns out to be wrong or unusual. */
    for (size_t i = 0; i < n; i++) {
        const json_t *value = json_array_get(values, i);
        if (json_is_number(value)) {
            item->values[i] = json_number_value(value);
        } else {
            snprintf(field, sizeof field, "%s.values[%zu]", path, i);
            if (json_get_value(value, field, &item->values[i], err) < 0) return -1;
        }
        const json_t *step = steps ? json_array_get(steps, i) : NULL;
        if (!steps) item->needs_step[i] = 1;
        else if (json_is_integer(step)) item->steps[i] = (int64_t)json_integer_value(step);
        else {
            snprintf(field, sizeof field, "%s.steps[%zu]", path, i);
            return json_get_step(step, field, &item->steps[i], err);
        }
        item->wall_times_s[i] = received_at_s;
        const json_t *wall = walls ? json_array_get(walls, i) : NULL;
        if (!walls) continue;
        if (json_is_number(wall)) item->wall_times_s[i] = json_number_value(wall);
        else {
            snprintf(field, sizeof field, "%s.wall_times[%zu]", path, i);
            return json_get_wall_time(wall, field, &item->wall_times_s[i], err);
        }
    }
    return 0;
}

static int parse_scalar_item(const json_t *v, size_t index, double received_at_s, size_t budget,
                             vz_scalar_item *item, vz_error *err)
{
    static const char *const row_keys[] = {"tag", "step", "value", "wall_time", NULL};
    static const char *const columnar_keys[] = {"tag", "steps", "values", "wall_times", NULL};
    char path[64];
    snprintf(path, sizeof path, "scalars[%zu]", index);
    if (!json_is_object(v)) return vz_fail(err, 400, "invalid_value", path, "expected an object");
    const char *tag_name;
    if (json_get_item_tag(v, path, &tag_name, err) < 0) return -1;
    bool is_columnar = json_object_get(v, "values") || json_object_get(v, "steps");
    if (json_check_keys(v, is_columnar ? columnar_keys : row_keys, path, err) < 0) return -1;
    item->tag = strdup(tag_name);
    if (!item->tag) return vz_out_of_memory(err, "the write");
    if (is_columnar) return parse_columnar_scalars(v, path, received_at_s, budget, item, err);
    return parse_row_scalar(v, path, received_at_s, item, err);
}

static int parse_scalars(const json_t *scalars, double received_at_s, vz_write *out, vz_error *err)
{
    if (!json_is_array(scalars)) return vz_fail(err, 400, "invalid_value", "scalars", "expected an array");
    size_t n = json_array_size(scalars);
    if (n > VZ_MAX_POINTS_PER_WRITE)
        return vz_fail(err, 400, "too_many_items", "scalars", "more than %d items", VZ_MAX_POINTS_PER_WRITE);
    out->scalars = calloc(n ? n : 1, sizeof *out->scalars);
    if (!out->scalars) return vz_out_of_memory(err, "the write");
    size_t points = 0;
    for (size_t i = 0; i < n; i++) {
        out->scalar_count = i + 1; /* so write_free releases a half-parsed item too */
        if (parse_scalar_item(json_array_get(scalars, i), i, received_at_s, VZ_MAX_POINTS_PER_WRITE - points,
                              &out->scalars[i], err) < 0)
            return -1;
        points += out->scalars[i].count;
        if (points > VZ_MAX_POINTS_PER_WRITE)
            return vz_fail(err, 400, "too_many_items", "scalars", "more than %d points in one request",
                           VZ_MAX_POINTS_PER_WRITE);
    }
    return 0;
}

/* Refuse strings holding U+0000 anywhere in a value: they would be cut short when stored as text. */
static int check_no_nul(const json_t *v, const char *path, vz_error *err)
{
    if (json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v))
        return vz_fail(err, 400, "invalid_value", path, "contains a NUL character");
    if (json_is_array(v))
        for (size_t i = 0; i < json_array_size(v); i++)
            if (check_no_nul(json_array_get(v, i), path, err) < 0) return -1;
    const char *key;
    json_t *member;
    if (json_is_object(v)) json_object_foreach((json_t *)v, key, member) {
            if (check_no_nul(member, path, err) < 0) return -1;
        }
    return 0;
}

/* hparams: any JSON object, stored as given (TensorBoard's HParams plugin shows numbers, strings and
 * booleans; lists and objects are kept for the runs table). Keys follow the name rules. */
static int parse_hparams(const json_t *hparams, vz_write *out, vz_error *err)
{
    if (!json_is_object(hparams)) return vz_fail(err, 400, "invalid_value", "hparams", "expected an object");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)hparams, key, value) {
        char path[160];
        snprintf(path, sizeof path, "hparams.%.100s", key);
        if (name_check(key, path, err) < 0 || check_no_nul(value, path, err) < 0) return -1;
    }
    vz_buf text;
    buf_init_limited(&text, VZ_MAX_HPARAMS_BYTES);
    json_write(&text, hparams);
    if (text.is_over_limit) {
        buf_free(&text);
        return vz_fail(err, 413, "too_large", "hparams", "larger than %d bytes as JSON", VZ_MAX_HPARAMS_BYTES);
    }
    if (buf_check(&text, "hparams", err) < 0) {
        buf_free(&text);
        return -1;
    }
    out->hparams_json = buf_release(&text, NULL);
    return 0;
}

static int parse_description(const json_t *description, vz_write *out, vz_error *err)
{
    if (!json_is_string(description))
        return vz_fail(err, 400, "invalid_value", "description", "expected a string");
    if (check_no_nul(description, "description", err) < 0) return -1;
    if (json_string_length(description) > VZ_MAX_DESCRIPTION_BYTES)
        return vz_fail(err, 413, "too_large", "description", "longer than %d bytes", VZ_MAX_DESCRIPTION_BYTES);
    out->description = strdup(json_string_value(description));
    return out->description ? 0 : vz_out_of_memory(err, "the write");
}

static int kind_named(const char *name, size_t len)
{
    for (int kind = 0; kind < 5; kind++)
        if (strlen(tag_kinds[kind]) == len && memcmp(tag_kinds[kind], name, len) == 0) return kind;
    return -1;
}

static bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The same count straight from the body's bytes, before Jansson builds its tree: a write of a million
 * items takes about 20 bytes of memory per body byte once parsed, and most of a second to parse, only to
 * be refused. The scan follows strings and nesting: a "tag" key of an object directly inside a top-level
 * kind's array names that item's tag. Tags written with escapes are left out of the count (two spellings
 * of one tag must not count twice), so this may let a write through that check_distinct_tags then
 * refuses, but never refuses one it would accept. Malformed JSON is left to the parser. */
static int prescan_distinct_tags(const char *body, size_t len, vz_error *err)
{
    if (len < VZ_MAX_TAGS_PER_WRITE * sizeof "{\"tag\":\"\"}") return 0; /* too short to hold that many */
    tag_slot *slots = calloc(TAG_SET_SLOTS, sizeof *slots);
    if (!slots) return vz_out_of_memory(err, "the write");
    int depth = 0, kind = -1, rc = 0;
    size_t index = 0, count = 0;
    bool expects_tag = false;
    for (size_t i = 0; i < len && rc == 0; i++) {
        char c = body[i];
        if (c == '"') {
            size_t start = ++i;
            bool has_escape = false;
            for (; i < len && body[i] != '"'; i++)
                if (body[i] == '\\') has_escape = true, i++;
            if (i >= len) break;
            size_t end = i, next = i + 1;
            while (next < len && is_json_space(body[next])) next++;
            bool is_key = next < len && body[next] == ':';
            if (is_key && depth == 1) {
                kind = kind_named(body + start, end - start);
                memset(slots, 0, TAG_SET_SLOTS * sizeof *slots);
                count = 0;
            } else if (is_key) {
                expects_tag = depth == 3 && kind >= 0 && end - start == 3 && memcmp(body + start, "tag", 3) == 0;
            } else if (expects_tag) {
                expects_tag = false;
                if (!has_escape && tag_set_add(slots, body + start, end - start) && ++count > VZ_MAX_TAGS_PER_WRITE)
                    rc = too_many_tags(kind, index, err);
            }
            continue;
        }
        if (c == ':' || is_json_space(c)) continue;
        expects_tag = false; /* the tag is not a string: the item parser names that */
        if (c == '{' || c == '[') {
            if (++depth == 2) index = 0;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 2) {
            index++;
        }
    }
    free(slots);
    return rc;
}

int write_parse(const json_t *root, double received_at_s, vz_write *out, vz_error *err)
{
    static const char *const top_keys[] = {"run", "description", "hparams", "scalars", "histograms", "images", "tensors",
                                           "texts", "graph", NULL};
    memset(out, 0, sizeof *out);
    if (!json_is_object(root)) return vz_fail(err, 400, "invalid_value", "", "expected a JSON object");
    if (json_check_keys(root, top_keys, "", err) < 0 || check_distinct_tags(root, err) < 0) return -1;
    const json_t *run = json_object_get(root, "run");
    const char *run_name;
    if (!run) return vz_fail(err, 400, "missing_field", "run", "required");
    if (json_get_name(run, "run", &run_name, err) < 0) return -1;
    out->run = strdup(run_name);
    if (!out->run) return vz_out_of_memory(err, "the write");
    const json_t *description = json_object_get(root, "description");
    const json_t *hparams = json_object_get(root, "hparams");
    const json_t *scalars = json_object_get(root, "scalars");
    int rc = 0;
    if (rc == 0 && description) rc = parse_description(description, out, err);
    if (rc == 0 && hparams) rc = parse_hparams(hparams, out, err);
    if (rc == 0 && scalars) rc = parse_scalars(scalars, received_at_s, out, err);
    const json_t *histograms = json_object_get(root, "histograms");
    if (rc == 0 && histograms) rc = histograms_parse(histograms, received_at_s, out, err);
    static const char *const media_keys[] = {"images", "tensors", "texts"};
    for (int kind = VZ_MEDIA_IMAGE; kind <= VZ_MEDIA_TEXT && rc == 0; kind++) {
        const json_t *items = json_object_get(root, media_keys[kind]);
        if (items) rc = media_parse(items, (vz_media_kind)kind, received_at_s, out, err);
    }
    const json_t *graph = json_object_get(root, "graph");
    if (rc == 0 && graph) rc = summary_graph_text(graph, &out->graph_json, err);
    if (rc < 0) write_free(out);
    return rc;
}

static size_t scalar_point_count(const vz_write *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->scalar_count; i++) n += w->scalars[i].count;
    return n;
}

/* A write handed to the store, waiting for its commit; the answer is made when it comes (on_committed). */
typedef struct {
    vz_write write;
    http_response *res;
    vz_error *err;
    http_deferred *deferred;
} pending_write;

static void answer_written(const vz_write *write, http_response *res)
{
    buf_puts(&res->body, "{\"run\":");
    buf_put_json_string(&res->body, write->run);
    size_t per_kind[3] = {0};
    for (size_t i = 0; i < write->media_count; i++) per_kind[write->media[i].kind]++;
    buf_printf(&res->body,
               ",\"written\":{\"scalars\":%zu,\"histograms\":%zu,\"images\":%zu,\"tensors\":%zu,\"texts\":%zu,"
               "\"graph\":%d}}\n",
               scalar_point_count(write), write->histogram_count, per_kind[VZ_MEDIA_IMAGE],
               per_kind[VZ_MEDIA_TENSOR], per_kind[VZ_MEDIA_TEXT], write->graph_json ? 1 : 0);
    http_set_json(res, 200);
}

/* Release the write and send the answer (res or err filled already). */
static void finish(pending_write *pending, int rc)
{
    http_deferred *deferred = pending->deferred;
    write_free(&pending->write);
    free(pending);
    http_deferred_done(deferred, rc);
}

/* On the writer thread, right after the group commit that held the write (or refused it). */
static void on_committed(void *ctx, int rc, const vz_error *err)
{
    pending_write *pending = ctx;
    if (rc == 0) answer_written(&pending->write, pending->res);
    else *pending->err = *err;
    finish(pending, rc);
}

/* The answer waits for the group commit without holding a thread (http_defer): a one-point write then
 * costs its parse and its share of one commit, not two thread hand-offs. */
int api_write(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    /* http.c has checked the Content-Type (application/json) before the body was read. */
    if (prescan_distinct_tags(req->body, req->body_len, err) < 0) return -1;
    json_t *root;
    if (json_parse_body(req->body, req->body_len, &root, err) < 0) return -1;
    pending_write *pending = calloc(1, sizeof *pending);
    if (!pending) {
        json_decref(root);
        return vz_out_of_memory(err, "the write");
    }
    int rc = write_parse(root, clock_now_s(), &pending->write, err);
    json_decref(root);
    if (rc < 0) {
        free(pending);
        return -1;
    }
    pending->res = res;
    pending->err = err;
    pending->deferred = http_defer(req);
    if (store_write_async(app->store, &pending->write, on_committed, pending, err) < 0) finish(pending, -1);
    return 0;
}
