"""The `q` filter language and `sort` parameter of list endpoints, compiled to Django ORM terms."""

from .compiler import MAX_QUERY_LENGTH, compile_query
from .fields import METADATA_QUERY_FIELDS, FieldKind, FieldSpec
from .parser import condition_texts
from .sorting import compile_sort

__all__ = [
    "MAX_QUERY_LENGTH",
    "METADATA_QUERY_FIELDS",
    "FieldKind",
    "FieldSpec",
    "compile_query",
    "compile_sort",
    "condition_texts",
]
