"""The error torchlike raises for anything it does not implement."""


class NotImplementedOp(NotImplementedError, AttributeError):
    """An op, attribute or module torchlike lacks. Also an AttributeError, so feature checks
    with hasattr() keep working."""


def missing(module: str):
    """A module's __getattr__: names torchlike lacks in torch module `module` raise
    NotImplementedOp naming them (not a bare AttributeError)."""
    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotImplementedOp(f"{module}.{name} is not implemented in torchlike")
    return __getattr__
