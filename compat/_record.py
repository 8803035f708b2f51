"""The coverage recorder: which public torchlike forms had a result compared with torch's.

With TORCHLIKE_RECORD_COVERAGE set, `install()` wraps every public form (the op table's
functions, methods and operators; the classes and functions of torch.nn, nn.functional,
nn.init, nn.utils, optim, optim.lr_scheduler, optim.swa_utils, utils.data and autograd) so
that what a form returns is *tagged* with it: tensors by identity (weakly), other values by
identity for the length of one test. Raised exceptions carry the forms they passed through.
The comparison helpers (`_helper.assert_same`, `assert_same_tensor`, `assert_same_error`)
call `mark()` on every torchlike value they compare with torch's and find equal; a form
counts as verified when a passing test marked one of its results. Calling a form without
comparing what it gave counts for nothing.

How results are tagged:
- a function or method result gets the form; an in-place method (name ending in `_`) adds
  its form to the tensor's tags, except the ones that overwrite every element (`copy_`,
  `fill_`, the random fills, the nn.init functions), which replace them;
- a torch.nn module's output gets the module's class; an optimizer's `step` adds its class
  to every parameter it updates; a scheduler's `step` tags the learning rates it writes;
- a dataset's items, a sampler's indices and a DataLoader's batches get their class (and
  the tags of the object they came from: a Subset made by `random_split` passes that on);
- `backward` / `autograd.grad` tag the gradients they produce;
- in the smaller namespaces (MORE) an instance gets its class from its construction (a
  NamedTuple's from `__new__`), and what its public methods and `__call__` give (a
  Transform applied) count for its class; an exported object (biject_to, dependent) counts
  for what calling it or its methods gives; a function torch exports under two names
  (torch.seed is torch.random.seed; isend, which P2POp compares by identity) is wrapped
  once, and the wrapper replaces it wherever torchlike holds it;
- a result that cannot carry a tag (a bool, None) counts when `_helper.check_call` compared
  the call itself (`mark_call`: the function knows its form), a class when
  `_helper.assert_same_object` compared the class itself (GroupMember);
- a raised exception also counts for its own class where that class is a form (DistError,
  CheckpointError) and the comparison found torch's class (`mark_error(same_class=True)`).
"""
from __future__ import annotations

import functools
import inspect
import os
import weakref

ENABLED = bool(os.environ.get("TORCHLIKE_RECORD_COVERAGE"))

_weak: dict = {}      # id -> (weakref, set of forms): tensors and other weak-referable objects
_strong: dict = {}    # id -> (object, set of forms): everything else, for one test
compared: set = set()  # forms marked in the running test
verified: set = set()  # forms marked in passing tests
class_forms: dict = {}  # exported class -> its forms (a class torch exports under two names)
_instance_forms: dict = {}  # id -> (object, forms): exported objects (biject_to, dependent)

OVERWRITING = {"copy_", "fill_", "zero_", "normal_", "uniform_", "random_", "bernoulli_",
               "exponential_", "geometric_", "cauchy_", "log_normal_", "set_", "resize_",
               "resize_as_"}


def begin_test() -> None:
    compared.clear()
    _strong.clear()


def end_test(passed: bool) -> None:
    if passed:
        verified.update(compared)
    compared.clear()
    _strong.clear()


def tags_of(obj) -> set:
    entry = _weak.get(id(obj))
    if entry is not None and entry[0]() is obj:
        return entry[1]
    entry = _strong.get(id(obj))
    if entry is not None and entry[0] is obj:
        return entry[1]
    return set()


def _set_tags(obj, tags: set) -> None:
    if obj is None or isinstance(obj, bool):
        return  # shared singletons: a tag on them would mark any comparison of them
    try:
        ref = weakref.ref(obj, lambda _r, i=id(obj): _weak.pop(i, None))
    except TypeError:
        _strong[id(obj)] = (obj, tags)
    else:
        _weak[id(obj)] = (ref, tags)


def tag(obj, forms, replace: bool = False, depth: int = 0) -> None:
    """Give `obj` (and what tuples, lists and dicts in it hold) the forms `forms`."""
    if obj is None or isinstance(obj, bool) or depth > 3:
        return
    forms = set(forms)
    if not replace:
        forms |= tags_of(obj)
    _set_tags(obj, forms)
    if isinstance(obj, (tuple, list)):
        for o in obj:
            tag(o, forms, replace, depth + 1)
    elif isinstance(obj, dict):
        for o in obj.values():
            tag(o, forms, replace, depth + 1)


def mark(obj) -> None:
    """`obj` (a torchlike value) was compared with torch's and found the same."""
    compared.update(tags_of(obj))


def mark_error(exc: BaseException, same_class: bool = False) -> None:
    """`exc` (raised by torchlike) was compared with torch's: type and message; `same_class`:
    its class is torch's (by name), so the class counts too."""
    compared.update(getattr(exc, "_recorded_forms", ()))
    if same_class:
        compared.update(class_forms.get(type(exc), ()))


def mark_call(fn) -> None:
    """What `fn` (a torchlike form, as the program reached it) returned was compared with
    torch's: for results no tag can follow (bools, None)."""
    if isinstance(fn, type):  # a constructor (Backend("GLOO") gives a str)
        compared.update(class_forms.get(fn, ()))
    elif hasattr(fn, "_recorded_form"):
        compared.add(fn._recorded_form)


def _note_error(exc: BaseException, form) -> None:
    try:
        exc.__dict__.setdefault("_recorded_forms", set()).add(form)
    except (AttributeError, TypeError):
        pass


def _wrap(form, fn, overwrite: bool = False):
    """A recording wrapper: the result is tagged with `form`; `overwrite` replaces the tags of
    the first argument (a tensor filled in place)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        target = args[0] if overwrite and args else None
        before = set(tags_of(target)) if target is not None else None
        try:
            out = fn(*args, **kwargs)
        except Exception as e:
            _note_error(e, form)
            raise
        if target is not None:
            tag(target, (tags_of(target) - before) | {form}, replace=True)
        tag(out, {form})
        return out
    wrapper._recorded_form = form
    return wrapper


class _TaggingIterator:
    """Wraps an iterator: every item it yields gets `forms`; other attributes pass through."""

    def __init__(self, it, forms):
        self._it, self._forms = it, forms

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self._it)
        tag(item, self._forms)
        return item

    def __len__(self):
        return len(self._it)

    def __getattr__(self, name):
        return getattr(self._it, name)


def _leaves(tensors) -> list:
    """The leaf tensors whose .grad a backward from `tensors` writes."""
    seen, stack, leaves = set(), [getattr(t, "grad_fn", None) for t in tensors], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        var = getattr(node, "variable", None)
        if var is not None:
            leaves.append(var)
        stack.extend(f for f, _ in getattr(node, "next_functions", ()))
    return leaves


def _wrap_backward(form, fn):
    @functools.wraps(fn)
    def wrapper(tensors, *args, **kwargs):
        import torchlike
        ts = [tensors] if isinstance(tensors, torchlike.Tensor) else list(tensors)
        leaves = _leaves(ts) + [t for t in ts if t.grad_fn is None]
        inputs = kwargs.get("inputs")
        if inputs is not None:
            leaves += [inputs] if isinstance(inputs, torchlike.Tensor) else list(inputs)
        try:
            out = fn(tensors, *args, **kwargs)
        except Exception as e:
            _note_error(e, form)
            raise
        for leaf in leaves:
            if leaf.grad is not None:
                tag(leaf.grad, {form})
        return out
    return wrapper


def public(torch_mod, tl_mod) -> dict:
    """name -> torchlike object for the public callables torch's module and torchlike's share,
    defined in that module or below it (torch's namespace decides what is public)."""
    out = {}
    for name in dir(torch_mod):
        if name.startswith("_") or not hasattr(tl_mod, name):
            continue
        theirs = getattr(torch_mod, name)
        if isinstance(theirs, type) and not theirs.__module__.startswith(torch_mod.__name__):
            continue  # a class torch imports from elsewhere (an Optimizer in lr_scheduler)
        obj = getattr(tl_mod, name)
        if inspect.ismodule(obj) or not callable(obj):
            continue
        if not getattr(obj, "__module__", "torchlike").startswith("torchlike"):
            continue
        out[name] = obj
    return out


# context managers and mode switches: their effect is seen in what other forms return
# (requires_grad of a result), which the op comparisons check; they return nothing to compare
MODES = {"no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
         "is_inference_mode_enabled", "set_multithreading_enabled", "FunctionCtx",
         "once_differentiable", "get_worker_info", "Node", "detect_anomaly",
         "set_detect_anomaly", "set_checkpoint_debug_enabled", "set_checkpoint_early_stop",
         "noop_context_fn", "autocast", "saved_tensors_hooks", "save_on_cpu", "cached",
         "disable_saved_tensors_hooks", "fork_rng", "no_sync"}


def namespaces():
    """(title, torch module, torchlike module) for every namespace beyond the op table."""
    import torch
    import torch.nn.functional
    import torch.nn.init
    import torch.nn.utils
    import torch.nn.utils.rnn
    import torch.optim.lr_scheduler
    import torch.optim.swa_utils
    import torch.utils.checkpoint
    import torch.utils.data

    import torchlike
    import torchlike.nn.functional
    import torchlike.nn.init
    import torchlike.nn.utils
    import torchlike.nn.utils.rnn
    import torchlike.optim.lr_scheduler
    import torchlike.optim.swa_utils
    import torchlike.utils.checkpoint
    import torchlike.utils.data
    tl = torchlike
    return [("torch.nn", torch.nn, tl.nn),
            ("torch.nn.functional", torch.nn.functional, tl.nn.functional),
            ("torch.nn.init", torch.nn.init, tl.nn.init),
            ("torch.nn.utils", torch.nn.utils, tl.nn.utils),
            ("torch.nn.utils.rnn", torch.nn.utils.rnn, tl.nn.utils.rnn),
            ("torch.optim", torch.optim, tl.optim),
            ("torch.optim.lr_scheduler", torch.optim.lr_scheduler, tl.optim.lr_scheduler),
            ("torch.optim.swa_utils", torch.optim.swa_utils, tl.optim.swa_utils),
            ("torch.utils.data", torch.utils.data, tl.utils.data),
            ("torch.utils.checkpoint", torch.utils.checkpoint, tl.utils.checkpoint),
            ("torch.autograd", torch.autograd, tl.autograd),
            *_more_namespaces()]


# Namespaces whose functions and classes are recorded generically (_install_generic).
MORE = ["torch.autograd.graph", "torch.amp", "torch.random", "torch.jit", "torch.distributed",
        "torch.nn.parallel", "torch.nn.utils.parametrize", "torch.nn.utils.parametrizations",
        "torch.nn.utils.prune", "torch.nn.utils.stateless", "torch.fft", "torch.linalg",
        "torch.special", "torch.utils.tensorboard", "torch.distributions",
        "torch.distributions.constraints", "torch.distributions.transforms",
        "torch.distributions.kl"]


def _more_namespaces():
    import importlib
    out = []
    for name in MORE:
        try:
            tl_mod = importlib.import_module("torchlike" + name[len("torch"):])
            torch_mod = importlib.import_module(name)
        except ImportError:  # an optional package (tensorboard) absent
            continue
        out.append((name, torch_mod, tl_mod))
    return out


def forms() -> dict:
    """namespace title -> sorted names of its forms (what the coverage table lists)."""
    out = {}
    for title, torch_mod, tl_mod in namespaces():
        names = [n for n in public(torch_mod, tl_mod) if n not in MODES]
        if title == "torch.autograd":
            names += ["Tensor.backward"]
        out[title] = sorted(names)
    return out


def _install_op_table() -> None:
    import torchlike
    from torchlike.ops import DUNDERS
    from torchlike.ops._bind import FUNCTIONS, METHODS
    for name in FUNCTIONS:
        setattr(torchlike, name, _wrap(("function", name), getattr(torchlike, name)))
    for name in list(METHODS) + list(DUNDERS):
        kind = "operator" if name.startswith("__") else "method"
        setattr(torchlike.Tensor, name, _wrap((kind, name), getattr(torchlike.Tensor, name),
                                              overwrite=name in OVERWRITING))


def _owner_form(title, exported, obj, attr):
    """The form an instance's `attr` call counts for: its class when exported, else the
    nearest exported class it inherits `attr` from (None: the test's own code defines it)."""
    for cls in type(obj).__mro__:
        if cls in exported:
            return title, exported[cls]
        if attr in cls.__dict__:
            return None
    return None


def _wrap_method(title, exported, owner, attr, tag_more=None) -> None:
    """Wrap `owner.attr` so that each call's result is tagged with the instance's form."""
    fn = owner.__dict__[attr]

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        form = _owner_form(title, exported, self, attr)
        if form is None:
            return fn(self, *args, **kwargs)
        try:
            out = fn(self, *args, **kwargs)
        except Exception as e:
            _note_error(e, form)
            raise
        if attr == "__iter__":
            return _TaggingIterator(out, {form} | tags_of(self))
        tag(out, {form} | (tags_of(self) if attr == "__getitem__" else set()))
        if tag_more is not None:
            tag_more(self, form)
        return out
    setattr(owner, attr, wrapper)


def _classes(members, base) -> dict:
    return {cls: name for name, cls in members.items()
            if isinstance(cls, type) and issubclass(cls, base)}


def _install_modules(title, members) -> None:
    """A module's output counts for its class; a network of the test's own counts for
    nn.Module (its __call__: forward dispatch, hooks)."""
    import torchlike
    exported = _classes(members, torchlike.nn.Module)
    call = torchlike.nn.Module.__call__

    @functools.wraps(call)
    def recording_call(self, *args, **kwargs):
        form = _owner_form(title, exported, self, "forward") or (title, "Module")
        try:
            out = call(self, *args, **kwargs)
        except Exception as e:
            _note_error(e, form)
            raise
        tag(out, {form} | tags_of(self))  # and how the module was reached (a ModuleList's)
        return out
    torchlike.nn.Module.__call__ = recording_call
    containers = {cls: name for cls, name in exported.items()
                  if name in ("Sequential", "ModuleList", "ModuleDict", "ParameterList",
                              "ParameterDict")}
    for cls in containers:  # what indexing and iterating give counts for the container
        for attr in ("__getitem__", "__iter__"):
            if attr in cls.__dict__:
                _wrap_method(title, containers, cls, attr)
    for cls in (torchlike.nn.Parameter, torchlike.nn.Buffer):  # what their constructors give
        new = cls.__dict__["__new__"]
        cls.__new__ = _wrap((title, cls.__name__), new)


def _install_optim(title, members) -> None:
    """An optimizer's step counts through the parameters it updates; a scheduler's through
    the learning rates it writes into the optimizer and returns from get_last_lr()."""
    import torchlike.optim as optim
    from torchlike.optim import lr_scheduler

    def params(self, form):
        for g in self.param_groups:
            for p in g["params"]:
                tag(p, {form})

    def lrs(self, form):
        for g in self.optimizer.param_groups:
            tag(g["lr"], {form})
    optimizers = _classes(members, optim.Optimizer)
    schedulers = {**_classes(members, lr_scheduler.LRScheduler),
                  **_classes(members, lr_scheduler.ReduceLROnPlateau)}
    for cls in set(optimizers) | {optim.Optimizer}:
        if "step" in cls.__dict__:
            _wrap_method(title, optimizers, cls, "step", params)
    for cls in set(schedulers) | {lr_scheduler.LRScheduler}:
        for attr in ("__init__", "step"):
            if attr in cls.__dict__:
                _wrap_method(title, schedulers, cls, attr, lrs)
        if "get_last_lr" in cls.__dict__:
            _wrap_method(title, schedulers, cls, "get_last_lr")


def _install_swa(title, members) -> None:
    """AveragedModel counts through the averages `update_parameters` writes (and so does the
    `get_*_avg_fn` factory that made its averaging function), update_bn through the running
    statistics it writes; SWALR counts as a scheduler (`_install_optim`)."""
    from torchlike.optim import swa_utils

    def factory(name, make):
        @functools.wraps(make)
        def wrapper(*args, **kwargs):
            fn = make(*args, **kwargs)
            fn._recorded_form = (title, name)
            return fn
        return wrapper
    for name in [n for n in members if n.startswith("get_")]:
        setattr(swa_utils, name, factory(name, members[name]))

    def averages(self, form):
        made = {getattr(f, "_recorded_form", None) for f in (self.avg_fn, self.multi_avg_fn)}
        for t in [*self.parameters(), *self.buffers()]:
            tag(t, ({form} | made) - {None})
    cls = swa_utils.AveragedModel
    _wrap_method(title, {cls: "AveragedModel"}, cls, "update_parameters", averages)
    update_bn = members["update_bn"]

    @functools.wraps(update_bn)
    def recording_update_bn(loader, model, *args, **kwargs):
        form = (title, "update_bn")
        try:
            out = update_bn(loader, model, *args, **kwargs)
        except Exception as e:
            _note_error(e, form)
            raise
        for t in model.buffers():
            tag(t, {form})
        return out
    swa_utils.update_bn = recording_update_bn


def _install_data(title, members) -> None:
    """Items of a dataset, indices of a sampler, batches of a DataLoader count for its class."""
    exported = _classes(members, object)
    for cls in list(exported):
        for attr in ("__getitem__", "__iter__"):
            if attr in cls.__dict__:
                _wrap_method(title, exported, cls, attr)


def install() -> None:
    """Wrap every form (once per process)."""
    import torchlike
    if getattr(torchlike, "_coverage_installed", False):
        return
    torchlike._coverage_installed = True
    _install_op_table()
    wrapped_fns = {}
    for title, torch_mod, tl_mod in namespaces():
        members = public(torch_mod, tl_mod)
        functions = {n: f for n, f in members.items() if not isinstance(f, type)
                     and n not in MODES}
        for cls, name in _classes(members, object).items():
            class_forms.setdefault(cls, set()).add((title, name))
        if title in ("torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
                     "torch.nn.utils.rnn", "torch.utils.data", "torch.utils.checkpoint",
                     "torch.autograd"):
            for name, fn in functions.items():
                form = (title, name)
                if title == "torch.autograd" and name == "backward":
                    wrapped = _wrap_backward(form, fn)
                elif title == "torch.nn.utils" and name.startswith("clip_grad"):
                    wrapped = _wrap_clip(form, fn)
                else:
                    wrapped = _wrap(form, fn, overwrite=title == "torch.nn.init"
                                    and name.endswith("_"))
                setattr(tl_mod, name, wrapped)
                wrapped_fns[fn] = wrapped
        if title == "torch.nn":
            _install_modules(title, members)
        elif title.startswith("torch.optim"):
            _install_optim(title, members)
            if title == "torch.optim.swa_utils":
                _install_swa(title, members)
        elif title == "torch.utils.data":
            _install_data(title, members)
        elif title == "torch.nn.utils.rnn":  # what the constructors give
            for name in ("PackedSequence", "PackedSequence_"):
                cls = getattr(tl_mod, name)
                cls.__new__ = _wrap((title, name), cls.__dict__["__new__"])
        elif title == "torch.autograd":  # the legacy constructor returns a Tensor
            variable = tl_mod.Variable
            variable.__new__ = _wrap((title, "Variable"), variable.__dict__["__new__"])
        if title in MORE:
            _install_generic(title, tl_mod, functions, members)
    _rebind_defaults(wrapped_fns)
    torchlike.Tensor.backward = _wrap_backward(("torch.autograd", "Tensor.backward"),
                                               torchlike.Tensor.backward)
    fn_cls = torchlike.autograd.Function
    apply = _wrap(("torch.autograd", "Function"), fn_cls.__dict__["apply"].__func__)

    @functools.wraps(apply)
    def recording_apply(cls, *args, **kwargs):  # an exported Function (CheckpointFunction)
        out = apply(cls, *args, **kwargs)
        tag(out, class_forms.get(cls, ()))
        return out
    fn_cls.apply = classmethod(recording_apply)
    _install_instances()


# functions programs pass as values that torch compares by identity (P2POp's op): the wrapper
# replaces them wherever torchlike holds them, so that identity still holds
KEEP_IDENTITY = {"torch.distributed": ("isend", "irecv")}


def _install_generic(title, tl_mod, functions, members) -> None:
    """A function's result counts for it; an instance of a class counts for the class from
    its construction (a writer whose files a test compared: mark(writer)), and so do the
    results of its public methods."""
    import torchlike
    for name, fn in functions.items():
        if not inspect.isroutine(fn):  # callable objects (biject_to): wrapping them in a
            # function would lose their attributes; their class's methods note them instead
            _instance_forms.setdefault(id(fn), (fn, set()))[1].add((title, name))
        elif name in KEEP_IDENTITY.get(title, ()) or getattr(torchlike, name, None) is fn:
            _rebind(fn, _wrap((title, name), fn))  # torch.random.seed is torch.seed
        else:
            setattr(tl_mod, name, _wrap((title, name), fn))
    exported = _classes(members, object)
    for cls in exported:
        if "__init__" in cls.__dict__ and not getattr(cls.__init__, "_records", False):
            _tag_on_init(title, exported, cls)
        elif issubclass(cls, tuple) and "__new__" in cls.__dict__:  # a NamedTuple
            cls.__new__ = _wrap((title, exported[cls]), cls.__dict__["__new__"])
        for attr, value in list(cls.__dict__.items()):
            if (not attr.startswith("_") or attr == "__call__") and inspect.isfunction(value):
                _wrap_method(title, exported, cls, attr)


def _rebind(fn, wrapped) -> None:
    """Put `wrapped` wherever a torchlike module holds `fn` (torch.seed, torch.random.seed)."""
    import sys
    for mod_name, mod in list(sys.modules.items()):
        if mod_name.split(".")[0] == "torchlike":
            for attr in [a for a, v in vars(mod).items() if v is fn]:
                setattr(mod, attr, wrapped)


def _install_instances() -> None:
    """Exported objects (biject_to, identity_transform, dependent): what calling them or their
    public methods gives counts for them. Installed last, over their classes' wrappers."""
    for owner in {type(obj) for obj, _ in _instance_forms.values()}:
        _install_instance(owner)


def _install_instance(owner) -> None:
    for attr in ["__call__", *[a for a in dir(owner) if not a.startswith("_")]]:
        fn = getattr(owner, attr, None)
        if not inspect.isfunction(fn) or getattr(fn, "_instance_forms", False):
            continue

        def wrapper(self, *args, _fn=fn, **kwargs):
            entry = _instance_forms.get(id(self))
            if entry is None or entry[0] is not self:
                return _fn(self, *args, **kwargs)
            try:
                out = _fn(self, *args, **kwargs)
            except Exception as e:
                for form in entry[1]:
                    _note_error(e, form)
                raise
            tag(out, entry[1])
            return out
        wrapper._instance_forms = True
        setattr(owner, attr, functools.wraps(fn)(wrapper))


def _tag_on_init(title, exported, cls) -> None:
    init = cls.__dict__["__init__"]

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        init(self, *args, **kwargs)
        form = _owner_form(title, exported, self, "__init__")
        if form is not None:
            tag(self, {form})
    wrapper._records = True
    cls.__init__ = wrapper


def _rebind_defaults(wrapped_fns) -> None:
    """Default arguments that hold a wrapped function (TransformerEncoderLayer's
    activation=F.relu) get its wrapper, so that torch's `activation is F.relu` still holds."""
    import torchlike.nn as nn
    for cls in vars(nn).values():
        init = getattr(cls, "__init__", None) if isinstance(cls, type) else None
        init = inspect.unwrap(init) if init is not None else None
        if init is None or not hasattr(init, "__defaults__"):
            continue
        if init.__defaults__:
            init.__defaults__ = tuple(wrapped_fns.get(d, d) if callable(d) else d
                                      for d in init.__defaults__)
        if init.__kwdefaults__:
            init.__kwdefaults__ = {k: wrapped_fns.get(d, d) if callable(d) else d
                                   for k, d in init.__kwdefaults__.items()}


def _wrap_clip(form, fn):
    """clip_grad_*: the clipped gradients are the result, beside the returned norm."""
    import torchlike

    @functools.wraps(fn)
    def wrapper(parameters, *args, **kwargs):
        seen = [parameters] if isinstance(parameters, torchlike.Tensor) else []
        if not seen and iter(parameters) is parameters:  # a generator: note what it yields
            parameters = _noting(parameters, seen)
        elif not seen:
            seen = list(parameters)
        try:
            out = fn(parameters, *args, **kwargs)
        except Exception as e:
            _note_error(e, form)
            raise
        tag(out, {form})
        for p in seen:
            if p.grad is not None:
                tag(p.grad, {form})
        return out
    return wrapper


def _noting(items, seen):
    for item in items:
        seen.append(item)
        yield item
