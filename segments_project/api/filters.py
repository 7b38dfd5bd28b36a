"""django-filter for the plain query parameters of list and tree endpoints.

A view names one FilterSet per HTTP method (`filtersets = {"GET": ...}`); its filters
declare the parameters, their types and descriptions (the OpenAPI parameters are generated
from them, see `QueryFilterExtension`), and their form fields parse the values with the
project's own checks, so a bad value answers the vendor's 400 as it always did.

The values feed the selectors (`show_unpublished=`, `segment_ids=`, ...), which build the
query: most of these parameters change how a selector walks a tree or a scope rather than
narrowing a finished queryset, so the filter sets parse and do not filter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from rest_framework.request import Request

from segments_project.errors import ErrorDetail, ValidationFailed

from .documents import clean_id

Parse = Callable[[str, str], Any]  # (raw value, parameter name) -> value, or ValidationFailed


def parse_bool(raw: str | None, name: str, default: bool = False) -> bool:
    """`true`/`1` or `false`/`0`, any capitalization; absent or empty is the default."""
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"true", "1"}:
        return True
    if lowered in {"false", "0"}:
        return False
    message = f"{name} must be true or false."
    raise ValidationFailed(message, details=[ErrorDetail(name, "invalid", message)])


class ParameterError(forms.ValidationError):
    """A form error that carries the vendor's 400 the parameter's check raised."""

    def __init__(self, failure: ValidationFailed) -> None:
        super().__init__(failure.message, code="invalid")
        self.failure = failure


class ParameterField(forms.Field):
    """One query parameter: absent is `empty`, anything else goes through `parse`."""

    def __init__(self, *, parse: Parse, param: str, empty: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parse = parse
        self.param = param
        self.empty = empty

    def clean(self, value: Any) -> Any:
        if value is None or value == []:
            return self.empty
        try:
            return self.parse(value, self.param)
        except ValidationFailed as failure:
            raise ParameterError(failure) from failure


class ParameterMixin:
    """A filter whose form field is a `ParameterField`; `param` names it when its name is no
    Python identifier (`ref.id`)."""

    def __init__(self, *, parse: Parse, param: str | None = None, empty: Any = None, **kwargs):
        super().__init__(**kwargs)
        self.parse, self.param, self.empty = parse, param, empty

    @property
    def field(self) -> forms.Field:
        if not hasattr(self, "_field"):
            self._field = ParameterField(
                parse=self.parse,
                param=self.param or self.field_name,
                empty=self.empty,
                label=self.label,
                **self.extra,
            )
        return self._field


class BooleanParameter(ParameterMixin, django_filters.BooleanFilter):
    """`true`/`false` (also `1`/`0`); absent or empty is false."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(parse=parse_bool, empty=False, **kwargs)


class StringParameter(ParameterMixin, django_filters.CharFilter):
    """A string parameter (documented as one) parsed by `parse`."""


class IdParameter(StringParameter):
    """One id; given empty it is a 400, like any malformed id."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(parse=clean_id, **kwargs)


class RepeatedStringParameter(StringParameter):
    """A string parameter that may be repeated (`ref.id=a&ref.id=b`): `parse` gets the list."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.MultipleHiddenInput, **kwargs)


class IntegerParameter(ParameterMixin, django_filters.NumberFilter):
    """A whole number (documented from the model field the filter names) parsed by `parse`."""


class QueryFilterSet(django_filters.FilterSet):
    """The query parameters of one operation. Subclasses set `Meta.model` and `fields = ()`."""

    @classmethod
    def get_filters(cls) -> dict[str, django_filters.Filter]:
        filters = super().get_filters()
        return {getattr(f, "param", None) or name: f for name, f in filters.items()}

    @classmethod
    def parameter_fields(cls) -> dict[str, forms.Field]:
        """The form field of each parameter, built once per filter set.

        Parsing goes through these directly, not through a FilterSet instance and its
        form: those deep-copy every filter and field and build a form class per request
        (about 0.5 ms, a fifth of a warm storefront read). The fields are stateless.
        """
        fields = cls.__dict__.get("_parameter_fields")
        if fields is None:
            fields = {name: flt.field for name, flt in cls.base_filters.items()}
            cls._parameter_fields = fields
        return fields


class FilterValues:
    """The parsed parameters of a request. Every value is parsed at once; an invalid one
    raises its 400 when the view reads it, so the order of errors stays the order of reads
    (a path's 404 read first still comes first)."""

    def __init__(self, filterset_class: type[QueryFilterSet], data: Mapping[str, Any]) -> None:
        self._values: dict[str, Any] = {}
        self._errors: dict[str, forms.ValidationError] = {}
        for name, field in filterset_class.parameter_fields().items():
            raw = field.widget.value_from_datadict(data, {}, name)
            try:
                self._values[name] = field.clean(raw)
            except forms.ValidationError as error:
                self._errors[name] = error.error_list[0]

    def __getitem__(self, name: str) -> Any:
        error = self._errors.get(name)
        if isinstance(error, ParameterError):
            raise error.failure
        if error is not None:
            raise ValidationFailed(
                str(error.message), details=[ErrorDetail(name, "invalid", str(error.message))]
            )
        return self._values[name]


class QueryFilterBackend(DjangoFilterBackend):
    """Finds the FilterSet of the request's method in the view's `filtersets`."""

    def get_filterset_class(self, view: Any, queryset: Any = None) -> type[QueryFilterSet] | None:
        return self.filterset_class_for(view, view.request.method)

    @staticmethod
    def filterset_class_for(view: Any, method: str) -> type[QueryFilterSet] | None:
        return getattr(view, "filtersets", {}).get(method.upper())

    def values(self, request: Request, view: Any) -> FilterValues:
        filterset_class = self.get_filterset_class(view)
        if filterset_class is None:
            raise LookupError(f"{type(view).__name__} has no filter set for {request.method}.")
        return FilterValues(filterset_class, request.query_params)


class QueryFilterExtension(DjangoFilterExtension):
    """drf-spectacular's django-filter extension for `QueryFilterBackend`: takes the model
    from the filter set (the views have no queryset) and the filter set from the method."""

    target_class = QueryFilterBackend
    priority = 1

    def get_schema_operation_parameters(self, auto_schema: Any, *args: Any, **kwargs: Any):
        filterset_class = self.target.filterset_class_for(auto_schema.view, auto_schema.method)
        if filterset_class is None:
            return []
        model = filterset_class._meta.model
        return [
            parameter
            for name, filter_field in filterset_class.base_filters.items()
            for parameter in self.resolve_filter_field(
                auto_schema, model, filterset_class, name, filter_field
            )
        ]
