from piste.core.views_statuses import status_urls
from piste.partners.statuses import PROSPECT_STATUSES

app_name = "prospect_statuses"

# /config/prospect-statuses/: the prospect status bar's steps and the lifecycle statuses.
urlpatterns = status_urls(PROSPECT_STATUSES)
