/* media.h -- the pure parts of images and tensors: base64, recognising an image by its magic bytes and
 * reading its size from the header, and the rules a tensor's shape and display hints follow. */
#ifndef VIZD_MEDIA_H
#define VIZD_MEDIA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/error.h"

#define VZ_MAX_TENSOR_DIMS 8
#define VZ_MAX_TENSOR_ELEMENTS (16u * 1024 * 1024) /* 64 MiB of float32, 128 MiB of float64 */

/* Decode base64, standard or URL-safe alphabet, padding optional; spaces, tabs and line breaks are skipped
 * (base64.encodebytes breaks lines). Returns 0 and a malloc'd buffer, or -1 naming path when the text is
 * not base64 (any other byte, a NUL included). */
int base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len, const char *path,
                  vz_error *err);

typedef struct {
    const char *content_type; /* "image/png", "image/jpeg", "image/gif", "image/webp" */
    const char *type;         /* "png", "jpeg", "gif", "webp" */
    uint32_t width, height;
} vz_image_info;

#define VZ_MAX_IMAGE_SIDE 8192          /* pixels, width or height, as the header declares them */
#define VZ_MAX_IMAGE_PIXELS 40000000    /* width x height */

/* Recognise PNG, JPEG, GIF and WebP by their magic bytes and read width and height from the header;
 * anything else (SVG, HTML, unknown magic, a truncated header) is refused naming path, and so is a
 * declared size past VZ_MAX_IMAGE_SIDE or VZ_MAX_IMAGE_PIXELS (413 too_large). */
int image_sniff(const unsigned char *bytes, size_t size, vz_image_info *out, const char *path, vz_error *err);

typedef struct {
    size_t dims;
    int64_t shape[VZ_MAX_TENSOR_DIMS];
    uint64_t elements;
} vz_tensor_shape;

/* A shape from a JSON array (1..8 non-negative integers) or from "128,64,3,3". */
int tensor_shape_from_json(const json_t *shape, const char *path, vz_tensor_shape *out, vz_error *err);
int tensor_shape_from_text(const char *text, const char *path, vz_tensor_shape *out, vz_error *err);
/* Channels [first, last) of a stored tensor of `element`-byte values (4 or 8): the axis third from the end
 * of shape ([C, H, W], [N, C, H, W], ...), for every leading index, in order, so the slice is shape with
 * that axis last - first long. A shape of under three dimensions or whose elements times element are not
 * size (400 naming "shape"), or a range outside 0 <= first < last <= C (400 naming path), is refused.
 * *out is a new allocation the caller frees. */
int tensor_channel_slice(const unsigned char *bytes, size_t size, const vz_tensor_shape *shape, size_t element,
                         int64_t first, int64_t last, const char *path, unsigned char **out, size_t *out_size,
                         vz_error *err);
#define VZ_MAX_TILE_SIDE 4096 /* the largest ?size= a tensor blob is reduced to */
/* The height and width an h x w plane is reduced to so that neither exceeds max_side, keeping its aspect:
 * unchanged when it already fits, else the longer side becomes max_side and the other h * max_side /
 * max(h, w), rounded to nearest, at least 1. */
void tensor_tile_size(int64_t h, int64_t w, int64_t max_side, int64_t *out_h, int64_t *out_w);
/* Every h x w plane (the last two axes) of a stored tensor of `element`-byte values (4 or 8) reduced by
 * area averaging to tensor_tile_size(h, w, max_side): an output pixel is the mean of the input pixels its
 * rectangle covers, each weighted by the part of it covered (OpenCV's INTER_AREA; an exact block mean
 * when the sides divide). The answer is float32 whatever the input, planes in the input's order. A shape
 * of under two dimensions or whose elements times element are not size is refused (400 naming "shape").
 * *out is a new allocation of *out_size bytes the caller frees. */
int tensor_area_downsample(const unsigned char *bytes, size_t size, const vz_tensor_shape *shape, size_t element,
                           int64_t max_side, unsigned char **out, size_t *out_size, vz_error *err);
/* "float32" or "float64" -> element size; NULL means float32. */
int tensor_dtype_size(const char *dtype, const char *path, size_t *size, vz_error *err);
/* Check display hints: {"kind": kernels|feature_maps|heatmap, "colormap": bwr|viridis|gray|jet,
 * "normalize": tile|global|symmetric, "overlay": image tag, "image_weight": 0..1}. */
int tensor_display_check(const json_t *display, const char *path, vz_error *err);
/* Min and max of the finite values of a little-endian float32/float64 array (NaN when none). */
void tensor_range(const unsigned char *data, uint64_t elements, size_t element_size, double *min, double *max);

#endif
