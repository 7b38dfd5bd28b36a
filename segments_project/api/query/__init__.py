"""The `q` filter language and `sort` parameter of list endpoints, compiled to Django ORM terms."""

from .compiler import MAX_QUERY_LENGTH, compile_query
from .fields import FieldKind, FieldSpec
from .sorting import compile_sort

__all__ = ["MAX_QUERY_LENGTH", "FieldKind", "FieldSpec", "compile_query", "compile_sort"]
