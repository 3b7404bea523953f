/* import.h -- importing TensorBoard event files (torch.utils.tensorboard, tensorboardX) into the store.
 *
 * simple_value and one-element scalar tensors become scalars, HistogramProto histograms, Summary.Image
 * images, text-plugin string tensors texts, summary v2 [k, 3] histogram tensors histograms, add_hparams'
 * plugin data the run's hparams, an event's graph_def (add_graph) the run's model graph
 * (graphdef.c). Anything else (audio, pr curves, other plugins, run metadata) is skipped and
 * counted by kind, with the first few tags of each, so the import can say what it left out. */
#ifndef VIZD_IMPORT_H
#define VIZD_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "vizd/buf.h"

#include "vizd/error.h"
#include "vizd/store.h"

#define IMPORT_BATCH_ITEMS 20000 /* points, histograms and media per vz_write handed on */
#define IMPORT_SKIP_KINDS 12     /* kinds of skipped values told apart; the rest count as "other" */
#define IMPORT_SKIP_TAGS 3       /* tags named per skipped kind */

typedef struct {
    char kind[40];                     /* "audio", "pr_curves", "histograms (invalid)", ... */
    size_t count;
    size_t tag_count;                  /* distinct tags kept in tags[] */
    bool has_more_tags;                /* more distinct tags than IMPORT_SKIP_TAGS were skipped */
    char tags[IMPORT_SKIP_TAGS][96];
} import_skip;

typedef struct {
    size_t files, runs, events;
    size_t scalars, histograms, images, texts, graphs;
    size_t skipped;    /* summary values of a kind vizd does not import, or that failed validation */
    size_t truncated;  /* files whose last record was cut short (still being written) */
    import_skip skips[IMPORT_SKIP_KINDS];
    size_t skip_kinds;
} import_stats;

/* What was skipped, for a person: "audio 2 (tags speech, noise), pr_curves 1 (tags pr/x)"; "" when
 * nothing was. Appended to out. */
void import_describe_skips(const import_stats *stats, vz_buf *out);

/* Called with each full batch and the last one; the batch is freed (write_free) after it returns.
 * Returning -1 (with err filled) stops the import. */
typedef int (*import_batch_fn)(void *ctx, vz_write *batch, vz_error *err);

/* Read one event file into batches for run. stats (may be NULL) is added to. A CRC mismatch or a
 * malformed event is an error naming path and the record's byte offset; batches already handed on stay. */
int import_file(const char *path, const char *run, import_batch_fn on_batch, void *ctx, import_stats *stats,
                vz_error *err);

/* Read an event file from progress->offset on, as import_file does, for follow mode: every batch carries
 * progress (its offset then being where the batch's data ends), so the store saves it with the data. A
 * final record cut short is left for the next call; progress->offset stops before it. progress->path is
 * the key the offset is saved under. */
int import_file_from(const char *path, const char *run, vz_source_progress *progress, import_batch_fn on_batch,
                     void *ctx, import_stats *stats, vz_error *err);

/* Walk a TensorBoard logdir: every directory holding events.out.tfevents.* files is a run named by its
 * path relative to dir (the logdir itself: its base name). Files are read in name order (the names
 * carry their creation time) and committed with store_write in batches. */
int import_logdir(const char *dir, vz_store *store, import_stats *stats, vz_error *err);

#endif
