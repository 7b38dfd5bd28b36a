"""Customer segments, the customer directory they draw on, and their assignments."""

from __future__ import annotations

from django.db import models
from django.db.models import JSONField, Q, Value

from segments_project.models import TenantOwnedDocument

from .querysets import SegmentQuerySet


class SegmentStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    INACTIVE = "INACTIVE", "Inactive"


class Segment(TenantOwnedDocument):
    """A group of customers of one site, with the products and categories it gives them."""

    name = models.JSONField(default=dict, help_text="Language code to name.")
    description = models.JSONField(default=dict, blank=True, help_text="Language code to text.")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=SegmentStatus, default=SegmentStatus.INACTIVE)
    site_code = models.CharField(max_length=64)
    # The rule: {"q": ..., "legalEntities": ...}, q texts over customer and legal-entity
    # documents (segments/documents/criteria.py); null for a manual-only segment.
    criteria = models.JSONField(null=True, blank=True, default=None)

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["tenant_id", "public_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "public_id"], name="segment_unique_id"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lte=models.F("valid_to")),
                name="segment_validity_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "site_code", "status"], name="segment_site_status")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.public_id}"


class LegalEntity(TenantOwnedDocument):
    """A company that B2B customers act for."""

    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["tenant_id", "public_id"]
        verbose_name_plural = "legal entities"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "public_id"], name="legal_entity_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.public_id}"


# What the admin's customer searches match in, as one text (`segments_project.db.search`)
# that a trigram index serves on PostgreSQL (migration 0010).
CUSTOMER_SEARCH_FIELDS = ("public_id", "email", "first_name", "last_name", "company")
# What the admin's segment search and picker match in, as one text a trigram index serves
# on PostgreSQL (`segment_search_trgm`, migration 0014).
SEGMENT_SEARCH_FIELDS = ("public_id", "name")


class Customer(TenantOwnedDocument):
    """A shop customer; `legal_entities` are the companies the customer may act for."""

    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(max_length=320, blank=True)
    # The members of Emporix's tenant-managed customer that segments select on (the API
    # names them in camelCase; `company_registration_id` is `b2b.companyRegistrationId`);
    # empty text means unset. See segments/documents/customer_profile.py. The database has
    # the defaults too, for writers that insert rows by SQL (the benchmarks').
    contact_phone = models.CharField(max_length=64, blank=True, default="", db_default="")
    company = models.CharField(max_length=255, blank=True, default="", db_default="")
    company_registration_id = models.CharField(  # b2b.companyRegistrationId
        "company registration id", max_length=255, blank=True, default="", db_default=""
    )
    preferred_site = models.CharField(max_length=64, blank=True, default="", db_default="")
    preferred_language = models.CharField(max_length=16, blank=True, default="", db_default="")
    preferred_currency = models.CharField(max_length=3, blank=True, default="", db_default="")
    active = models.BooleanField(default=True, db_default=True)
    on_hold = models.BooleanField("on hold", default=False, db_default=False)  # onHold
    # A JSON array of address objects as the API renders them. PostgreSQL has a GIN index
    # (jsonb_path_ops) on it for `addresses.<member>:<value>` conditions (migration 0005).
    addresses = models.JSONField(default=list, blank=True, db_default=Value([], JSONField()))
    legal_entities = models.ManyToManyField(
        LegalEntity, through="CustomerLegalEntity", related_name="customers", blank=True
    )

    class Meta:
        ordering = ["tenant_id", "public_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "public_id"], name="customer_unique_id"),
        ]
        indexes = [models.Index(fields=["tenant", "email"], name="customer_email")]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.public_id}"


class CustomerLegalEntity(models.Model):
    """The customer may act for the legal entity."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["tenant_id", "customer", "legal_entity"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "legal_entity"], name="customer_legal_entity_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} for {self.legal_entity_id}"


class ItemType(models.TextChoices):
    PRODUCT = "PRODUCT", "Product"
    CATEGORY = "CATEGORY", "Category"


class AssignmentType(models.TextChoices):
    MANUAL = "MANUAL", "Manual"
    AUTOMATIC = "AUTOMATIC", "Automatic"


class Assignment(models.Model):
    """Fields every segment assignment shares: tenant, segment, custom data, version."""

    # Every lookup names the segment, customer or item as well as the tenant, and those
    # indexes (and the unique constraints, which start with the tenant) serve it: an index
    # of the tenant alone (two, with the LIKE variant) would only slow the bulk writes.
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="+")
    mixins = models.JSONField(default=dict, blank=True)
    metadata_mixins = models.JSONField("mixin schemas", default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        abstract = True


class SegmentItemAssignment(Assignment):
    """A product or a category (with its whole subtree) given to a segment's members."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="item_assignments")
    item_type = models.CharField(max_length=8, choices=ItemType)
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["tenant_id", "segment", "item_type", "id"]
        verbose_name = "item assignment"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "segment", "product"],
                condition=Q(product__isnull=False),
                name="item_assignment_unique_product",
            ),
            models.UniqueConstraint(
                fields=["tenant", "segment", "category"],
                condition=Q(category__isnull=False),
                name="item_assignment_unique_category",
            ),
            models.CheckConstraint(
                condition=Q(item_type="PRODUCT", product__isnull=False, category__isnull=True)
                | Q(item_type="CATEGORY", category__isnull=False, product__isnull=True),
                name="item_assignment_one_item",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "product"], name="item_assignment_product"),
            models.Index(fields=["tenant", "category"], name="item_assignment_category"),
        ]

    def __str__(self) -> str:
        return f"{self.item_type} {self.product_id or self.category_id} in {self.segment_id}"


class SegmentCustomerAssignment(Assignment):
    """A segment member: a customer (B2C), or a customer acting for a legal entity (B2B)."""

    segment = models.ForeignKey(
        Segment, on_delete=models.CASCADE, related_name="customer_assignments"
    )
    # Membership lookups start from the customer: this foreign key's index serves them.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    legal_entity = models.ForeignKey(
        LegalEntity, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    assignment_type = models.CharField(
        max_length=9, choices=AssignmentType, default=AssignmentType.MANUAL
    )

    class Meta:
        ordering = ["tenant_id", "segment", "id"]
        verbose_name = "customer assignment"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "segment", "customer"],
                condition=Q(legal_entity__isnull=True),
                name="customer_assignment_unique_b2c",
            ),
            models.UniqueConstraint(
                fields=["tenant", "segment", "customer", "legal_entity"],
                condition=Q(legal_entity__isnull=False),
                name="customer_assignment_unique_b2b",
            ),
        ]
        # The members page's default order (newest first, `-created_at, -id`) read from
        # the index, not by sorting every member of a segment (issue 20).
        indexes = [
            models.Index(fields=["tenant", "segment", "created_at", "id"], name="member_added")
        ]

    def __str__(self) -> str:
        suffix = f" for {self.legal_entity_id}" if self.legal_entity_id else ""
        return f"{self.customer_id}{suffix} in {self.segment_id}"


class SegmentExclusion(models.Model):
    """The customer is never an AUTOMATIC member of the segment (in any role, B2C or for any
    legal entity). It does not touch MANUAL memberships: those are the merchandiser's own."""

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="exclusions")
    # Evaluation asks "is this customer excluded anywhere": the foreign key's index serves it.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["tenant_id", "segment", "id"]
        verbose_name = "exclusion"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "segment", "customer"], name="segment_exclusion_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} excluded from {self.segment_id}"


class EvaluationStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running"
    DONE = "DONE", "Done"
    FAILED = "FAILED", "Failed"


class EvaluationTrigger(models.TextChoices):
    CRITERIA_CHANGED = "CRITERIA_CHANGED", "Criteria changed"
    ON_DEMAND = "ON_DEMAND", "On demand"
    SCHEDULE = "SCHEDULE", "Schedule"
    COMMAND = "COMMAND", "Command"


class SegmentEvaluation(models.Model):
    """One full evaluation of a segment's rule (segments/services/evaluations.py): requested
    (PENDING), taken by a job (RUNNING), and DONE with its counts or FAILED with the error.
    The latest row of a segment is what `GET .../evaluation` answers."""

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="evaluations")
    status = models.CharField(
        max_length=7, choices=EvaluationStatus, default=EvaluationStatus.PENDING
    )
    trigger = models.CharField(max_length=16, choices=EvaluationTrigger)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the evaluation changed, and the segment's members (MANUAL and AUTOMATIC) after it.
    added = models.PositiveIntegerField(null=True, blank=True)
    removed = models.PositiveIntegerField(null=True, blank=True)
    members = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    # Runs started: more than one when a worker died in it and it was enqueued again.
    attempts = models.PositiveIntegerField(default=0)
    # The background job (django-tasks result id) that runs it; empty when run inline.
    job_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["tenant_id", "segment", "id"]
        verbose_name = "evaluation"
        constraints = [
            # Coalescing: a segment has at most one evaluation waiting for a worker.
            models.UniqueConstraint(
                fields=["tenant", "segment"],
                condition=Q(status="PENDING"),
                name="segment_evaluation_one_pending",
            ),
        ]
        indexes = [
            # The latest evaluation of a segment (and its last DONE one, for the schedule).
            models.Index(fields=["tenant", "segment", "-id"], name="segment_evaluation_latest"),
            # The stalled-evaluation scan of the scheduler reads only the RUNNING rows.
            models.Index(
                fields=["tenant", "started_at"],
                condition=Q(status="RUNNING"),
                name="segment_evaluation_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.status} ({self.trigger})"
