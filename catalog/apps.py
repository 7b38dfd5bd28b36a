from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from segments_project.imports.kinds import register_kinds

        from . import exporters, importers

        register_kinds(self.label, importers=importers.KINDS, exporters=exporters.KINDS)
