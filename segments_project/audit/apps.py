from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "segments_project.audit"
    label = "audit"
    verbose_name = "Audit trail"
