/* test_graphdef.c -- a GraphDef (as torch's and tensorboardX's add_graph write it) as a vizd graph:
 * scopes become module rows, IO Nodes inputs and outputs, NodeDef inputs edges with the producer's
 * _output_shapes; what names nothing is not an edge; broken bytes are refused. The GraphDefs are
 * encoded here field by field (graph.proto's numbers), so each test says exactly what it feeds. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "vizd/buf.h"
#include "vizd/graphdef.h"
#include "vizd/summary.h"

static void put_varint(vz_buf *b, uint64_t v)
{
    do {
        unsigned char byte = v & 0x7f;
        v >>= 7;
        buf_putc(b, (char)(byte | (v ? 0x80 : 0)));
    } while (v);
}

static void put_bytes_field(vz_buf *b, unsigned number, const void *data, size_t size)
{
    put_varint(b, (uint64_t)number << 3 | 2);
    put_varint(b, size);
    buf_append(b, data, size);
}

static void put_string_field(vz_buf *b, unsigned number, const char *s) { put_bytes_field(b, number, s, strlen(s)); }

/* A NodeDef: name, op, inputs (NULL-terminated) and, when dims >= 0, _output_shapes with one shape. */
static void put_node(vz_buf *graph, const char *name, const char *op, const char *const *inputs, int dims,
                     const int64_t *shape)
{
    vz_buf node, attr, value, list, tensor_shape, dim;
    buf_init(&node);
    put_string_field(&node, 1, name);
    put_string_field(&node, 2, op);
    for (size_t i = 0; inputs && inputs[i]; i++) put_string_field(&node, 3, inputs[i]);
    if (dims >= 0) {
        buf_init(&tensor_shape);
        for (int d = 0; d < dims; d++) {
            buf_init(&dim);
            put_varint(&dim, 1 << 3 | 0);
            put_varint(&dim, (uint64_t)shape[d]);
            put_bytes_field(&tensor_shape, 2, dim.data, dim.len);
            buf_free(&dim);
        }
        buf_init(&list);
        put_bytes_field(&list, 7, tensor_shape.data, tensor_shape.len);
        buf_init(&value);
        put_bytes_field(&value, 1, list.data, list.len);
        buf_init(&attr);
        put_string_field(&attr, 1, "_output_shapes");
        put_bytes_field(&attr, 2, value.data, value.len);
        put_bytes_field(&node, 5, attr.data, attr.len);
        buf_free(&attr);
        buf_free(&value);
        buf_free(&list);
        buf_free(&tensor_shape);
    }
    put_bytes_field(graph, 1, node.data, node.len);
    buf_free(&node);
}

static json_t *convert(const vz_buf *graph_def)
{
    json_t *graph = NULL;
    vz_error err;
    tfe_bytes bytes = {(const unsigned char *)graph_def->data, graph_def->len};
    cr_assert_eq(graphdef_to_graph(bytes, &graph, &err), 0, "%s", err.message);
    cr_assert_eq(graph_validate(graph, &err), 0, "%s: %s", err.path, err.message);
    return graph;
}

static json_t *node_with_id(const json_t *graph, const char *id)
{
    const json_t *nodes = json_object_get(graph, "nodes");
    for (size_t i = 0; i < json_array_size(nodes); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(nodes, i), "id")), id) == 0)
            return json_array_get(nodes, i);
    return NULL;
}

static char *edges_text(const json_t *graph)
{
    return json_dumps(json_object_get(graph, "edges"), JSON_COMPACT);
}

/* A residual block as torch traces it: input, a conv in scope, an add of the conv and the input (and a
 * constant alpha), an output. */
static void residual_graph_def(vz_buf *g)
{
    static const int64_t image[] = {1, 4, 8, 8}, logits[] = {1, 4, 8, 8};
    buf_init(g);
    put_node(g, "input/x", "IO Node", NULL, 4, image);
    put_node(g, "output/output.1", "IO Node", (const char *const[]){"Net/Block[b]/input.3", NULL}, 4, logits);
    put_node(g, "Net/Block[b]/Conv2d[conv]/weight/weight.1", "prim::GetAttr",
             (const char *const[]){"Net/Block[b]/Conv2d[conv]/weight/conv", NULL}, -1, NULL);
    put_node(g, "Net/Block[b]/Conv2d[conv]/input.1", "aten::_convolution",
             (const char *const[]){"input/x", "Net/Block[b]/Conv2d[conv]/weight/weight.1", NULL}, 4, image);
    put_node(g, "Net/Block[b]/1", "prim::Constant", NULL, -1, NULL);
    put_node(g, "Net/Block[b]/input.3", "aten::add",
             (const char *const[]){"Net/Block[b]/Conv2d[conv]/input.1", "input/x", "Net/Block[b]/1",
                                   "^Net/Block[b]/1", NULL}, 4, image);
}

Test(graphdef, scopes_become_module_rows_and_ops_hang_under_the_innermost)
{
    vz_buf g;
    residual_graph_def(&g);
    json_t *graph = convert(&g);
    const json_t *block = node_with_id(graph, "scope:Net/Block[b]");
    cr_assert_not_null(block);
    cr_expect_str_eq(json_string_value(json_object_get(block, "module")), "b");
    cr_expect_str_eq(json_string_value(json_object_get(block, "type")), "Block");
    cr_expect_str_eq(json_string_value(json_object_get(block, "parent")), "scope:Net");
    const json_t *conv = node_with_id(graph, "scope:Net/Block[b]/Conv2d[conv]");
    cr_expect_str_eq(json_string_value(json_object_get(conv, "module")), "b.conv");
    /* "weight" below a bracketed scope is where torch puts a parameter's GetAttr, not a module. */
    cr_expect_null(node_with_id(graph, "scope:Net/Block[b]/Conv2d[conv]/weight"));
    const json_t *get_attr = node_with_id(graph, "Net/Block[b]/Conv2d[conv]/weight/weight.1");
    cr_expect_str_eq(json_string_value(json_object_get(get_attr, "parent")), "scope:Net/Block[b]/Conv2d[conv]");
    const json_t *add = node_with_id(graph, "Net/Block[b]/input.3");
    cr_expect_str_eq(json_string_value(json_object_get(add, "op")), "add");
    cr_expect_str_eq(json_string_value(json_object_get(add, "type")), "aten::add");
    cr_expect_str_eq(json_string_value(json_object_get(add, "parent")), "scope:Net/Block[b]");
    cr_expect_str_eq(json_string_value(json_object_get(graph, "model")), "Net");
    cr_expect_eq(json_array_size(json_object_get(graph, "nodes")), 3 + 4);
    json_decref(graph);
    buf_free(&g);
}

Test(graphdef, inputs_become_edges_with_the_producers_shape_once_each)
{
    vz_buf g;
    residual_graph_def(&g);
    json_t *graph = convert(&g);
    char *edges = edges_text(graph);
    /* In NodeDef order. The GetAttr's input (the module) is not a node: no edge. The constant is read
     * twice (once as a control input): one edge, without a shape. */
    cr_expect_str_eq(edges,
        "[[\"Net/Block[b]/input.3\",\"output:output.1\",{\"shape\":[1,4,8,8]}],"
        "[\"input:x\",\"Net/Block[b]/Conv2d[conv]/input.1\",{\"shape\":[1,4,8,8]}],"
        "[\"Net/Block[b]/Conv2d[conv]/weight/weight.1\",\"Net/Block[b]/Conv2d[conv]/input.1\"],"
        "[\"Net/Block[b]/Conv2d[conv]/input.1\",\"Net/Block[b]/input.3\",{\"shape\":[1,4,8,8]}],"
        "[\"input:x\",\"Net/Block[b]/input.3\",{\"shape\":[1,4,8,8]}],"
        "[\"Net/Block[b]/1\",\"Net/Block[b]/input.3\"]]");
    free(edges);
    json_t *io = json_pack("{s:O, s:O}", "inputs", json_object_get(graph, "inputs"), "outputs",
                           json_object_get(graph, "outputs"));
    char *ends = json_dumps(io, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(io);
    cr_expect_str_eq(ends, "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4,8,8]}],"
                           "\"outputs\":[{\"name\":\"output.1\",\"shape\":[1,4,8,8]}]}");
    free(ends);
    json_decref(graph);
    buf_free(&g);
}

Test(graphdef, the_summary_says_why_there_is_no_table)
{
    vz_buf g, text;
    residual_graph_def(&g);
    json_t *graph = convert(&g);
    buf_init(&text);
    vz_error err;
    cr_assert_eq(summary_build(graph, NULL, &text, NULL, &err), 0, "%s", err.message);
    cr_expect(strstr(text.data, "No summary: ") == text.data && strstr(text.data, "GraphDef"), "%s", text.data);
    buf_free(&text);
    json_decref(graph);
    buf_free(&g);
}

Test(graphdef, an_output_index_names_the_node_before_the_colon)
{
    static const int64_t shape[] = {2, 3};
    vz_buf g;
    buf_init(&g);
    put_node(&g, "lstm", "aten::lstm", NULL, 2, shape);
    put_node(&g, "head", "aten::linear", (const char *const[]){"lstm:1", NULL}, 2, shape);
    json_t *graph = convert(&g);
    char *edges = edges_text(graph);
    cr_expect_str_eq(edges, "[[\"lstm\",\"head\",{\"shape\":[2,3]}]]");
    cr_expect(json_is_null(json_object_get(node_with_id(graph, "head"), "parent")));
    free(edges);
    json_decref(graph);
    buf_free(&g);
}

Test(graphdef, an_unknown_size_leaves_the_shape_out)
{
    static const int64_t shape[] = {1, -1};
    vz_buf g;
    buf_init(&g);
    put_node(&g, "a", "aten::relu", NULL, 2, shape);
    put_node(&g, "b", "aten::relu", (const char *const[]){"a", NULL}, 2, shape);
    json_t *graph = convert(&g);
    char *edges = edges_text(graph);
    cr_expect_str_eq(edges, "[[\"a\",\"b\"]]");
    cr_expect_null(json_object_get(node_with_id(graph, "a"), "output_shape"));
    free(edges);
    json_decref(graph);
    buf_free(&g);
}

Test(graphdef, refuses_bytes_that_are_no_graph_def)
{
    json_t *graph = NULL;
    vz_error err;
    const unsigned char truncated[] = {0x0a, 0x10, 0x0a, 0x01};
    cr_expect_eq(graphdef_to_graph((tfe_bytes){truncated, sizeof truncated}, &graph, &err), -1);
    cr_expect_str_eq(err.path, "graph_def");
    cr_expect_eq(graphdef_to_graph((tfe_bytes){truncated, 0}, &graph, &err), -1);
    cr_expect(strstr(err.message, "no node") != NULL, "%s", err.message);
    cr_expect_null(graph);
}

Test(graphdef, refuses_a_node_name_that_is_not_utf8)
{
    vz_buf g;
    buf_init(&g);
    put_node(&g, "Net/\xff\xfe", "aten::relu", NULL, -1, NULL);
    json_t *graph = NULL;
    vz_error err;
    cr_expect_eq(graphdef_to_graph((tfe_bytes){(const unsigned char *)g.data, g.len}, &graph, &err), -1);
    cr_expect_null(graph);
    buf_free(&g);
}
