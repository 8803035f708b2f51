"""The error torchlike raises for anything it does not implement."""


class NotImplementedOp(NotImplementedError, AttributeError):
    """An op, attribute or module torchlike lacks. Also an AttributeError, so feature checks
    with hasattr() keep working."""
