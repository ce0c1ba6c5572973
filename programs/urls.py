"""Page URLs of the programs app."""

app_name = "programs"
urlpatterns = []
