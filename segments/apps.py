from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = "Customer segments"

    def ready(self) -> None:
        from catalog.hooks import ROWS_DELETING, SEGMENT_CATEGORIES, STOREFRONT_CHANGED
        from segments_project.imports.kinds import register_kinds
        from segments_project.tenancy.hooks import CUSTOMER_CHECK

        from . import exporters, importers
        from .selectors.membership import categories_of_segments, token_subject_problem
        from .services.audit_cascades import record_items_of_deleted_catalog_rows
        from .services.storefront_invalidation import catalog_changed

        CUSTOMER_CHECK.register(token_subject_problem, owner=self.label)
        SEGMENT_CATEGORIES.register(categories_of_segments, owner=self.label)
        STOREFRONT_CHANGED.register(catalog_changed, owner=self.label)
        ROWS_DELETING.connect(record_items_of_deleted_catalog_rows, owner=self.label)
        register_kinds(self.label, importers=importers.KINDS, exporters=exporters.KINDS)
