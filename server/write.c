/* write.c -- releasing a vz_write (write.h).
 *
 * A write owns its run name, description, hparams and graph text and, per item, the tag and the arrays or
 * bytes the parser allocated. The parsers count an item before filling it, so what is freed here may be
 * half-filled: every pointer is NULL or owned, and free(NULL) is nothing. */
#include "vizd/write.h"

#include <stdlib.h>
#include <string.h>

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
