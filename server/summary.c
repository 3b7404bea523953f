/* summary.c -- the torchinfo 1.8.0 model summary, computed from the rows of a stored graph.
 *
 * A graph row is one module call, in the order the calls started; `params` counts the parameters the
 * module owns itself (docs/ARCHITECTURE.md, "Model graphs"). torchinfo's figures come from that as follows.
 *
 * Rows. A row's depth is the length of its parent chain (the model is depth 0). Each depth keeps one
 * running index over the whole table, hidden rows included, so "Conv2d: 3-7" is the seventh depth-3
 * row. A row whose module already had a row is a repeated ("recursive") call. A module is a leaf when
 * no other module lies under its path ("layer1.0" lies under "layer1"); a row may say otherwise with
 * "is_leaf" (a module whose submodules never ran, like MultiheadAttention). The "children" torchinfo
 * uses are all the rows that follow a row and are deeper than it, up to the next row that is not.
 *
 * Parameters. A row's parameter count is that of its module and every module under its path, each
 * module counted once. A container's "leftover" parameters are its count minus, over its non-repeated
 * children, each leaf child's count and each container child's own leftover: what the container owns
 * directly. Param # shows "--" for none, "(recursive)" for a repeated call, the full count for a leaf
 * or a row at the display depth (in parentheses when none of it is trainable), else the leftover
 * ("--" when zero). Rows deeper than the display depth are hidden; their parameters are in the count
 * of their ancestor at that depth.
 *
 * Totals. Over non-repeated rows: a leaf adds its count, a container its leftover (never below zero);
 * the same for trainable parameters. Only leaves add to the Params size (4 bytes a parameter unless a
 * row says "param_bytes"), so parameters a container owns directly are in Total params but not in the
 * byte figures, as in torchinfo. Mult-adds are summed over leaf rows, repeated calls included: a row's
 * "mult_adds" if given, else for Conv* types parameters x batch x output spatial size, for recurrent
 * types (RNN, LSTM, GRU and their cells, whose weights are named weight_ih_l0 ...) parameters x the
 * first two output dimensions, and for the rest parameters x batch. The forward/backward pass size is
 * twice the output bytes of every leaf row that holds parameters (twice: the gradient is as large).
 * The input size is each input's bytes plus the 56 bytes of Python object around a torch storage,
 * because torchinfo measures inputs with sys.getsizeof (CPython 3.10, the Python whose torchinfo
 * prints "(G)" rather than "(Units.GIGABYTES)"). MB are 10^6 bytes; mult-adds are shown in M, or in
 * G or T from 10^9 and 10^12, with two decimals unless the quotient is a whole number.
 *
 * Layout. The name column is 40 characters wide, or, when a name plus 5 characters per depth level
 * plus one reaches 40, that rounded up to a multiple of 5 (over all rows, hidden ones too). Each other
 * column is 25 wide; every cell is left-aligned, padded to its width and followed by a space, and the
 * line is then stripped of trailing spaces. Widths count characters, not bytes ("│" is one). */
#include "vizd/summary.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/json.h"

#define NO_ROW SIZE_MAX
#define NAME_WIDTH_MIN 40
#define NAME_WIDTH_STEP 5
#define COLUMN_WIDTH 25
#define PATH_BYTES 160
#define DEFAULT_PARAM_BYTES 4          /* float32 parameters */
#define STORAGE_OBJECT_BYTES 56        /* sys.getsizeof(storage) - nbytes on CPython 3.10 */
#define ALL_COLUMNS 7

static const char *const column_names[ALL_COLUMNS] = {
    "input_size", "output_size", "num_params", "params_percent", "kernel_size", "mult_adds",
    "trainable"};
static const char *const column_titles[ALL_COLUMNS] = {
    "Input Shape", "Output Shape", "Param #", "Param %", "Kernel Shape", "Mult-Adds", "Trainable"};

/* ---- options ------------------------------------------------------------------------------- */

void summary_options_init(vz_summary_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->depth = SUMMARY_DEFAULT_DEPTH;
}

static int column_from_name(const char *name, size_t len)
{
    for (int c = 0; c < ALL_COLUMNS; c++)
        if (strlen(column_names[c]) == len && strncmp(column_names[c], name, len) == 0) return c;
    return -1;
}

int summary_parse_columns(const char *list, vz_summary_options *opts, vz_error *err)
{
    opts->column_count = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int column = column_from_name(p, len);
        if (column < 0)
            return vz_fail(err, 400, "invalid_value", "columns", "unknown column '%.*s'; known: "
                           "input_size, output_size, num_params, params_percent, kernel_size, "
                           "mult_adds, trainable", (int)(len > 64 ? 64 : len), p);
        if (opts->column_count == SUMMARY_MAX_COLUMNS)
            return vz_fail(err, 400, "invalid_value", "columns", "at most %d columns",
                           SUMMARY_MAX_COLUMNS);
        opts->columns[opts->column_count++] = (summary_column)column;
        p += len;
        if (*p == ',') p++;
    }
    return 0;
}

/* ---- dtypes ---------------------------------------------------------------------------------- */

static int64_t dtype_bytes(const char *dtype)
{
    static const struct { const char *name; int64_t bytes; } sizes[] = {
        {"float32", 4}, {"float", 4}, {"float64", 8}, {"double", 8}, {"float16", 2}, {"half", 2},
        {"bfloat16", 2}, {"int64", 8}, {"long", 8}, {"int32", 4}, {"int", 4}, {"int16", 2},
        {"short", 2}, {"int8", 1}, {"uint8", 1}, {"bool", 1}, {"complex64", 8}, {"complex128", 16}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (strcmp(sizes[i].name, dtype) == 0) return sizes[i].bytes;
    return 0;
}

/* ---- ids --------------------------------------------------------------------------------------- */

typedef struct {
    const char *key;
    size_t index;
} key_entry;

static int compare_key_entries(const void *a, const void *b)
{
    const key_entry *x = a, *y = b;
    int order = strcmp(x->key, y->key);
    if (order) return order;
    return (x->index > y->index) - (x->index < y->index);
}

/* strcmp between the first key_len bytes of key (no NUL among them) and s. */
static int compare_prefix(const char *key, size_t key_len, const char *s)
{
    int order = strncmp(key, s, key_len);
    if (order) return order;
    return s[key_len] ? -1 : 0;
}

/* The entry of the lowest index whose key equals key[0..key_len), or NO_ROW. */
static size_t find_key(const key_entry *entries, size_t count, const char *key, size_t key_len)
{
    size_t low = 0, high = count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (compare_prefix(key, key_len, entries[mid].key) > 0) low = mid + 1;
        else high = mid;
    }
    if (low < count && compare_prefix(key, key_len, entries[low].key) == 0) return low;
    return NO_ROW;
}

/* Node ids sorted, for lookups; the caller frees. Assumes every node has a string id. NULL when out of
 * memory. */
static key_entry *sorted_ids(const json_t *nodes)
{
    size_t count = json_array_size(nodes);
    key_entry *entries = malloc((count ? count : 1) * sizeof *entries);
    if (!entries) return NULL;
    for (size_t i = 0; i < count; i++) {
        entries[i].key = json_string_value(json_object_get(json_array_get(nodes, i), "id"));
        entries[i].index = i;
    }
    qsort(entries, count, sizeof *entries, compare_key_entries);
    return entries;
}

static size_t node_index(const key_entry *ids, size_t count, const char *id)
{
    size_t entry = find_key(ids, count, id, strlen(id));
    return entry == NO_ROW ? NO_ROW : ids[entry].index;
}

/* ---- validation -------------------------------------------------------------------------------- */

static int node_fail(vz_error *err, size_t index, const char *field, const char *code,
                     const char *message)
{
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "graph.nodes[%zu]%s%s", index, field[0] ? "." : "", field);
    return vz_fail(err, 400, code, path, "%s", message);
}

static bool is_count(const json_t *value)
{
    return json_is_integer(value) && json_integer_value(value) >= 0;
}

/* A shape: an array of non-negative integers whose product fits int64. prefix is the field's path. */
static int check_shape(const json_t *shape, const char *prefix, vz_error *err)
{
    if (!json_is_array(shape))
        return vz_fail(err, 400, "invalid_value", prefix, "expected an array of sizes");
    int64_t elements = 1;
    for (size_t d = 0; d < json_array_size(shape); d++) {
        const json_t *size = json_array_get(shape, d);
        if (!is_count(size)) {
            char path[PATH_BYTES];
            snprintf(path, sizeof path, "%s[%zu]", prefix, d);
            return vz_fail(err, 400, "invalid_value", path,
                           "expected a non-negative integer that fits in 64 bits");
        }
        if (__builtin_mul_overflow(elements, (int64_t)json_integer_value(size), &elements))
            return vz_fail(err, 400, "invalid_value", prefix, "element count exceeds 64 bits");
    }
    return 0;
}

static int check_optional_shape(const json_t *node, size_t index, const char *field, vz_error *err)
{
    const json_t *shape = json_object_get(node, field);
    if (!shape) return 0;
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "graph.nodes[%zu].%s", index, field);
    return check_shape(shape, path, err);
}

static int check_optional_count(const json_t *node, size_t index, const char *field, vz_error *err)
{
    const json_t *value = json_object_get(node, field);
    if (value && !is_count(value))
        return node_fail(err, index, field, "invalid_value",
                         "expected a non-negative integer that fits in 64 bits");
    return 0;
}

static int check_required_string(const json_t *node, size_t index, const char *field, vz_error *err)
{
    const json_t *value = json_object_get(node, field);
    if (!value) return node_fail(err, index, field, "missing_field", "required");
    if (!json_is_string(value)) return node_fail(err, index, field, "invalid_value", "expected a string");
    return 0;
}

static int check_kernel_size(const json_t *node, size_t index, vz_error *err)
{
    const json_t *kernel = json_object_get(node, "kernel_size");
    if (!kernel || is_count(kernel)) return 0;
    return check_optional_shape(node, index, "kernel_size", err);
}

static int check_node_counts(const json_t *node, size_t index, vz_error *err)
{
    static const char *const counts[] = {"params", "trainable_params", "mult_adds", "param_bytes"};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        if (check_optional_count(node, index, counts[c], err)) return -1;
    const json_t *params = json_object_get(node, "params");
    const json_t *trainable = json_object_get(node, "trainable_params");
    json_int_t owned = params ? json_integer_value(params) : 0;
    if (trainable && json_integer_value(trainable) > owned)
        return node_fail(err, index, "trainable_params", "invalid_value", "exceeds params");
    return 0;
}

static bool is_op_node(const json_t *node)
{
    const json_t *kind = json_object_get(node, "kind");
    return json_is_string(kind) && strcmp(json_string_value(kind), "op") == 0;
}

/* A module row needs its module path and type (the summary prints them); an op node names its op and
 * may leave both out. */
static int check_node_kind(const json_t *node, size_t index, vz_error *err)
{
    const json_t *kind = json_object_get(node, "kind");
    if (kind && (!json_is_string(kind) || (strcmp(json_string_value(kind), "module") != 0
                                           && strcmp(json_string_value(kind), "op") != 0)))
        return node_fail(err, index, "kind", "invalid_value", "expected \"module\" or \"op\"");
    if (!is_op_node(node))
        return check_required_string(node, index, "module", err) || check_required_string(node, index, "type", err)
               ? -1 : 0;
    if (check_required_string(node, index, "op", err)) return -1;
    static const char *const optional[] = {"module", "type"};
    for (size_t f = 0; f < 2; f++) {
        const json_t *value = json_object_get(node, optional[f]);
        if (value && !json_is_string(value))
            return node_fail(err, index, optional[f], "invalid_value", "expected a string");
    }
    return 0;
}

static int check_node_fields(const json_t *node, size_t index, vz_error *err)
{
    if (!json_is_object(node)) return node_fail(err, index, "", "invalid_value", "expected an object");
    if (check_required_string(node, index, "id", err) || check_node_kind(node, index, err)) return -1;
    const json_t *parent = json_object_get(node, "parent");
    if (parent && !json_is_null(parent) && !json_is_string(parent))
        return node_fail(err, index, "parent", "invalid_value", "expected a node id or null");
    const json_t *dtype = json_object_get(node, "dtype");
    if (dtype && (!json_is_string(dtype) || !dtype_bytes(json_string_value(dtype))))
        return node_fail(err, index, "dtype", "invalid_value", "unknown dtype");
    const json_t *is_leaf = json_object_get(node, "is_leaf");
    if (is_leaf && !json_is_boolean(is_leaf))
        return node_fail(err, index, "is_leaf", "invalid_value", "expected true or false");
    if (check_optional_shape(node, index, "output_shape", err)
        || check_optional_shape(node, index, "input_shape", err) || check_kernel_size(node, index, err))
        return -1;
    return check_node_counts(node, index, err);
}

static int check_unique_ids(const key_entry *ids, size_t count, vz_error *err)
{
    size_t first_duplicate = NO_ROW;
    for (size_t i = 1; i < count; i++)
        if (strcmp(ids[i - 1].key, ids[i].key) == 0 && ids[i].index < first_duplicate)
            first_duplicate = ids[i].index;
    if (first_duplicate == NO_ROW) return 0;
    return node_fail(err, first_duplicate, "id", "invalid_value", "duplicate id");
}

static size_t parent_of(const json_t *nodes, const key_entry *ids, size_t index)
{
    const json_t *parent = json_object_get(json_array_get(nodes, index), "parent");
    if (!json_is_string(parent)) return NO_ROW;
    return node_index(ids, json_array_size(nodes), json_string_value(parent));
}

/* Parents exist, and a module row's parent is a module row: the summary, which leaves op nodes out,
 * must still find every row's depth. */
static int check_parents_exist(const json_t *nodes, const key_entry *ids, vz_error *err)
{
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        const json_t *node = json_array_get(nodes, i);
        const json_t *parent = json_object_get(node, "parent");
        if (!json_is_string(parent)) continue;
        size_t parent_index = parent_of(nodes, ids, i);
        if (parent_index == NO_ROW) return node_fail(err, i, "parent", "invalid_value", "no node has this id");
        if (!is_op_node(node) && is_op_node(json_array_get(nodes, parent_index)))
            return node_fail(err, i, "parent", "invalid_value", "a module row's parent must be a module row");
    }
    return 0;
}

/* Walk each parent chain once: a node met again on the walk in progress closes a cycle. */
static int check_no_parent_cycle(const json_t *nodes, const key_entry *ids, vz_error *err)
{
    enum { UNSEEN, ON_WALK, DONE };
    size_t count = json_array_size(nodes);
    unsigned char *state = calloc(count ? count : 1, 1);
    if (!state) return vz_out_of_memory(err, "checking the graph");
    int result = 0;
    for (size_t start = 0; start < count && result == 0; start++) {
        size_t last = NO_ROW;
        for (size_t i = start; i != NO_ROW && state[i] == UNSEEN; i = parent_of(nodes, ids, i)) {
            state[i] = ON_WALK;
            last = i;
        }
        size_t end = last == NO_ROW ? NO_ROW : parent_of(nodes, ids, last);
        if (end != NO_ROW && state[end] == ON_WALK)
            result = node_fail(err, last, "parent", "invalid_value", "parents form a cycle");
        for (size_t i = start; i != NO_ROW && state[i] == ON_WALK; i = parent_of(nodes, ids, i))
            state[i] = DONE;
    }
    free(state);
    return result;
}

static int check_input(const json_t *input, size_t index, vz_error *err)
{
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "graph.inputs[%zu]", index);
    if (!json_is_object(input)) return vz_fail(err, 400, "invalid_value", path, "expected an object");
    const json_t *name = json_object_get(input, "name"), *dtype = json_object_get(input, "dtype");
    const json_t *shape = json_object_get(input, "shape");
    snprintf(path, sizeof path, "graph.inputs[%zu].name", index);
    if (!name) return vz_fail(err, 400, "missing_field", path, "required");
    if (!json_is_string(name)) return vz_fail(err, 400, "invalid_value", path, "expected a string");
    snprintf(path, sizeof path, "graph.inputs[%zu].dtype", index);
    if (dtype && (!json_is_string(dtype) || !dtype_bytes(json_string_value(dtype))))
        return vz_fail(err, 400, "invalid_value", path, "unknown dtype");
    snprintf(path, sizeof path, "graph.inputs[%zu].shape", index);
    if (!shape) return vz_fail(err, 400, "missing_field", path, "required");
    return check_shape(shape, path, err);
}

/* An output of the model (an edge may end at "output:NAME"): a name, and optionally shape and dtype. */
static int check_output(const json_t *output, size_t index, vz_error *err)
{
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "graph.outputs[%zu]", index);
    if (!json_is_object(output)) return vz_fail(err, 400, "invalid_value", path, "expected an object");
    const json_t *name = json_object_get(output, "name"), *dtype = json_object_get(output, "dtype");
    const json_t *shape = json_object_get(output, "shape");
    snprintf(path, sizeof path, "graph.outputs[%zu].name", index);
    if (!name) return vz_fail(err, 400, "missing_field", path, "required");
    if (!json_is_string(name)) return vz_fail(err, 400, "invalid_value", path, "expected a string");
    snprintf(path, sizeof path, "graph.outputs[%zu].dtype", index);
    if (dtype && (!json_is_string(dtype) || !dtype_bytes(json_string_value(dtype))))
        return vz_fail(err, 400, "invalid_value", path, "unknown dtype");
    snprintf(path, sizeof path, "graph.outputs[%zu].shape", index);
    return shape ? check_shape(shape, path, err) : 0;
}

static int check_inputs(const json_t *graph, vz_error *err)
{
    const json_t *inputs = json_object_get(graph, "inputs");
    if (inputs && !json_is_array(inputs))
        return vz_fail(err, 400, "invalid_value", "graph.inputs", "expected an array");
    for (size_t i = 0; i < json_array_size(inputs); i++)
        if (check_input(json_array_get(inputs, i), i, err)) return -1;
    const json_t *outputs = json_object_get(graph, "outputs");
    if (outputs && !json_is_array(outputs))
        return vz_fail(err, 400, "invalid_value", "graph.outputs", "expected an array");
    for (size_t i = 0; i < json_array_size(outputs); i++)
        if (check_output(json_array_get(outputs, i), i, err)) return -1;
    const json_t *unavailable = json_object_get(graph, "summary_unavailable");
    if (unavailable && !json_is_string(unavailable))
        return vz_fail(err, 400, "invalid_value", "graph.summary_unavailable", "expected a string (the reason)");
    return 0;
}

static bool is_named_in(const json_t *graph, const char *list, const char *name)
{
    const json_t *items = json_object_get(graph, list);
    for (size_t i = 0; i < json_array_size(items); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(items, i), "name")), name) == 0)
            return true;
    return false;
}

/* A node id, "input:NAME" naming an input or "output:NAME" naming an output. */
static bool edge_end_exists(const json_t *graph, const key_entry *ids, const json_t *end)
{
    const char *name = json_string_value(end);
    if (!name) return false;
    if (strncmp(name, "input:", 6) == 0 && is_named_in(graph, "inputs", name + 6)) return true;
    if (strncmp(name, "output:", 7) == 0 && is_named_in(graph, "outputs", name + 7)) return true;
    return node_index(ids, json_array_size(json_object_get(graph, "nodes")), name) != NO_ROW;
}

/* The optional third item of an edge: {"shape": [...], "dtype": "float32"}, what flows on it. */
static int check_edge_tensor(const json_t *tensor, size_t index, vz_error *err)
{
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "graph.edges[%zu][2]", index);
    if (!json_is_object(tensor))
        return vz_fail(err, 400, "invalid_value", path, "expected {\"shape\": [...], \"dtype\": ...}");
    const json_t *dtype = json_object_get(tensor, "dtype"), *shape = json_object_get(tensor, "shape");
    snprintf(path, sizeof path, "graph.edges[%zu][2].dtype", index);
    if (dtype && (!json_is_string(dtype) || !dtype_bytes(json_string_value(dtype))))
        return vz_fail(err, 400, "invalid_value", path, "unknown dtype");
    snprintf(path, sizeof path, "graph.edges[%zu][2].shape", index);
    return shape ? check_shape(shape, path, err) : 0;
}

static int check_edges(const json_t *graph, const key_entry *ids, vz_error *err)
{
    const json_t *edges = json_object_get(graph, "edges");
    if (!edges) return 0;
    if (!json_is_array(edges)) return vz_fail(err, 400, "invalid_value", "graph.edges", "expected an array");
    for (size_t i = 0; i < json_array_size(edges); i++) {
        const json_t *edge = json_array_get(edges, i);
        char path[PATH_BYTES];
        snprintf(path, sizeof path, "graph.edges[%zu]", i);
        if (!json_is_array(edge) || json_array_size(edge) < 2 || json_array_size(edge) > 3)
            return vz_fail(err, 400, "invalid_value", path, "expected [from, to] or [from, to, {shape, dtype}]");
        for (size_t side = 0; side < 2; side++) {
            snprintf(path, sizeof path, "graph.edges[%zu][%zu]", i, side);
            if (!edge_end_exists(graph, ids, json_array_get(edge, side)))
                return vz_fail(err, 400, "invalid_value", path, "no node, input or output has this id");
        }
        if (json_array_size(edge) == 3 && check_edge_tensor(json_array_get(edge, 2), i, err)) return -1;
    }
    return 0;
}

static int check_graph_links(const json_t *graph, vz_error *err)
{
    const json_t *nodes = json_object_get(graph, "nodes");
    key_entry *ids = sorted_ids(nodes);
    if (!ids) return vz_out_of_memory(err, "checking the graph");
    size_t count = json_array_size(nodes);
    int result = check_unique_ids(ids, count, err);
    if (result == 0) result = check_parents_exist(nodes, ids, err);
    if (result == 0) result = check_no_parent_cycle(nodes, ids, err);
    if (result == 0) result = check_edges(graph, ids, err);
    free(ids);
    return result;
}

int graph_validate(const json_t *graph, vz_error *err)
{
    if (!json_is_object(graph)) return vz_fail(err, 400, "invalid_value", "graph", "expected an object");
    const json_t *nodes = json_object_get(graph, "nodes");
    if (!nodes) return vz_fail(err, 400, "missing_field", "graph.nodes", "required");
    if (!json_is_array(nodes)) return vz_fail(err, 400, "invalid_value", "graph.nodes", "expected an array");
    for (size_t i = 0; i < json_array_size(nodes); i++)
        if (check_node_fields(json_array_get(nodes, i), i, err)) return -1;
    if (check_inputs(graph, err)) return -1;
    return check_graph_links(graph, err);
}

/* ---- the model: rows with torchinfo's per-layer figures ------------------------------------------ */

typedef struct {
    const json_t *node;
    const char *module, *type;
    size_t parent;           /* row of the enclosing call, or NO_ROW */
    size_t first_call;       /* first row of the same module (itself unless a repeated call) */
    size_t children_end;     /* torchinfo's children are the rows (index, children_end) */
    int depth;
    long depth_index;
    bool is_leaf, is_recursive, has_submodule;
    int64_t own_params, own_trainable, own_param_bytes;
    int64_t num_params, trainable_params, param_bytes; /* the module and everything under it */
    int64_t leftover_params, leftover_trainable;
    int64_t output_bytes, macs, leaf_child_macs;
} summary_row;

typedef struct {
    const json_t *graph;
    summary_row *rows;
    size_t count;
    bool overflowed;         /* some sum left int64: the figures are meaningless */
    bool is_out_of_memory;   /* a step could not get its scratch memory: no figures */
    int max_depth;
    bool has_inputs;
    int64_t total_params, trainable_params, total_mult_adds;
    int64_t input_bytes, output_bytes, param_bytes;
    size_t name_width;
} summary_model;

static int64_t checked_add(summary_model *m, int64_t a, int64_t b)
{
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum)) { m->overflowed = true; return 0; }
    return sum;
}

static int64_t checked_sub(summary_model *m, int64_t a, int64_t b)
{
    int64_t difference;
    if (__builtin_sub_overflow(a, b, &difference)) { m->overflowed = true; return 0; }
    return difference;
}

static int64_t checked_mul(summary_model *m, int64_t a, int64_t b)
{
    int64_t product;
    if (__builtin_mul_overflow(a, b, &product)) { m->overflowed = true; return 0; }
    return product;
}

static int64_t count_field(const json_t *node, const char *field, int64_t fallback)
{
    const json_t *value = json_object_get(node, field);
    return value ? (int64_t)json_integer_value(value) : fallback;
}

/* Product of shape[from, to) (to clipped to the shape's length). */
static int64_t shape_product(summary_model *m, const json_t *shape, size_t from, size_t to)
{
    int64_t product = 1;
    for (size_t d = from; d < to && d < json_array_size(shape); d++)
        product = checked_mul(m, product, (int64_t)json_integer_value(json_array_get(shape, d)));
    return product;
}

static void load_rows(summary_model *m, const key_entry *ids)
{
    const json_t *nodes = json_object_get(m->graph, "nodes");
    for (size_t i = 0; i < m->count; i++) {
        summary_row *row = &m->rows[i];
        row->node = json_array_get(nodes, i);
        row->module = json_string_value(json_object_get(row->node, "module"));
        row->type = json_string_value(json_object_get(row->node, "type"));
        row->parent = parent_of(nodes, ids, i);
        row->depth = -1;
        row->own_params = count_field(row->node, "params", 0);
        row->own_trainable = count_field(row->node, "trainable_params", row->own_params);
        const json_t *param_bytes = json_object_get(row->node, "param_bytes");
        row->own_param_bytes = param_bytes ? (int64_t)json_integer_value(param_bytes)
                                           : checked_mul(m, row->own_params, DEFAULT_PARAM_BYTES);
    }
}

/* Depth = length of the parent chain; each chain is walked once, then filled in from the top. */
static void compute_depths(summary_model *m)
{
    for (size_t start = 0; start < m->count; start++) {
        int unknown = 0;
        size_t known = start;
        while (known != NO_ROW && m->rows[known].depth < 0) {
            known = m->rows[known].parent;
            unknown++;
        }
        int depth = (known == NO_ROW ? -1 : m->rows[known].depth) + unknown;
        for (size_t i = start; i != NO_ROW && m->rows[i].depth < 0; i = m->rows[i].parent)
            m->rows[i].depth = depth--;
    }
}

/* One running index per depth over the whole table, hidden rows included. */
static void number_rows(summary_model *m)
{
    int deepest = 0;
    for (size_t i = 0; i < m->count; i++)
        if (m->rows[i].depth > deepest) deepest = m->rows[i].depth;
    long *next = calloc((size_t)deepest + 1, sizeof *next);
    if (!next) {
        m->is_out_of_memory = true;
        return;
    }
    for (size_t i = 0; i < m->count; i++)
        m->rows[i].depth_index = ++next[m->rows[i].depth];
    free(next);
}

/* children_end = the next row at the same depth or shallower (a monotonic stack from the right). */
static void find_children(summary_model *m)
{
    size_t *stack = malloc((m->count ? m->count : 1) * sizeof *stack), height = 0;
    if (!stack) {
        m->is_out_of_memory = true;
        return;
    }
    for (size_t i = m->count; i-- > 0;) {
        while (height && m->rows[stack[height - 1]].depth > m->rows[i].depth) height--;
        m->rows[i].children_end = height ? stack[height - 1] : m->count;
        stack[height++] = i;
    }
    free(stack);
}

/* The first call of every module, sorted by module path: looked up for each ancestor path. */
static key_entry *index_modules(summary_model *m, size_t *module_count)
{
    key_entry *modules = malloc((m->count ? m->count : 1) * sizeof *modules);
    if (!modules) {
        m->is_out_of_memory = true;
        return NULL;
    }
    for (size_t i = 0; i < m->count; i++) modules[i] = (key_entry){m->rows[i].module, i};
    qsort(modules, m->count, sizeof *modules, compare_key_entries);
    size_t distinct = 0;
    for (size_t i = 0; i < m->count; i++) {
        bool repeats = distinct && strcmp(modules[distinct - 1].key, modules[i].key) == 0;
        size_t first = repeats ? modules[distinct - 1].index : modules[i].index;
        m->rows[modules[i].index].first_call = first;
        m->rows[modules[i].index].is_recursive = repeats;
        if (!repeats) modules[distinct++] = modules[i];
    }
    *module_count = distinct;
    return modules;
}

/* Add a module's own parameters to itself and to every ancestor module ("a.b" -> "a" -> "") that has a
 * row; mark those ancestors as having a submodule. */
static void credit_ancestors(summary_model *m, const key_entry *modules, size_t module_count, size_t first)
{
    summary_row *row = &m->rows[first];
    row->num_params = checked_add(m, row->num_params, row->own_params);
    row->trainable_params = checked_add(m, row->trainable_params, row->own_trainable);
    row->param_bytes = checked_add(m, row->param_bytes, row->own_param_bytes);
    size_t len = strlen(row->module);
    while (len > 0) {
        const char *dot = memrchr(row->module, '.', len);
        len = dot ? (size_t)(dot - row->module) : 0;
        size_t entry = find_key(modules, module_count, row->module, len);
        if (entry == NO_ROW) continue;
        summary_row *ancestor = &m->rows[modules[entry].index];
        ancestor->has_submodule = true;
        ancestor->num_params = checked_add(m, ancestor->num_params, row->own_params);
        ancestor->trainable_params = checked_add(m, ancestor->trainable_params, row->own_trainable);
        ancestor->param_bytes = checked_add(m, ancestor->param_bytes, row->own_param_bytes);
    }
}

static void count_module_params(summary_model *m)
{
    size_t module_count;
    key_entry *modules = index_modules(m, &module_count);
    if (!modules) return;
    for (size_t entry = 0; entry < module_count; entry++)
        credit_ancestors(m, modules, module_count, modules[entry].index);
    free(modules);
    for (size_t i = 0; i < m->count; i++) {
        summary_row *row = &m->rows[i];
        const summary_row *first = &m->rows[row->first_call];
        row->num_params = first->num_params;
        row->trainable_params = first->trainable_params;
        row->param_bytes = first->param_bytes;
        const json_t *is_leaf = json_object_get(row->node, "is_leaf");
        row->is_leaf = is_leaf ? json_is_true(is_leaf) : !first->has_submodule;
    }
}

static bool is_recurrent_type(const char *type)
{
    static const char *const recurrent[] = {"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"};
    for (size_t i = 0; i < sizeof recurrent / sizeof recurrent[0]; i++)
        if (strcmp(type, recurrent[i]) == 0) return true;
    return false;
}

/* torchinfo's per-call mult-adds. For a container only the sign matters (it decides between "--" and
 * the sum of its leaves), so its child weights count once per output element of the first two dims. */
static int64_t row_macs(summary_model *m, const summary_row *row)
{
    const json_t *given = json_object_get(row->node, "mult_adds");
    if (given) return (int64_t)json_integer_value(given);
    const json_t *out = json_object_get(row->node, "output_shape");
    if (!out || row->num_params == 0) return 0;
    if (!row->is_leaf) return checked_mul(m, row->num_params, shape_product(m, out, 0, 2));
    if (json_array_size(out) == 0) return 0;
    int64_t batch = (int64_t)json_integer_value(json_array_get(out, 0));
    if (strstr(row->type, "Conv"))
        return checked_mul(m, row->num_params, checked_mul(m, batch, shape_product(m, out, 2, SIZE_MAX)));
    if (is_recurrent_type(row->type)) return checked_mul(m, row->num_params, shape_product(m, out, 0, 2));
    return checked_mul(m, row->num_params, batch);
}

static int64_t row_output_bytes(summary_model *m, const summary_row *row)
{
    const json_t *out = json_object_get(row->node, "output_shape");
    if (!out) return 0;
    const char *dtype = json_string_value(json_object_get(row->node, "dtype"));
    return checked_mul(m, dtype ? dtype_bytes(dtype) : 4, shape_product(m, out, 0, SIZE_MAX));
}

/* Leftovers and leaf mult-adds of the children, bottom-up: children follow their container, so going
 * backwards every child is done first, and suffix sums give any range of rows in O(1). */
static void compute_leftovers(summary_model *m)
{
    size_t n = m->count;
    int64_t *params = calloc(n + 1, sizeof *params), *trainable = calloc(n + 1, sizeof *trainable);
    int64_t *leaf_macs = calloc(n + 1, sizeof *leaf_macs);
    if (!params || !trainable || !leaf_macs) {
        m->is_out_of_memory = true;
        n = 0; /* skip the loop; the frees below release what was allocated */
    }
    for (size_t i = n; i-- > 0;) {
        summary_row *row = &m->rows[i];
        size_t end = row->children_end;
        row->leftover_params = checked_sub(m, row->num_params, checked_sub(m, params[i + 1], params[end]));
        row->leftover_trainable =
            checked_sub(m, row->trainable_params, checked_sub(m, trainable[i + 1], trainable[end]));
        row->leaf_child_macs = checked_sub(m, leaf_macs[i + 1], leaf_macs[end]);
        int64_t counted = row->is_recursive ? 0 : row->is_leaf ? row->num_params : row->leftover_params;
        int64_t counted_trainable = row->is_recursive ? 0
                                    : row->is_leaf ? row->trainable_params : row->leftover_trainable;
        params[i] = checked_add(m, params[i + 1], counted);
        trainable[i] = checked_add(m, trainable[i + 1], counted_trainable);
        leaf_macs[i] = checked_add(m, leaf_macs[i + 1], row->is_leaf ? row->macs : 0);
    }
    free(params);
    free(trainable);
    free(leaf_macs);
}

static void add_row_to_totals(summary_model *m, const summary_row *row)
{
    if (row->is_leaf) {
        m->total_mult_adds = checked_add(m, m->total_mult_adds, row->macs);
        if (row->num_params > 0) /* x2: the gradient of the output is as large */
            m->output_bytes = checked_add(m, m->output_bytes, checked_mul(m, row->output_bytes, 2));
        if (row->is_recursive) return;
        m->total_params = checked_add(m, m->total_params, row->num_params);
        m->trainable_params = checked_add(m, m->trainable_params, row->trainable_params);
        m->param_bytes = checked_add(m, m->param_bytes, row->param_bytes);
        return;
    }
    if (row->is_recursive) return;
    m->total_params = checked_add(m, m->total_params, row->leftover_params > 0 ? row->leftover_params : 0);
    m->trainable_params = checked_add(m, m->trainable_params,
                                      row->leftover_trainable > 0 ? row->leftover_trainable : 0);
}

static void count_input_bytes(summary_model *m)
{
    const json_t *inputs = json_object_get(m->graph, "inputs");
    m->has_inputs = json_array_size(inputs) > 0;
    for (size_t i = 0; i < json_array_size(inputs); i++) {
        const json_t *input = json_array_get(inputs, i);
        const char *dtype = json_string_value(json_object_get(input, "dtype"));
        int64_t bytes = checked_mul(m, dtype ? dtype_bytes(dtype) : 4,
                                    shape_product(m, json_object_get(input, "shape"), 0, SIZE_MAX));
        m->input_bytes = checked_add(m, m->input_bytes, checked_add(m, bytes, STORAGE_OBJECT_BYTES));
    }
}

static size_t utf8_length(const char *s)
{
    size_t length = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) length++;
    return length;
}

static size_t label_length(const summary_row *row)
{
    size_t length = utf8_length(row->type);
    if (row->depth > 0) length += (size_t)snprintf(NULL, 0, ": %d-%ld", row->depth, row->depth_index);
    return length;
}

/* 40, or the longest label plus its indent (5 per level, plus 1) rounded up to a multiple of 5. */
static void compute_name_width(summary_model *m)
{
    size_t longest = 0;
    for (size_t i = 0; i < m->count; i++) {
        size_t length = (size_t)m->rows[i].depth * NAME_WIDTH_STEP + 1 + label_length(&m->rows[i]);
        if (length > longest) longest = length;
    }
    m->name_width = NAME_WIDTH_MIN;
    if (longest >= NAME_WIDTH_MIN)
        m->name_width = (longest + NAME_WIDTH_STEP - 1) / NAME_WIDTH_STEP * NAME_WIDTH_STEP;
}

static void model_free(summary_model *m) { free(m->rows); }

static int model_load(summary_model *m, const json_t *graph, int max_depth, vz_error *err)
{
    memset(m, 0, sizeof *m);
    m->graph = graph;
    m->max_depth = max_depth;
    const json_t *nodes = json_object_get(graph, "nodes");
    m->count = json_array_size(nodes);
    m->rows = calloc(m->count ? m->count : 1, sizeof *m->rows);
    key_entry *ids = m->rows ? sorted_ids(nodes) : NULL;
    if (!ids) {
        free(m->rows);
        return vz_out_of_memory(err, "the graph summary");
    }
    load_rows(m, ids);
    free(ids);
    compute_depths(m);
    /* Each step below needs the one before it done in full, so a failed allocation stops the chain. */
    if (!m->is_out_of_memory) number_rows(m);
    if (!m->is_out_of_memory) find_children(m);
    if (!m->is_out_of_memory) count_module_params(m);
    if (!m->is_out_of_memory)
        for (size_t i = 0; i < m->count; i++) {
            m->rows[i].macs = row_macs(m, &m->rows[i]);
            m->rows[i].output_bytes = row_output_bytes(m, &m->rows[i]);
        }
    if (!m->is_out_of_memory) compute_leftovers(m);
    if (m->is_out_of_memory) {
        model_free(m);
        return vz_out_of_memory(err, "the graph summary");
    }
    for (size_t i = 0; i < m->count; i++) add_row_to_totals(m, &m->rows[i]);
    count_input_bytes(m);
    compute_name_width(m);
    if (!m->overflowed) return 0;
    model_free(m);
    return vz_fail(err, 400, "invalid_value", "graph.nodes",
                   "parameter, byte or mult-add totals exceed 64 bits");
}

/* ---- cells ------------------------------------------------------------------------------------- */

/* Python's "{:,}" grouping of the integer part of a printed number ("-1234567.89" -> "-1,234,567.89"). */
static void put_grouped(vz_buf *b, const char *digits)
{
    if (*digits == '-') buf_putc(b, *digits++);
    size_t integer = strspn(digits, "0123456789");
    for (size_t i = 0; i < integer; i++) {
        if (i && (integer - i) % 3 == 0) buf_putc(b, ',');
        buf_putc(b, digits[i]);
    }
    buf_puts(b, digits + integer);
}

static void put_grouped_int64(vz_buf *b, int64_t value)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", (long long)value);
    put_grouped(b, digits);
}

/* Python's f"{x:,.Nf}"; glibc and CPython both round the exact binary value, so the digits agree. */
static void put_grouped_fixed(vz_buf *b, double value, int decimals)
{
    char digits[400];
    snprintf(digits, sizeof digits, "%.*f", decimals, value);
    put_grouped(b, digits);
}

static void put_shape(vz_buf *b, const json_t *shape)
{
    buf_putc(b, '[');
    for (size_t d = 0; d < json_array_size(shape); d++) {
        if (d) buf_puts(b, ", ");
        buf_put_int64(b, (int64_t)json_integer_value(json_array_get(shape, d)));
    }
    buf_putc(b, ']');
}

/* torchinfo prints str(value), or "--" for anything false: missing, 0 or an empty list. */
static void put_shape_or_dashes(vz_buf *b, const json_t *value)
{
    if (json_is_integer(value) && json_integer_value(value) != 0) buf_put_int64(b, json_integer_value(value));
    else if (json_array_size(value) > 0) put_shape(b, value);
    else buf_puts(b, "--");
}

static void put_params(vz_buf *b, const summary_row *row, bool at_max_depth)
{
    if (row->num_params == 0) { buf_puts(b, "--"); return; }
    if (row->is_recursive) { buf_puts(b, "(recursive)"); return; }
    if (at_max_depth || row->is_leaf) {
        bool frozen = row->trainable_params == 0;
        if (frozen) buf_putc(b, '(');
        put_grouped_int64(b, row->num_params);
        if (frozen) buf_putc(b, ')');
        return;
    }
    if (row->leftover_params > 0) put_grouped_int64(b, row->leftover_params);
    else buf_puts(b, "--");
}

/* Right-aligned in 7 characters, like f"{share:>7.2%}"; "     --" for nothing. */
static void put_params_percent(vz_buf *b, const summary_row *row, bool at_max_depth, int64_t total)
{
    if (total == 0) { buf_puts(b, "     --"); return; }
    if (row->is_recursive) { buf_puts(b, "(recursive)"); return; }
    int64_t params = at_max_depth || row->is_leaf ? row->num_params : row->leftover_params;
    if (params == 0) { buf_puts(b, "     --"); return; }
    char percent[400];
    snprintf(percent, sizeof percent, "%.2f%%", (double)params / (double)total * 100.0);
    buf_printf(b, "%7s", percent);
}

static void put_mult_adds(vz_buf *b, const summary_row *row, bool at_max_depth)
{
    if (row->macs <= 0) buf_puts(b, "--");
    else if (row->is_leaf) put_grouped_int64(b, row->macs);
    else if (at_max_depth) put_grouped_int64(b, row->leaf_child_macs);
    else buf_puts(b, "--");
}

static void put_trainable(vz_buf *b, const summary_row *row)
{
    if (row->num_params == 0) buf_puts(b, "--");
    else if (row->trainable_params == 0) buf_puts(b, "False");
    else if (row->trainable_params == row->num_params) buf_puts(b, "True");
    else buf_puts(b, "Partial");
}

static void put_cell(vz_buf *b, const summary_model *m, const summary_row *row, summary_column column)
{
    bool at_max_depth = row->depth == m->max_depth;
    const json_t *node = row->node;
    switch (column) {
    case SUMMARY_COLUMN_INPUT_SIZE: put_shape_or_dashes(b, json_object_get(node, "input_shape")); break;
    case SUMMARY_COLUMN_OUTPUT_SIZE: put_shape_or_dashes(b, json_object_get(node, "output_shape")); break;
    case SUMMARY_COLUMN_NUM_PARAMS: put_params(b, row, at_max_depth); break;
    case SUMMARY_COLUMN_PARAMS_PERCENT: put_params_percent(b, row, at_max_depth, m->total_params); break;
    case SUMMARY_COLUMN_KERNEL_SIZE: put_shape_or_dashes(b, json_object_get(node, "kernel_size")); break;
    case SUMMARY_COLUMN_MULT_ADDS: put_mult_adds(b, row, at_max_depth); break;
    case SUMMARY_COLUMN_TRAINABLE: put_trainable(b, row); break;
    }
}

static void put_label(vz_buf *b, const summary_row *row)
{
    buf_puts(b, row->type);
    if (row->depth > 0) buf_printf(b, ": %d-%ld", row->depth, row->depth_index);
}

/* The tree drawn before a label: "├─" at depth 1, "│    " per level above and "└─" deeper. */
static void put_tree_prefix(vz_buf *b, int depth)
{
    if (depth == 1) buf_puts(b, "├─");
    if (depth < 2) return;
    for (int level = 1; level < depth; level++) buf_puts(b, "│    ");
    buf_puts(b, "└─");
}

/* ---- the text table ---------------------------------------------------------------------------- */

typedef struct {
    const summary_column *columns;
    size_t column_count;
} column_list;

static void put_padded(vz_buf *line, const char *text, size_t width)
{
    buf_puts(line, text);
    for (size_t used = utf8_length(text); used < width; used++) buf_putc(line, ' ');
    buf_putc(line, ' ');
}

/* A line is the cells padded and joined, then stripped of the spaces at its end. */
static void end_line(vz_buf *out, vz_buf *line)
{
    while (line->len && line->data[line->len - 1] == ' ') line->len--;
    buf_append(out, line->data, line->len);
    buf_putc(out, '\n');
    line->len = 0;
}

static void put_divider(vz_buf *out, const summary_model *m, column_list columns)
{
    size_t width = columns.column_count * COLUMN_WIDTH + m->name_width;
    for (size_t i = 0; i < width; i++) buf_putc(out, '=');
    buf_putc(out, '\n');
}

static void put_header(vz_buf *out, const summary_model *m, column_list columns)
{
    vz_buf line;
    buf_init(&line);
    put_padded(&line, "Layer (type:depth-idx)", m->name_width);
    for (size_t c = 0; c < columns.column_count; c++)
        put_padded(&line, column_titles[columns.columns[c]], COLUMN_WIDTH);
    end_line(out, &line);
    buf_free(&line);
}

static void put_row(vz_buf *out, const summary_model *m, const summary_row *row, column_list columns)
{
    vz_buf line, cell;
    buf_init(&line);
    buf_init(&cell);
    put_tree_prefix(&cell, row->depth);
    put_label(&cell, row);
    put_padded(&line, cell.data, m->name_width);
    for (size_t c = 0; c < columns.column_count; c++) {
        cell.len = 0;
        put_cell(&cell, m, row, columns.columns[c]);
        put_padded(&line, cell.data, COLUMN_WIDTH);
    }
    end_line(out, &line);
    buf_free(&line);
    buf_free(&cell);
}

/* torchinfo divides even plain counts by 1 as floats; the quotient is whole, printed with commas. */
static void put_count_line(vz_buf *out, const char *title, int64_t count)
{
    buf_printf(out, "%s: ", title);
    put_grouped_fixed(out, (double)count, 0);
    buf_putc(out, '\n');
}

static void put_mult_adds_line(vz_buf *out, int64_t macs)
{
    double value = (double)macs;
    const char *unit = "M";
    if (value >= 1e12) { unit = "T"; value /= 1e12; }
    else if (value >= 1e9) { unit = "G"; value /= 1e9; }
    else value /= 1e6;
    buf_printf(out, "Total mult-adds (%s): ", unit);
    put_grouped_fixed(out, value, value == floor(value) ? 0 : 2);
    buf_putc(out, '\n');
}

static void put_megabytes_line(vz_buf *out, const char *title, int64_t bytes)
{
    buf_printf(out, "%s (MB): %.2f\n", title, (double)bytes / 1e6);
}

static void put_footer(vz_buf *out, const summary_model *m, column_list columns)
{
    put_count_line(out, "Total params", m->total_params);
    put_count_line(out, "Trainable params", m->trainable_params);
    put_count_line(out, "Non-trainable params", m->total_params - m->trainable_params);
    if (m->has_inputs) {
        put_mult_adds_line(out, m->total_mult_adds);
        put_divider(out, m, columns);
        put_megabytes_line(out, "Input size", m->input_bytes);
        put_megabytes_line(out, "Forward/backward pass size", m->output_bytes);
        put_megabytes_line(out, "Params size", m->param_bytes);
        put_megabytes_line(out, "Estimated Total Size", m->input_bytes + m->output_bytes + m->param_bytes);
    }
    put_divider(out, m, columns);
}

static void put_table(vz_buf *out, const summary_model *m, column_list columns)
{
    put_divider(out, m, columns);
    put_header(out, m, columns);
    put_divider(out, m, columns);
    for (size_t i = 0; i < m->count; i++)
        if (m->rows[i].depth <= m->max_depth) put_row(out, m, &m->rows[i], columns);
    put_divider(out, m, columns);
    put_footer(out, m, columns);
}

/* ---- the JSON form ------------------------------------------------------------------------------ */

static json_t *cell_string(const summary_model *m, const summary_row *row, summary_column column)
{
    vz_buf cell;
    buf_init(&cell);
    put_cell(&cell, m, row, column);
    json_t *text = json_string(cell.data + strspn(cell.data, " ")); /* no column alignment in JSON */
    buf_free(&cell);
    return text;
}

static json_t *shape_or_null(const summary_row *row, const char *field)
{
    json_t *shape = json_object_get(row->node, field);
    return shape ? json_deep_copy(shape) : json_null();
}

static json_t *row_json(const summary_model *m, const summary_row *row)
{
    vz_buf label;
    buf_init(&label);
    put_label(&label, row);
    json_t *out = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:b, s:b, s:o, s:o, s:I, s:I}",
        "id", json_string_value(json_object_get(row->node, "id")), "module", row->module,
        "type", row->type, "depth", row->depth, "index", (json_int_t)row->depth_index,
        "label", label.data, "is_leaf", row->is_leaf, "is_recursive", row->is_recursive,
        "input_shape", shape_or_null(row, "input_shape"), "output_shape", shape_or_null(row, "output_shape"),
        "num_params", (json_int_t)row->num_params, "trainable_params", (json_int_t)row->trainable_params);
    buf_free(&label);
    json_object_set_new(out, "kernel_size", cell_string(m, row, SUMMARY_COLUMN_KERNEL_SIZE));
    json_object_set_new(out, "params", cell_string(m, row, SUMMARY_COLUMN_NUM_PARAMS));
    json_object_set_new(out, "params_percent", cell_string(m, row, SUMMARY_COLUMN_PARAMS_PERCENT));
    json_object_set_new(out, "mult_adds", cell_string(m, row, SUMMARY_COLUMN_MULT_ADDS));
    json_object_set_new(out, "trainable", cell_string(m, row, SUMMARY_COLUMN_TRAINABLE));
    return out;
}

static json_t *totals_json(const summary_model *m)
{
    int64_t total_bytes = m->input_bytes + m->output_bytes + m->param_bytes;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "total_params", (json_int_t)m->total_params, "trainable_params", (json_int_t)m->trainable_params,
        "non_trainable_params", (json_int_t)(m->total_params - m->trainable_params),
        "total_mult_adds", (json_int_t)m->total_mult_adds, "input_bytes", (json_int_t)m->input_bytes,
        "forward_backward_pass_bytes", (json_int_t)m->output_bytes,
        "params_bytes", (json_int_t)m->param_bytes, "estimated_total_bytes", (json_int_t)total_bytes);
}

static json_t *summary_json(const summary_model *m, column_list columns)
{
    json_t *names = json_array(), *rows = json_array();
    for (size_t c = 0; c < columns.column_count; c++)
        json_array_append_new(names, json_string(column_names[columns.columns[c]]));
    for (size_t i = 0; i < m->count; i++)
        if (m->rows[i].depth <= m->max_depth) json_array_append_new(rows, row_json(m, &m->rows[i]));
    return json_pack("{s:i, s:o, s:o, s:o}", "depth", m->max_depth, "columns", names, "rows", rows,
                     "totals", totals_json(m));
}

/* ---- entry point ------------------------------------------------------------------------------- */

static column_list choose_columns(const vz_summary_options *opts, const summary_model *m)
{
    static const summary_column with_inputs[] = {SUMMARY_COLUMN_OUTPUT_SIZE, SUMMARY_COLUMN_NUM_PARAMS};
    static const summary_column without_inputs[] = {SUMMARY_COLUMN_NUM_PARAMS};
    if (opts->column_count) return (column_list){opts->columns, opts->column_count};
    if (m->has_inputs) return (column_list){with_inputs, 2};
    return (column_list){without_inputs, 1};
}

/* The graph with its module rows only: op nodes are data flow, not rows of torchinfo's table. The
 * new object shares the rows and inputs (one reference each), so this costs one array. */
static json_t *module_rows(const json_t *graph)
{
    const json_t *nodes = json_object_get(graph, "nodes");
    json_t *rows = json_array();
    for (size_t i = 0; i < json_array_size(nodes); i++)
        if (!is_op_node(json_array_get(nodes, i))) json_array_append(rows, json_array_get(nodes, i));
    json_t *modules = json_pack("{s:o}", "nodes", rows);
    const json_t *inputs = json_object_get(graph, "inputs");
    if (inputs) json_object_set(modules, "inputs", (json_t *)inputs);
    return modules;
}

/* A graph that cannot give a true table (one imported from a GraphDef, which has no parameter counts)
 * says why; the answer is that reason, not a table of zeros. */
static void put_unavailable(vz_buf *text_out, json_t **json_out, const vz_summary_options *opts,
                            const char *reason)
{
    if (text_out) buf_printf(text_out, "No summary: %s\n", reason);
    if (json_out)
        *json_out = json_pack("{s:i, s:[], s:[], s:n, s:s}", "depth", opts->depth, "columns", "rows",
                              "totals", "unavailable", reason);
}

int summary_build(const json_t *graph, const vz_summary_options *opts, vz_buf *text_out,
                  json_t **json_out, vz_error *err)
{
    vz_summary_options defaults;
    if (!opts) {
        summary_options_init(&defaults);
        opts = &defaults;
    }
    if (opts->depth < 0) return vz_fail(err, 400, "invalid_value", "depth", "must not be negative");
    if (opts->column_count > SUMMARY_MAX_COLUMNS)
        return vz_fail(err, 400, "invalid_value", "columns", "at most %d columns", SUMMARY_MAX_COLUMNS);
    if (graph_validate(graph, err)) return -1;
    const char *unavailable = json_string_value(json_object_get(graph, "summary_unavailable"));
    if (unavailable) {
        put_unavailable(text_out, json_out, opts, unavailable);
        return 0;
    }
    json_t *modules = module_rows(graph);
    summary_model model;
    int rc = model_load(&model, modules, opts->depth, err);
    if (rc == 0) {
        column_list columns = choose_columns(opts, &model);
        if (text_out) put_table(text_out, &model, columns);
        if (json_out) *json_out = summary_json(&model, columns);
        model_free(&model);
    }
    json_decref(modules);
    return rc;
}

int summary_graph_text(const json_t *graph, char **text, vz_error *err)
{
    /* Building the summary once here also checks what validation alone cannot (totals that overflow
     * int64), so every stored graph has a summary. */
    vz_summary_options opts;
    summary_options_init(&opts);
    json_t *summary = NULL;
    if (summary_build(graph, &opts, NULL, &summary, err) < 0) return -1;
    json_decref(summary);
    vz_buf out;
    buf_init(&out);
    json_write(&out, graph);
    /* A text cut short by memory or the buffer's limit must not be stored as the graph. */
    if (buf_check(&out, "the graph", err) < 0) {
        buf_free(&out);
        return -1;
    }
    *text = buf_release(&out, NULL);
    return 0;
}
