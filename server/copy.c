/* copy.c -- `vizd --db SOURCE --copy-to TARGET`: move a history from one store to another (SQLite to
 * PostgreSQL or back), through store.h only, so any pair of backends works.
 *
 * Run by run (by name): the run's description and hparams, then each of its series (store_visit_tags
 * pages): scalars a cursor chunk at a time, gathered into writes of up to COPY_POINTS points; histograms
 * all at once (a series holds few); images and tensors with their blob bytes; texts; the graph. Every
 * write is an ordinary store_write into the target, so the target assigns nothing (every step is given)
 * and dedups blobs by their names as usual. The runs' created_at and updated_at become the time of the
 * copy (a write sets them). A progress line on stderr says how far it is. The counts of the target's
 * status equal the source's when the target started empty (test_copy.py checks it). */
#include "vizd/copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/clock.h"

#define COPY_POINTS 100000 /* scalar points per write into the target */
#define PAGE_SERIES 1000   /* series per page of store_visit_tags */

typedef struct {
    vz_store *from, *to;
    int64_t runs, series, points, items;
    double last_report_s;
} copier;

static void report(copier *c, bool is_final)
{
    double now = clock_now_s();
    if (!is_final && now - c->last_report_s < 0.5) return;
    c->last_report_s = now;
    fprintf(stderr, "\rvizd: copied %lld runs, %lld series, %lld scalar points, %lld other items%s",
            (long long)c->runs, (long long)c->series, (long long)c->points, (long long)c->items, is_final ? "\n" : "");
}

/* ---- one series --------------------------------------------------------------------------------------- */

static int copy_scalars(copier *c, const char *run, const char *tag, vz_error *err)
{
    store_scalar_cursor *cursor;
    if (store_scalar_cursor_open(c->from, run, tag, INT64_MIN, INT64_MAX, &cursor, err) < 0) return -1;
    vz_scalar_item item = {.tag = (char *)tag};
    vz_write w = {.run = (char *)run, .scalars = &item, .scalar_count = 1};
    item.steps = malloc(COPY_POINTS * sizeof *item.steps);
    item.wall_times_s = malloc(COPY_POINTS * sizeof *item.wall_times_s);
    item.values = malloc(COPY_POINTS * sizeof *item.values);
    int rc = item.steps && item.wall_times_s && item.values ? 0 : vz_out_of_memory(err, "the copy");
    const int64_t *steps;
    const double *walls, *values;
    size_t n = 0;
    while (rc == 0 && (rc = store_scalar_cursor_next(cursor, &steps, &walls, &values, &n, err)) == 0 && n > 0) {
        for (size_t i = 0; i < n && rc == 0; i++) {
            item.steps[item.count] = steps[i];
            item.wall_times_s[item.count] = walls[i];
            item.values[item.count++] = values[i];
            if (item.count == COPY_POINTS) {
                rc = store_write(c->to, &w, err);
                c->points += (int64_t)item.count;
                item.count = 0;
                report(c, false);
            }
        }
    }
    if (rc == 0 && item.count) {
        rc = store_write(c->to, &w, err);
        c->points += (int64_t)item.count;
    }
    store_scalar_cursor_close(cursor);
    free(item.steps);
    free(item.wall_times_s);
    free(item.values);
    return rc;
}

static int copy_histograms(copier *c, const char *run, const char *tag, vz_error *err)
{
    vz_histogram_steps steps;
    if (store_read_histograms(c->from, run, tag, 0, &steps, err) < 0) return -1;
    vz_histogram_item *items = calloc(steps.count ? steps.count : 1, sizeof *items);
    int rc = items ? 0 : vz_out_of_memory(err, "the copy");
    for (size_t i = 0; rc == 0 && i < steps.count; i++)
        items[i] = (vz_histogram_item){.tag = (char *)tag, .step = steps.steps[i].step,
                                       .wall_time_s = steps.steps[i].wall_time_s, .histogram = steps.steps[i].histogram};
    vz_write w = {.run = (char *)run, .histograms = items, .histogram_count = steps.count};
    if (rc == 0 && steps.count) rc = store_write(c->to, &w, err);
    if (rc == 0) c->items += (int64_t)steps.count;
    free(items);
    store_histogram_steps_free(&steps);
    return rc;
}

/* The static strings a vz_media_item points at (write.h), for what the source store hands out. */
static const char *static_string(const char *s)
{
    static const char *const known[] = {"image/png", "image/jpeg", "image/gif", "image/webp",
                                        "application/octet-stream", "float32", "float64"};
    for (size_t i = 0; s && i < sizeof known / sizeof *known; i++)
        if (strcmp(s, known[i]) == 0) return known[i];
    return NULL;
}

typedef struct {
    copier *c;
    const char *run, *tag;
    vz_media_kind kind;
} media_copy;

/* One item a write: an image or tensor carries its blob, and a series of them may hold gigabytes. */
static int copy_media_row(void *ctx, const store_media_row *row, vz_error *err)
{
    media_copy *m = ctx;
    vz_media_item item = {.kind = m->kind, .tag = (char *)m->tag, .step = row->step, .index = row->index,
                          .wall_time_s = row->wall_time_s, .width = row->width, .height = row->height};
    int rc = 0;
    if (m->kind == VZ_MEDIA_TEXT) {
        item.text = (char *)row->text;
    } else {
        char type[64];
        if (store_read_blob(m->c->from, row->blob, &item.bytes, &item.size, type, sizeof type, err) < 0) return -1;
        item.content_type = static_string(type);
        if (m->kind == VZ_MEDIA_TENSOR) {
            item.shape_json = (char *)row->shape_json;
            item.dtype = static_string(row->dtype);
            item.min = row->has_min ? row->min : 0.0 / 0.0;
            item.max = row->has_max ? row->max : 0.0 / 0.0;
            item.display_json = (char *)row->display_json;
        }
        if (!item.content_type || (m->kind == VZ_MEDIA_TENSOR && !item.dtype))
            rc = vz_fail(err, 500, "internal", "", "a blob of an unknown type (%s) in run \"%s\"", type, m->run);
    }
    vz_write w = {.run = (char *)m->run, .media = &item, .media_count = 1};
    if (rc == 0) rc = store_write(m->c->to, &w, err);
    free(item.bytes);
    if (rc == 0) m->c->items++;
    report(m->c, false);
    return rc;
}

static int copy_series(void *ctx, const store_tag_info *info, vz_error *err)
{
    copier *c = ctx;
    c->series++;
    report(c, false);
    if (strcmp(info->kind, "scalars") == 0) return copy_scalars(c, info->run, info->tag, err);
    if (strcmp(info->kind, "histograms") == 0) return copy_histograms(c, info->run, info->tag, err);
    static const char *const media_kinds[] = {"images", "tensors", "texts"};
    for (int k = 0; k < 3; k++) {
        if (strcmp(info->kind, media_kinds[k]) != 0) continue;
        media_copy m = {c, info->run, info->tag, (vz_media_kind)k};
        return store_visit_media(c->from, info->run, info->tag, (vz_media_kind)k, copy_media_row, &m, err);
    }
    return vz_fail(err, 500, "internal", "", "a series of an unknown kind \"%s\"", info->kind);
}

/* ---- one run ------------------------------------------------------------------------------------------ */

static int copy_run(copier *c, const store_run_row *row, vz_error *err)
{
    /* The run itself first, with its description and hparams (a run may hold no series at all). */
    vz_write w = {.run = (char *)row->name, .description = (char *)row->description,
                  .hparams_json = (char *)row->hparams_json};
    if (store_write(c->to, &w, err) < 0) return -1;
    int64_t next = 0;
    do {
        if (store_visit_tags(c->from, row->name, NULL, next, PAGE_SERIES, copy_series, c, &next, err) < 0) return -1;
    } while (next >= 0);
    char *graph = NULL;
    vz_error graph_err;
    if (store_read_graph(c->from, row->name, &graph, &graph_err) == 0) {
        vz_write g = {.run = (char *)row->name, .graph_json = graph};
        int rc = store_write(c->to, &g, err);
        free(graph);
        if (rc < 0) return -1;
        c->items++;
    } else if (graph_err.status != 404) {
        *err = graph_err;
        return -1;
    }
    c->runs++;
    report(c, false);
    return 0;
}

int copy_store(vz_store *from, vz_store *to, vz_error *err)
{
    copier c = {.from = from, .to = to};
    store_runs_cursor *cursor;
    if (store_runs_cursor_open(from, &cursor, err) < 0) return -1;
    const store_run_row *row;
    int rc;
    while ((rc = store_runs_cursor_next(cursor, &row, err)) == 0 && row) {
        if ((rc = copy_run(&c, row, err)) < 0) break;
    }
    store_runs_cursor_close(cursor);
    report(&c, true);
    return rc;
}
