/* fuzz_image.c -- libFuzzer target for image_sniff (media.c): the PNG, JPEG, GIF and WebP header
 * readers, which run on every uploaded image and every image in an imported event file.
 *
 * Besides memory errors, it checks what image_sniff promises its callers: an accepted image has a known
 * type, a content type to match, and a width and height that are not 0 and within the limits; a refused
 * one is a 400 (not an image) or a 413 (a canvas over the size limit) naming the field. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past the end. */
    unsigned char *bytes = malloc(size ? size : 1);
    memcpy(bytes, data, size);
    vz_image_info info;
    vz_error err;
    if (image_sniff(bytes, size, &info, "data", &err) == 0) {
        if (!info.type || !info.content_type || strncmp(info.content_type, "image/", 6) != 0 ||
            strcmp(info.content_type + 6, info.type) != 0 || info.width == 0 || info.height == 0 ||
            info.width > VZ_MAX_IMAGE_SIDE || info.height > VZ_MAX_IMAGE_SIDE ||
            (uint64_t)info.width * info.height > VZ_MAX_IMAGE_PIXELS) {
            fprintf(stderr, "image_sniff accepted an image it cannot describe\n");
            abort();
        }
    } else if ((err.status != 400 && err.status != 413) || strcmp(err.path, "data") != 0) {
        fprintf(stderr, "image_sniff refused without naming the field: %d %s\n", err.status, err.path);
        abort();
    }
    free(bytes);
    return 0;
}
