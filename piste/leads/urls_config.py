from piste.core.views_statuses import status_urls
from piste.leads.statuses import LEAD_STATUSES

app_name = "lead_statuses"

# /config/lead-statuses/: the status bar's steps and the lifecycle statuses.
urlpatterns = status_urls(LEAD_STATUSES)
