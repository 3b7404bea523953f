"""graph.py -- a PyTorch model as vizd's graph JSON: run it once with forward hooks, one row per call.

This is the export of tests/fixtures/torchinfo/make_expected.py (which made the expected torchinfo
tables vizd's summary is tested against), so vizd's summary of what this sends equals torchinfo's:

  - forward pre/post hooks on every module record the calls in the order they start, each with the
    shape of its first input and output tensor (torchinfo's rule for nested outputs) and its dtype;
  - a container whose own forward never runs (a ModuleList iterated by its parent) gets a row without
    shapes before its first child, as torchinfo inserts one;
  - each row counts the parameters its module owns directly, plus those of submodules that never ran
    (MultiheadAttention's out_proj), which torchinfo counts in the nearest ancestor with a row;
  - "is_leaf": false for a module with submodules none of which ran, "mult_adds": 0 for a leaf whose
    parameters are neither weights nor biases (torchinfo counts mult-adds only for those).

Edges follow the data between leaf calls: a tensor a leaf call returned, passed to a later leaf call, is
an edge; a tensor made by a functional op in between (torch.flatten, x + identity) is attributed to the
leaf call that finished last before it. The model runs in eval mode under torch.no_grad(), and every
module's training flag is restored afterwards; nothing is traced or compiled.
"""

import inspect

DTYPE_NAMES = {"torch.float32": "float32", "torch.float64": "float64", "torch.float16": "float16",
               "torch.bfloat16": "bfloat16", "torch.int64": "int64", "torch.int32": "int32",
               "torch.int16": "int16", "torch.int8": "int8", "torch.uint8": "uint8", "torch.bool": "bool"}


def _is_tensor(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "detach")


def _dtype_name(tensor):
    return DTYPE_NAMES.get(str(tensor.dtype), str(tensor.dtype).replace("torch.", ""))


def first_tensor(value):
    """The tensor torchinfo measures in a module's inputs or outputs: the first one, nested first (the
    last value of a dict, as torchinfo takes it)."""
    if _is_tensor(value):
        return value
    if isinstance(value, dict) and value:
        return first_tensor(list(value.values())[-1])
    if isinstance(value, (list, tuple)) and value:
        return first_tensor(value[0])
    return None


def all_tensors(value):
    if _is_tensor(value):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in all_tensors(item)]
    return []


def depth_of(path):
    return 0 if path == "" else path.count(".") + 1


def ancestor(path, depth):
    return ".".join(path.split(".")[:depth])


def record_calls(model, inputs, input_names):
    """Module calls in the order they start, each with its shapes and the calls (or "input:NAME") that
    produced the tensors it was given."""
    import torch
    paths = {id(m): name for name, m in model.named_modules()}
    calls, open_calls, handles = [], [], []
    # id(tensor) -> (tensor, producer). The tensor is held so its id cannot be reused during the run.
    producers = {id(t): (t, "input:" + name) for t, name in zip(inputs, input_names) if _is_tensor(t)}
    last_leaf = ["input:" + input_names[0]] if input_names else [None]

    def pre_hook(module, args):
        call = {"module": paths[id(module)], "type": module.__class__.__name__, "has_child_calls": False,
                "sources": []}
        tensor = first_tensor(args)
        if tensor is not None:
            call["input_shape"] = list(tensor.shape)
        for t in all_tensors(args):
            source = producers.get(id(t), (None, last_leaf[0]))[1]
            if source is not None and source not in call["sources"]:
                call["sources"].append(source)
        if open_calls:
            open_calls[-1]["has_child_calls"] = True
        calls.append(call)
        open_calls.append(call)

    def post_hook(module, args, output):
        call = open_calls.pop()
        tensor = first_tensor(output)
        if tensor is not None:
            call["output_shape"] = list(tensor.shape)
            call["dtype"] = _dtype_name(tensor)
        if not call["has_child_calls"]:
            for t in all_tensors(output):
                producers[id(t)] = (t, call)
            last_leaf[0] = call

    training = {m: m.training for m in model.modules()}
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(post_hook))
    model.eval()
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, was_training in training.items():
            module.training = was_training
    return calls


def insert_containers(calls, modules):
    """Give a child whose enclosing module has no open row (a ModuleList) a row for that module."""
    rows, current = [], {}
    for call in calls:
        depth = depth_of(call["module"])
        for d in range(1, depth):
            path = ancestor(call["module"], d)
            if current.get(d) != path:
                rows.append({"module": path, "type": modules[path].__class__.__name__, "sources": []})
                current[d] = path
                for deeper in [k for k in current if k > d]:
                    del current[deeper]
        current[depth] = call["module"]
        for deeper in [k for k in current if k > depth]:
            del current[deeper]
        rows.append(call)
    return rows


def owned_parameters(model, row_paths):
    """Per row path: parameters it owns plus those of submodules without a row of their own."""
    counts = {path: [0, 0, set()] for path in row_paths}
    for path, module in model.named_modules():
        owner = path
        while owner not in counts:
            owner = ancestor(owner, depth_of(owner) - 1)
        for name, param in module.named_parameters(recurse=False):
            counts[owner][0] += param.numel()
            counts[owner][1] += param.numel() if param.requires_grad else 0
            counts[owner][2].add(name)
    return counts


def input_names_of(model, count):
    """The names of forward's parameters ("x", "tokens"), else input_0, input_1 ..."""
    try:
        names = [p.name for p in inspect.signature(model.forward).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    if len(names) < count:
        return ["input_%d" % i for i in range(count)] if count > 1 else ["input"]
    return names[:count]


def export_graph(model, input_to_model):
    """The graph JSON of `model` run on `input_to_model` (a tensor, or a list/tuple of tensors)."""
    import torch
    from torch import nn
    if input_to_model is None:
        raise ValueError("add_graph needs input_to_model: the model is run once to see its calls")
    inputs = list(input_to_model) if isinstance(input_to_model, (list, tuple)) else [input_to_model]
    input_names = input_names_of(model, len(inputs))
    modules = dict(model.named_modules())
    rows = insert_containers(record_calls(model, inputs, input_names), modules)
    counts = owned_parameters(model, {row["module"] for row in rows})
    nodes, last_at_depth, id_of_call = [], {}, {}
    for index, row in enumerate(rows):
        depth = depth_of(row["module"])
        module = modules[row["module"]]
        node = {"id": str(index), "module": row["module"], "type": row["type"],
                "parent": last_at_depth.get(depth - 1) if depth > 0 else None}
        id_of_call[id(row)] = node["id"]
        for key in ("input_shape", "output_shape", "dtype"):
            if key in row:
                node[key] = row[key]
        params, trainable, names = counts[row["module"]]
        if params:
            node["params"], node["trainable_params"] = params, trainable
        is_leaf = not any(True for _ in module.children())
        if params and is_leaf and not any("weight" in n or "bias" in n for n in names):
            node["mult_adds"] = 0  # parameters that are neither weights nor biases do no mult-adds
        if hasattr(module, "kernel_size"):
            k = module.kernel_size
            node["kernel_size"] = list(k) if isinstance(k, (tuple, list)) else k
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.MaxPool2d)):
            node["attrs"] = {"stride": _plain(module.stride), "padding": _plain(module.padding)}
        row_is_leaf = all(depth_of(other["module"]) <= depth or not
                          other["module"].startswith(row["module"] + "." if row["module"] else "")
                          for other in rows)
        if is_leaf != row_is_leaf:
            node["is_leaf"] = is_leaf  # it has submodules, but none of them ran
        last_at_depth[depth] = node["id"]
        nodes.append(node)
    edges = []
    for row in rows:
        if row.get("has_child_calls", True):
            continue  # only calls that did the work themselves are joined by edges
        for source in row["sources"]:
            start = source if isinstance(source, str) else id_of_call[id(source)]
            edge = [start, id_of_call[id(row)]]
            if edge not in edges:
                edges.append(edge)
    return {"model": model.__class__.__name__,
            "inputs": [{"name": name, "shape": list(x.shape), "dtype": _dtype_name(x)}
                       for name, x in zip(input_names, inputs) if isinstance(x, torch.Tensor)],
            "nodes": nodes, "edges": edges, "repr": repr(model)}


def _plain(value):
    """A module attribute as JSON: tuples as lists, strings ("same" padding) as they are."""
    return list(value) if isinstance(value, (tuple, list)) else value
