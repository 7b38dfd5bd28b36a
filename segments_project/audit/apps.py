from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "segments_project.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from segments_project.events.sequencing import register_expander

        from .record import AUDIT_KIND, audit_expanded

        register_expander(AUDIT_KIND, audit_expanded)
