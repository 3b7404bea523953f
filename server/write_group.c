/* write_group.c -- grouping a write's items by series, assigning their steps and naming their blobs, for
 * every store backend.
 *
 * "Step omitted = the series' last step + 1" is decided here, from the last step the backend read for the
 * series (under whatever lock makes that read exact), so every backend counts the same way: in request
 * order, a point with a step of its own moving the count on too. A tag's scalar points are handed to the
 * backend sorted by step with each step once, the request's last write of it winning; the common case, a
 * training loop's batch of rising steps, is recognised and needs no sort. */
#include "vizd/write_group.h"

#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_tagged_items(const void *a, const void *b)
{
    const tagged_item *x = a, *y = b;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    int order = strcmp(x->tag, y->tag);
    if (order) return order;
    return x->index < y->index ? -1 : x->index > y->index;
}

tagged_item *tagged_items_alloc(size_t n) { return grow_array(NULL, n ? n : 1, sizeof(tagged_item)); }

void tagged_items_sort(tagged_item *items, size_t n) { qsort(items, n, sizeof *items, compare_tagged_items); }

size_t tagged_group_end(const tagged_item *items, size_t n, size_t from)
{
    size_t end = from + 1;
    while (end < n && items[end].kind == items[from].kind && strcmp(items[end].tag, items[from].tag) == 0) end++;
    return end;
}

bool take_step(bool needs_step, int64_t *step, bool *has_last, int64_t *last)
{
    if (needs_step) {
        if (*has_last && *last == INT64_MAX) return false;
        *step = *has_last ? *last + 1 : 0;
    }
    if (!*has_last || *step > *last) *last = *step;
    *has_last = true;
    return true;
}

int assign_scalar_steps(vz_write *w, const tagged_item *group, size_t n, bool has_last_step, int64_t last_step,
                        vz_error *err)
{
    for (size_t g = 0; g < n; g++) {
        vz_scalar_item *item = &w->scalars[group[g].index];
        for (size_t i = 0; i < item->count; i++) {
            if (take_step(item->needs_step && item->needs_step[i], &item->steps[i], &has_last_step, &last_step))
                continue;
            char path[64];
            snprintf(path, sizeof path, "scalars[%zu].step", group[g].index);
            return vz_fail(err, 400, "invalid_value", path, "the next step would overflow int64");
        }
    }
    return 0;
}

int compare_ordered_points(const void *a, const void *b)
{
    const ordered_point *x = a, *y = b;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Whether the group's points, in request order, already rise strictly: the common case of a training
 * loop writing a batch of new steps, which then needs no sort. */
static bool group_points_rise(const vz_write *w, const tagged_item *group, size_t n)
{
    bool has_previous = false;
    int64_t previous = 0;
    for (size_t g = 0; g < n; g++) {
        const vz_scalar_item *item = &w->scalars[group[g].index];
        for (size_t i = 0; i < item->count; i++) {
            if (has_previous && item->steps[i] <= previous) return false;
            previous = item->steps[i];
            has_previous = true;
        }
    }
    return true;
}

/* All points of one tag's group, sorted by step, the last write of a step kept. */
void gather_group_points(const vz_write *w, const tagged_item *group, size_t n, point_columns *out)
{
    size_t total = 0, k = 0;
    for (size_t g = 0; g < n; g++) total += w->scalars[group[g].index].count;
    out->count = 0;
    if (columns_reserve(out, total ? total : 1) < 0) return;
    if (group_points_rise(w, group, n)) {
        for (size_t g = 0; g < n; g++) {
            const vz_scalar_item *item = &w->scalars[group[g].index];
            columns_append(out, item->steps, item->wall_times_s, item->values, item->count);
        }
        return;
    }
    ordered_point *all = grow_array(NULL, total ? total : 1, sizeof *all);
    if (!all) {
        out->is_failed = true;
        return;
    }
    for (size_t g = 0; g < n; g++) {
        const vz_scalar_item *item = &w->scalars[group[g].index];
        for (size_t i = 0; i < item->count; i++, k++)
            all[k] = (ordered_point){item->steps[i], k, item->wall_times_s[i], item->values[i]};
    }
    qsort(all, k, sizeof *all, compare_ordered_points);
    for (size_t i = 0; i < k; i++) {
        if (i + 1 < k && all[i + 1].step == all[i].step) continue;
        columns_push(out, all[i].step, all[i].wall_time_s, all[i].value);
    }
    free(all);
}

const char *const media_kind_names[3] = {"images", "tensors", "texts"};

void blob_name(const char *content_type, const unsigned char *bytes, size_t size, char name[VZ_BLOB_NAME_BYTES + 1],
               int64_t *short_hash)
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(content_type) + 1, (const uint8_t *)content_type);
    sha256_update(&ctx, size, bytes);
    sha256_digest(&ctx, sizeof digest, digest);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof digest; i++) {
        name[2 * i] = hex[digest[i] >> 4];
        name[2 * i + 1] = hex[digest[i] & 15];
    }
    name[VZ_BLOB_NAME_BYTES] = '\0';
    uint64_t first = 0;
    for (int i = 0; i < 8; i++) first = first << 8 | digest[i];
    if (short_hash) *short_hash = (int64_t)first;
}
