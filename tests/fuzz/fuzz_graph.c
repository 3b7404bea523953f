/* fuzz_graph.c -- libFuzzer target for model graphs (summary.c): graph_validate and summary_build on any
 * JSON, as POST /api/v1/write runs them (summary_graph_text), then the table a later
 * GET /api/v1/graph/summary would print for it.
 *
 * The promise checked besides memory errors: a graph that was accepted (it validates and summarises at
 * the default depth and columns, as summary_graph_text requires before storing it) must summarise at any
 * depth with every column too, since the summary route has no other way to refuse a stored graph. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vizd/json.h"
#include "vizd/summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *graph;
    vz_error err;
    if (json_parse_body((const char *)data, size, &graph, &err) < 0) return 0;
    vz_summary_options opts;
    summary_options_init(&opts);
    json_t *figures = NULL;
    if (graph_validate(graph, &err) == 0 && summary_build(graph, &opts, NULL, &figures, &err) == 0) {
        json_decref(figures);
        figures = NULL;
        opts.depth = (int)(size % 6); /* 0..5: hides rows at each depth the seeds have */
        if (summary_parse_columns("input_size,output_size,num_params,params_percent,kernel_size,mult_adds,trainable",
                                  &opts, &err) < 0)
            abort();
        vz_buf text;
        buf_init(&text);
        if (summary_build(graph, &opts, &text, &figures, &err) < 0) {
            fprintf(stderr, "a stored graph fails to summarise at depth %d: %s\n", opts.depth, err.message);
            abort();
        }
        json_decref(figures);
        buf_free(&text);
    }
    json_decref(graph);
    return 0;
}
