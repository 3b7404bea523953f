/* graphdef.c -- a serialized GraphDef (graph.proto) as a vizd model graph.
 *
 * torch.utils.tensorboard and tensorboardX trace the model with torch.jit and write one NodeDef per
 * traced value: name = the module scope path and a value name
 * ("ResNet/Sequential[layer1]/BasicBlock[0]/Conv2d[conv1]/input.4"), op = the aten or prim op
 * ("aten::_convolution", "prim::Constant"), input = the names of the nodes it reads, and the attr
 * "_output_shapes" (a list of TensorShapeProto) for values that are tensors. The model's inputs and
 * outputs are nodes of op "IO Node" named input/NAME and output/NAME.
 *
 * What becomes what:
 *   - each scope of a node's name is a module row, once: the first component is the model (module "",
 *     type "ResNet"); "Sequential[layer1]" is a submodule of type Sequential whose path gets "layer1"
 *     ("layer1.0.conv1" further down). A component without brackets after a bracketed one ("weight" in
 *     Conv2d[conv1]/weight/weight.3, where torch puts the GetAttr of a parameter) is not a module: its
 *     nodes belong to the module above it. GraphDefs of other writers (TensorFlow scopes without
 *     brackets) get a row for every scope.
 *   - every other NodeDef is an op node (id = its name, op = its op without the "aten::" style
 *     namespace, type = the full op), parented to the innermost module row of its scope;
 *   - each input naming a node of the graph ("^name" control inputs and "name:1" output indices
 *     included) is an edge from that node, carrying the producer's first output shape; inputs naming
 *     nothing in the graph (torch names the module a GetAttr reads from, which is not a node) are not
 *     edges, and the same two ends make one edge.
 * Shapes with unknown (negative) sizes are left out. A GraphDef holds no parameter tensors (torch and
 * tensorboardX keep only GetAttr nodes, without shapes), so the graph says "summary_unavailable". */
#include "vizd/graphdef.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SCOPE_ID_PREFIX "scope:"
#define SUMMARY_UNAVAILABLE_REASON \
    "this graph was imported from an event file's GraphDef, which records no parameter counts"

typedef struct {
    tfe_bytes name, op;
    tfe_bytes *inputs;
    size_t input_count;
    int64_t shape[TFE_MAX_TENSOR_DIMS];
    size_t dims;
    bool has_shape;
} gd_node;

typedef struct {
    gd_node *nodes;
    size_t count;
} gd_graph;

static int malformed(vz_error *err, const char *what)
{
    return vz_fail(err, 400, "invalid_value", "graph_def", "not a readable GraphDef: %s", what);
}

static void graph_free(gd_graph *g)
{
    for (size_t i = 0; i < g->count; i++) free(g->nodes[i].inputs);
    free(g->nodes);
}

static bool bytes_equal(tfe_bytes bytes, const char *s)
{
    size_t n = strlen(s);
    return bytes.size == n && memcmp(bytes.data, s, n) == 0;
}

static bool bytes_start(tfe_bytes bytes, const char *prefix)
{
    size_t n = strlen(prefix);
    return bytes.size >= n && memcmp(bytes.data, prefix, n) == 0;
}

/* TensorShapeProto: dim = 2 (Dim: size = 1), unknown_rank = 3. */
static int parse_shape(tfe_bytes bytes, gd_node *node, vz_error *err)
{
    tfe_pb pb, dim_pb;
    tfe_field f, g;
    int rc;
    node->has_shape = true;
    node->dims = 0;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.number == 3 && f.wire_type == TFE_WIRE_VARINT && f.varint) node->has_shape = false;
        if (f.number != 2 || f.wire_type != TFE_WIRE_BYTES) continue;
        int64_t size = -1;
        tfe_pb_init(&dim_pb, f.bytes.data, f.bytes.size);
        while ((rc = tfe_pb_next(&dim_pb, &g, err)) == 1)
            if (g.number == 1 && g.wire_type == TFE_WIRE_VARINT) size = (int64_t)g.varint;
        if (rc < 0) return -1;
        if (size < 0 || node->dims == TFE_MAX_TENSOR_DIMS) node->has_shape = false;
        else node->shape[node->dims++] = size;
    }
    return rc;
}

/* attr entry (key = 1, value = 2: AttrValue); only "_output_shapes" (AttrValue.list = 1, ListValue.shape
 * = 7, the first one) is read. */
static int parse_attr(tfe_bytes bytes, gd_node *node, vz_error *err)
{
    tfe_pb pb, value_pb, list_pb;
    tfe_field f, g, h;
    tfe_bytes key = {0}, value = {0};
    int rc;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.number == 1 && f.wire_type == TFE_WIRE_BYTES) key = f.bytes;
        if (f.number == 2 && f.wire_type == TFE_WIRE_BYTES) value = f.bytes;
    }
    if (rc < 0 || !bytes_equal(key, "_output_shapes")) return rc;
    tfe_pb_init(&value_pb, value.data, value.size);
    while ((rc = tfe_pb_next(&value_pb, &g, err)) == 1) {
        if (g.number != 1 || g.wire_type != TFE_WIRE_BYTES) continue;
        tfe_pb_init(&list_pb, g.bytes.data, g.bytes.size);
        while ((rc = tfe_pb_next(&list_pb, &h, err)) == 1)
            if (h.number == 7 && h.wire_type == TFE_WIRE_BYTES) return parse_shape(h.bytes, node, err);
        if (rc < 0) return -1;
    }
    return rc;
}

/* NodeDef: name = 1, op = 2, input = 3 (repeated), attr = 5 (map). */
static int parse_node(tfe_bytes bytes, gd_node *node, vz_error *err)
{
    memset(node, 0, sizeof *node);
    tfe_pb pb;
    tfe_field f;
    size_t capacity = 0;
    int rc;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.wire_type != TFE_WIRE_BYTES) continue;
        if (f.number == 1) node->name = f.bytes;
        else if (f.number == 2) node->op = f.bytes;
        else if (f.number == 5 && parse_attr(f.bytes, node, err) < 0) return -1;
        else if (f.number == 3) {
            if (node->input_count == capacity) {
                capacity = capacity ? capacity * 2 : 4;
                tfe_bytes *grown = realloc(node->inputs, capacity * sizeof *grown);
                if (!grown) return vz_out_of_memory(err, "a graph node's inputs");
                node->inputs = grown;
            }
            node->inputs[node->input_count++] = f.bytes;
        }
    }
    return rc;
}

static int parse_graph(tfe_bytes bytes, gd_graph *g, vz_error *err)
{
    memset(g, 0, sizeof *g);
    tfe_pb pb;
    tfe_field f;
    size_t capacity = 0;
    int rc;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.number != 1 || f.wire_type != TFE_WIRE_BYTES) continue; /* versions, library */
        if (g->count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            gd_node *grown = realloc(g->nodes, capacity * sizeof *grown);
            if (!grown) return vz_out_of_memory(err, "a graph's nodes");
            g->nodes = grown;
        }
        if (parse_node(f.bytes, &g->nodes[g->count], err) < 0) {
            free(g->nodes[g->count].inputs);
            rc = -1;
            break;
        }
        g->count++;
    }
    if (rc < 0) {
        vz_error inner = *err;
        graph_free(g);
        return malformed(err, inner.message);
    }
    return 0;
}

/* ---- building the vizd graph ------------------------------------------------------------------------ */

typedef struct {
    json_t *nodes, *edges, *inputs, *outputs;
    json_t *scope_rows;  /* scope prefix -> its row id (a borrowed JSON string) */
    json_t *refs;        /* node name -> what an edge from or to it names: id, input:NAME, output:NAME */
    json_t *edge_set;    /* "from\x01to" of every edge made */
    char *text;          /* scratch for building strings */
    size_t text_capacity;
    bool is_out_of_memory; /* an allocation failed somewhere: the whole graph is refused at the end */
} builder;

/* A NUL-terminated copy of bytes in the builder's scratch (valid until the next call). */
static const char *scratch(builder *b, const char *prefix, const unsigned char *data, size_t size)
{
    size_t prefix_len = strlen(prefix), need = prefix_len + size + 1;
    if (need > b->text_capacity) {
        b->text_capacity = need * 2;
        free(b->text);
        b->text = malloc(b->text_capacity);
        if (!b->text) {
            /* Remembered rather than returned: callers look names up with the result, and a lookup of ""
             * finds nothing, so they go on harmlessly until graphdef_to_graph refuses the graph. */
            b->text_capacity = 0;
            b->is_out_of_memory = true;
            return "";
        }
    }
    memcpy(b->text, prefix, prefix_len);
    if (size) memcpy(b->text + prefix_len, data, size);
    b->text[prefix_len + size] = '\0';
    return b->text;
}

static json_t *shape_json(const gd_node *node)
{
    json_t *shape = json_array();
    for (size_t d = 0; d < node->dims; d++) json_array_append_new(shape, json_integer(node->shape[d]));
    return shape;
}

/* A JSON string of bytes, or NULL when they are not UTF-8 (json_stringn checks). */
static json_t *string_of(tfe_bytes bytes)
{
    return json_stringn((const char *)bytes.data, bytes.size);
}

static bool is_bracketed(const char *component, size_t len)
{
    return len > 2 && component[len - 1] == ']' && memchr(component, '[', len) != NULL;
}

/* The row of the innermost module in a node name's scope (everything before its last '/'), making rows
 * for the scopes met for the first time; NULL for a name without scope. */
static json_t *scope_row(builder *b, tfe_bytes name, vz_error *err)
{
    const char *text = (const char *)name.data;
    const char *last_slash = NULL;
    for (size_t i = 0; i < name.size; i++)
        if (text[i] == '/') last_slash = text + i;
    if (!last_slash) return NULL;
    size_t scope_len = (size_t)(last_slash - text);
    json_t *row_id = NULL;
    bool seen_bracket = false;
    char module[1024] = "";
    size_t module_len = 0;
    for (size_t start = 0; start <= scope_len;) {
        size_t end = start;
        while (end < scope_len && text[end] != '/') end++;
        const char *component = text + start;
        size_t len = end - start;
        bool bracketed = is_bracketed(component, len);
        if (start == 0 || bracketed || !seen_bracket) {
            /* This scope is a module: its path grows by the bracketed name (or the component). */
            const char *part = component;
            size_t part_len = len;
            if (bracketed) {
                const char *open = memchr(component, '[', len);
                part = open + 1;
                part_len = len - (size_t)(open - component) - 2;
            }
            if (start > 0 && module_len + part_len + 2 < sizeof module) {
                if (module_len) module[module_len++] = '.';
                memcpy(module + module_len, part, part_len);
                module_len += part_len;
                module[module_len] = '\0';
            }
            const char *prefix = scratch(b, "", (const unsigned char *)text, end);
            json_t *existing = json_object_get(b->scope_rows, prefix);
            if (existing) {
                row_id = existing;
            } else {
                json_t *id = json_string(scratch(b, SCOPE_ID_PREFIX, (const unsigned char *)text, end));
                size_t type_len = bracketed ? (size_t)((const char *)memchr(component, '[', len) - component) : len;
                json_t *type = json_stringn(component, type_len), *path = json_string(module);
                if (!id || !type || !path) {
                    json_decref(id);
                    json_decref(type);
                    json_decref(path);
                    malformed(err, "a node name is not UTF-8");
                    return NULL;
                }
                json_t *row = json_pack("{s:O, s:o, s:o, s:O}", "id", id, "module", path, "type", type,
                                        "parent", row_id ? row_id : json_null());
                json_array_append_new(b->nodes, row);
                json_object_set_new(b->scope_rows, scratch(b, "", (const unsigned char *)text, end), id);
                row_id = id;
            }
        }
        seen_bracket = seen_bracket || bracketed;
        start = end + 1;
    }
    return row_id;
}

/* An IO Node named input/NAME or output/NAME: an entry of inputs or outputs. 1 if it was one. */
static int add_io(builder *b, const gd_node *node, vz_error *err)
{
    bool is_input = bytes_start(node->name, "input/"), is_output = bytes_start(node->name, "output/");
    if (!bytes_equal(node->op, "IO Node") || (!is_input && !is_output)) return 0;
    size_t skip = is_input ? strlen("input/") : strlen("output/");
    tfe_bytes rest = {node->name.data + skip, node->name.size - skip};
    json_t *name = string_of(rest);
    if (!name) return malformed(err, "a node name is not UTF-8");
    json_t *entry = json_pack("{s:o}", "name", name);
    if (node->has_shape || is_input) json_object_set_new(entry, "shape", shape_json(node));
    json_array_append_new(is_input ? b->inputs : b->outputs, entry);
    const char *ref = scratch(b, is_input ? "input:" : "output:", rest.data, rest.size);
    json_t *ref_json = json_string(ref);
    json_object_set_new(b->refs, scratch(b, "", node->name.data, node->name.size), ref_json);
    return 1;
}

static int add_op(builder *b, const gd_node *node, vz_error *err)
{
    json_t *id = string_of(node->name), *type = string_of(node->op);
    if (!id || !type || node->name.size == 0) {
        json_decref(id);
        json_decref(type);
        return malformed(err, "a node without a name, or a name or op that is not UTF-8");
    }
    /* "aten::add" -> "add": the namespace says which library, the name what it does. */
    const char *op_text = json_string_value(type);
    const char *colons = strstr(op_text, "::");
    json_t *parent = scope_row(b, node->name, err);
    if (!parent && err->status) {
        json_decref(id);
        json_decref(type);
        return -1;
    }
    json_t *op = json_pack("{s:O, s:s, s:s, s:O, s:O}", "id", id, "kind", "op", "op", colons ? colons + 2 : op_text,
                           "type", type, "parent", parent ? parent : json_null());
    json_decref(type);
    if (node->has_shape) json_object_set_new(op, "output_shape", shape_json(node));
    json_array_append_new(b->nodes, op);
    json_object_set_new(b->refs, json_string_value(id), id);
    return 0;
}

/* What an input string names: the node itself, else (for "name:1", an output index) the node before the
 * colon; control inputs start with '^'. NULL when it names nothing in the graph. */
static json_t *resolve_input(builder *b, tfe_bytes input)
{
    if (input.size && input.data[0] == '^') {
        input.data++;
        input.size--;
    }
    json_t *ref = json_object_get(b->refs, scratch(b, "", input.data, input.size));
    if (ref) return ref;
    const unsigned char *colon = NULL;
    for (size_t i = 0; i < input.size; i++)
        if (input.data[i] == ':') colon = input.data + i;
    return colon ? json_object_get(b->refs, scratch(b, "", input.data, (size_t)(colon - input.data))) : NULL;
}

static void add_edges(builder *b, const gd_graph *g, const json_t *producer_index)
{
    for (size_t i = 0; i < g->count; i++) {
        const gd_node *node = &g->nodes[i];
        json_t *to = json_object_get(b->refs, scratch(b, "", node->name.data, node->name.size));
        if (!to) continue;
        for (size_t k = 0; k < node->input_count; k++) {
            json_t *from = resolve_input(b, node->inputs[k]);
            if (!from || json_equal(from, to)) continue;
            const char *from_text = json_string_value(from), *to_text = json_string_value(to);
            size_t key_len = strlen(from_text) + strlen(to_text) + 2;
            char *key = malloc(key_len);
            if (!key) {
                b->is_out_of_memory = true;
                return;
            }
            snprintf(key, key_len, "%s\x01%s", from_text, to_text);
            if (!json_object_get(b->edge_set, key)) {
                json_object_set_new(b->edge_set, key, json_true());
                json_t *edge = json_pack("[O, O]", from, to);
                const json_t *index = json_object_get(producer_index, from_text);
                if (index) {
                    const gd_node *producer = &g->nodes[json_integer_value(index)];
                    if (producer->has_shape)
                        json_array_append_new(edge, json_pack("{s:o}", "shape", shape_json(producer)));
                }
                json_array_append_new(b->edges, edge);
            }
            free(key);
        }
    }
}

int graphdef_to_graph(tfe_bytes graph_def, json_t **graph, vz_error *err)
{
    gd_graph g;
    memset(err, 0, sizeof *err);
    if (parse_graph(graph_def, &g, err) < 0) return -1;
    if (g.count == 0) {
        graph_free(&g);
        return malformed(err, "it has no node");
    }
    builder b = {.nodes = json_array(), .edges = json_array(), .inputs = json_array(), .outputs = json_array(),
                 .scope_rows = json_object(), .refs = json_object(), .edge_set = json_object()};
    json_t *producer_index = json_object(); /* edge-end name -> the NodeDef that makes it */
    int rc = 0;
    for (size_t i = 0; i < g.count && rc == 0; i++) {
        rc = add_io(&b, &g.nodes[i], err);
        if (rc == 0) rc = add_op(&b, &g.nodes[i], err);
        else if (rc == 1) rc = 0;
        if (rc == 0) {
            json_t *ref = json_object_get(b.refs, scratch(&b, "", g.nodes[i].name.data, g.nodes[i].name.size));
            if (ref) json_object_set_new(producer_index, json_string_value(ref), json_integer((json_int_t)i));
        }
    }
    if (rc == 0) add_edges(&b, &g, producer_index);
    if (rc == 0 && b.is_out_of_memory) rc = vz_out_of_memory(err, "a graph");
    if (rc == 0) {
        const json_t *first = json_array_get(b.nodes, 0);
        const char *model = json_is_null(json_object_get(first, "parent")) && !json_object_get(first, "kind")
                                ? json_string_value(json_object_get(first, "type")) : "GraphDef";
        *graph = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:O}", "model", model, "source", "graph_def",
                           "summary_unavailable", SUMMARY_UNAVAILABLE_REASON, "inputs", b.inputs,
                           "outputs", b.outputs, "nodes", b.nodes, "edges", b.edges);
        if (!*graph) rc = vz_out_of_memory(err, "a graph");
    }
    json_decref(producer_index);
    json_decref(b.nodes);
    json_decref(b.edges);
    json_decref(b.inputs);
    json_decref(b.outputs);
    json_decref(b.scope_rows);
    json_decref(b.refs);
    json_decref(b.edge_set);
    free(b.text);
    graph_free(&g);
    return rc;
}
