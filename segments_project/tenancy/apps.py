from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "segments_project.tenancy"
    label = "tenancy"
    verbose_name = "Tenants and API clients"

    def ready(self) -> None:
        from .revocation_signals import connect

        connect()
