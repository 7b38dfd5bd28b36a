from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "coupons"
    verbose_name = "Coupons"

    def ready(self) -> None:
        from segments.hooks import PREVIEW_PANELS

        from .admin.preview import coupon_panel

        PREVIEW_PANELS.connect(coupon_panel, owner=self.label)
