"""The languages a tenant writes its texts in, for the admin's localized inputs.

Tenants have no configured list of languages: they are the ones present in the tenant's
texts of the kind being edited, plus the project's default language (`LANGUAGE_CODE`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Model

# Rows whose texts are read for their languages: the most recent ones, so the query is
# bounded at any size (a language used only in older rows is added with the new row).
LANGUAGE_SAMPLE_ROWS = 200


def default_language() -> str:
    return settings.LANGUAGE_CODE.split("-")[0].lower()


def languages_in_use(
    model: type[Model], *, tenants: Iterable[str], fields: Iterable[str]
) -> list[str]:
    """The default language and the languages of the localized `fields` in the latest
    rows of `model` of the tenants, in one query."""
    names = list(fields)
    found = {default_language()}
    tenant_ids = list(tenants)
    if not names or not tenant_ids:
        return sorted(found)
    rows = (
        model._default_manager.filter(tenant_id__in=tenant_ids)
        .order_by("-pk")
        .values_list(*names)[:LANGUAGE_SAMPLE_ROWS]
    )
    for row in rows:
        for texts in row:
            if isinstance(texts, dict):
                found.update(code for code, text in texts.items() if text)
    return sorted(found)
