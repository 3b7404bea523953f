/* test_summary.c -- the model summary must print what torchinfo 1.8.0 prints, and bad graphs are refused.
 *
 * tests/fixtures/torchinfo/ holds, per model, the graph rows exported from real PyTorch and the table
 * torchinfo printed for it (made once by make_expected.py there). resnet18 is also built here from its
 * architecture and must give back the reference table of the design (resnet18.seed.txt) exactly.
 * Tables are compared line by line with trailing spaces ignored. Paths are relative to the repository
 * root, where the tests run. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/buf.h"
#include "vizd/error.h"
#include "vizd/summary.h"

#define FIXTURES "tests/fixtures/torchinfo/"

static char *read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    cr_assert_not_null(file, "cannot open %s (tests run from the repository root)", path);
    vz_buf text;
    buf_init(&text);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0) buf_append(&text, chunk, got);
    fclose(file);
    return buf_release(&text, NULL);
}

static json_t *load_graph(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, FIXTURES "%s.graph.json", name);
    json_error_t error;
    json_t *graph = json_load_file(path, 0, &error);
    cr_assert_not_null(graph, "%s: %s", path, error.text);
    return graph;
}

/* Each line without its trailing spaces, and no blank lines at the end. */
static char *normalized(const char *text)
{
    vz_buf out;
    buf_init(&out);
    while (*text) {
        size_t len = strcspn(text, "\n");
        size_t kept = len;
        while (kept && text[kept - 1] == ' ') kept--;
        buf_append(&out, text, kept);
        buf_putc(&out, '\n');
        text += len + (text[len] == '\n');
    }
    while (out.len >= 2 && out.data[out.len - 1] == '\n' && out.data[out.len - 2] == '\n') out.len--;
    buf_putc(&out, '\0');
    return buf_release(&out, NULL);
}

/* Compare line by line so a failure names the first line that differs. */
static void assert_same_table(const char *actual_text, const char *expected_text, const char *what)
{
    char *actual = normalized(actual_text), *expected = normalized(expected_text);
    const char *a = actual, *e = expected;
    for (int line = 1; *a || *e; line++) {
        size_t a_len = strcspn(a, "\n"), e_len = strcspn(e, "\n");
        cr_expect(a_len == e_len && strncmp(a, e, a_len) == 0,
                  "%s, line %d:\n  got:      %.*s\n  expected: %.*s", what, line, (int)a_len, a,
                  (int)e_len, e);
        if (a_len != e_len || strncmp(a, e, a_len) != 0) break;
        a += a_len + (a[a_len] == '\n');
        e += e_len + (e[e_len] == '\n');
    }
    free(actual);
    free(expected);
}

static void assert_matches_torchinfo(const char *graph_name, const char *case_name, int depth,
                                     const char *columns)
{
    json_t *graph = load_graph(graph_name);
    vz_summary_options opts;
    summary_options_init(&opts);
    opts.depth = depth;
    vz_error err = {0};
    cr_assert_eq(summary_parse_columns(columns, &opts, &err), 0, "%s", err.message);
    vz_buf text;
    buf_init(&text);
    cr_assert_eq(summary_build(graph, &opts, &text, NULL, &err), 0, "%s", err.message);
    char path[256];
    snprintf(path, sizeof path, FIXTURES "%s.expected.txt", case_name);
    char *expected = read_file(path);
    assert_same_table(text.data, expected, case_name);
    free(expected);
    buf_free(&text);
    json_decref(graph);
}

#define ALL_COLUMNS "input_size,output_size,num_params,params_percent,kernel_size,mult_adds,trainable"

/* ---- against torchinfo ------------------------------------------------------------------------ */

Test(summary, resnet18_matches_torchinfo) { assert_matches_torchinfo("resnet18", "resnet18", 3, ""); }

Test(summary, resnet18_at_depth_1_folds_blocks_into_layers)
{
    assert_matches_torchinfo("resnet18", "resnet18_depth1", 1, "");
}

Test(summary, resnet18_at_depth_5_shows_downsample_children)
{
    assert_matches_torchinfo("resnet18", "resnet18_depth5", 5, "");
}

Test(summary, resnet18_with_every_optional_column)
{
    assert_matches_torchinfo("resnet18", "resnet18_all_columns", 3, ALL_COLUMNS);
}

Test(summary, module_called_twice_is_recursive)
{
    assert_matches_torchinfo("called_twice", "called_twice", 3, "");
}

Test(summary, module_called_twice_with_every_column)
{
    assert_matches_torchinfo("called_twice", "called_twice_all_columns", 3, ALL_COLUMNS);
}

Test(summary, frozen_layers_are_parenthesised)
{
    assert_matches_torchinfo("frozen", "frozen", 3, "");
}

Test(summary, partly_frozen_container_at_depth_1_is_partial)
{
    assert_matches_torchinfo("frozen", "frozen_depth1_all_columns", 1, ALL_COLUMNS);
}

Test(summary, parameters_owned_by_a_container_are_its_leftover)
{
    assert_matches_torchinfo("own_param", "own_param", 3, "");
}

Test(summary, own_parameters_and_unrun_children_at_depth_1)
{
    assert_matches_torchinfo("own_param", "own_param_depth1_all_columns", 1, ALL_COLUMNS);
}

Test(summary, lstm_matches_torchinfo) { assert_matches_torchinfo("lstm", "lstm", 3, ""); }

Test(summary, lstm_mult_adds_count_every_time_step)
{
    assert_matches_torchinfo("lstm", "lstm_all_columns", 3, ALL_COLUMNS);
}

Test(summary, deep_nesting_widens_the_name_column)
{
    assert_matches_torchinfo("deep", "deep_depth5", 5, "");
}

Test(summary, hidden_rows_still_widen_the_name_column_and_sum_mult_adds)
{
    assert_matches_torchinfo("deep", "deep_depth2_columns", 2, "kernel_size,num_params,mult_adds");
}

Test(summary, input_size_counts_the_python_storage_object_as_torchinfo_does)
{
    assert_matches_torchinfo("odd_input", "odd_input", 3, "");
}

/* ---- resnet18 from its architecture ------------------------------------------------------------ */

typedef struct {
    json_t *nodes;
    int count;
} graph_builder;

/* Append a row; returns its id. shape has dims sizes (dims 0: no output shape). */
static int add_row(graph_builder *g, int parent, const char *module, const char *type,
                   const json_int_t *shape, size_t dims, json_int_t params)
{
    char id[16], parent_id[16];
    snprintf(id, sizeof id, "%d", g->count);
    snprintf(parent_id, sizeof parent_id, "%d", parent);
    json_t *node = json_pack("{s:s, s:s, s:s, s:o}", "id", id, "module", module, "type", type,
                             "parent", parent < 0 ? json_null() : json_string(parent_id));
    if (dims) {
        json_t *out = json_array();
        for (size_t d = 0; d < dims; d++) json_array_append_new(out, json_integer(shape[d]));
        json_object_set_new(node, "output_shape", out);
    }
    if (params) {
        json_object_set_new(node, "params", json_integer(params));
        json_object_set_new(node, "trainable_params", json_integer(params));
    }
    json_array_append_new(g->nodes, node);
    return g->count++;
}

static int add_map(graph_builder *g, int parent, const char *module, const char *type, json_int_t channels,
                   json_int_t side, json_int_t params)
{
    const json_int_t shape[] = {1, channels, side, side};
    return add_row(g, parent, module, type, shape, 4, params);
}

/* torchvision's BasicBlock: conv-bn-relu-conv-bn, the optional downsample, then relu called again. */
static void add_basic_block(graph_builder *g, int parent, const char *path, json_int_t inplanes,
                            json_int_t planes, json_int_t side)
{
    char module[64];
    int block = add_map(g, parent, path, "BasicBlock", planes, side, 0);
    snprintf(module, sizeof module, "%s.conv1", path);
    add_map(g, block, module, "Conv2d", planes, side, inplanes * planes * 9);
    snprintf(module, sizeof module, "%s.bn1", path);
    add_map(g, block, module, "BatchNorm2d", planes, side, 2 * planes);
    snprintf(module, sizeof module, "%s.relu", path);
    add_map(g, block, module, "ReLU", planes, side, 0);
    snprintf(module, sizeof module, "%s.conv2", path);
    add_map(g, block, module, "Conv2d", planes, side, planes * planes * 9);
    snprintf(module, sizeof module, "%s.bn2", path);
    add_map(g, block, module, "BatchNorm2d", planes, side, 2 * planes);
    if (inplanes != planes) {
        snprintf(module, sizeof module, "%s.downsample", path);
        int downsample = add_map(g, block, module, "Sequential", planes, side, 0);
        snprintf(module, sizeof module, "%s.downsample.0", path);
        add_map(g, downsample, module, "Conv2d", planes, side, inplanes * planes);
        snprintf(module, sizeof module, "%s.downsample.1", path);
        add_map(g, downsample, module, "BatchNorm2d", planes, side, 2 * planes);
    }
    snprintf(module, sizeof module, "%s.relu", path);
    add_map(g, block, module, "ReLU", planes, side, 0);
}

/* The root row has no output shape, as in docs/API.md's example ("Model graphs"): the reference table shows "--". */
static json_t *resnet18_graph(void)
{
    graph_builder g = {json_array(), 0};
    int root = add_row(&g, -1, "", "ResNet", NULL, 0, 0);
    add_map(&g, root, "conv1", "Conv2d", 64, 112, 3 * 64 * 49);
    add_map(&g, root, "bn1", "BatchNorm2d", 64, 112, 128);
    add_map(&g, root, "relu", "ReLU", 64, 112, 0);
    add_map(&g, root, "maxpool", "MaxPool2d", 64, 56, 0);
    json_int_t inplanes = 64;
    for (int layer = 1; layer <= 4; layer++) {
        json_int_t planes = 64 << (layer - 1), side = 56 >> (layer - 1);
        char path[32], block[40];
        snprintf(path, sizeof path, "layer%d", layer);
        int sequential = add_map(&g, root, path, "Sequential", planes, side, 0);
        snprintf(block, sizeof block, "%s.0", path);
        add_basic_block(&g, sequential, block, inplanes, planes, side);
        snprintf(block, sizeof block, "%s.1", path);
        add_basic_block(&g, sequential, block, planes, planes, side);
        inplanes = planes;
    }
    add_map(&g, root, "avgpool", "AdaptiveAvgPool2d", 512, 1, 0);
    const json_int_t logits[] = {1, 1000};
    add_row(&g, root, "fc", "Linear", logits, 2, 512 * 1000 + 1000);
    return json_pack("{s:s, s:[{s:s, s:[iiii], s:s}], s:o}", "model", "ResNet", "inputs", "name", "x",
                     "shape", 1, 3, 224, 224, "dtype", "float32", "nodes", g.nodes);
}

Test(summary, resnet18_rows_give_back_the_reference_table)
{
    json_t *graph = resnet18_graph();
    vz_buf text;
    buf_init(&text);
    vz_error err = {0};
    cr_assert_eq(summary_build(graph, NULL, &text, NULL, &err), 0, "%s", err.message);
    char *expected = read_file(FIXTURES "resnet18.seed.txt");
    assert_same_table(text.data, expected, "resnet18 built from its architecture");
    free(expected);
    buf_free(&text);
    json_decref(graph);
}

Test(summary, json_form_carries_rows_and_footer_numbers)
{
    json_t *graph = resnet18_graph(), *summary = NULL;
    vz_error err = {0};
    cr_assert_eq(summary_build(graph, NULL, NULL, &summary, &err), 0, "%s", err.message);
    json_t *totals = json_object_get(summary, "totals");
    cr_expect_eq(json_integer_value(json_object_get(totals, "total_params")), 11689512);
    cr_expect_eq(json_integer_value(json_object_get(totals, "non_trainable_params")), 0);
    cr_expect_eq(json_integer_value(json_object_get(totals, "params_bytes")), 46758048);
    json_t *rows = json_object_get(summary, "rows");
    cr_expect_eq(json_array_size(rows), 70); /* the depth-4 downsample children are hidden */
    json_t *downsample = NULL;
    for (size_t i = 0; i < json_array_size(rows); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(rows, i), "label")),
                   "Sequential: 3-18") == 0)
            downsample = json_array_get(rows, i);
    cr_assert_not_null(downsample);
    cr_expect_str_eq(json_string_value(json_object_get(downsample, "params")), "8,448");
    cr_expect_str_eq(json_string_value(json_object_get(downsample, "module")), "layer2.0.downsample");
    cr_expect_eq(json_integer_value(json_object_get(downsample, "depth")), 3);
    json_decref(summary);
    json_decref(graph);
}

Test(summary, graph_without_inputs_has_no_size_footer)
{
    json_t *graph = json_loads(
        "{\"nodes\": [{\"id\": \"0\", \"module\": \"\", \"type\": \"Net\", \"parent\": null},"
        "           {\"id\": \"1\", \"module\": \"fc\", \"type\": \"Linear\", \"parent\": \"0\","
        "            \"params\": 1234567, \"trainable_params\": 0}]}", 0, NULL);
    vz_buf text;
    buf_init(&text);
    vz_error err = {0};
    cr_assert_eq(summary_build(graph, NULL, &text, NULL, &err), 0, "%s", err.message);
    const char *expected =
        "=================================================================\n"
        "Layer (type:depth-idx)                   Param #\n"
        "=================================================================\n"
        "Net                                      --\n"
        "├─Linear: 1-1                            (1,234,567)\n"
        "=================================================================\n"
        "Total params: 1,234,567\n"
        "Trainable params: 0\n"
        "Non-trainable params: 1,234,567\n"
        "=================================================================\n";
    assert_same_table(text.data, expected, "no inputs");
    buf_free(&text);
    json_decref(graph);
}

/* ---- refusals ---------------------------------------------------------------------------------- */

static const char *const small_graph =
    "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 4], \"dtype\": \"float32\"}],"
    " \"nodes\": [{\"id\": \"0\", \"module\": \"\", \"type\": \"Net\", \"parent\": null},"
    "            {\"id\": \"1\", \"module\": \"fc\", \"type\": \"Linear\", \"parent\": \"0\","
    "             \"output_shape\": [1, 2], \"params\": 10, \"trainable_params\": 10},"
    "            {\"id\": \"2\", \"module\": \"act\", \"type\": \"ReLU\", \"parent\": \"0\","
    "             \"output_shape\": [1, 2]}],"
    " \"edges\": [[\"input:x\", \"1\"], [\"1\", \"2\"]]}";

static json_t *small(void)
{
    json_error_t error;
    json_t *graph = json_loads(small_graph, 0, &error);
    cr_assert_not_null(graph, "%s", error.text);
    return graph;
}

static json_t *node(json_t *graph, size_t index)
{
    return json_array_get(json_object_get(graph, "nodes"), index);
}

static void assert_refused(json_t *graph, const char *code, const char *path)
{
    vz_error err = {0};
    cr_assert_eq(graph_validate(graph, &err), -1, "expected %s to be refused", path);
    cr_expect_eq(err.status, 400);
    cr_expect_str_eq(err.code, code);
    cr_expect_str_eq(err.path, path, "%s", err.message);
    vz_buf text;
    buf_init(&text);
    cr_expect_eq(summary_build(graph, NULL, &text, NULL, &err), -1);
    cr_expect_eq(text.len, 0);
    buf_free(&text);
    json_decref(graph);
}

Test(graph_validate, accepts_a_small_graph)
{
    json_t *graph = small();
    vz_error err = {0};
    cr_expect_eq(graph_validate(graph, &err), 0, "%s", err.message);
    json_decref(graph);
}

Test(graph_validate, refuses_a_duplicate_id)
{
    json_t *graph = small();
    json_object_set_new(node(graph, 2), "id", json_string("1"));
    assert_refused(graph, "invalid_value", "graph.nodes[2].id");
}

Test(graph_validate, refuses_a_missing_parent)
{
    json_t *graph = small();
    json_object_set_new(node(graph, 1), "parent", json_string("7"));
    assert_refused(graph, "invalid_value", "graph.nodes[1].parent");
}

Test(graph_validate, refuses_a_parent_cycle)
{
    json_t *graph = small();
    json_object_set_new(node(graph, 1), "parent", json_string("2"));
    json_object_set_new(node(graph, 2), "parent", json_string("1"));
    assert_refused(graph, "invalid_value", "graph.nodes[2].parent");
}

Test(graph_validate, refuses_a_node_that_is_its_own_parent)
{
    json_t *graph = small();
    json_object_set_new(node(graph, 2), "parent", json_string("2"));
    assert_refused(graph, "invalid_value", "graph.nodes[2].parent");
}

Test(graph_validate, refuses_a_negative_size_in_a_shape)
{
    json_t *graph = small();
    json_object_set_new(node(graph, 2), "output_shape", json_pack("[i, i, i]", 1, 2, -3));
    assert_refused(graph, "invalid_value", "graph.nodes[2].output_shape[2]");
}

Test(graph_validate, refuses_a_shape_whose_element_count_overflows)
{
    json_t *graph = small();
    json_object_set_new(node(graph, 2), "output_shape",
                        json_pack("[I, I]", (json_int_t)4000000000LL, (json_int_t)4000000000LL));
    assert_refused(graph, "invalid_value", "graph.nodes[2].output_shape");
}

Test(graph_validate, refuses_params_beyond_int64)
{
    json_t *graph = small();
    json_object_set_new(node(graph, 1), "params", json_real(1e19));
    assert_refused(graph, "invalid_value", "graph.nodes[1].params");
}

Test(graph_validate, refuses_more_trainable_params_than_params)
{
    json_t *graph = small();
    json_object_set_new(node(graph, 1), "trainable_params", json_integer(11));
    assert_refused(graph, "invalid_value", "graph.nodes[1].trainable_params");
}

Test(graph_validate, refuses_an_edge_to_a_missing_node)
{
    json_t *graph = small();
    json_array_set_new(json_array_get(json_object_get(graph, "edges"), 1), 1, json_string("9"));
    assert_refused(graph, "invalid_value", "graph.edges[1][1]");
}

Test(graph_validate, refuses_an_edge_from_an_unknown_input)
{
    json_t *graph = small();
    json_array_set_new(json_array_get(json_object_get(graph, "edges"), 0), 0, json_string("input:y"));
    assert_refused(graph, "invalid_value", "graph.edges[0][0]");
}

Test(graph_validate, refuses_a_node_without_a_type)
{
    json_t *graph = small();
    json_object_del(node(graph, 1), "type");
    assert_refused(graph, "missing_field", "graph.nodes[1].type");
}

Test(graph_validate, refuses_a_graph_without_nodes)
{
    json_t *graph = small();
    json_object_del(graph, "nodes");
    assert_refused(graph, "missing_field", "graph.nodes");
}

Test(summary, refuses_totals_beyond_int64)
{
    json_t *graph = small();
    json_object_set_new(node(graph, 1), "params", json_integer(INT64_MAX));
    json_object_set_new(node(graph, 1), "trainable_params", json_integer(INT64_MAX));
    json_object_set_new(node(graph, 2), "params", json_integer(INT64_MAX));
    vz_error err = {0};
    cr_expect_eq(summary_build(graph, NULL, NULL, NULL, &err), -1);
    cr_expect_str_eq(err.path, "graph.nodes");
    json_decref(graph);
}

Test(summary, unknown_column_names_are_refused)
{
    vz_summary_options opts;
    summary_options_init(&opts);
    vz_error err = {0};
    cr_expect_eq(summary_parse_columns("output_size,flops", &opts, &err), -1);
    cr_expect_str_eq(err.path, "columns");
}

/* ---- data flow: op nodes, edge tensors, outputs ------------------------------------------------- */

/* resnet18's rows with an op node after every fifth row (parent: that row's parent, or the row itself
 * when it is a container), shaped edges between them and an output: the table must not move. */
Test(summary, op_nodes_and_edge_tensors_leave_the_table_unchanged)
{
    json_t *graph = load_graph("resnet18");
    json_t *nodes = json_object_get(graph, "nodes"), *edges = json_object_get(graph, "edges");
    json_t *grown = json_array();
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        json_t *row = json_array_get(nodes, i);
        json_array_append(grown, row);
        if (i % 5) continue;
        char id[32];
        snprintf(id, sizeof id, "op%zu", i);
        json_array_append_new(grown, json_pack("{s:s, s:s, s:s, s:O, s:[i, i], s:s}", "id", id, "kind", "op",
                                               "op", "add", "parent", json_object_get(row, "id"),
                                               "output_shape", 1, 8, "dtype", "float32"));
        json_array_append_new(edges, json_pack("[s, s, {s:[i, i, i, i], s:s}]", json_string_value(json_object_get(row, "id")),
                                               id, "shape", 1, 64, 56, 56, "dtype", "float32"));
    }
    json_object_set_new(graph, "nodes", grown);
    json_object_set_new(graph, "outputs", json_pack("[{s:s, s:[i, i]}]", "name", "logits", "shape", 1, 1000));
    json_array_append_new(edges, json_pack("[s, s]", "op70", "output:logits"));
    vz_buf text;
    buf_init(&text);
    vz_error err = {0};
    cr_assert_eq(summary_build(graph, NULL, &text, NULL, &err), 0, "%s %s", err.path, err.message);
    char *expected = read_file(FIXTURES "resnet18.expected.txt");
    assert_same_table(text.data, expected, "resnet18 with op nodes");
    free(expected);
    buf_free(&text);
    json_decref(graph);
}

static json_t *small_with_op(void)
{
    json_t *graph = small();
    json_array_append_new(json_object_get(graph, "nodes"),
                          json_pack("{s:s, s:s, s:s, s:s}", "id", "op0", "kind", "op", "op", "relu", "parent", "0"));
    json_array_append_new(json_object_get(graph, "edges"),
                          json_pack("[s, s, {s:[i, i], s:s}]", "2", "op0", "shape", 1, 2, "dtype", "float32"));
    json_object_set_new(graph, "outputs", json_pack("[{s:s}]", "name", "y"));
    json_array_append_new(json_object_get(graph, "edges"), json_pack("[s, s]", "op0", "output:y"));
    return graph;
}

Test(graph_validate, accepts_op_nodes_edge_tensors_and_outputs)
{
    json_t *graph = small_with_op();
    vz_error err = {0};
    cr_expect_eq(graph_validate(graph, &err), 0, "%s: %s", err.path, err.message);
    json_decref(graph);
}

Test(graph_validate, refuses_an_op_node_without_its_op)
{
    json_t *graph = small_with_op();
    json_object_del(node(graph, 3), "op");
    assert_refused(graph, "missing_field", "graph.nodes[3].op");
}

Test(graph_validate, refuses_an_unknown_kind)
{
    json_t *graph = small_with_op();
    json_object_set_new(node(graph, 3), "kind", json_string("tensor"));
    assert_refused(graph, "invalid_value", "graph.nodes[3].kind");
}

Test(graph_validate, refuses_a_module_row_inside_an_op)
{
    json_t *graph = small_with_op();
    json_object_set_new(node(graph, 2), "parent", json_string("op0"));
    assert_refused(graph, "invalid_value", "graph.nodes[2].parent");
}

Test(graph_validate, refuses_an_edge_tensor_with_a_bad_shape)
{
    json_t *graph = small_with_op();
    json_t *tensor = json_array_get(json_array_get(json_object_get(graph, "edges"), 2), 2);
    json_object_set_new(tensor, "shape", json_pack("[i, s]", 1, "2"));
    assert_refused(graph, "invalid_value", "graph.edges[2][2].shape[1]");
}

Test(graph_validate, refuses_an_edge_tensor_with_an_unknown_dtype)
{
    json_t *graph = small_with_op();
    json_t *tensor = json_array_get(json_array_get(json_object_get(graph, "edges"), 2), 2);
    json_object_set_new(tensor, "dtype", json_string("float7"));
    assert_refused(graph, "invalid_value", "graph.edges[2][2].dtype");
}

Test(graph_validate, refuses_an_edge_to_an_undeclared_output)
{
    json_t *graph = small_with_op();
    json_array_set_new(json_array_get(json_object_get(graph, "edges"), 3), 1, json_string("output:z"));
    assert_refused(graph, "invalid_value", "graph.edges[3][1]");
}

Test(graph_validate, refuses_an_edge_of_four_items)
{
    json_t *graph = small_with_op();
    json_array_append_new(json_array_get(json_object_get(graph, "edges"), 0), json_object());
    json_array_append_new(json_array_get(json_object_get(graph, "edges"), 0), json_object());
    assert_refused(graph, "invalid_value", "graph.edges[0]");
}

Test(summary, a_graph_that_cannot_have_a_summary_says_why)
{
    json_t *graph = small_with_op();
    json_object_set_new(graph, "summary_unavailable", json_string("no parameter counts in a GraphDef"));
    vz_buf text;
    buf_init(&text);
    json_t *summary = NULL;
    vz_error err = {0};
    cr_assert_eq(summary_build(graph, NULL, &text, &summary, &err), 0, "%s", err.message);
    cr_expect_str_eq(text.data, "No summary: no parameter counts in a GraphDef\n");
    cr_expect_str_eq(json_string_value(json_object_get(summary, "unavailable")), "no parameter counts in a GraphDef");
    cr_expect(json_is_null(json_object_get(summary, "totals")));
    cr_expect_eq(json_array_size(json_object_get(summary, "rows")), 0);
    json_decref(summary);
    buf_free(&text);
    json_decref(graph);
}
