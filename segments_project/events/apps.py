from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "segments_project.events"
    label = "events"
    verbose_name = "Change events"
