"""Stripe's request parameters as its API reference defines them, for the fake to refuse
what Stripe refuses.

The official `stripe` library ships its parameters as TypedDicts generated from Stripe's
OpenAPI spec (stripe.params): every name, nesting, enum value, integer and required field
of each endpoint. `refusal(data, Params)` walks a form body (already unflattened into
dicts and lists) against one of those classes and returns the error Stripe answers, or
None. The library types enums as ``Literal[...] | str`` (so that new values do not break
old code); Stripe itself refuses a value outside the list, and so does this.

A few rules the spec states in prose, not types, are added per endpoint (REQUIRED).
"""

from __future__ import annotations

import decimal
import re
import sys
import types
import typing
from dataclasses import dataclass

import typing_extensions
from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject

_OPTIONAL = {typing_extensions.NotRequired, typing_extensions.Required}
_OPTIONAL |= {getattr(typing, "NotRequired", None), getattr(typing, "Required", None)}
#: Request options the library takes beside the parameters; never sent as parameters.
_OPTIONS = frozenset(RequestOptions.__annotations__)
_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class Refusal:
    """Stripe's invalid_request_error: its code (None where Stripe sends none), the
    parameter in bracket notation, and the message."""

    code: str | None
    param: str
    message: str


#: Parameters Stripe requires although the generated types leave them optional (the API
#: reference's "required" marks and conditions), by Params class name.
REQUIRED = {
    "SessionCreateParams": ("mode",),
}


def refusal(data: dict, params: type, path: str = "") -> Refusal | None:
    """Why Stripe refuses `data` sent to the endpoint typed by `params` (None: it takes it)."""
    top = not path
    found = _check_object(data, params, path, top)
    if found or not top:
        return found
    for name in REQUIRED.get(params.__name__, ()):
        if name not in data:
            return _missing(name)
    return _conditions(data, params.__name__)


def _conditions(data: dict, name: str) -> Refusal | None:
    """Rules between parameters that the reference states in words."""
    if name != "SessionCreateParams":
        return None
    if data.get("mode") == "payment" and not data.get("line_items"):
        return _missing("line_items")
    if data.get("ui_mode", "hosted") == "hosted" and not data.get("success_url"):
        return _missing("success_url")
    for n, item in enumerate(data.get("line_items") or []):
        price = item.get("price_data") if isinstance(item, dict) else None
        if isinstance(price, dict) and not ("product" in price or "product_data" in price):
            return _missing(f"line_items[{n}][price_data][product_data]")
        amounts = ("unit_amount", "unit_amount_decimal")
        if isinstance(price, dict) and not any(a in price for a in amounts):
            return _missing(f"line_items[{n}][price_data][unit_amount]")
    return None


def _check_object(value, cls: type, path: str, top: bool = False) -> Refusal | None:
    if not isinstance(value, dict):
        return Refusal(None, path, f"Invalid object: {path} must be a hash.")
    fields = dict(cls.__annotations__)
    if top:
        fields = {k: v for k, v in fields.items() if k not in _OPTIONS}
    module = sys.modules[cls.__module__]
    for key, item in value.items():
        name = f"{path}[{key}]" if path else key
        if key not in fields:
            return Refusal("parameter_unknown", name, f"Received unknown parameter: {name}")
        found = _check(item, _resolve(fields[key], module), name, module)
        if found:
            return found
    for key in sorted(cls.__required_keys__ - _OPTIONS):
        if key not in value:
            return _missing(f"{path}[{key}]" if path else key)
    return None


def _missing(name: str) -> Refusal:
    return Refusal("parameter_missing", name, f"Missing required param: {name}.")


def _resolve(kind, module):
    """The annotation as a type: unwraps NotRequired and evaluates forward references in the
    module that defines it."""
    if isinstance(kind, typing.ForwardRef):
        kind = kind.__forward_arg__
    if isinstance(kind, str):
        names = {**vars(typing), **vars(module), "UntypedStripeObject": UntypedStripeObject}
        kind = eval(kind, names)  # noqa: S307 -- the library's own annotation text
    if typing.get_origin(kind) in _OPTIONAL:
        return _resolve(typing.get_args(kind)[0], module)
    return kind


def _check(value, kind, name: str, module) -> Refusal | None:  # noqa: PLR0911
    kind = _resolve(kind, module)
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _check_union(value, typing.get_args(kind), name, module)
    if origin is typing.Literal:
        return _check_enum(value, typing.get_args(kind), name)
    if typing_extensions.is_typeddict(kind):
        return _check_object(value, kind, name)
    if origin is list:
        if not isinstance(value, list):
            return Refusal(None, name, f"Invalid array: {name} must be an array.")
        [inner] = typing.get_args(kind)
        for n, item in enumerate(value):
            found = _check(item, inner, f"{name}[{n}]", module)
            if found:
                return found
        return None
    if origin is dict or kind is UntypedStripeObject or origin is UntypedStripeObject:
        return _check_map(value, name)
    return _check_scalar(value, kind, name)


def _check_union(value, options: tuple, name: str, module) -> Refusal | None:
    literals = [a for option in options if typing.get_origin(option) is typing.Literal
                for a in typing.get_args(option)]  # fmt: skip
    others = [o for o in options if typing.get_origin(o) is not typing.Literal and o is not str]
    if value == "" and "" in literals:
        return None  # Stripe's way of unsetting an emptyable field
    choices = [a for a in literals if a != ""]
    if choices and not others:
        return _check_enum(value, tuple(choices), name)
    first = None
    for option in others or [str]:
        found = _check(value, option, name, module)
        if found is None:
            return None
        first = first or found
    return first


def _check_enum(value, choices: tuple, name: str) -> Refusal | None:
    if value in choices:
        return None
    listed = ", ".join(str(c) for c in choices[:-1])
    listed = f"{listed}, or {choices[-1]}" if listed else str(choices[-1])
    return Refusal(None, name, f"Invalid {name}: must be one of {listed}")


def _check_map(value, name: str) -> Refusal | None:
    if not isinstance(value, dict):
        return Refusal(None, name, f"Invalid object: {name} must be a hash.")
    for key, item in value.items():
        if not isinstance(item, str):
            return Refusal(None, f"{name}[{key}]", f"Invalid string: {name}[{key}]")
    return None


def _check_scalar(value, kind, name: str) -> Refusal | None:
    if isinstance(value, dict | list):
        return Refusal("parameter_invalid_string", name, f"Invalid {name}: not a scalar value")
    if kind is int and not _INTEGER.fullmatch(value):
        return Refusal("parameter_invalid_integer", name, f"Invalid integer: {value}")
    if kind is bool and value not in ("true", "false"):
        return Refusal(None, name, f"Invalid boolean: {value}")
    if kind in (float, decimal.Decimal) and not _DECIMAL.fullmatch(value):
        return Refusal(None, name, f"Invalid decimal: {value}")
    return None
