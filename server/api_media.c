/* api_media.c -- images, tensors and texts: their items in POST /api/v1/write, the raw uploads
 * POST /api/v1/images and /api/v1/tensors, the listings GET /api/v1/images|tensors|texts, and the bytes
 * at GET /api/v1/blobs/ID.
 *
 * Image bytes are checked by content (media.c), tensors by shape times element size; both are stored as
 * blobs, once per distinct content, and served with their type, a strong ETag (the blob id: the bytes of
 * an id never change) and immutable caching. A tensor blob can also be served a few channels at a time
 * (?shape=...&channels=A:B), so a page of a big feature map does not move the whole tensor. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/clock.h"
#include "vizd/api.h"
#include "vizd/json.h"
#include "vizd/media.h"

#define VZ_MAX_TEXT_BYTES (1024 * 1024)


/* ---- checking one item's payload (shared by the JSON and the raw forms) -------------------------- */

static int take_image(vz_media_item *item, const char *path, vz_error *err)
{
    vz_image_info info;
    if (image_sniff(item->bytes, item->size, &info, path, err) < 0) return -1;
    item->content_type = info.content_type;
    item->width = info.width;
    item->height = info.height;
    return 0;
}

static int take_tensor(vz_media_item *item, const vz_tensor_shape *shape, const char *dtype, const char *path,
                       const char *dtype_path, vz_error *err)
{
    size_t element_size;
    if (tensor_dtype_size(dtype, dtype_path, &element_size, err) < 0) return -1;
    if ((uint64_t)item->size != shape->elements * element_size)
        return vz_fail(err, 400, "invalid_value", path, "%zu bytes, but the shape needs %llu %s values (%llu bytes)",
                       item->size, (unsigned long long)shape->elements, element_size == 4 ? "float32" : "float64",
                       (unsigned long long)(shape->elements * element_size));
    item->dtype = element_size == 4 ? "float32" : "float64";
    item->content_type = "application/octet-stream";
    tensor_range(item->bytes, shape->elements, element_size, &item->min, &item->max);
    vz_buf text;
    buf_init(&text);
    buf_putc(&text, '[');
    for (size_t i = 0; i < shape->dims; i++) {
        if (i) buf_putc(&text, ',');
        buf_put_int64(&text, shape->shape[i]);
    }
    buf_putc(&text, ']');
    item->shape_json = buf_release(&text, NULL);
    return 0;
}

/* ---- items in POST /api/v1/write ---------------------------------------------------------------- */

static int parse_common(const json_t *v, const char *path, double received_at_s, vz_media_item *item, vz_error *err)
{
    char field[192];
    const char *tag_name;
    if (json_get_item_tag(v, path, &tag_name, err) < 0) return -1;
    const json_t *step = json_object_get(v, "step"), *index = json_object_get(v, "index");
    const json_t *wall = json_object_get(v, "wall_time");
    snprintf(field, sizeof field, "%s.step", path);
    if (step && json_get_step(step, field, &item->step, err) < 0) return -1;
    item->needs_step = step == NULL;
    snprintf(field, sizeof field, "%s.index", path);
    if (index && (!json_is_integer(index) || json_integer_value(index) < 0))
        return vz_fail(err, 400, "invalid_value", field, "expected a non-negative integer");
    item->index = index ? (int64_t)json_integer_value(index) : 0;
    item->wall_time_s = received_at_s;
    snprintf(field, sizeof field, "%s.wall_time", path);
    if (wall && json_get_wall_time(wall, field, &item->wall_time_s, err) < 0) return -1;
    item->tag = strdup(tag_name);
    return item->tag ? 0 : vz_out_of_memory(err, "the write");
}

static int parse_data(const json_t *v, const char *path, vz_media_item *item, vz_error *err)
{
    char field[192];
    snprintf(field, sizeof field, "%s.data", path);
    const json_t *data = json_object_get(v, "data");
    if (!data) return vz_fail(err, 400, "missing_field", field, "required (base64)");
    if (!json_is_string(data)) return vz_fail(err, 400, "invalid_value", field, "expected a base64 string");
    return base64_decode(json_string_value(data), json_string_length(data), &item->bytes, &item->size, field, err);
}

static int parse_image(const json_t *v, const char *path, vz_media_item *item, vz_error *err)
{
    char field[192];
    snprintf(field, sizeof field, "%s.data", path);
    return parse_data(v, path, item, err) < 0 ? -1 : take_image(item, field, err);
}

static int parse_tensor(const json_t *v, const char *path, vz_media_item *item, vz_error *err)
{
    char field[192], dtype_field[192];
    vz_tensor_shape shape;
    snprintf(field, sizeof field, "%s.shape", path);
    const json_t *shape_json = json_object_get(v, "shape");
    if (!shape_json) return vz_fail(err, 400, "missing_field", field, "required");
    if (tensor_shape_from_json(shape_json, field, &shape, err) < 0) return -1;
    const json_t *dtype = json_object_get(v, "dtype"), *display = json_object_get(v, "display");
    snprintf(dtype_field, sizeof dtype_field, "%s.dtype", path);
    if (dtype && !json_is_string(dtype)) return vz_fail(err, 400, "invalid_value", dtype_field, "expected float32 or float64");
    snprintf(field, sizeof field, "%s.display", path);
    if (display && tensor_display_check(display, field, err) < 0) return -1;
    vz_buf text;
    buf_init(&text);
    if (display) json_write(&text, display);
    else buf_puts(&text, "{}");
    item->display_json = buf_release(&text, NULL);
    snprintf(field, sizeof field, "%s.data", path);
    if (parse_data(v, path, item, err) < 0) return -1;
    return take_tensor(item, &shape, dtype ? json_string_value(dtype) : NULL, field, dtype_field, err);
}

static int parse_text(const json_t *v, const char *path, vz_media_item *item, vz_error *err)
{
    char field[192];
    snprintf(field, sizeof field, "%s.text", path);
    const json_t *text = json_object_get(v, "text");
    if (!text) return vz_fail(err, 400, "missing_field", field, "required");
    if (!json_is_string(text)) return vz_fail(err, 400, "invalid_value", field, "expected a string");
    if (strlen(json_string_value(text)) != json_string_length(text))
        return vz_fail(err, 400, "invalid_value", field, "contains a NUL character");
    if (json_string_length(text) > VZ_MAX_TEXT_BYTES)
        return vz_fail(err, 400, "invalid_value", field, "longer than %d bytes", VZ_MAX_TEXT_BYTES);
    item->text = strdup(json_string_value(text));
    return item->text ? 0 : vz_out_of_memory(err, "the write");
}

static int parse_item(const json_t *v, vz_media_kind kind, size_t index, double received_at_s, vz_media_item *item,
                      vz_error *err)
{
    static const char *const kind_names[] = {"images", "tensors", "texts"};
    static const char *const image_keys[] = {"tag", "step", "index", "wall_time", "data", NULL};
    static const char *const tensor_keys[] = {"tag", "step", "index", "wall_time", "data", "shape", "dtype", "display", NULL};
    static const char *const text_keys[] = {"tag", "step", "index", "wall_time", "text", NULL};
    static const char *const *const keys[] = {image_keys, tensor_keys, text_keys};
    char path[64];
    snprintf(path, sizeof path, "%s[%zu]", kind_names[kind], index);
    item->kind = kind;
    if (!json_is_object(v)) return vz_fail(err, 400, "invalid_value", path, "expected an object");
    if (json_check_keys(v, keys[kind], path, err) < 0 || parse_common(v, path, received_at_s, item, err) < 0) return -1;
    if (kind == VZ_MEDIA_IMAGE) return parse_image(v, path, item, err);
    if (kind == VZ_MEDIA_TENSOR) return parse_tensor(v, path, item, err);
    return parse_text(v, path, item, err);
}

int media_parse(const json_t *array, vz_media_kind kind, double received_at_s, vz_write *out, vz_error *err)
{
    static const char *const kind_names[] = {"images", "tensors", "texts"};
    if (!json_is_array(array)) return vz_fail(err, 400, "invalid_value", kind_names[kind], "expected an array");
    size_t n = json_array_size(array);
    vz_media_item *grown = realloc(out->media, (out->media_count + n + 1) * sizeof *grown);
    if (!grown) return vz_out_of_memory(err, "the write");
    out->media = grown;
    for (size_t i = 0; i < n; i++) {
        vz_media_item *item = &out->media[out->media_count++]; /* counted first, so write_free releases it */
        memset(item, 0, sizeof *item);
        if (parse_item(json_array_get(array, i), kind, i, received_at_s, item, err) < 0) return -1;
    }
    return 0;
}

/* ---- raw uploads -------------------------------------------------------------------------------- */

/* run, tag, step (optional: the next one) and index from the query string. */
static int raw_item_from_query(const http_request *req, vz_media_kind kind, const char **run, vz_media_item *item,
                               vz_error *err)
{
    const char *tag;
    int64_t index;
    if (http_query_name(req, "run", run, err) < 0 || http_query_name(req, "tag", &tag, err) < 0) return -1;
    item->kind = kind;
    item->needs_step = http_query(req, "step") == NULL;
    if (http_query_int64(req, "step", 0, &item->step, err) < 0 || http_query_int64(req, "index", 0, &index, err) < 0)
        return -1;
    if (index < 0) return vz_fail(err, 400, "invalid_value", "index", "expected a non-negative integer");
    item->index = index;
    if (http_query_wall_time(req, clock_now_s(), &item->wall_time_s, err) < 0) return -1;
    item->tag = (char *)tag;
    item->bytes = (unsigned char *)req->body;
    item->size = req->body_len;
    return 0;
}

static int commit_raw_item(vz_app *app, const char *run, vz_media_item *item, const char *kind_name,
                           http_response *res, vz_error *err)
{
    vz_write write = {.run = (char *)run, .media = item, .media_count = 1};
    if (store_write(app->store, &write, err) < 0) return -1;
    buf_puts(&res->body, "{\"run\":");
    buf_put_json_string(&res->body, run);
    buf_printf(&res->body, ",\"written\":{\"%s\":1},\"step\":%lld}\n", kind_name, (long long)item->step);
    http_set_json(res, 200);
    return 0;
}

int api_images_upload(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    const char *run;
    vz_media_item item = {0};
    if (raw_item_from_query(req, VZ_MEDIA_IMAGE, &run, &item, err) < 0 || take_image(&item, "body", err) < 0) return -1;
    return commit_raw_item(app, run, &item, "images", res, err);
}

static int display_from_query(const http_request *req, vz_media_item *item, vz_error *err)
{
    static const char *const keys[] = {"kind", "colormap", "normalize", "overlay"};
    json_t *display = json_object();
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *v = http_query(req, keys[i]);
        if (v) json_object_set_new(display, keys[i], json_string(v));
    }
    const char *weight = http_query(req, "image_weight");
    int rc = 0;
    if (weight) {
        char *end;
        double w = strtod(weight, &end);
        if (*weight == '\0' || *end != '\0') rc = vz_fail(err, 400, "invalid_value", "image_weight", "expected a number from 0 to 1");
        else json_object_set_new(display, "image_weight", json_real(w));
    }
    if (rc == 0) rc = tensor_display_check(display, "display", err);
    /* the query names the hints without the "display." prefix */
    if (rc < 0 && strncmp(err->path, "display.", 8) == 0) vz_fail(err, 400, "invalid_value", err->path + 8, "%s",
                                                                   "expected one of the documented values");
    if (rc == 0) {
        vz_buf text;
        buf_init(&text);
        json_write(&text, display);
        item->display_json = buf_release(&text, NULL);
    }
    json_decref(display);
    return rc;
}

int api_tensors_upload(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    const char *run, *shape_text = http_query(req, "shape");
    vz_media_item item = {0};
    vz_tensor_shape shape;
    if (raw_item_from_query(req, VZ_MEDIA_TENSOR, &run, &item, err) < 0) return -1;
    if (!shape_text) return vz_fail(err, 400, "missing_field", "shape", "required, like 128,64,3,3");
    int rc = tensor_shape_from_text(shape_text, "shape", &shape, err);
    if (rc == 0) rc = display_from_query(req, &item, err);
    if (rc == 0) rc = take_tensor(&item, &shape, http_query(req, "dtype"), "body", "dtype", err);
    if (rc == 0) rc = commit_raw_item(app, run, &item, "tensors", res, err);
    free(item.shape_json);
    free(item.display_json);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------------------ */

/* One item of a listing as the API shows it: {"step", "wall_time", "index", and per kind: images
 * "width", "height", "type", "url"; tensors "shape", "dtype", "min", "max", "display", "url"; texts
 * "text"}. The blob's URL is made here: the store names blobs, the API addresses them. */
static json_t *media_item_json(const store_media_row *row, vz_media_kind kind)
{
    json_t *item = json_pack("{s:I, s:f, s:I}", "step", (json_int_t)row->step, "wall_time", row->wall_time_s,
                             "index", (json_int_t)row->index);
    if (!item) return NULL;
    if (kind == VZ_MEDIA_TEXT) {
        json_object_set_new(item, "text", json_string(row->text));
        return item;
    }
    char url[96];
    snprintf(url, sizeof url, "/api/v1/blobs/%s", row->blob);
    json_object_set_new(item, "url", json_string(url));
    if (kind == VZ_MEDIA_IMAGE) {
        const char *type = row->content_type;
        json_object_set_new(item, "width", json_integer(row->width));
        json_object_set_new(item, "height", json_integer(row->height));
        json_object_set_new(item, "type", json_string(strncmp(type, "image/", 6) == 0 ? type + 6 : type));
        return item;
    }
    json_object_set_new(item, "shape", json_loads(row->shape_json, 0, NULL));
    json_object_set_new(item, "dtype", json_string(row->dtype));
    json_object_set_new(item, "min", row->has_min ? json_real(row->min) : json_null());
    json_object_set_new(item, "max", row->has_max ? json_real(row->max) : json_null());
    json_object_set_new(item, "display", json_loads(row->display_json, 0, NULL));
    return item;
}

typedef struct {
    json_t *items;
    vz_media_kind kind;
} media_list;

static int add_media_item(void *ctx, const store_media_row *row, vz_error *err)
{
    media_list *list = ctx;
    if (json_array_append_new(list->items, media_item_json(row, list->kind)) < 0)
        return vz_out_of_memory(err, "listing items");
    return 0;
}

static int answer_media(vz_app *app, const http_request *req, http_response *res, vz_media_kind kind, vz_error *err)
{
    const char *tag, *runs[VZ_MAX_RUNS_PER_QUERY];
    if (http_query_name(req, "tag", &tag, err) < 0) return -1;
    size_t run_count;
    if (http_query_names(req, "run", runs, VZ_MAX_RUNS_PER_QUERY, &run_count, err) < 0) return -1;
    json_t *series = json_array();
    for (size_t i = 0; i < run_count; i++) {
        media_list list = {json_array(), kind};
        if (!list.items || store_visit_media(app->store, runs[i], tag, kind, add_media_item, &list, err) < 0) {
            if (!list.items) vz_out_of_memory(err, "listing items");
            json_decref(list.items);
            json_decref(series);
            return -1;
        }
        json_array_append_new(series, json_pack("{s:s, s:o}", "run", runs[i], "items", list.items));
    }
    return http_answer_json(res, json_pack("{s:s, s:o}", "tag", tag, "series", series));
}

int api_images(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    return answer_media(app, req, res, VZ_MEDIA_IMAGE, err);
}

int api_tensors(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    return answer_media(app, req, res, VZ_MEDIA_TENSOR, err);
}

int api_texts(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    return answer_media(app, req, res, VZ_MEDIA_TEXT, err);
}

static bool is_blob_name(const char *text)
{
    size_t n = 0;
    for (; text[n]; n++)
        if (!((text[n] >= '0' && text[n] <= '9') || (text[n] >= 'a' && text[n] <= 'f'))) return false;
    return n == VZ_BLOB_NAME_BYTES;
}

/* "A:B" -> first A, last B (non-negative integers; tensor_channel_slice checks them against the shape). */
static int channel_range(const char *text, int64_t *first, int64_t *last, vz_error *err)
{
    char *mid, *end;
    errno = 0;
    long long a = *text >= '0' && *text <= '9' ? strtoll(text, &mid, 10) : -1;
    long long b = a >= 0 && *mid == ':' && mid[1] >= '0' && mid[1] <= '9' ? strtoll(mid + 1, &end, 10) : -1;
    if (a < 0 || b < 0 || errno || *end != '\0')
        return vz_fail(err, 400, "invalid_value", "channels", "expected FIRST:LAST, like 0:32");
    *first = a;
    *last = b;
    return 0;
}

/* "N" -> a tile side of 1 .. VZ_MAX_TILE_SIDE. */
static int tile_side(const char *text, int64_t *side, vz_error *err)
{
    char *end;
    errno = 0;
    long long n = *text >= '0' && *text <= '9' ? strtoll(text, &end, 10) : -1;
    if (n < 1 || n > VZ_MAX_TILE_SIDE || errno || *end != '\0')
        return vz_fail(err, 400, "invalid_value", "size", "expected a tile side of 1 to %d pixels, like 64",
                       VZ_MAX_TILE_SIDE);
    *side = n;
    return 0;
}

/* A blob's name is a hash of what it holds, so its URL names the same bytes in every database and may be
 * cached for good; the name is also its ETag (with the channel range and tile size, for a slice or a
 * reduction). A conditional request is answered before the bytes are read (only the blob's existence and
 * type are looked up). */
int api_blob(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    const char *name = req->path + strlen("/api/v1/blobs/");
    if (!is_blob_name(name)) return vz_fail(err, 404, "not_found", "", "no such blob");
    const char *channels = http_query(req, "channels"), *shape_text = http_query(req, "shape");
    const char *size_text = http_query(req, "size");
    vz_tensor_shape shape;
    int64_t first = 0, last = 0, side = 0;
    size_t element = 4;
    if (channels || shape_text || size_text || http_query(req, "dtype")) {
        if (!channels && !size_text) return vz_fail(err, 400, "missing_field", "channels", "required with shape, like 0:32");
        if (!shape_text)
            return vz_fail(err, 400, "missing_field", "shape", "required with channels or size, like 64,224,224");
        if ((channels && channel_range(channels, &first, &last, err) < 0) || (size_text && tile_side(size_text, &side, err) < 0) ||
            tensor_shape_from_text(shape_text, "shape", &shape, err) < 0 ||
            tensor_dtype_size(http_query(req, "dtype"), "dtype", &element, err) < 0)
            return -1;
        if (channels && (shape.dims < 3 || first >= last || last > shape.shape[shape.dims - 3]))
            return vz_fail(err, 400, "invalid_value", "channels", "expected FIRST:LAST within the shape's channels");
        if (size_text && shape.dims < 2)
            return vz_fail(err, 400, "invalid_value", "shape", "a tile size needs a shape of two or more dimensions");
        /* A dimension is at most 2^24, so both numbers fit in 8 digits (the mask loses nothing and tells the
         * compiler so), and 48 hex digits of the name (192 bits of SHA-256) keep the tag unique within the
         * 72 bytes an ETag may take here; with a tile size (at most 4 digits), 40 (160 bits). */
        if (size_text)
            snprintf(res->etag, sizeof res->etag, "\"%.40s.%u-%u.s%u\"", name, (unsigned)(first & 0x1ffffff),
                     (unsigned)(last & 0x1ffffff), (unsigned)(side & 0x1fff));
        else
            snprintf(res->etag, sizeof res->etag, "\"%.48s.%u-%u\"", name, (unsigned)(first & 0x1ffffff),
                     (unsigned)(last & 0x1ffffff));
    } else {
        snprintf(res->etag, sizeof res->etag, "\"%s\"", name);
    }
    bool is_cached = http_etag_matches(http_header(req, "If-None-Match"), res->etag);
    unsigned char *bytes = NULL;
    size_t size;
    char content_type[64];
    if (store_read_blob(app->store, name, is_cached ? NULL : &bytes, &size, content_type, sizeof content_type, err) < 0)
        return -1;
    res->cache_control = "public, max-age=31536000, immutable";
    /* content types come from a fixed set (media.c), so the static strings below cover every blob */
    res->content_type = strcmp(content_type, "image/png") == 0    ? "image/png"
                        : strcmp(content_type, "image/jpeg") == 0 ? "image/jpeg"
                        : strcmp(content_type, "image/gif") == 0  ? "image/gif"
                        : strcmp(content_type, "image/webp") == 0 ? "image/webp"
                                                                  : "application/octet-stream";
    if (is_cached) {
        res->status = 304;
        return 0;
    }
    bool is_tensor = strcmp(content_type, "application/octet-stream") == 0;
    if ((channels || size_text) && !is_tensor) {
        free(bytes);
        return vz_fail(err, 400, "invalid_value", channels ? "channels" : "size", "only a tensor has channels and tiles");
    }
    if (channels) {
        unsigned char *slice;
        size_t slice_size;
        int rc = tensor_channel_slice(bytes, size, &shape, element, first, last, "channels", &slice, &slice_size, err);
        free(bytes);
        if (rc < 0) return -1;
        bytes = slice;
        size = slice_size;
        shape.elements = shape.elements / (uint64_t)shape.shape[shape.dims - 3] * (uint64_t)(last - first);
        shape.shape[shape.dims - 3] = last - first;
    }
    if (size_text) {
        unsigned char *tiles;
        size_t tiles_size;
        int rc = tensor_area_downsample(bytes, size, &shape, element, side, &tiles, &tiles_size, err);
        free(bytes);
        if (rc < 0) return -1;
        bytes = tiles;
        size = tiles_size;
    }
    /* The answer takes the bytes as they are (one copy of a blob of up to 64 MiB, not two). */
    buf_free(&res->body);
    res->body.data = (char *)bytes;
    res->body.len = size;
    res->body.cap = size + 1;
    res->status = 200;
    return 0;
}
