"""The base of the catalog's views: what the caller may see of unpublished data."""

from __future__ import annotations

from segments_project.api.views import TenantAPIView
from segments_project.errors import PermissionDenied
from segments_project.tenancy import scopes

from ..selectors.visibility import sees_unpublished_categories, sees_unpublished_products

# Reads of published catalog data are open to every token of the tenant (as the vendor's
# Product and Category APIs say); what a token sees of unpublished data is decided by
# `selectors.visibility`, not by the operation's scopes.
OPEN_READ = frozenset({scopes.ANY_TENANT_TOKEN})


class CatalogView(TenantAPIView):
    @property
    def sees_unpublished_categories(self) -> bool:
        return sees_unpublished_categories(self.principal)

    @property
    def sees_unpublished_products(self) -> bool:
        return sees_unpublished_products(self.principal)

    def show_unpublished(self) -> bool:
        """The `showUnpublished=true` of the method's filter set.

        As the vendor's Category API says, asking for unpublished categories without the
        scope to see them is a 403; without the parameter, they are left out for everyone.
        """
        wanted = self.query_filters()["showUnpublished"]
        if wanted and not self.sees_unpublished_categories:
            raise PermissionDenied(
                "Unpublished categories need the category.category_read_unpublished scope."
            )
        return wanted
