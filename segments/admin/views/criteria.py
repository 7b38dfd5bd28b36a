"""The rule editor's live preview: what the typed rule selects, as JSON for the change form.

The admin signs in with a session, not a bearer token, so it does not call the API's
endpoint; it calls the same validation (`preview_criteria`) and selector
(`criteria_preview`) in the tenant the user may administer.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import may_administer

from ...documents.criteria import preview_criteria, preview_document
from ...selectors.criteria import criteria_preview
from .pages import post_only


@post_only
def criteria_preview_view(model_admin: Any, request: HttpRequest) -> JsonResponse:
    """`{"tenant": t, "criteria": {...}}` -> the count, the tenant's total and a sample with
    links to the customers' pages; a 400 `{"field", "message"}` for an invalid rule, 403 for
    a tenant the user may not administer or a user who may not edit segments."""
    if not (model_admin.has_change_permission(request) or model_admin.has_add_permission(request)):
        raise PermissionDenied
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _problem("body", "The request must be JSON.")
    tenant = body.get("tenant") if isinstance(body, dict) else None
    if not isinstance(tenant, str) or not tenant:
        return _problem("tenant", "Choose the tenant first.")
    if not may_administer(request, tenant):
        return JsonResponse({"message": f"You have no access to the tenant {tenant}."}, status=403)
    try:
        preview = criteria_preview(tenant=tenant, criteria=preview_criteria(body))
    except ApplicationError as exc:
        detail = exc.details[0] if exc.details else None
        return _problem(detail.field if detail else "criteria", exc.message)
    sample = [_customer_row(customer) for customer in preview.sample]
    return JsonResponse(preview_document(preview.count, preview.total_customers, sample))


def _customer_row(customer: Any) -> dict[str, Any]:
    name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    return {
        "id": customer.public_id,
        "name": name,
        "email": customer.email,
        "url": reverse("admin:segments_customer_change", args=[customer.pk]),
    }


def _problem(field: str, message: str) -> JsonResponse:
    return JsonResponse({"field": field, "message": message}, status=400)
