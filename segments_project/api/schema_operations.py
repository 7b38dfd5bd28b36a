"""The OpenAPI description of a document's detail endpoint: GET, PUT (upsert), PATCH, DELETE.

Products, categories, segments, customers and legal entities answer the same shape; each
resource names its tag, id parameter, serializers and the wording the vendor uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from .schema_components import (
    BODY_ERRORS,
    CONFLICT,
    DELETED,
    ERROR_RESPONSES,
    NOT_FOUND,
    PATCH_DESCRIPTION,
    UPDATED,
    IdSerializer,
    PatchOperationSerializer,
)


def document_detail(
    view: Any,
    *,
    tags: list[str],
    noun: str,
    id_parameter: OpenApiParameter,
    response: type[serializers.Serializer],
    write: type[serializers.Serializer],
    read_parameters: Sequence[OpenApiParameter] = (),
    write_parameters: Sequence[OpenApiParameter] = (),
    delete_parameters: Sequence[OpenApiParameter] = (),
    summaries: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> Any:
    """Describes the view's get, put, patch and delete.

    Summaries default to "Retrieving/Upserting/Patching/Deleting a <noun>" (`summaries`
    overrides them by method name); `descriptions` adds descriptions by method name (PATCH
    has one by default).
    """
    summary = {
        "get": f"Retrieving a {noun}",
        "put": f"Upserting a {noun}",
        "patch": f"Patching a {noun}",
        "delete": f"Deleting a {noun}",
        **(summaries or {}),
    }
    description = {"patch": PATCH_DESCRIPTION, **(descriptions or {})}
    operations: dict[str, dict[str, Any]] = {
        "get": {
            "parameters": [id_parameter, *read_parameters],
            "responses": {200: response, **ERROR_RESPONSES, **NOT_FOUND},
        },
        "put": {
            "parameters": [id_parameter, *write_parameters],
            "request": write,
            "responses": {
                201: IdSerializer,
                **UPDATED,
                **ERROR_RESPONSES,
                **CONFLICT,
                **BODY_ERRORS,
            },
        },
        "patch": {
            "parameters": [id_parameter, *write_parameters],
            "request": PatchOperationSerializer(many=True),
            "responses": {**UPDATED, **ERROR_RESPONSES, **NOT_FOUND, **CONFLICT, **BODY_ERRORS},
        },
        "delete": {
            "parameters": [id_parameter, *delete_parameters],
            "responses": {**DELETED, **ERROR_RESPONSES},
        },
    }
    for method, arguments in operations.items():
        decorate = extend_schema(
            tags=tags, summary=summary[method], description=description.get(method), **arguments
        )
        setattr(view, method, decorate(getattr(view, method)))
    return view
