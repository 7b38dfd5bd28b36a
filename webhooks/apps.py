from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from segments_project.events.hooks import EVENTS_APPENDED

        from .services.triggers import pump_soon

        EVENTS_APPENDED.connect(pump_soon, owner=self.label)
