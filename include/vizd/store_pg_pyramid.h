/* store_pg_pyramid.h -- the PostgreSQL backend's M4 summaries of a scalar series, without SQL: which
 * points each summary covers, how summaries are made from points or from the level below, and how a
 * series' newest summaries are packed.
 *
 * Level 0 cuts a series into chunks of about PG_PYRAMID_CHUNK consecutive points; level k >= 1 groups
 * about 8 entries of level k - 1. Where a cut falls depends on the points' steps only (block.c's
 * starts_group hash): a point whose step is a level-k boundary starts a new entry at level k and at every
 * level below, and an entry is keyed by that step, its anchor. The points before a series' first boundary
 * form an entry anchored at PG_PYRAMID_NO_ANCHOR. So the entries are a function of which steps exist:
 * writing a point changes only the entry that holds its step at each level (or splits it in two, when the
 * step is a new boundary), whatever was written before.
 *
 * The last entry of each level, the head, is the one an appended point extends; the heads of a series are
 * kept together (packed by pg_pyramid_heads_pack), the other entries one row each. */
#ifndef VIZD_STORE_PG_PYRAMID_H
#define VIZD_STORE_PG_PYRAMID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/store.h"

#define PG_PYRAMID_LEVELS 7             /* levels 0..6: entries of about 8, 64, ... 2 M points */
#define PG_PYRAMID_CHUNK 8              /* points per level-0 entry, on average */
#define PG_PYRAMID_NO_ANCHOR INT64_MIN  /* the anchor of the points before the first boundary */

typedef struct {
    int64_t anchor;
    vz_m4_summary sum;
} pg_pyramid_entry;

/* A growing list of entries; is_failed once memory ran out. */
typedef struct {
    pg_pyramid_entry *entries;
    size_t count, cap;
    bool is_failed;
} pg_pyramid_list;

void pg_pyramid_list_free(pg_pyramid_list *list);
/* Append an entry (is_failed, and nothing appended, when out of memory). */
void pg_pyramid_list_add(pg_pyramid_list *list, int64_t anchor, const vz_m4_summary *sum);

/* Whether a point at step starts a new entry at level (and so at every level below). */
bool pg_pyramid_is_boundary(int64_t step, int level);

/* The entries of level for count sorted, distinct points, appended to out. head, if not NULL, is the
 * level's entry the points continue (the last one, when every point comes after the series' last step):
 * points before their first boundary extend it, and it comes first in out (extended, or as it was when
 * the first point starts an entry of its own). */
void pg_pyramid_from_points(int level, const pg_pyramid_entry *head, const int64_t *steps,
                            const double *wall_times_s, const double *values, size_t count, pg_pyramid_list *out);

/* The entries of level (>= 1) for the consecutive entries of level - 1 in below (sorted by anchor, and
 * starting at an entry of level: a boundary of it, or the series' first), appended to out. */
void pg_pyramid_from_entries(int level, const pg_pyramid_entry *below, size_t count, pg_pyramid_list *out);

/* The heads of a series: has[level] false where the level has no entry (a series without points). */
typedef struct {
    pg_pyramid_entry entry[PG_PYRAMID_LEVELS];
    bool has[PG_PYRAMID_LEVELS];
} pg_pyramid_heads;

/* Packed heads as hex digits (what bytea's text form holds after "\x"), NUL-terminated. */
#define PG_PYRAMID_HEADS_HEX (PG_PYRAMID_LEVELS * 2 * (16 + 4 * 24 + 16) + 1)
void pg_pyramid_heads_pack(const pg_pyramid_heads *heads, char out[PG_PYRAMID_HEADS_HEX]);
/* Heads from bytea's text form ("\x" and hex digits); anything else (a damaged row) reads as no heads. */
void pg_pyramid_heads_unpack(const char *text, pg_pyramid_heads *out);

/* A packed summary (block.c's picks) as hex digits, appended to out as a NUL-free run of 2 x n chars. */
void pg_pyramid_hex(const unsigned char *bytes, size_t n, char *out);

#endif
