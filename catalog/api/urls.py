"""Routes of the catalog: categories, trees and assignments under /category, products under /product."""

from django.urls import path

category_urlpatterns: list = []
product_urlpatterns: list = []
