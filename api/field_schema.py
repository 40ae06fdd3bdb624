"""What a field of a request takes, read from its own schema: the request model's field or
the operation's parameter (:mod:`api.validation` says it in words).

Invariant: the bounds and the shape come from the very definitions the framework validates
with, so a sentence can never promise other limits than those enforced.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from litestar import Request
from litestar.handlers import HTTPRouteHandler
from pydantic import AwareDatetime, BaseModel

# --- what a field takes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepts:
    """What a field takes: its kind (text, number, bool, date, moment, choice, list, object,
    unknown) and the bounds its schema sets."""

    kind: str = "unknown"
    least: int | None = None  # characters of text, items of a list
    most: int | None = None
    lowest: int | None = None  # a number's bounds
    highest: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] = field(default=())


_NOT_A_FIELD = Accepts()


def _unwrap(annotation: Any) -> Any:
    """The type under ``Annotated`` and ``| None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            inner = [a for a in get_args(annotation) if a is not type(None)]
            if len(inner) != 1:
                return annotation
            annotation = inner[0]
        else:
            return annotation


def _kind(annotation: Any) -> tuple[str, tuple[str, ...]]:
    base = _unwrap(annotation)
    if get_origin(base) is Literal:
        return "choice", tuple(
            str(v).lower() if isinstance(v, bool) else str(v) for v in get_args(base)
        )
    if base is bool:
        return "bool", ()
    if base is int:
        return "number", ()
    if base is str:
        return "text", ()
    if base is AwareDatetime or (isinstance(base, type) and issubclass(base, datetime)):
        return "moment", ()
    if isinstance(base, type) and issubclass(base, date):
        return "date", ()
    if get_origin(base) is list:
        return "list", ()
    if isinstance(base, type) and issubclass(base, BaseModel):
        return "object", ()
    return "unknown", ()


def field_accepts(annotation: Any, constraints: Iterable[Any]) -> Accepts:
    """What a field of type ``annotation`` takes, with the bounds of ``constraints`` (a
    pydantic field's metadata, or an operation parameter's definition)."""
    kind, choices = _kind(annotation)
    bounds: dict[str, Any] = {}
    for constraint in constraints:
        for name in ("min_length", "max_length", "min_items", "max_items"):
            if (value := getattr(constraint, name, None)) is not None:
                bounds["least" if name.startswith("min") else "most"] = value
        for name, shift, key in (("ge", 0, "lowest"), ("gt", 1, "lowest")):
            if (value := getattr(constraint, name, None)) is not None:
                bounds[key] = int(value) + shift
        for name, shift, key in (("le", 0, "highest"), ("lt", -1, "highest")):
            if (value := getattr(constraint, name, None)) is not None:
                bounds[key] = int(value) + shift
        if (pattern := getattr(constraint, "pattern", None)) is not None:
            bounds["pattern"] = pattern
    return Accepts(kind=kind, choices=choices, **bounds)


def _in_body(annotation: Any, parts: list[str]) -> Accepts:
    """What the body field at ``parts`` (``lines.0.units``) takes, walking the request model."""
    constraints: list[Any] = []
    for part in parts:
        base = _unwrap(annotation)
        if part.isdigit() and get_origin(base) is list:
            annotation, constraints = get_args(base)[0], []
        elif isinstance(base, type) and issubclass(base, BaseModel) and part in base.model_fields:
            info = base.model_fields[part]
            annotation, constraints = info.annotation, list(info.metadata)
        else:
            return _NOT_A_FIELD
    return field_accepts(annotation, constraints)


def accepts(request: Request[Any, Any, Any], key: str | None, source: str | None) -> Accepts:
    """What the field ``key`` of this request's operation takes (``source`` says where it
    is: body, query, path or header)."""
    handler = request.scope.get("route_handler")
    if key is None or not isinstance(handler, HTTPRouteHandler):
        return _NOT_A_FIELD
    parameters = handler.parsed_fn_signature.parameters
    if source in (None, "body"):
        data = parameters.get("data")
        if data is not None and key not in parameters:
            return _in_body(data.annotation, key.split("."))
    for name, parameter in parameters.items():
        definition = parameter.kwarg_definition
        if name == key or getattr(definition, "name", None) == key:
            return field_accepts(parameter.annotation, [definition] if definition else [])
    return _NOT_A_FIELD


__all__ = ["Accepts", "accepts", "field_accepts"]
