from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = "Customer segments"

    def ready(self) -> None:
        from catalog.segment_filter import register_segment_categories
        from catalog.signals import items_deleting
        from segments_project.tenancy.customers import register_customer_checker

        from .audit_cascades import record_items_of_deleted_catalog_rows
        from .membership import categories_of_segments, token_subject_problem

        register_customer_checker(token_subject_problem)
        register_segment_categories(categories_of_segments)
        items_deleting.connect(record_items_of_deleted_catalog_rows)
