/* test_media.c -- images recognised by content, base64, tensor shapes and display hints. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/media.h"

/* The smallest files of each format the sniffer accepts: a valid header and a proper end; the pixel data
 * in between is not looked at (the CRCs are zero for the same reason). */
static const unsigned char png_4x3[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                        0, 0, 0, 4, 0, 0, 0, 3, 8, 2, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
static const unsigned char gif_5x7[] = {'G', 'I', 'F', '8', '9', 'a', 5, 0, 7, 0, 0, 0, 0, 0x3B};
/* SOI, an APP0 segment of 4 bytes, then SOF0: length 17, precision 8, height 200, width 300; then EOI */
static const unsigned char jpeg_300x200[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 17, 8, 0, 200, 1, 44, 3,
                                             0xFF, 0xD9};
static const unsigned char webp_lossless_2x3[30] = {'R', 'I', 'F', 'F', 22, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L',
                                                    10, 0, 0, 0, 0x2F, 0x01, 0x80, 0x00, 0x00};

Test(images, png_gif_jpeg_and_webp_are_recognised_with_their_size)
{
    vz_image_info info;
    vz_error err;
    cr_assert_eq(image_sniff(png_4x3, sizeof png_4x3, &info, "data", &err), 0, "%s", err.message);
    cr_assert_str_eq(info.content_type, "image/png");
    cr_assert(info.width == 4 && info.height == 3);
    cr_assert_eq(image_sniff(gif_5x7, sizeof gif_5x7, &info, "data", &err), 0);
    cr_assert(info.width == 5 && info.height == 7);
    cr_assert_eq(image_sniff(jpeg_300x200, sizeof jpeg_300x200, &info, "data", &err), 0, "%s", err.message);
    cr_assert(info.width == 300 && info.height == 200, "%u x %u", info.width, info.height);
    cr_assert_eq(image_sniff(webp_lossless_2x3, sizeof webp_lossless_2x3, &info, "data", &err), 0, "%s", err.message);
    cr_assert(info.width == 2 && info.height == 3, "%u x %u", info.width, info.height);
}

Test(images, svg_html_and_unknown_bytes_are_refused_naming_the_field)
{
    vz_image_info info;
    vz_error err;
    const char *svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    cr_assert_eq(image_sniff((const unsigned char *)svg, strlen(svg), &info, "images[0].data", &err), -1);
    cr_assert_str_eq(err.path, "images[0].data");
    const char *html = "<!DOCTYPE html><html></html>";
    cr_assert_eq(image_sniff((const unsigned char *)html, strlen(html), &info, "body", &err), -1);
    cr_assert_eq(image_sniff((const unsigned char *)"", 0, &info, "body", &err), -1);
}

Test(images, a_truncated_header_is_refused)
{
    vz_image_info info;
    vz_error err;
    cr_assert_eq(image_sniff(png_4x3, 12, &info, "body", &err), -1);
    cr_assert(strstr(err.message, "truncated"), "%s", err.message);
    cr_assert_eq(image_sniff(jpeg_300x200, 10, &info, "body", &err), -1);
    cr_assert_eq(image_sniff(gif_5x7, 8, &info, "body", &err), -1);
}

Test(images, a_file_cut_after_a_valid_header_is_refused)
{
    vz_image_info info;
    vz_error err;
    cr_assert_eq(image_sniff(png_4x3, sizeof png_4x3 - 12, &info, "body", &err), -1); /* no IEND */
    cr_assert_eq(image_sniff(jpeg_300x200, sizeof jpeg_300x200 - 2, &info, "body", &err), -1); /* no EOI */
    cr_assert_eq(image_sniff(gif_5x7, sizeof gif_5x7 - 1, &info, "body", &err), -1); /* no trailer */
    cr_assert_eq(image_sniff(webp_lossless_2x3, 29, &info, "body", &err), -1); /* shorter than RIFF says */
}

Test(base64, decodes_with_and_without_padding_and_refuses_other_characters)
{
    unsigned char *out;
    size_t n;
    vz_error err;
    cr_assert_eq(base64_decode("aGVsbG8=", 8, &out, &n, "data", &err), 0);
    cr_assert(n == 5 && memcmp(out, "hello", 5) == 0);
    free(out);
    cr_assert_eq(base64_decode("aGVsbG8", 7, &out, &n, "data", &err), 0);
    cr_assert(n == 5);
    free(out);
    cr_assert_eq(base64_decode("aGV*bG8=", 8, &out, &n, "data", &err), -1);
    cr_assert_str_eq(err.path, "data");
}

/* A JSON string may carry "\u0000"; it is not white space (found by tests/fuzz/fuzz_base64.c). */
Test(base64, refuses_a_nul_inside_or_at_the_end)
{
    unsigned char *out = NULL;
    size_t n;
    vz_error err;
    cr_assert_eq(base64_decode("QUJD\0", 5, &out, &n, "data", &err), -1);
    cr_assert_eq(base64_decode("QU\0JD", 5, &out, &n, "data", &err), -1);
    cr_assert_eq(base64_decode("Q\0\0D\n", 5, &out, &n, "data", &err), -1);
    cr_assert_str_eq(err.path, "data");
    cr_assert_eq(base64_decode("QU\r\nJD\n", 7, &out, &n, "data", &err), 0, "%s", err.message);
    cr_assert(n == 3 && memcmp(out, "ABC", 3) == 0);
    free(out);
}

Test(tensors, shapes_from_json_and_text_agree_and_count_elements)
{
    vz_tensor_shape a, b;
    vz_error err;
    json_t *shape = json_pack("[iiii]", 128, 64, 3, 3);
    cr_assert_eq(tensor_shape_from_json(shape, "shape", &a, &err), 0);
    cr_assert_eq(tensor_shape_from_text("128,64,3,3", "shape", &b, &err), 0);
    cr_assert(a.dims == 4 && b.dims == 4 && a.elements == 73728 && b.elements == 73728);
    json_decref(shape);
}

Test(tensors, more_than_eight_dimensions_negative_sizes_and_huge_tensors_are_refused)
{
    vz_tensor_shape s;
    vz_error err;
    cr_assert_eq(tensor_shape_from_text("1,1,1,1,1,1,1,1,1", "shape", &s, &err), -1);
    cr_assert_eq(tensor_shape_from_text("3,-1", "shape", &s, &err), -1);
    cr_assert_eq(tensor_shape_from_text("100000,100000", "shape", &s, &err), -1);
    cr_assert_eq(tensor_shape_from_text("3,,1", "shape", &s, &err), -1);
    cr_assert_eq(tensor_shape_from_text("2,3,", "shape", &s, &err), -1);
    cr_assert_eq(tensor_shape_from_text(" 2,+3", "shape", &s, &err), -1);
    cr_assert_str_eq(err.path, "shape");
}

Test(tensors, display_hints_are_checked)
{
    vz_error err;
    json_t *good = json_pack("{s:s, s:s, s:s, s:s, s:f}", "kind", "heatmap", "colormap", "jet", "normalize", "symmetric",
                             "overlay", "inputs", "image_weight", 0.5);
    cr_assert_eq(tensor_display_check(good, "display", &err), 0, "%s", err.message);
    json_t *bad = json_pack("{s:s}", "colormap", "rainbow");
    cr_assert_eq(tensor_display_check(bad, "tensors[0].display", &err), -1);
    cr_assert_str_eq(err.path, "tensors[0].display.colormap");
    json_decref(good);
    json_decref(bad);
}

Test(tensors, the_range_skips_nan_and_infinities)
{
    float values[5] = {1, NAN, -3, INFINITY, 2};
    double min, max;
    tensor_range((const unsigned char *)values, 5, 4, &min, &max);
    cr_assert(min == -3 && max == 2);
}

/* The 4x3 PNG above with its IHDR width and height set to w and h (big-endian at bytes 16 and 20). */
static void png_declaring(unsigned char *out, uint32_t w, uint32_t h)
{
    memcpy(out, png_4x3, sizeof png_4x3);
    for (int i = 0; i < 4; i++) {
        out[16 + i] = (unsigned char)(w >> (24 - 8 * i));
        out[20 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
}

Test(images, a_declared_size_past_8192_per_side_or_40_mpixel_is_refused_naming_the_field)
{
    unsigned char png[sizeof png_4x3];
    vz_image_info info;
    vz_error err;
    static const uint32_t refused[][2] = {{30000, 30000}, {8193, 1}, {1, 8193}, {8192, 8192}, {8000, 5001}};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        png_declaring(png, refused[i][0], refused[i][1]);
        cr_assert_eq(image_sniff(png, sizeof png, &info, "images[0].data", &err), -1, "%u x %u", refused[i][0],
                     refused[i][1]);
        cr_assert_eq(err.status, 413);
        cr_assert_str_eq(err.path, "images[0].data");
    }
    static const uint32_t accepted[][2] = {{8192, 4882}, {8000, 5000}, {1, 8192}};
    for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
        png_declaring(png, accepted[i][0], accepted[i][1]);
        cr_assert_eq(image_sniff(png, sizeof png, &info, "data", &err), 0, "%s", err.message);
        cr_assert(info.width == accepted[i][0] && info.height == accepted[i][1]);
    }
}

Test(tensors, a_channel_slice_keeps_those_channels_of_every_sample)
{
    /* [2, 3, 1, 2] float32: sample n, channel c, pixel x holds 100n + 10c + x */
    float values[12];
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
            for (int x = 0; x < 2; x++) values[(n * 3 + c) * 2 + x] = (float)(100 * n + 10 * c + x);
    vz_tensor_shape shape;
    vz_error err = {0};
    cr_assert_eq(tensor_shape_from_text("2,3,1,2", "shape", &shape, &err), 0);
    unsigned char *out = NULL;
    size_t out_size = 0;
    cr_assert_eq(tensor_channel_slice((const unsigned char *)values, sizeof values, &shape, 4, 1, 3, "channels", &out,
                                      &out_size, &err), 0);
    cr_assert_eq(out_size, 8 * sizeof(float));
    float got[8];
    memcpy(got, out, sizeof got);
    const float want[8] = {10, 11, 20, 21, 110, 111, 120, 121};
    for (int i = 0; i < 8; i++) cr_assert_float_eq(got[i], want[i], 0, "value %d", i);
    free(out);
}

Test(tensors, a_channel_slice_outside_the_tensor_or_of_the_wrong_shape_is_refused)
{
    float values[12] = {0};
    vz_tensor_shape shape, flat;
    vz_error err = {0};
    cr_assert_eq(tensor_shape_from_text("2,3,1,2", "shape", &shape, &err), 0);
    cr_assert_eq(tensor_shape_from_text("3,4", "shape", &flat, &err), 0);
    unsigned char *out = NULL;
    size_t out_size;
    const unsigned char *bytes = (const unsigned char *)values;
    cr_assert_eq(tensor_channel_slice(bytes, sizeof values, &shape, 4, 2, 4, "channels", &out, &out_size, &err), -1);
    cr_assert_eq(err.status, 400);
    cr_assert_str_eq(err.path, "channels");
    cr_assert_eq(tensor_channel_slice(bytes, sizeof values, &shape, 4, 1, 1, "channels", &out, &out_size, &err), -1);
    cr_assert_eq(tensor_channel_slice(bytes, sizeof values, &shape, 4, -1, 1, "channels", &out, &out_size, &err), -1);
    cr_assert_eq(tensor_channel_slice(bytes, sizeof values - 4, &shape, 4, 0, 1, "channels", &out, &out_size, &err), -1);
    cr_assert_str_eq(err.path, "shape");
    cr_assert_eq(tensor_channel_slice(bytes, sizeof values, &flat, 4, 0, 1, "channels", &out, &out_size, &err), -1);
    cr_assert_str_eq(err.path, "shape");
    /* 48 bytes are 12 float32 or 6 float64: the same bytes as float64 need a shape of 6 elements */
    cr_assert_eq(tensor_channel_slice(bytes, sizeof values, &shape, 8, 0, 1, "channels", &out, &out_size, &err), -1);
    cr_assert_str_eq(err.path, "shape");
    cr_assert_null(out);
}

Test(tensors, a_tile_size_keeps_the_aspect_and_never_enlarges)
{
    int64_t h, w;
    tensor_tile_size(224, 224, 64, &h, &w);
    cr_assert(h == 64 && w == 64);
    tensor_tile_size(30, 17, 7, &h, &w); /* 17 * 7 / 30 = 3.97 rounds to 4 */
    cr_assert(h == 7 && w == 4);
    tensor_tile_size(100, 3, 10, &h, &w); /* 0.3 would round to 0: at least 1 */
    cr_assert(h == 10 && w == 1);
    tensor_tile_size(9, 11, 64, &h, &w);
    cr_assert(h == 9 && w == 11);
}

Test(tensors, area_downsampling_averages_blocks_and_weighs_partly_covered_pixels)
{
    /* [2, 4, 4] float64: plane 0 holds 0..15, plane 1 the same plus 100; a 2 x 2 tile is each 2 x 2 block's mean */
    double values[32];
    for (int i = 0; i < 32; i++) values[i] = (double)(i % 16) + (i >= 16 ? 100.0 : 0.0);
    vz_tensor_shape shape;
    vz_error err = {0};
    cr_assert_eq(tensor_shape_from_text("2,4,4", "shape", &shape, &err), 0);
    unsigned char *out = NULL;
    size_t out_size = 0;
    cr_assert_eq(tensor_area_downsample((const unsigned char *)values, sizeof values, &shape, 8, 2, &out, &out_size, &err), 0);
    cr_assert_eq(out_size, 8 * sizeof(float));
    float got[8];
    memcpy(got, out, sizeof got);
    const float want[8] = {2.5f, 4.5f, 10.5f, 12.5f, 102.5f, 104.5f, 110.5f, 112.5f};
    for (int i = 0; i < 8; i++) cr_assert_float_eq(got[i], want[i], 1e-6, "value %d: %g", i, got[i]);
    free(out);

    /* one row of 3 to 2: pixel 0 covers [0, 1.5) = x0 + half of x1, pixel 1 covers [1.5, 3) */
    float row[3] = {1, 4, 10};
    vz_tensor_shape row_shape;
    cr_assert_eq(tensor_shape_from_text("1,3", "shape", &row_shape, &err), 0);
    cr_assert_eq(tensor_area_downsample((const unsigned char *)row, sizeof row, &row_shape, 4, 2, &out, &out_size, &err), 0);
    memcpy(got, out, 2 * sizeof(float));
    cr_assert_float_eq(got[0], (1 + 0.5f * 4) / 1.5f, 1e-6);
    cr_assert_float_eq(got[1], (0.5f * 4 + 10) / 1.5f, 1e-6);
    free(out);
}

Test(tensors, a_nan_spoils_only_the_tile_pixels_that_cover_it)
{
    float values[16];
    for (int i = 0; i < 16; i++) values[i] = 1;
    values[0] = NAN;
    vz_tensor_shape shape;
    vz_error err = {0};
    cr_assert_eq(tensor_shape_from_text("4,4", "shape", &shape, &err), 0);
    unsigned char *out = NULL;
    size_t out_size = 0;
    cr_assert_eq(tensor_area_downsample((const unsigned char *)values, sizeof values, &shape, 4, 2, &out, &out_size, &err), 0);
    float got[4];
    memcpy(got, out, sizeof got);
    cr_assert(isnan(got[0]));
    for (int i = 1; i < 4; i++) cr_assert_float_eq(got[i], 1, 0, "pixel %d", i);
    free(out);
    /* a shape that does not make up the size is refused naming shape */
    cr_assert_eq(tensor_area_downsample((const unsigned char *)values, sizeof values - 4, &shape, 4, 2, &out, &out_size, &err), -1);
    cr_assert_str_eq(err.path, "shape");
}
