from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project package as an app, so Django finds the data commands of the top layer
    (`management/commands/`: import_data, export_data, generate_dataset, load_demo).

    It has no tables: `models.py` holds only abstract bases. Installed last, so that its
    `ready()` runs after every app has registered its providers in the registries.
    """

    name = "segments_project"
    label = "segments_project"
    verbose_name = "Customer Segment Service"
