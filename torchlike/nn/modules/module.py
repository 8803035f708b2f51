"""nn.Module: registration of parameters, buffers and submodules, traversal, train/eval,
dtype/device movement, forward hooks and torch's repr (state_dict: _state_dict.py). A layer
writes __init__, forward and extra_repr."""
from __future__ import annotations

import functools
import inspect
import warnings
from collections import OrderedDict
from typing import TypeVar

from ..._errors import NotImplementedOp
from ..._tensor import Tensor
from ...autograd import grad_mode
from ..parameter import Buffer, Parameter
from ._state_dict import StateDictMixin
from ._utils import RemovableHandle, _addindent, _HookDict, _rebind, typename, zero_grads

# Hooks common to all modules (torch.nn.modules.module's globals). _global_call_hooks holds the
# id of every forward and backward one, so Module.__call__ tests one dict when none is set.
_global_buffer_registration_hooks: dict = OrderedDict()
_global_module_registration_hooks: dict = OrderedDict()
_global_parameter_registration_hooks: dict = OrderedDict()
_global_backward_pre_hooks: dict = OrderedDict()
_global_backward_hooks: dict = OrderedDict()
_global_is_full_backward_hook: bool | None = None
_global_forward_pre_hooks: dict = OrderedDict()
_global_forward_hooks: dict = OrderedDict()
_global_forward_hooks_always_called: dict = OrderedDict()
_global_forward_hooks_with_kwargs: dict = OrderedDict()
_global_call_hooks: dict = _HookDict()

# torch 2.13 nn.Module's attributes torchlike lacks: reading one raises NotImplementedError.
_TORCH_ONLY = frozenset("""_compiled_call_impl _replicate_for_data_parallel _slow_forward
get_extra_state set_extra_state ipu mtia xpu set_submodule""".split())


def _register(hooks, hook, extra=()):
    handle = RemovableHandle(hooks, extra_dict=[*extra])
    hooks[handle.id] = hook
    return handle


def register_module_buffer_registration_hook(hook) -> RemovableHandle:
    """hook(module, name, buffer) -> None or a new buffer, for every module."""
    return _register(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook) -> RemovableHandle:
    """hook(module, name, submodule) -> None or a new submodule, for every module."""
    return _register(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook) -> RemovableHandle:
    """hook(module, name, param) -> None or a new parameter, for every module."""
    return _register(_global_parameter_registration_hooks, hook)


def register_module_forward_pre_hook(hook) -> RemovableHandle:
    """hook(module, args) -> None or new args, before every module's own pre-hooks."""
    handle = _register(_global_forward_pre_hooks, hook, [_global_call_hooks])
    _global_call_hooks[handle.id] = True
    return handle


def register_module_forward_hook(hook, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """hook(module, args, output) -> None or a new output, before every module's own hooks."""
    handle = _register(_global_forward_hooks, hook,
                       [_global_forward_hooks_always_called, _global_call_hooks])
    _global_call_hooks[handle.id] = True
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def _register_global_backward(hook, full: bool) -> RemovableHandle:
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is (not full):
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as a "
                           "global Module hook. Please use only one of them.")
    _global_is_full_backward_hook = full
    handle = _register(_global_backward_hooks, hook, [_global_call_hooks])
    _global_call_hooks[handle.id] = True
    return handle


def register_module_backward_hook(hook) -> RemovableHandle:
    """The deprecated (non-full) backward hook, for every module."""
    return _register_global_backward(hook, False)


def register_module_full_backward_hook(hook) -> RemovableHandle:
    """hook(module, grad_input, grad_output) -> None or new grad_input, for every module."""
    return _register_global_backward(hook, True)


def register_module_full_backward_pre_hook(hook) -> RemovableHandle:
    """hook(module, grad_output) -> None or new grad_output, for every module."""
    handle = _register(_global_backward_pre_hooks, hook, [_global_call_hooks])
    _global_call_hooks[handle.id] = True
    return handle


def _run_registration_hooks(hooks, module, name, value):
    for hook in hooks.values():
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value


class Module(StateDictMixin):
    """Base class for all neural network modules."""

    dump_patches = False
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            name = next(iter(kwargs)) if kwargs else None
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{name}'" if name else
                            f"{type(self).__name__}.__init__() takes 1 positional argument "
                            f"but {len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_pre_hooks"] = _HookDict()
        d["_forward_pre_hooks_with_kwargs"] = _HookDict()
        d["_forward_hooks"] = _HookDict()
        d["_forward_hooks_with_kwargs"] = _HookDict()
        d["_forward_hooks_always_called"] = _HookDict()
        d["_backward_pre_hooks"] = _HookDict()
        d["_backward_hooks"] = _HookDict()
        d["_is_full_backward_hook"] = None
        d["_state_dict_hooks"] = _HookDict()
        d["_state_dict_pre_hooks"] = _HookDict()
        d["_load_state_dict_pre_hooks"] = _HookDict()
        d["_load_state_dict_post_hooks"] = _HookDict()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and cls.__module__.startswith("torchlike."):
            cls.__init__ = _on_device(init)

    def forward(self, *input):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    # ---- calling ---------------------------------------------------------------------------
    T_destination = TypeVar("T_destination", bound=dict)

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks or _global_call_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    _call_impl = _wrapped_call_impl = __call__

    def _get_backward_hooks(self):
        """(full backward hooks, non-full backward hooks), the global ones first."""
        full, non_full = [], []
        for is_full, hooks in ((_global_is_full_backward_hook, _global_backward_hooks),
                               (self._is_full_backward_hook, self._backward_hooks)):
            if is_full is not None:
                (full if is_full else non_full).extend(hooks.values())
        return full, non_full

    def _get_backward_pre_hooks(self):
        return [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]

    def _call_with_hooks(self, args, kwargs):
        """torch's _call_impl: pre-hooks, backward-hook setup, forward, forward hooks; global
        hooks before the module's own. On an error, the always_call hooks not yet run run."""
        result, called = None, set()
        try:
            full, non_full = self._get_backward_hooks()
            pre = self._get_backward_pre_hooks()
            for hid, hook in (*_global_forward_pre_hooks.items(),
                              *self._forward_pre_hooks.items()):
                if hid in self._forward_pre_hooks_with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        if not (isinstance(res, tuple) and len(res) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple "
                                               f"of (new_args, new_kwargs), but got {res}.")
                        args, kwargs = res
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
            bw_hook = None
            if full or pre:
                from ._backward_hook import BackwardHook
                bw_hook = BackwardHook(self, full, pre)
                args = bw_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hid, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                if hid in self._forward_hooks_always_called or \
                        hid in _global_forward_hooks_always_called:
                    called.add(hid)
                res = self._run_forward_hook(hid, hook, args, kwargs, result)
                if res is not None:
                    result = res
            if bw_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a "
                                  "Tensor or a tuple of Tensors but received "
                                  f"{type(result)}", stacklevel=2)
                result = bw_hook.setup_output_hook(result)
            if non_full:
                from ._backward_hook import setup_nonfull_hooks
                setup_nonfull_hooks(self, non_full, args, result)
            return result
        except Exception:
            for where, hooks, always in (
                    ("global module", _global_forward_hooks, _global_forward_hooks_always_called),
                    ("module", self._forward_hooks, self._forward_hooks_always_called)):
                for hid, hook in list(hooks.items()):
                    if hid not in always or hid in called:
                        continue
                    try:
                        res = self._run_forward_hook(hid, hook, args, kwargs, result)
                        if res is not None:
                            result = res
                    except Exception as e:  # noqa: BLE001 - the forward's error is raised
                        warnings.warn(f"{where} forward hook with ``always_call=True`` raised "
                                      "an exception that was silenced as another error was "
                                      f"raised in forward: {e}", stacklevel=2)
            raise

    def _run_forward_hook(self, hid, hook, args, kwargs, result):
        if hid in self._forward_hooks_with_kwargs or hid in _global_forward_hooks_with_kwargs:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        handle = RemovableHandle(self._forward_hooks, extra_dict=[
            self._forward_hooks_with_kwargs, self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_output) -> new grad_output or None."""
        handle = _register(self._backward_pre_hooks, hook)
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def _register_backward(self, hook, full: bool) -> RemovableHandle:
        if self._is_full_backward_hook is (not full):
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = full
        return _register(self._backward_hooks, hook)

    def register_backward_hook(self, hook) -> RemovableHandle:
        """Deprecated: a hook on the grad_fn of the module's (first) output; see
        register_full_backward_hook."""
        return self._register_backward(hook, False)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_input, grad_output) -> new grad_input or None."""
        handle = self._register_backward(hook, True)
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    # ---- state_dict hooks (run by _state_dict.py) ------------------------------------------
    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """hook(module, prefix, keep_vars) -> None, before state_dict saves anything."""
        return _register(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """hook(module, state_dict, prefix, local_metadata) -> None; may edit state_dict."""
        hook._from_public_api = True
        return _register(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook) -> RemovableHandle:
        """The private post-hook (spectral_norm's, weight_norm's): a state_dict it returns
        replaces the root module's."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook "
                               "that was previously registered via "
                               "register_state_dict_post_hook")
        return _register(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs) -> None."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False) -> RemovableHandle:
        # kept wrapped, as torch keeps it (remove_spectral_norm's isinstance test misses it)
        wrapped = functools.partial(hook, self) if with_module else functools.partial(hook)
        return _register(self._load_state_dict_pre_hooks, wrapped)

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """hook(module, incompatible_keys) -> None; may edit the keys in place."""
        return _register(self._load_state_dict_post_hooks, hook)

    # ---- registration ----------------------------------------------------------------------
    def __getattr__(self, name: str):
        d = self.__dict__
        for kind in ("_parameters", "_buffers", "_modules"):
            members = d.get(kind)
            if members is not None and name in members:
                return members[name]
        if name in _TORCH_ONLY:
            raise NotImplementedOp(f"torch.nn.Module.{name} is not implemented in torchlike")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, "_parameters")
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, "_modules")
            modules[name] = _run_registration_hooks(_global_module_registration_hooks, self,
                                                    name, value)
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = _run_registration_hooks(_global_module_registration_hooks, self,
                                                    name, value)
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            persistent = getattr(value, "persistent", None) if isinstance(value, Buffer) \
                else None
            if persistent is None:
                persistent = name not in self._non_persistent_buffers_set
            self._forget(name, "_buffers")
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        """Drop `name` from every registry but `keep` (a name moves between kinds)."""
        d = self.__dict__
        d.pop(name, None)
        for kind in ("_parameters", "_buffers", "_modules"):
            if kind != keep and name in d[kind]:
                del d[kind][name]
        if keep != "_buffers":
            self._non_persistent_buffers_set.discard(name)

    def __delattr__(self, name: str) -> None:
        for kind in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[kind]:
                del self.__dict__[kind][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, kind, name, registry):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\"" if kind != "module" else
                           f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")
        if name not in registry and (name in self.__dict__ or hasattr(type(self), name) or
                                     any(name in self.__dict__[k] for k in
                                         ("_parameters", "_buffers", "_modules"))):
            raise KeyError(f"attribute '{name}' already exists")

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = _run_registration_hooks(_global_buffer_registration_hooks, self,
                                                      name, tensor)
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name("parameter", name, self._parameters)
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             f"parameters must be created explicitly. To express '{name}' as "
                             "a function of another Tensor, compute the value in the forward() "
                             "method.")
        self._parameters[name] = _run_registration_hooks(
            _global_parameter_registration_hooks, self, name, param)

    def add_module(self, name: str, module) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{typename(module)} is not a Module subclass")
        self._check_name("module", name, self._modules)
        self._modules[name] = _run_registration_hooks(_global_module_registration_hooks, self,
                                                      name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> "Module":
        mod = self
        for item in target.split(".") if target else ():
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # ---- traversal -------------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    # ---- modes and gradients ---------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.__dict__["training"] = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn) -> "Module":
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def share_memory(self) -> "Module":
        return self

    def compile(self, *args, **kwargs) -> None:
        """Module.compile: torchlike already runs every op as a compiled kernel."""

    # ---- dtype / device --------------------------------------------------------------------
    def _apply(self, fn, recurse: bool = True) -> "Module":
        if recurse:
            for module in self.children():
                module._apply(fn)
        with grad_mode.no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                new = fn(param)
                if new is not param:
                    _rebind(param, new._data)
                g = param._grad
                if g is not None:
                    new_g = fn(g)
                    if new_g is not g:
                        _rebind(g, new_g._data)
            for key, buf in self._buffers.items():
                if buf is not None:
                    self._buffers[key] = fn(buf)
        return self

    def to(self, *args, **kwargs) -> "Module":
        from ..._device import device as _dev
        from ... import _dtype as D
        device, dtype = kwargs.get("device"), kwargs.get("dtype")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, D.dtype):
                dtype = a
            elif a is not None:
                device = _dev(a)
        if dtype is not None:
            dtype = D.to_dtype(dtype)
            if dtype.kind not in "fc":
                raise TypeError("nn.Module.to only accepts floating point or complex dtypes, "
                                f"but got desired dtype={dtype}")

        def convert(t):
            try:
                if dtype is not None and t.dtype.kind in "fc":
                    return t.to(dtype=dtype, device=device)
                return t.to(device=device) if device is not None else t
            except NotImplementedError as e:
                if str(e) != "Cannot copy out of meta tensor; no data!":
                    raise
                raise NotImplementedError(
                    f"{e} Please use torch.nn.Module.to_empty() instead of torch.nn.Module.to() "
                    "when moving module from meta to a different device.") from None
        return self._apply(convert)

    def to_empty(self, *, device, recurse: bool = True) -> Module:
        """Parameters and buffers become uninitialized tensors of the same shapes on `device`
        (the way out of the meta device: build there, then load a state_dict)."""
        from ..._creation import empty_like
        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def cuda(self, device=None) -> "Module":
        return self._apply(lambda t: t.cuda(device))

    def cpu(self) -> "Module":
        return self._apply(lambda t: t.cpu())

    def type(self, dst_type) -> "Module":
        return self._apply(lambda t: t.type(dst_type))

    def _cast_floats(self, method: str) -> "Module":
        return self._apply(lambda t: getattr(t, method)() if t.is_floating_point() else t)

    def float(self) -> "Module":
        return self._cast_floats("float")

    def double(self) -> "Module":
        return self._cast_floats("double")

    def half(self) -> "Module":
        return self._cast_floats("half")

    def bfloat16(self) -> "Module":
        return self._cast_floats("bfloat16")

    # ---- repr ------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2)
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self):
        keys = (dir(type(self)) + list(self.__dict__) + list(self._parameters) +
                list(self._modules) + list(self._buffers))
        return sorted(k for k in keys if not k[0].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_forward_pre_hooks_with_kwargs", "_forward_hooks_with_kwargs",
                     "_forward_hooks_always_called", "_load_state_dict_post_hooks",
                     "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                     "_backward_pre_hooks"):
            self.__dict__.setdefault(name, _HookDict())
        self.__dict__.setdefault("_is_full_backward_hook", None)


def _on_device(init):
    """A torchlike layer's __init__ run with its `device=` argument as the default device, so
    its parameters are made there (torch's layers pass device= to each factory)."""
    names = list(inspect.signature(init).parameters)
    if "device" not in names:
        return init
    pos = names.index("device") - 1  # position among the arguments after self

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        device = kwargs.get("device", args[pos] if len(args) > pos else None)
        if device is None:
            return init(self, *args, **kwargs)
        from ..._device import device as _device
        with _device(device):
            return init(self, *args, **kwargs)
    return __init__
