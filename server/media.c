/* media.c -- the pure parts of images and tensors (see media.h).
 *
 * Images are recognised by content, never by the Content-Type a client sends, so a stored "image" is
 * always one a browser will render as an image (an SVG or HTML page could carry script). Width and height
 * come from the header of each format: PNG's IHDR chunk, the JPEG start-of-frame marker, GIF's logical
 * screen, WebP's VP8 / VP8L / VP8X chunk. */
#include "vizd/media.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

/* ---- base64 ------------------------------------------------------------------------------------ */

static int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62; /* '-' and '_': the URL-safe alphabet is accepted too */
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Not strchr(" \t\r\n", c): that also finds the string's terminator, so a NUL (a JSON "\u0000") would pass
 * as white space (found by tests/fuzz/fuzz_base64.c). */
static bool is_base64_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len, const char *path,
                  vz_error *err)
{
    while (len > 0 && (text[len - 1] == '=' || is_base64_space(text[len - 1]))) len--;
    unsigned char *bytes = malloc(len / 4 * 3 + 3);
    if (!bytes) return vz_out_of_memory(err, "decoding base64");
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    size_t significant = 0;
    for (size_t i = 0; i < len; i++)
        if (!is_base64_space(text[i])) significant++;
    if (significant % 4 == 1) {
        free(bytes);
        return vz_fail(err, 400, "invalid_value", path, "not valid base64 (bad length)");
    }
    for (size_t i = 0; i < len; i++) {
        if (is_base64_space(text[i])) continue; /* line breaks, as base64.encodebytes writes them */
        int v = base64_value((unsigned char)text[i]);
        if (v < 0) {
            free(bytes);
            return vz_fail(err, 400, "invalid_value", path, "not valid base64 (character %zu)", i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes[n++] = (unsigned char)(acc >> bits);
        }
    }
    *out = bytes;
    *out_len = n;
    return 0;
}

/* ---- images ------------------------------------------------------------------------------------ */

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const unsigned char *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le24(const unsigned char *p) { return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; }

/* The whole file is checked at both ends, not only the header: a file cut short in transfer is refused
 * rather than stored as an image no browser can draw. */
static int sniff_png(const unsigned char *b, size_t n, vz_image_info *out)
{
    /* signature, then the first chunk must be IHDR (length 13, width, height below 2^31); the last chunk
     * must be an empty IEND */
    if (n < 8 + 25 + 12 || be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0) return -1;
    if (be32(b + n - 12) != 0 || memcmp(b + n - 8, "IEND", 4) != 0) return -1;
    if (be32(b + 16) > 0x7FFFFFFFu || be32(b + 20) > 0x7FFFFFFFu) return -1;
    *out = (vz_image_info){"image/png", "png", be32(b + 16), be32(b + 20)};
    return 0;
}

/* A JPEG ends with the end-of-image marker; some writers pad a few bytes after it. */
static bool jpeg_has_end(const unsigned char *b, size_t n)
{
    for (size_t i = n >= 2 ? n - 2 : 0, tries = 0; tries < 64 && i > 0; i--, tries++)
        if (b[i] == 0xFF && b[i + 1] == 0xD9) return true;
    return false;
}

static int sniff_jpeg(const unsigned char *b, size_t n, vz_image_info *out)
{
    size_t i = 2;
    while (i + 4 <= n) {
        if (b[i] != 0xFF) return -1;
        unsigned marker = b[i + 1];
        if (marker == 0xFF) { i++; continue; }          /* fill byte */
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { i += 2; continue; }
        size_t length = be16(b + i + 2);
        bool is_start_of_frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (is_start_of_frame) {
            if (i + 9 > n || !jpeg_has_end(b, n)) return -1;
            *out = (vz_image_info){"image/jpeg", "jpeg", be16(b + i + 7), be16(b + i + 5)};
            return 0;
        }
        if (length < 2) return -1;
        i += 2 + length;
    }
    return -1;
}

static int sniff_gif(const unsigned char *b, size_t n, vz_image_info *out)
{
    /* header and logical screen (13 bytes), at least one block, and the trailer byte 0x3B */
    if (n < 14 || b[n - 1] != 0x3B) return -1;
    *out = (vz_image_info){"image/gif", "gif", le16(b + 6), le16(b + 8)};
    return 0;
}

static int sniff_webp(const unsigned char *b, size_t n, vz_image_info *out)
{
    /* the RIFF size counts every byte after the first 8 (plus one pad byte when odd) */
    uint32_t riff_size = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
    if (n < 30 || (size_t)riff_size + 8 > n || (size_t)riff_size + 9 < n) return -1;
    const unsigned char *chunk = b + 12, *data = b + 20;
    if (memcmp(chunk, "VP8 ", 4) == 0) { /* lossy: a key frame's start code, then 14-bit sizes */
        if (data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A) return -1;
        *out = (vz_image_info){"image/webp", "webp", le16(data + 6) & 0x3FFF, le16(data + 8) & 0x3FFF};
        return 0;
    }
    if (memcmp(chunk, "VP8L", 4) == 0) { /* lossless: signature 0x2F, then 14-bit width-1 and height-1 */
        if (data[0] != 0x2F) return -1;
        uint32_t bits = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24;
        *out = (vz_image_info){"image/webp", "webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
        return 0;
    }
    if (memcmp(chunk, "VP8X", 4) == 0) { /* extended: 24-bit canvas width-1 and height-1 */
        *out = (vz_image_info){"image/webp", "webp", le24(data + 4) + 1, le24(data + 7) + 1};
        return 0;
    }
    return -1;
}

int image_sniff(const unsigned char *b, size_t n, vz_image_info *out, const char *path, vz_error *err)
{
    int rc = -1;
    if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) rc = sniff_png(b, n, out);
    else if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) rc = sniff_jpeg(b, n, out);
    else if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0)) rc = sniff_gif(b, n, out);
    else if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0) rc = sniff_webp(b, n, out);
    else return vz_fail(err, 400, "invalid_value", path, "not a PNG, JPEG, GIF or WebP image");
    if (rc < 0 || out->width == 0 || out->height == 0)
        return vz_fail(err, 400, "invalid_value", path, "a truncated or damaged image header");
    /* A small file may declare a huge canvas (a decompression bomb for every browser that opens the
     * Images tab): the declared size is what a browser allocates, so that is what is bounded. */
    if (out->width > VZ_MAX_IMAGE_SIDE || out->height > VZ_MAX_IMAGE_SIDE ||
        (uint64_t)out->width * out->height > VZ_MAX_IMAGE_PIXELS)
        return vz_fail(err, 413, "too_large", path,
                       "declares %" PRIu32 " x %" PRIu32 " pixels; at most %d per side and %d in all",
                       out->width, out->height, VZ_MAX_IMAGE_SIDE, VZ_MAX_IMAGE_PIXELS);
    return 0;
}

/* ---- tensors ----------------------------------------------------------------------------------- */

static int shape_add_dim(vz_tensor_shape *out, int64_t dim, const char *path, vz_error *err)
{
    if (out->dims == VZ_MAX_TENSOR_DIMS)
        return vz_fail(err, 400, "invalid_value", path, "more than %d dimensions", VZ_MAX_TENSOR_DIMS);
    if (dim < 0) return vz_fail(err, 400, "invalid_value", path, "a negative dimension");
    if ((uint64_t)dim > VZ_MAX_TENSOR_ELEMENTS)
        return vz_fail(err, 400, "invalid_value", path, "a dimension over %u", VZ_MAX_TENSOR_ELEMENTS);
    out->shape[out->dims++] = dim;
    if (dim != 0 && out->elements > VZ_MAX_TENSOR_ELEMENTS / (uint64_t)dim)
        return vz_fail(err, 400, "invalid_value", path, "more than %u elements", VZ_MAX_TENSOR_ELEMENTS);
    out->elements *= (uint64_t)dim;
    return 0;
}

int tensor_shape_from_json(const json_t *shape, const char *path, vz_tensor_shape *out, vz_error *err)
{
    *out = (vz_tensor_shape){.elements = 1};
    if (!json_is_array(shape) || json_array_size(shape) == 0)
        return vz_fail(err, 400, "invalid_value", path, "expected an array of 1 to %d dimensions", VZ_MAX_TENSOR_DIMS);
    for (size_t i = 0; i < json_array_size(shape); i++) {
        const json_t *dim = json_array_get(shape, i);
        if (!json_is_integer(dim)) return vz_fail(err, 400, "invalid_value", path, "dimension %zu is not an integer", i);
        if (shape_add_dim(out, (int64_t)json_integer_value(dim), path, err) < 0) return -1;
    }
    return 0;
}

int tensor_shape_from_text(const char *text, const char *path, vz_tensor_shape *out, vz_error *err)
{
    *out = (vz_tensor_shape){.elements = 1};
    const char *p = text;
    for (;;) {
        char *end;
        errno = 0;
        long long dim = *p >= '0' && *p <= '9' ? strtoll(p, &end, 10) : -1; /* digits only: no sign, space */
        if (dim < 0 || errno || (*end != ',' && *end != '\0'))
            return vz_fail(err, 400, "invalid_value", path, "expected dimensions like 128,64,3,3");
        if (shape_add_dim(out, dim, path, err) < 0) return -1;
        if (*end == '\0') return 0;
        p = end + 1;
    }
}

int tensor_channel_slice(const unsigned char *bytes, size_t size, const vz_tensor_shape *shape, size_t element,
                         int64_t first, int64_t last, const char *path, unsigned char **out, size_t *out_size,
                         vz_error *err)
{
    if (shape->dims < 3)
        return vz_fail(err, 400, "invalid_value", "shape", "channels need a shape of three or more dimensions");
    if (shape->elements == 0 || size != shape->elements * element)
        return vz_fail(err, 400, "invalid_value", "shape", "shape and dtype do not match the stored tensor's size");
    int64_t channels = shape->shape[shape->dims - 3];
    if (first < 0 || first >= last || last > channels)
        return vz_fail(err, 400, "invalid_value", path, "expected FIRST:LAST with 0 <= FIRST < LAST <= %lld",
                       (long long)channels);
    /* Each leading index holds channels blocks of plane bytes; the slice keeps blocks first..last-1. */
    size_t plane = (size_t)shape->shape[shape->dims - 2] * (size_t)shape->shape[shape->dims - 1] * element;
    size_t leading = shape->elements / ((size_t)channels * (plane / element));
    size_t keep = (size_t)(last - first) * plane;
    unsigned char *slice = malloc(leading * keep + 1); /* + 1: never malloc(0) */
    if (!slice) return vz_out_of_memory(err, "a channel slice");
    for (size_t n = 0; n < leading; n++)
        memcpy(slice + n * keep, bytes + (n * (size_t)channels + (size_t)first) * plane, keep);
    *out = slice;
    *out_size = leading * keep;
    return 0;
}

void tensor_tile_size(int64_t h, int64_t w, int64_t max_side, int64_t *out_h, int64_t *out_w)
{
    int64_t longer = h > w ? h : w;
    if (longer <= max_side) {
        *out_h = h;
        *out_w = w;
        return;
    }
    /* dimensions are at most 2^24 and max_side VZ_MAX_TILE_SIDE, so the products fit easily */
    *out_h = (h * max_side + longer / 2) / longer;
    *out_w = (w * max_side + longer / 2) / longer;
    if (*out_h < 1) *out_h = 1;
    if (*out_w < 1) *out_w = 1;
}

/* How output pixel k of an axis of `in` pixels reduced to `out` covers the input: it spans
 * [k * in / out, (k + 1) * in / out); input pixel i counts with the length of its overlap, divided by the
 * span's length so the weights of one output pixel sum to 1. first[k] and count[k] say which input
 * pixels, and their weights follow one another in `weights` (at most in + out of them in all). */
typedef struct {
    int64_t *first, *count;
    double *weights;
} area_axis;

static void area_axis_fill(const area_axis *axis, int64_t in, int64_t out)
{
    size_t at = 0;
    for (int64_t k = 0; k < out; k++) {
        double lo = (double)k * (double)in / (double)out, hi = (double)(k + 1) * (double)in / (double)out;
        int64_t first = (int64_t)floor(lo), last = (int64_t)ceil(hi);
        if (last > in) last = in;
        axis->first[k] = first;
        axis->count[k] = last - first;
        for (int64_t i = first; i < last; i++) {
            double from = lo > (double)i ? lo : (double)i, to = hi < (double)(i + 1) ? hi : (double)(i + 1);
            axis->weights[at++] = (to - from) / (hi - lo);
        }
    }
}

static double tensor_value(const unsigned char *at, size_t element)
{
    if (element == 8) {
        double d;
        memcpy(&d, at, sizeof d);
        return d;
    }
    float f;
    memcpy(&f, at, sizeof f);
    return f;
}

int tensor_area_downsample(const unsigned char *bytes, size_t size, const vz_tensor_shape *shape, size_t element,
                           int64_t max_side, unsigned char **out, size_t *out_size, vz_error *err)
{
    if (shape->dims < 2)
        return vz_fail(err, 400, "invalid_value", "shape", "a tile size needs a shape of two or more dimensions");
    if (shape->elements == 0 || size != shape->elements * element)
        return vz_fail(err, 400, "invalid_value", "shape", "shape and dtype do not match the stored tensor's size");
    int64_t h = shape->shape[shape->dims - 2], w = shape->shape[shape->dims - 1], oh, ow;
    tensor_tile_size(h, w, max_side, &oh, &ow);
    size_t planes = shape->elements / ((size_t)h * (size_t)w);
    size_t result_size = planes * (size_t)oh * (size_t)ow * sizeof(float);
    unsigned char *result = malloc(result_size + 1); /* + 1: never malloc(0) */
    /* One buffer for both axes' spans and weights, and the rows reduced first (oh x w, doubles). */
    int64_t *spans = malloc((size_t)(2 * (oh + ow)) * sizeof *spans);
    double *weights = malloc((size_t)(h + oh + w + ow) * sizeof *weights);
    double *rows = malloc((size_t)oh * (size_t)w * sizeof *rows);
    if (!result || !spans || !weights || !rows) {
        free(result);
        free(spans);
        free(weights);
        free(rows);
        return vz_out_of_memory(err, "a reduced tensor");
    }
    area_axis down = {spans, spans + oh, weights}, across = {spans + 2 * oh, spans + 2 * oh + ow, weights + h + oh};
    area_axis_fill(&down, h, oh);
    area_axis_fill(&across, w, ow);
    size_t row_bytes = (size_t)w * element;
    for (size_t p = 0; p < planes; p++) {
        const unsigned char *plane = bytes + p * (size_t)h * row_bytes;
        const double *weight = down.weights;
        for (int64_t k = 0; k < oh; k++) {
            double *row = rows + (size_t)k * (size_t)w;
            for (int64_t x = 0; x < w; x++) row[x] = 0;
            for (int64_t i = 0; i < down.count[k]; i++, weight++) {
                const unsigned char *in = plane + (size_t)(down.first[k] + i) * row_bytes;
                for (int64_t x = 0; x < w; x++) row[x] += *weight * tensor_value(in + (size_t)x * element, element);
            }
        }
        unsigned char *to = result + p * (size_t)oh * (size_t)ow * sizeof(float);
        for (int64_t k = 0; k < oh; k++) {
            const double *row = rows + (size_t)k * (size_t)w;
            weight = across.weights;
            for (int64_t j = 0; j < ow; j++) {
                double sum = 0;
                for (int64_t i = 0; i < across.count[j]; i++, weight++) sum += *weight * row[across.first[j] + i];
                float value = (float)sum;
                memcpy(to + ((size_t)k * (size_t)ow + (size_t)j) * sizeof value, &value, sizeof value);
            }
        }
    }
    free(spans);
    free(weights);
    free(rows);
    *out = result;
    *out_size = result_size;
    return 0;
}

int tensor_dtype_size(const char *dtype, const char *path, size_t *size, vz_error *err)
{
    if (!dtype || strcmp(dtype, "float32") == 0) *size = 4;
    else if (strcmp(dtype, "float64") == 0) *size = 8;
    else return vz_fail(err, 400, "invalid_value", path, "expected float32 or float64");
    return 0;
}

static int check_choice(const json_t *display, const char *key, const char *const *choices, const char *path,
                        vz_error *err)
{
    const json_t *v = json_object_get(display, key);
    if (!v) return 0;
    char field[192];
    snprintf(field, sizeof field, "%s.%s", path, key);
    if (json_is_string(v))
        for (const char *const *c = choices; *c; c++)
            if (strcmp(json_string_value(v), *c) == 0) return 0;
    return vz_fail(err, 400, "invalid_value", field, "expected one of the documented values");
}

int tensor_display_check(const json_t *display, const char *path, vz_error *err)
{
    static const char *const keys[] = {"kind", "colormap", "normalize", "overlay", "image_weight", NULL};
    static const char *const kinds[] = {"kernels", "feature_maps", "heatmap", NULL};
    static const char *const colormaps[] = {"bwr", "viridis", "gray", "jet", NULL};
    static const char *const normalizations[] = {"tile", "global", "symmetric", NULL};
    if (!json_is_object(display)) return vz_fail(err, 400, "invalid_value", path, "expected an object");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)display, key, value) {
        bool is_known = false;
        for (const char *const *k = keys; *k; k++) is_known |= strcmp(key, *k) == 0;
        char field[192];
        snprintf(field, sizeof field, "%s.%.60s", path, key);
        if (!is_known) return vz_fail(err, 400, "invalid_value", field, "unknown display hint");
    }
    if (check_choice(display, "kind", kinds, path, err) < 0 || check_choice(display, "colormap", colormaps, path, err) < 0 ||
        check_choice(display, "normalize", normalizations, path, err) < 0)
        return -1;
    const json_t *overlay = json_object_get(display, "overlay"), *weight = json_object_get(display, "image_weight");
    char field[192];
    snprintf(field, sizeof field, "%s.overlay", path);
    if (overlay && !json_is_string(overlay)) return vz_fail(err, 400, "invalid_value", field, "expected an image tag");
    snprintf(field, sizeof field, "%s.image_weight", path);
    if (weight && (!json_is_number(weight) || !(json_number_value(weight) >= 0 && json_number_value(weight) <= 1)))
        return vz_fail(err, 400, "invalid_value", field, "expected a number from 0 to 1");
    return 0;
}

void tensor_range(const unsigned char *data, uint64_t elements, size_t element_size, double *min, double *max)
{
    *min = INFINITY;
    *max = -INFINITY;
    bool any = false;
    for (uint64_t i = 0; i < elements; i++) {
        double v;
        if (element_size == 4) {
            float f;
            memcpy(&f, data + i * 4, 4);
            v = f;
        } else {
            memcpy(&v, data + i * 8, 8);
        }
        if (!isfinite(v)) continue;
        any = true;
        if (v < *min) *min = v;
        if (v > *max) *max = v;
    }
    if (!any) *min = *max = NAN;
}
