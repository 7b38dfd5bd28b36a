from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "coupons"
    verbose_name = "Coupons"

    def ready(self) -> None:
        from segments.hooks import PREVIEW_PANELS, SEGMENT_PAGE_PANELS

        from .admin.preview import coupon_panel
        from .admin.segment_panel import segment_coupons_panel

        PREVIEW_PANELS.connect(coupon_panel, owner=self.label)
        SEGMENT_PAGE_PANELS.connect(segment_coupons_panel, owner=self.label)
