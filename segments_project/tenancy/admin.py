from django.contrib import admin

from .models import ApiClient, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["application", "tenant", "allowed_scopes", "modified_at"]
    list_filter = ["tenant"]
    search_fields = ["application__client_id", "tenant__name"]
    raw_id_fields = ["application"]
