"""Routes of the customer directory, relative to /customer/<tenant>/."""

from django.urls import path

from . import directory_views as views

# "bulk" comes before the detail routes, which would otherwise take it for an id.
urlpatterns = [
    path("customers", views.CustomerCollectionView.as_view(), name="customers"),
    path("customers/bulk", views.CustomerBulkView.as_view(), name="customers-bulk"),
    path("customers/<str:customer_id>", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("legal-entities", views.LegalEntityCollectionView.as_view(), name="legal-entities"),
    path("legal-entities/bulk", views.LegalEntityBulkView.as_view(), name="legal-entities-bulk"),
    path(
        "legal-entities/<str:legal_entity_id>",
        views.LegalEntityDetailView.as_view(),
        name="legal-entity-detail",
    ),
]
