/* graphdef.h -- a TensorFlow GraphDef (what torch's and tensorboardX's add_graph write into an event
 * file's graph_def field) as a vizd model graph (docs/API.md, "Model graphs").
 *
 * Every NodeDef becomes an op node, an input of the model ("IO Node" named input/NAME) or an output
 * (output/NAME); the scopes of node names (ResNet/Sequential[layer1]/BasicBlock[0]/Conv2d[conv1]/...)
 * become module rows; each NodeDef input naming a node of the graph becomes an edge, carrying the first
 * of the producer's _output_shapes. A GraphDef has no parameter counts, so the graph is marked
 * "summary_unavailable" with the reason. Pure: no I/O, no global state. */
#ifndef VIZD_GRAPHDEF_H
#define VIZD_GRAPHDEF_H

#include <jansson.h>

#include "vizd/error.h"
#include "vizd/tfevents.h"

/* 0 and *graph (a new reference, the caller's) on success; -1 with err (status 400, naming what is
 * malformed) when graph_def is not a readable GraphDef or holds no node. */
int graphdef_to_graph(tfe_bytes graph_def, json_t **graph, vz_error *err);

#endif
