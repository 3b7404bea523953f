/* write.c -- releasing a vz_write (write.h), and the live event that announces one.
 *
 * A write owns its run name, description, hparams and graph text and, per item, the tag and the arrays or
 * bytes the parser allocated. The parsers count an item before filling it, so what is freed here may be
 * half-filled: every pointer is NULL or owned, and free(NULL) is nothing. */
#include "vizd/write.h"

#include <stdlib.h>
#include <string.h>

#include "vizd/buf.h"

void write_free(vz_write *w)
{
    for (size_t i = 0; i < w->scalar_count; i++) {
        vz_scalar_item *item = &w->scalars[i];
        free(item->tag);
        free(item->steps);
        free(item->wall_times_s);
        free(item->values);
        free(item->needs_step);
    }
    for (size_t i = 0; i < w->histogram_count; i++) {
        free(w->histograms[i].tag);
        hist_free(&w->histograms[i].histogram);
    }
    for (size_t i = 0; i < w->media_count; i++) {
        vz_media_item *item = &w->media[i];
        free(item->tag);
        free(item->bytes);
        free(item->shape_json);
        free(item->display_json);
        free(item->text);
    }
    free(w->scalars);
    free(w->histograms);
    free(w->media);
    free(w->graph_json);
    free(w->run);
    free(w->description);
    free(w->hparams_json);
    memset(w, 0, sizeof *w);
}

/* An event lists at most this many of its write's tags: the event ring keeps 1,024 events, and a write may
 * touch 10,000 tags per kind. A write with more says "more_tags": true, and a client then refreshes
 * everything of that run rather than the listed tags. */
#define EVENT_MAX_TAGS 256

/* The tags of a write, each once, up to EVENT_MAX_TAGS, and the largest step, over all its kinds. */
typedef struct {
    vz_buf tags;
    size_t tag_count;
    const char *seen[EVENT_MAX_TAGS];
    bool has_more_tags;
    bool has_step;
    int64_t last_step;
} write_summary;

static void note_tag(write_summary *sum, const char *tag)
{
    for (size_t i = 0; i < sum->tag_count; i++)
        if (strcmp(sum->seen[i], tag) == 0) return;
    if (sum->tag_count == EVENT_MAX_TAGS) {
        sum->has_more_tags = true;
        return;
    }
    sum->seen[sum->tag_count] = tag;
    if (sum->tag_count++) buf_putc(&sum->tags, ',');
    buf_put_json_string(&sum->tags, tag);
}

static void note_step(write_summary *sum, int64_t step)
{
    if (!sum->has_step || step > sum->last_step) sum->last_step = step;
    sum->has_step = true;
}

/* The event's JSON, its tags listed or (is_listing_tags false) left out as "more_tags". */
static char *format_event_data(const vz_write *w, const write_summary *sum, bool is_listing_tags)
{
    bool has_kind[3] = {false, false, false};
    for (size_t k = 0; k < w->media_count; k++) has_kind[w->media[k].kind] = true;
    vz_buf b;
    buf_init(&b);
    buf_puts(&b, "{\"run\":");
    buf_put_json_string(&b, w->run);
    buf_puts(&b, ",\"kinds\":[");
    const char *kinds[6] = {0};
    size_t kind_count = 0;
    if (w->scalar_count) kinds[kind_count++] = "scalars";
    if (w->histogram_count) kinds[kind_count++] = "histograms";
    if (has_kind[VZ_MEDIA_IMAGE]) kinds[kind_count++] = "images";
    if (has_kind[VZ_MEDIA_TENSOR]) kinds[kind_count++] = "tensors";
    if (has_kind[VZ_MEDIA_TEXT]) kinds[kind_count++] = "texts";
    if (w->graph_json) kinds[kind_count++] = "graph";
    for (size_t i = 0; i < kind_count; i++) {
        if (i) buf_putc(&b, ',');
        buf_put_json_string(&b, kinds[i]);
    }
    buf_puts(&b, "],\"tags\":[");
    if (is_listing_tags && sum->tags.len) buf_append(&b, sum->tags.data, sum->tags.len);
    bool has_more = sum->has_more_tags || (!is_listing_tags && sum->tag_count);
    buf_puts(&b, has_more ? "],\"more_tags\":true,\"last_step\":" : "],\"last_step\":");
    if (sum->has_step) buf_put_int64(&b, sum->last_step);
    else buf_puts(&b, "null");
    buf_putc(&b, '}');
    buf_putc(&b, '\0');
    if (b.is_failed) {
        buf_free(&b);
        return NULL;
    }
    return buf_release(&b, NULL);
}

char *write_event_data(const vz_write *w, size_t max_bytes)
{
    write_summary sum = {0};
    buf_init(&sum.tags);
    for (size_t k = 0; k < w->scalar_count; k++) {
        note_tag(&sum, w->scalars[k].tag);
        for (size_t i = 0; i < w->scalars[k].count; i++) note_step(&sum, w->scalars[k].steps[i]);
    }
    for (size_t k = 0; k < w->histogram_count; k++) {
        note_tag(&sum, w->histograms[k].tag);
        note_step(&sum, w->histograms[k].step);
    }
    for (size_t k = 0; k < w->media_count; k++) {
        note_tag(&sum, w->media[k].tag);
        note_step(&sum, w->media[k].step);
    }
    char *data = format_event_data(w, &sum, true);
    if (data && max_bytes && strlen(data) > max_bytes) {
        free(data);
        data = format_event_data(w, &sum, false);
    }
    buf_free(&sum.tags);
    return data;
}
