"""A quicker constructor for frozen dataclasses that are made by the hundred per command.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__` (its own
`__setattr__` refuses), about a third of a microsecond a field. `/goal list` makes some eighty
frozen objects per call (a card, its tally, its organisation lines and their stances);
`quick_init` gives such a class an `__init__` that stores the fields straight into the
instance's `__dict__`, with the same parameters, defaults and default factories. Everything
else stays the dataclass's own: still frozen once made, same equality, hash, repr and
`dataclasses.replace`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

_NOTHING = object()  # an omitted argument whose field has a default factory


def quick_init(cls: type[T]) -> type[T]:
    """Replace a frozen dataclass's `__init__` (apply above `@dataclass(frozen=True)`)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: quick_init is for frozen dataclasses without slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: quick_init does not call __post_init__")
    env: dict[str, Any] = {"_NOTHING": _NOTHING}
    args, body = ["_self"], ["_stored = _self.__dict__"]
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init or f.kw_only or f.name in ("_self", "_stored"):
            raise TypeError(f"{cls.__name__}.{f.name}: quick_init takes plain fields only")
        if f.default is not dataclasses.MISSING:
            env[f"_default_{f.name}"] = f.default
            args.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_factory_{f.name}"] = f.default_factory
            args.append(f"{f.name}=_NOTHING")
            body.append(f"if {f.name} is _NOTHING: {f.name} = _factory_{f.name}()")
        else:
            args.append(f.name)
        body.append(f"_stored[{f.name!r}] = {f.name}")
    source = f"def __init__({', '.join(args)}):\n" + "".join(f"    {line}\n" for line in body)
    exec(source, env)  # the source is made above from the class's own field names
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
