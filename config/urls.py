from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from piste.api.api import api
from piste.core import views as core_views
from piste.users.urls import auth_urlpatterns

# The technical admin site signs in through Piste's own (throttled) sign-in page.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    *auth_urlpatterns,
    path("", include("piste.users.urls")),
    # Territory pages sit under /config/ but before its generic lists (whose slugs they'd shadow).
    path("config/territory/imports/", include("piste.geo.urls_imports")),
    path("config/territory/", include("piste.geo.urls_config")),
    path("config/lead-statuses/", include("piste.leads.urls_config")),
    path("config/prospect-statuses/", include("piste.partners.urls_prospect_statuses")),
    path("config/opportunity-stages/", include("piste.opportunities.urls_stages")),
    path("config/layouts/", include("piste.core.urls_layouts")),
    path("config/emails/", include("piste.emails.urls_config")),
    path("config/print-templates/", include("piste.documents.urls_config")),
    path("config/webhooks/", include("piste.webhooks.urls")),
    path("config/web-forms/", include("piste.webforms.urls_config")),
    path("config/", include("piste.core.urls")),
    path("leads/", include("piste.leads.urls_board")),
    path("leads/", include("piste.leads.urls")),
    path("duplicates/", include("piste.duplicates.urls_checks")),
    path("duplicates/", include("piste.duplicates.urls_merge")),
    path("duplicates/", include("piste.duplicates.urls_warnings")),
    path("orders/", include("piste.orders.urls")),
    path("events/", include("piste.activities.urls")),
    path("calendar/", include("piste.activities.urls_calendar")),
    path("emails/", include("piste.emails.urls")),
    path("documents/", include("piste.documents.urls")),
    path("imports/", include("piste.imports.urls")),
    path("exports/", include("piste.exports.urls")),
    path("profile/api-tokens/", include("piste.api.urls")),
    path("forms/", include("piste.webforms.urls")),
    path("api/v1/", api.urls),
    # The kanban and the calendar before the opportunity pages, whose ids they'd shadow.
    path("opportunities/", include("piste.opportunities.urls_board")),
    path("opportunities/", include("piste.opportunities.urls")),
    path("prospects/", include("piste.partners.urls_prospects")),
    path("partners/sirene/", include("piste.partners.urls_sirene")),
    path("", include("piste.partners.urls")),
    path("uploads/", include("piste.core.urls_uploads")),
    path("choices/", include("piste.core.urls_choices")),
    path("geo/", include("piste.geo.urls_address")),
    path("admin/", admin.site.urls),
]

handler403 = "piste.core.errors.forbidden"
handler404 = "piste.core.errors.not_found"
handler500 = "piste.core.errors.server_error"
