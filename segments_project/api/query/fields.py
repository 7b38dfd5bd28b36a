"""The fields a resource lets clients filter and sort by, and how API names map onto them."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from .lexer import syntax_error


class FieldKind(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    ENUM = "enum"
    LOCALIZED = "localized"
    JSON = "json"
    #: A JSON array of objects (`addresses`): `addresses.country:DE` holds when any of the
    #: objects matches, its members compared as JSON members are (untyped).
    OBJECTS = "an array of objects"


#: Kinds whose API name is followed by `.key...` naming a key inside the JSON document.
KEYED_KINDS = frozenset({FieldKind.LOCALIZED, FieldKind.JSON, FieldKind.OBJECTS})


@dataclass(frozen=True)
class FieldSpec:
    """One filterable field: its Django ORM lookup path and how values are interpreted."""

    path: str
    kind: FieldKind
    choices: tuple[str, ...] = ()
    sortable: bool = True
    #: OBJECTS only: the members of the objects a condition may name, and those of them
    #: that are arrays of scalars (a condition on one holds when any element matches).
    members: tuple[str, ...] = ()
    list_members: tuple[str, ...] = ()


# The members every versioned document carries: its mixins and their schemas, the version
# and the timestamps. A resource's fields end with them (`**METADATA_QUERY_FIELDS`).
METADATA_QUERY_FIELDS: dict[str, FieldSpec] = {
    "mixins": FieldSpec("mixins", FieldKind.JSON),
    "metadata.mixins": FieldSpec("metadata_mixins", FieldKind.JSON),
    "metadata.version": FieldSpec("version", FieldKind.INTEGER),
    "metadata.createdAt": FieldSpec("created_at", FieldKind.DATETIME),
    "metadata.modifiedAt": FieldSpec("modified_at", FieldKind.DATETIME),
}


@dataclass(frozen=True)
class ResolvedField:
    """An API field name resolved against the whitelist; `keys` is the JSON key path."""

    name: str
    spec: FieldSpec
    keys: tuple[str, ...] = ()


def resolve_field(
    name: str, fields: Mapping[str, FieldSpec], pos: int, *, param: str = "q"
) -> ResolvedField:
    """Resolve API field `name` (written at 1-based `pos`) to its spec and JSON key path.

    Exact names win; otherwise the longest LOCALIZED/JSON name followed by `.` is the
    field and the rest its key path. Guarantees a LOCALIZED field has exactly one key,
    a JSON field at least one, and every key matches `[A-Za-z0-9_-]+` and is not an
    integer (integers would address array elements). Raises ValidationFailed otherwise.
    """
    spec = fields.get(name)
    if spec is not None and spec.kind not in KEYED_KINDS:
        return ResolvedField(name, spec)
    prefix = name if spec is not None else _keyed_prefix(name, fields)
    if prefix is None:
        allowed = ", ".join(_allowed_names(fields))
        raise syntax_error(
            f"unknown field '{name}'; allowed fields are {allowed}", pos, param=param
        )
    spec = fields[prefix]
    keys = tuple(name[len(prefix) + 1 :].split(".")) if name != prefix else ()
    if spec.kind is FieldKind.OBJECTS:
        if len(keys) != 1 or keys[0] not in spec.members:
            members = ", ".join(f"{prefix}.{member}" for member in spec.members)
            raise syntax_error(
                f"'{prefix}' is {spec.kind.value}: name one of {members}", pos, param=param
            )
        return ResolvedField(name, spec, keys)
    if spec.kind is FieldKind.LOCALIZED and len(keys) != 1:
        raise syntax_error(
            f"'{prefix}' is localized: name one language, e.g. '{prefix}.en'", pos, param=param
        )
    if not keys:
        raise syntax_error(f"'{prefix}' needs a key path, e.g. '{prefix}.myKey'", pos, param=param)
    for key in keys:
        if not _is_valid_key(key):
            raise syntax_error(
                f"invalid key '{key}' in field '{name}'; keys are letters, digits, '_' and '-'"
                " and may not be integers",
                pos,
                param=param,
            )
    return ResolvedField(name, spec, keys)


def _keyed_prefix(name: str, fields: Mapping[str, FieldSpec]) -> str | None:
    candidates = [
        api_name
        for api_name, spec in fields.items()
        if spec.kind in KEYED_KINDS and name.startswith(api_name + ".")
    ]
    return max(candidates, key=len, default=None)


def _allowed_names(fields: Mapping[str, FieldSpec]) -> list[str]:
    names = []
    for api_name, spec in fields.items():
        if spec.kind is FieldKind.OBJECTS:
            names += [f"{api_name}.{member}" for member in spec.members]
        else:
            names.append(f"{api_name}.<key>" if spec.kind in KEYED_KINDS else api_name)
    return names


def _is_valid_key(key: str) -> bool:
    if not key or not key.isascii() or not all(c.isalnum() or c in "_-" for c in key):
        return False
    try:
        int(key)
    except ValueError:
        return True
    return False
