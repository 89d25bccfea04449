from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from piste.users.models import Agency, Company, CrmSettings, Membership, Team, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),  # typed optional on ModelAdmin; UserAdmin sets it
        (_("Piste"), {"fields": ("language", "active_company", "active_team", "active_agency")}),
    )


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "legal_form", "siren")
    search_fields = ("name",)
    # One address per company among every record's: a select of them all would not load.
    raw_id_fields = ("address",)


admin.site.register(Team)
admin.site.register(Agency)
admin.site.register(CrmSettings)
