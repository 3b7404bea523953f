/* store_pg_pyramid.c -- the PostgreSQL backend's summary entries made from points or from the entries
 * below (see include/vizd/store_pg_pyramid.h for what an entry covers). No SQL: store_pg.c reads and
 * writes the entries (migrations/postgresql/0002_scalar_summaries.sql), store_pg_read.c walks them. The
 * summaries themselves are downsample.c's, so a reduced answer from them is the reducer's over every point. */
#include "vizd/store_pg_pyramid.h"

#include <stdlib.h>
#include <string.h>

#include "vizd/block.h"
#include "vizd/downsample.h"

/* Level 0 is block.c's group level 1 (one step in 8 starts a chunk), level k its k + 1: each level's
 * boundaries are also boundaries of every level below, so entries nest. Chunks this small keep what a
 * reduced query reads as points (the chunks that straddle a bucket's border) small: at 64 points a chunk,
 * those points cost more than all the summaries (bench/RESULTS.md). */
#define LEVEL_OFFSET 1
_Static_assert(PG_PYRAMID_CHUNK == 1 << (SUMMARY_FANOUT_BITS * LEVEL_OFFSET), "chunk size and hash levels agree");

bool pg_pyramid_is_boundary(int64_t step, int level) { return starts_group(step, level + LEVEL_OFFSET); }

void pg_pyramid_list_free(pg_pyramid_list *list)
{
    free(list->entries);
    *list = (pg_pyramid_list){0};
}

static pg_pyramid_entry *list_push(pg_pyramid_list *list, int64_t anchor)
{
    if (list->is_failed) return NULL;
    if (list->count == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 64;
        pg_pyramid_entry *grown = realloc(list->entries, cap * sizeof *grown);
        if (!grown) {
            list->is_failed = true;
            return NULL;
        }
        list->entries = grown;
        list->cap = cap;
    }
    pg_pyramid_entry *e = &list->entries[list->count++];
    *e = (pg_pyramid_entry){.anchor = anchor};
    return e;
}

void pg_pyramid_list_add(pg_pyramid_list *list, int64_t anchor, const vz_m4_summary *sum)
{
    pg_pyramid_entry *e = list_push(list, anchor);
    if (e) e->sum = *sum;
}

void pg_pyramid_from_points(int level, const pg_pyramid_entry *head, const int64_t *steps,
                            const double *wall_times_s, const double *values, size_t count, pg_pyramid_list *out)
{
    size_t i = 0;
    if (head && count && pg_pyramid_is_boundary(steps[0], level)) pg_pyramid_list_add(out, head->anchor, &head->sum);
    while (i < count) {
        /* The run [i, j): from a boundary (or the first point) to the next boundary. */
        size_t j = i + 1;
        while (j < count && !pg_pyramid_is_boundary(steps[j], level)) j++;
        vz_m4_summary run;
        m4_summarise(steps + i, wall_times_s + i, values + i, j - i, &run);
        bool starts_entry = pg_pyramid_is_boundary(steps[i], level);
        pg_pyramid_entry *e;
        if (i == 0 && !starts_entry && head) {
            if (!(e = list_push(out, head->anchor))) return;
            e->sum = head->sum;
            m4_summary_append(&e->sum, &run);
        } else {
            if (!(e = list_push(out, starts_entry ? steps[i] : PG_PYRAMID_NO_ANCHOR))) return;
            e->sum = run;
        }
        i = j;
    }
}

void pg_pyramid_from_entries(int level, const pg_pyramid_entry *below, size_t count, pg_pyramid_list *out)
{
    pg_pyramid_entry *group = NULL;
    for (size_t i = 0; i < count; i++) {
        bool starts_group_here = below[i].anchor != PG_PYRAMID_NO_ANCHOR && pg_pyramid_is_boundary(below[i].anchor, level);
        if (!group || starts_group_here) {
            if (!(group = list_push(out, starts_group_here ? below[i].anchor : PG_PYRAMID_NO_ANCHOR))) return;
        }
        m4_summary_append(&group->sum, &below[i].sum);
    }
}

/* ---- packing ---------------------------------------------------------------------------------------- */

#define HEAD_BYTES (2 * sizeof(int64_t) + PICKS_BYTES)
_Static_assert(PG_PYRAMID_HEADS_HEX == PG_PYRAMID_LEVELS * 2 * HEAD_BYTES + 1, "the packed heads' size");

void pg_pyramid_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Each level as its anchor and count (int64, little-endian as picks are) and its picks; a level without
 * an entry has count 0. */
void pg_pyramid_heads_pack(const pg_pyramid_heads *heads, char out[PG_PYRAMID_HEADS_HEX])
{
    for (int level = 0; level < PG_PYRAMID_LEVELS; level++) {
        unsigned char bytes[HEAD_BYTES] = {0};
        if (heads->has[level]) {
            const pg_pyramid_entry *e = &heads->entry[level];
            memcpy(bytes, &e->anchor, sizeof e->anchor);
            memcpy(bytes + sizeof(int64_t), &e->sum.count, sizeof e->sum.count);
            picks_encode(&e->sum, bytes + 2 * sizeof(int64_t));
        }
        pg_pyramid_hex(bytes, sizeof bytes, out + level * 2 * HEAD_BYTES);
    }
    out[PG_PYRAMID_HEADS_HEX - 1] = '\0';
}

void pg_pyramid_heads_unpack(const char *text, pg_pyramid_heads *out)
{
    memset(out, 0, sizeof *out);
    if (strncmp(text, "\\x", 2) != 0 || strlen(text + 2) != PG_PYRAMID_HEADS_HEX - 1) return;
    const char *hex = text + 2;
    for (int level = 0; level < PG_PYRAMID_LEVELS; level++) {
        unsigned char bytes[HEAD_BYTES];
        for (size_t i = 0; i < HEAD_BYTES; i++) {
            int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                memset(out, 0, sizeof *out);
                return;
            }
            bytes[i] = (unsigned char)(hi << 4 | lo);
        }
        hex += 2 * HEAD_BYTES;
        int64_t count;
        memcpy(&out->entry[level].anchor, bytes, sizeof(int64_t));
        memcpy(&count, bytes + sizeof(int64_t), sizeof count);
        picks_decode(bytes + 2 * sizeof(int64_t), (int)PICKS_BYTES, count, &out->entry[level].sum);
        out->has[level] = count > 0;
    }
}
