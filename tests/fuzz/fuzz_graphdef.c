/* fuzz_graphdef.c -- libFuzzer target for an event file's graph_def (graphdef.c) as vizd --import reads
 * it: any bytes as a GraphDef, then, as import.c does, validation and the summary of what came out. The
 * seeds are the GraphDefs torch.utils.tensorboard and tensorboardX add_graph wrote.
 *
 * The promise checked besides memory errors: whatever graphdef_to_graph makes of the bytes, when it
 * validates, summarises (it says summary_unavailable, so it never becomes a wrong table). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vizd/graphdef.h"
#include "vizd/summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *graph;
    vz_error err;
    tfe_bytes bytes = {data, size};
    if (graphdef_to_graph(bytes, &graph, &err) < 0) return 0;
    if (graph_validate(graph, &err) == 0) {
        vz_buf text;
        buf_init(&text);
        if (summary_build(graph, NULL, &text, NULL, &err) < 0) {
            fprintf(stderr, "an imported graph that validates fails to summarise: %s\n", err.message);
            abort();
        }
        buf_free(&text);
    }
    json_decref(graph);
    return 0;
}
