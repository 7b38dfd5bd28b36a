from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "segments_project.tenancy"
    label = "tenancy"
    verbose_name = "Tenants and API clients"
