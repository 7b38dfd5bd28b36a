"""The catalog segments point at: products, a category forest, and products in categories."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from segments_project.models import TenantOwnedDocument

from .querysets import CategoryQuerySet, ProductQuerySet


class Product(TenantOwnedDocument):
    """A product, reduced to what segments, coupons and trees need (no prices or stock)."""

    code = models.CharField(max_length=128, blank=True)
    name = models.JSONField(default=dict, help_text="Language code to name.")
    published = models.BooleanField(default=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["tenant_id", "public_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "public_id"], name="product_unique_id"),
        ]
        indexes = [models.Index(fields=["tenant", "code"], name="product_code")]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.public_id}"


# What the admin's product and category searches match in, as one text each
# (`segments_project.db.search`) that a trigram index serves on PostgreSQL (migration 0002).
# The localized name is its JSON text, as Django's search of the field compared it.
PRODUCT_SEARCH_FIELDS = ("public_id", "code", "name")
CATEGORY_SEARCH_FIELDS = ("public_id", "code", "name")


# A category's place in the admin's tree order (`Category.tree_key`), level by level from the
# root down: the position as ten digits (every PositiveIntegerField value has at most ten),
# the id, then a space. No id holds a space (`clean_id`) and a space sorts before every
# character an id may hold, so keys compared bytewise order categories depth first, a parent
# before its children, siblings by position and then by id.
TREE_KEY_POSITION_DIGITS = 10


def tree_key_part(position: int, public_id: str) -> str:
    """The part of the tree key one level adds (`Category.tree_key`)."""
    return f"{position:0{TREE_KEY_POSITION_DIGITS}d}{public_id} "


def path_pks(path: str) -> list[int]:
    """The surrogate ids a category's materialized path names, root first, itself last."""
    return [int(part) for part in path.strip("/").split("/") if part]


class Category(TenantOwnedDocument):
    """A node of the tenant's category forest.

    `path` is a materialized path of surrogate ids (`/12/40/57/`), so ancestors are the ids
    in it and descendants are the rows whose path starts with it: both one indexed query.
    `tree_key` is the tree's order as one text (`tree_key_part` of each level, the
    ancestors' first), which the admin's tree list reads a page of from an index (catalog
    migration 0006) instead of ordering every category; the services keep both with the
    parent and the position.
    """

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    path = models.CharField(max_length=1000, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    tree_key = models.TextField(default="", editable=False)
    # NULL, not "", for "no code": the per-tenant uniqueness holds only for given codes.
    code = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    name = models.JSONField("localized name", default=dict)
    description = models.JSONField("localized description", default=dict, blank=True)
    slug = models.JSONField("localized slug", default=dict, blank=True)
    ecn = models.JSONField("external category numbers", default=list, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    published = models.BooleanField(default=False)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["tenant_id", "path"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "public_id"], name="category_unique_id"),
            models.UniqueConstraint(
                fields=["tenant", "code"],
                condition=Q(code__isnull=False),
                name="category_unique_code",
            ),
        ]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL answer `path LIKE '/12/40/%'` from the index.
            models.Index(
                fields=["tenant", "path"],
                name="category_tenant_path",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            models.Index(fields=["tenant", "parent", "position"], name="category_siblings"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.public_id}"

    @property
    def ancestor_pks(self) -> list[int]:
        """Surrogate ids of the ancestors, root first (read from the path, no query)."""
        return path_pks(self.path)[:-1]


class CategoryAssignment(models.Model):
    """A product placed in a category; a product may be in many categories."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField("id", max_length=64)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="assignments")
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="category_assignments"
    )
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["tenant_id", "category", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "public_id"], name="category_assignment_unique_id"
            ),
            models.UniqueConstraint(
                fields=["tenant", "category", "product"], name="category_assignment_unique_pair"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "product"], name="category_assignment_product")]

    def __str__(self) -> str:
        return f"{self.product_id} in {self.category_id}"
