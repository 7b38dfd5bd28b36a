from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = "Customer segments"

    def ready(self) -> None:
        from segments_project.tenancy.customers import register_customer_checker

        from .membership import token_subject_problem

        register_customer_checker(token_subject_problem)
