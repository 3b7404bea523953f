/* write.h -- vz_write, what one request (or one import batch) writes for one run, and its free function.
 *
 * The type is what the store commits and what the parsers (api_write.c and the per-kind api_* files,
 * import.c) build, so it lives apart from both: the importer needs it without the HTTP layer, and a store
 * backend without the parsers. Every pointer in a vz_write is owned by it (source excepted), and counts
 * are raised before an item is filled, so write_free also releases a write abandoned half-parsed. */
#ifndef VIZD_WRITE_H
#define VIZD_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/histogram.h"

/* One item of a write's "scalars" array: one point (row form) or many (columnar form). */
typedef struct {
    char *tag;
    size_t count;
    int64_t *steps;
    double *wall_times_s;
    double *values;
    unsigned char *needs_step; /* NULL, or per point: 1 = step not given, the store assigns it */
} vz_scalar_item;

/* One histogram of a write: one step of one tag. */
typedef struct {
    char *tag;
    int64_t step;
    bool needs_step; /* the store assigns the tag's last step + 1 */
    double wall_time_s;
    vz_histogram histogram;
} vz_histogram_item;

typedef enum { VZ_MEDIA_IMAGE, VZ_MEDIA_TENSOR, VZ_MEDIA_TEXT } vz_media_kind;

/* One image, tensor or text of a write. */
typedef struct {
    vz_media_kind kind;
    char *tag;
    int64_t step;
    bool needs_step;
    int64_t index;
    double wall_time_s;
    unsigned char *bytes;     /* image: the file; tensor: little-endian values; owned */
    size_t size;
    const char *content_type; /* static string */
    int64_t width, height;    /* images */
    char *shape_json;         /* tensors: "[128,64,3,3]"; owned */
    const char *dtype;        /* tensors: "float32" / "float64" (static) */
    double min, max;          /* tensors: of the finite values, NaN when none */
    char *display_json;       /* tensors: "{}" or the hints; owned */
    char *text;               /* texts; owned */
} vz_media_item;

/* How far a followed event file has been read (follow.c): its path, inode, the stored CRC of its first
 * record (tells a file rewritten in place) and the byte offset after the last record whose data is in the
 * store. */
typedef struct {
    const char *path;
    uint64_t inode;
    uint32_t first_crc;
    uint64_t offset;
} vz_source_progress;

/* Everything one request writes, for one run. Owned by whoever built it; write_free releases it. */
typedef struct {
    char *run;
    char *description;  /* NULL: leave the run's description as it is */
    char *hparams_json; /* NULL: leave as is; else a JSON object text that replaces the old one */
    vz_scalar_item *scalars;
    size_t scalar_count;
    vz_histogram_item *histograms;
    size_t histogram_count;
    char *graph_json; /* NULL, or a validated model graph (JSON text) that replaces the run's graph */
    vz_media_item *media;
    size_t media_count;
    const vz_source_progress *source; /* NULL, or saved in the same transaction as the rest (not owned) */
} vz_write;

/* Release everything the write owns and zero it, so it can be filled again (import.c reuses it). */
void write_free(vz_write *write);

/* The data of the live event announcing a committed write (GET /api/v1/events, docs/API.md):
 * {"run", "kinds", "tags" (each once, at most 256; else "more_tags": true), "last_step"}, as a string the
 * caller frees; NULL when out of memory. With max_bytes (0: no limit), a longer one leaves its tags out and
 * says "more_tags": true (a PostgreSQL notice must stay under 8,000 bytes). */
char *write_event_data(const vz_write *write, size_t max_bytes);

#endif
