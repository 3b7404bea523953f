/* summary.h -- checking a model graph and computing its torchinfo summary.
 *
 * A graph is the JSON object of docs/ARCHITECTURE.md, "Model graphs": one row per module call in call
 * order, each naming its parent row. graph_validate() says whether one can be stored; summary_build()
 * turns one into the table torchinfo 1.8.0 prints (text) and the same figures as JSON. Both are pure:
 * no I/O, no global state, safe to call from any thread. */
#ifndef VIZD_SUMMARY_H
#define VIZD_SUMMARY_H

#include <jansson.h>
#include <stddef.h>

#include "vizd/buf.h"
#include "vizd/error.h"

#define SUMMARY_DEFAULT_DEPTH 3
#define SUMMARY_MAX_COLUMNS 7

/* torchinfo's optional columns, by the names its col_names argument takes. */
typedef enum {
    SUMMARY_COLUMN_INPUT_SIZE,     /* "input_size"     Input Shape  */
    SUMMARY_COLUMN_OUTPUT_SIZE,    /* "output_size"    Output Shape */
    SUMMARY_COLUMN_NUM_PARAMS,     /* "num_params"     Param #      */
    SUMMARY_COLUMN_PARAMS_PERCENT, /* "params_percent" Param %      */
    SUMMARY_COLUMN_KERNEL_SIZE,    /* "kernel_size"    Kernel Shape */
    SUMMARY_COLUMN_MULT_ADDS,      /* "mult_adds"      Mult-Adds    */
    SUMMARY_COLUMN_TRAINABLE,      /* "trainable"      Trainable    */
} summary_column;

typedef struct {
    int depth;                 /* rows deeper than this are hidden and counted in their ancestor */
    size_t column_count;       /* 0: torchinfo's default (Output Shape, Param #; Param # alone when
                                  the graph has no inputs) */
    summary_column columns[SUMMARY_MAX_COLUMNS]; /* in display order */
} vz_summary_options;

/* depth 3, default columns. */
void summary_options_init(vz_summary_options *opts);

/* Parse a comma-separated list of column names ("input_size,num_params,...", the ?columns= value) into
 * opts. An empty list keeps the default columns. Unknown names fail with path "columns". */
int summary_parse_columns(const char *list, vz_summary_options *opts, vz_error *err);

/* 0 if graph can be summarised; else -1 with err naming the first bad field ("graph.nodes[3].parent"),
 * status 400, code "missing_field" or "invalid_value". Checks: unique node ids, parents and edge ends
 * that exist, no parent cycles, shapes of non-negative integers whose products fit int64, counts that
 * are non-negative int64 integers, trainable_params <= params, known dtypes; op nodes ("kind": "op")
 * name their op, a module row's parent is a module row, edges are [from, to] or [from, to, {shape,
 * dtype}] whose ends are node ids or "input:NAME" / "output:NAME" naming an entry of inputs / outputs. */
int graph_validate(const json_t *graph, vz_error *err);

/* Validate graph, then compute its summary from its module rows (op nodes are left out); a graph with
 * "summary_unavailable": REASON gets "No summary: REASON" as text and {"rows": [], "totals": null,
 * "unavailable": REASON} as JSON instead. opts may be NULL (defaults). When text_out is not NULL the
 * torchinfo table is appended to it (ending with a newline); when json_out is not NULL it receives a new
 * reference (the caller owns it) to {"depth", "columns", "rows": [...], "totals": {...}}. On error
 * nothing is appended and *json_out is left untouched. */
int summary_build(const json_t *graph, const vz_summary_options *opts, vz_buf *text_out,
                  json_t **json_out, vz_error *err);

/* What a graph must pass to be stored (the "graph" of a write, or one imported from a GraphDef): 0 when
 * summary_build succeeds on it at the defaults, with *text its compact JSON (caller frees); else -1 and
 * err as summary_build's, or buf_check's when the text did not fit, nothing allocated. */
int summary_graph_text(const json_t *graph, char **text, vz_error *err);

#endif
