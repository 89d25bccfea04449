from piste.core.views_statuses import status_urls
from piste.opportunities.statuses import OPPORTUNITY_STAGES

app_name = "opportunity_stages"

# /config/opportunity-stages/: the sales stages (kanban columns) and their roles.
urlpatterns = status_urls(OPPORTUNITY_STAGES)
