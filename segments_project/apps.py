from django.apps import AppConfig
from django.conf import settings


class ProjectConfig(AppConfig):
    """The project package as an app, so Django finds the data commands of the top layer
    (`management/commands/`: import_data, export_data, generate_dataset, load_demo).

    It has no tables (`models.py` holds only abstract bases) and is installed last: it is
    the top layer, above every app.
    """

    name = "segments_project"
    label = "segments_project"
    verbose_name = "Customer Segment Service"

    def ready(self) -> None:
        # Registers the start-up check that every registry has its providers.
        from django.db.models.signals import post_migrate

        from . import registry  # noqa: F401
        from .tenancy.admin_groups import sync_after_migrate

        # Sent for this app last (it is installed last): every app's permissions exist.
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="admin_groups")

        if getattr(settings, "CHECKPOINT_PAUSE_FROM_ENVIRONMENT", False):
            from .checkpoints import pause_from_environment

            pause_from_environment()
