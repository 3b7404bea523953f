/* write_group.h -- a write's items grouped by series, the steps they get, the series kind of each media
 * item and the name of its blob: what a store backend works out before it touches its database, the same
 * for every backend (a blob's name is in its URL, which must not depend on the database).
 *
 * A backend applies a write series by series: tagged_items_sort puts each (kind, tag)'s items together in
 * request order, tagged_group_end finds where a group ends. Items without a step get the series' last
 * step + 1 (take_step), and a tag's scalar points are gathered sorted by step, a step written twice in
 * one write keeping its last point (gather_group_points). */
#ifndef VIZD_WRITE_GROUP_H
#define VIZD_WRITE_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/block.h"
#include "vizd/error.h"
#include "vizd/write.h"

/* One item of a write, keyed for grouping: kind (0 for scalars and histograms, the vz_media_kind for
 * media), tag, and its index in the write's array. */
typedef struct {
    int kind;
    const char *tag;
    size_t index;
} tagged_item;

/* Room for n items (at least one); NULL when out of memory. Caller frees. */
tagged_item *tagged_items_alloc(size_t n);
/* Sort by (kind, tag, index): each series' items together, in request order, in O(n log n) however many
 * distinct tags a request holds. */
void tagged_items_sort(tagged_item *items, size_t n);
/* The end of the group that starts at from: the first item of another kind or tag. */
size_t tagged_group_end(const tagged_item *items, size_t n, size_t from);

/* The step a point or item gets: its own, or the series' last step + 1 (0 for a new series). Keeps the
 * running last step; false when counting up would overflow int64. */
bool take_step(bool needs_step, int64_t *step, bool *has_last, int64_t *last);
/* Give every point of a tag's scalar items (group, n of them) that came without a step the series' last
 * step + 1, in request order, written back into w. 400 naming "scalars[i].step" on int64 overflow. */
int assign_scalar_steps(vz_write *w, const tagged_item *group, size_t n, bool has_last_step, int64_t last_step,
                        vz_error *err);

/* A point with its position in the request, so that sorting by step keeps a step's last write last. */
typedef struct {
    int64_t step;
    size_t order; /* position in the request: a later write of the same step wins */
    double wall_time_s, value;
} ordered_point;
/* qsort order: by step, then by position. */
int compare_ordered_points(const void *a, const void *b);
/* All points of a tag's scalar items, sorted by step, the last write of a step kept (out is marked failed
 * when out of memory). */
void gather_group_points(const vz_write *w, const tagged_item *group, size_t n, point_columns *out);

/* The series kind a media kind is stored under: "images", "tensors", "texts". */
extern const char *const media_kind_names[3];

/* A blob's name (see VZ_BLOB_NAME_BYTES): the SHA-256 of its content type, a NUL byte and its bytes, as 64
 * lowercase hex digits. The content type is part of it because the same bytes stored as an image and as a
 * tensor are two blobs, answered with different types. short_hash, if set, gets the digest's first 8 bytes
 * as an int64 (SQLite's older hash column). */
void blob_name(const char *content_type, const unsigned char *bytes, size_t size, char name[VZ_BLOB_NAME_BYTES + 1],
               int64_t *short_hash);

#endif
