"""graph.py -- a PyTorch model as vizd's graph JSON: run it once, one row per module call, one node per
tensor operation between them, and edges that follow each tensor from the node that made it to every
node that used it.

Module rows are the export of tests/fixtures/torchinfo/make_expected.py (which made the expected
torchinfo tables vizd's summary is tested against), so vizd's summary of what this sends equals torchinfo's:

  - forward pre/post hooks on every module record the calls in the order they start, each with the
    shape of its first input and output tensor (torchinfo's rule for nested outputs) and its dtype;
  - a container whose own forward never runs (a ModuleList iterated by its parent) gets a row without
    shapes before its first child, as torchinfo inserts one;
  - each row counts the parameters its module owns directly, plus those of submodules that never ran
    (MultiheadAttention's out_proj), which torchinfo counts in the nearest ancestor with a row;
  - "is_leaf": false for a module with submodules none of which ran, "mult_adds": 0 for a leaf whose
    parameters are neither weights nor biases (torchinfo counts mult-adds only for those).

Data flow. Why a TorchFunctionMode rather than torch.fx or torch.jit.trace: fx needs a model that
symbolic tracing accepts (no data-dependent control flow, no calls it cannot proxy) and names its nodes
after code rather than calls; jit.trace inlines modules into aten ops, so its scopes must be parsed back
into module calls and a module called twice is hard to tell apart. The mode sees the real calls of the
real forward pass, with real tensors (so every shape is the true one), alongside the hooks that already
give the module rows, and it works on any model that runs. Each torch function or Tensor method called
while the innermost open module call is a module with no submodules (Conv2d, ReLU, LSTM) is part of
that module's work and is not shown; one called anywhere else (x + identity in a BasicBlock,
torch.flatten in ResNet.forward, the linear maths of MultiheadAttention) becomes an op node whose parent
is the row of that innermost call. Each tensor an op or a leaf module returns is remembered (by
identity: the tensor is held so its id cannot be reused) with the node that made it; a node that is
given a tensor gets an edge from its maker, carrying the shape and dtype of the tensor given. What the
model returns flows to "output:NAME" ends. Ops are folded into the edge (the consumer's edge comes
straight from the maker of the op's input) when they compute nothing: property reads (x.T, x.data),
contiguous/detach/clone, and view, reshape, flatten, squeeze, unsqueeze, expand, to and friends when
the shape and dtype do not change. Ops with no input from the model's data (torch.zeros, arange) are
constants and not drawn.

The model runs in eval mode under torch.no_grad(), and every module's training flag is restored
afterwards; nothing is compiled.
"""

import inspect

DTYPE_NAMES = {"torch.float32": "float32", "torch.float64": "float64", "torch.float16": "float16",
               "torch.bfloat16": "bfloat16", "torch.int64": "int64", "torch.int32": "int32",
               "torch.int16": "int16", "torch.int8": "int8", "torch.uint8": "uint8", "torch.bool": "bool"}

# Ops that compute nothing, folded into the edge whatever they return.
FOLD_ALWAYS = {"contiguous", "detach", "clone", "requires_grad_", "data", "T", "mT", "H", "mH"}
# Ops folded when the tensor they return has the shape and dtype of the one they were given.
FOLD_WHEN_UNCHANGED = {"view", "view_as", "reshape", "reshape_as", "flatten", "squeeze", "unsqueeze",
                       "expand", "expand_as", "to", "type", "type_as", "float", "double", "half",
                       "cpu", "cuda"}
# Dunder names of Python operators as op names (x + y is "add", x += y is "add" too).
OPERATOR_NAMES = {"truediv": "div", "floordiv": "floor_divide", "matmul": "matmul", "getitem": "getitem",
                  "and": "logical_and", "or": "logical_or", "invert": "bitwise_not", "neg": "neg"}


def _is_tensor(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "detach")


def _dtype_name(tensor):
    return DTYPE_NAMES.get(str(tensor.dtype), str(tensor.dtype).replace("torch.", ""))


def _dtype_field(tensor):
    """{"dtype": NAME} for the dtypes vizd knows, else nothing: a float8 tensor flowing on an edge must not
    make the whole graph refused."""
    name = DTYPE_NAMES.get(str(tensor.dtype))
    return {"dtype": name} if name else {}


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


def op_name(func):
    """The name an op node shows: "add" for Tensor.add, x + y and x += y; "T" for the property x.T."""
    name = getattr(func, "__name__", None) or type(func).__name__
    if name == "__get__":  # a property read: the descriptor knows the property's name
        return getattr(getattr(func, "__self__", None), "__name__", name)
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
        if name not in OPERATOR_NAMES and name[:1] in "ir" and len(name) > 3:
            name = name[1:]  # __iadd__, __radd__: the operator itself
        name = OPERATOR_NAMES.get(name, name)
    if name.endswith("_") and not name.startswith("_") and len(name) > 1:
        name = name[:-1]  # in place (add_, relu_): the same operation
    return name


def is_folded(name, given, made):
    """Whether an op that was given tensors `given` and made `made` computes nothing worth a node."""
    if len(given) != 1 or len(made) != 1:
        return False
    if name in FOLD_ALWAYS:
        return True  # (an op returning the very tensor it was given may still have changed it: relu_)
    return (name in FOLD_WHEN_UNCHANGED and tuple(made[0].shape) == tuple(given[0].shape)
            and made[0].dtype == given[0].dtype)


class Recorder:
    """What one forward pass did: module calls (rows) and ops in the order they started, and the
    tensors that flowed between them. A call or op is a dict; `flows` holds (maker, user, tensor)."""

    def __init__(self, model, inputs, input_names):
        self.paths = {id(m): name for name, m in model.named_modules()}
        self.calls, self.ops, self.open_calls, self.flows = [], [], [], []
        # id(tensor) -> (tensor, maker): the tensor is held so its id cannot be reused during the run.
        self.makers = {id(t): (t, "input:" + name) for t, name in zip(inputs, input_names) if _is_tensor(t)}

    def maker_of(self, tensor):
        entry = self.makers.get(id(tensor))
        return entry[1] if entry is not None and entry[0] is tensor else None

    def made(self, tensors, maker):
        for t in tensors:
            self.makers[id(t)] = (t, maker)

    def used(self, tensors, user):
        for t in tensors:
            maker = self.maker_of(t)
            if maker is not None:
                self.flows.append((maker, user, t))

    def inside_leaf(self):
        """Whether the innermost open call is a module without submodules, whose ops are its own work."""
        return bool(self.open_calls) and self.open_calls[-1]["is_leaf_module"]

    def pre_hook(self, module, args):
        call = {"module": self.paths[id(module)], "type": module.__class__.__name__,
                "is_leaf_module": not any(True for _ in module.children()), "call_index": len(self.calls)}
        tensor = first_tensor(args)
        if tensor is not None:
            call["input_shape"] = list(tensor.shape)
        if call["is_leaf_module"] and not self.inside_leaf():
            self.used(all_tensors(args), call)
        self.calls.append(call)
        self.open_calls.append(call)

    def post_hook(self, module, args, output):
        call = self.open_calls.pop()
        tensor = first_tensor(output)
        if tensor is not None:
            call["output_shape"] = list(tensor.shape)
            call["dtype"] = _dtype_name(tensor)
        if call["is_leaf_module"] and not self.inside_leaf():
            self.made(all_tensors(output), call)

    def op(self, func, args, kwargs, result):
        if self.inside_leaf():
            return
        given = [t for t in all_tensors(list(args) + list((kwargs or {}).values()))
                 if self.maker_of(t) is not None]
        made = all_tensors(result)
        if not given or not made:
            return  # no data of the model goes in (a constant), or nothing comes out (x.shape, x.dim())
        name = op_name(func)
        if is_folded(name, given, made):
            self.made(made, self.maker_of(given[0]))
            return
        op = {"op": name, "parent": self.open_calls[-1] if self.open_calls else None,
              "calls_before": len(self.calls), "output_shape": list(made[0].shape), "tensor": made[0]}
        self.ops.append(op)
        self.used(given, op)
        self.made(made, op)


def record_calls(model, inputs, input_names):
    """Run the model once; return the Recorder holding its calls, ops and flows. The model's outputs
    flow to "output:NAME" (see output_names)."""
    import torch
    from torch.overrides import TorchFunctionMode
    recorder = Recorder(model, inputs, input_names)

    class Mode(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            result = func(*args, **(kwargs or {}))
            recorder.op(func, args, kwargs, result)
            return result

    handles = []
    training = {m: m.training for m in model.modules()}
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(recorder.pre_hook))
        handles.append(module.register_forward_hook(recorder.post_hook))
    model.eval()
    try:
        with torch.no_grad(), Mode():
            output = model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, was_training in training.items():
            module.training = was_training
    recorder.outputs = []
    for name, tensor in output_names(output):
        recorder.outputs.append(dict({"name": name, "shape": list(tensor.shape)}, **_dtype_field(tensor)))
        recorder.used([tensor], "output:" + name)
    return recorder


def output_names(output):
    """(name, tensor) for what forward returned: "output" for one tensor, "output_0", "output_1" ...
    for a tuple or list (nested ones flattened), the keys of a dict."""
    if _is_tensor(output):
        return [("output", output)]
    if isinstance(output, dict):
        return [(str(key), t) for key, value in output.items() for t in all_tensors(value)[:1]]
    return [("output_%d" % i, t) for i, t in enumerate(all_tensors(output))]


def insert_containers(calls, modules):
    """Give a child whose enclosing module has no open row (a ModuleList) a row for that module."""
    rows, current = [], {}
    for call in calls:
        depth = depth_of(call["module"])
        for d in range(1, depth):
            path = ancestor(call["module"], d)
            if current.get(d) != path:
                rows.append({"module": path, "type": modules[path].__class__.__name__})
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
    recorder = record_calls(model, inputs, input_names)
    rows = insert_containers(recorder.calls, modules)
    counts = owned_parameters(model, {row["module"] for row in rows})
    module_nodes, last_at_depth, id_of = [], {}, {}
    for index, row in enumerate(rows):
        depth = depth_of(row["module"])
        module = modules[row["module"]]
        node = {"id": str(index), "module": row["module"], "type": row["type"],
                "parent": last_at_depth.get(depth - 1) if depth > 0 else None}
        id_of[id(row)] = node["id"]
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
        module_nodes.append((row, node))
    for index, op in enumerate(recorder.ops):
        id_of[id(op)] = "op%d" % index
    # Nodes in the order things happened: an op goes before the first call that started after it.
    nodes, pending = [], list(recorder.ops)
    pending.reverse()
    for row, node in module_nodes:
        while "call_index" in row and pending and pending[-1]["calls_before"] <= row["call_index"]:
            nodes.append(op_node(pending.pop(), id_of))
        nodes.append(node)
    nodes.extend(op_node(op, id_of) for op in reversed(pending))
    edges, seen = [], set()
    for maker, user, tensor in recorder.flows:
        ends = tuple(end if isinstance(end, str) else id_of[id(end)] for end in (maker, user))
        if ends not in seen:  # several tensors between the same two nodes: one edge, the first's
            seen.add(ends)
            edges.append([ends[0], ends[1], dict({"shape": list(tensor.shape)}, **_dtype_field(tensor))])
    return {"model": model.__class__.__name__,
            "inputs": [{"name": name, "shape": list(x.shape), "dtype": _dtype_name(x)}
                       for name, x in zip(input_names, inputs) if isinstance(x, torch.Tensor)],
            "outputs": recorder.outputs, "nodes": nodes, "edges": edges, "repr": repr(model)}


def op_node(op, id_of):
    node = {"id": id_of[id(op)], "kind": "op", "op": op["op"],
            "parent": id_of[id(op["parent"])] if op["parent"] is not None else None,
            "output_shape": op["output_shape"]}
    node.update(_dtype_field(op["tensor"]))
    return node


def _plain(value):
    """A module attribute as JSON: tuples as lists, strings ("same" padding) as they are."""
    return list(value) if isinstance(value, (tuple, list)) else value
