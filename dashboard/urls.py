from django.urls import path

from . import views
from .insights_views import insights_page, insights_partial

urlpatterns = [
    path("", views.home, name="home"),
    path("feed/", views.feed_partial, name="feed-partial"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert-detail"),
    path("declarations/<int:declaration_id>/", views.declaration_page, name="declaration-page"),
    path("tickets/", views.ticket_queue_page, name="ticket-queue"),
    path("tickets/<int:ticket_id>/", views.ticket_page, name="ticket-page"),
    path("tickets/<int:ticket_id>/<slug:action>/", views.ticket_act, name="ticket-act"),
    path("insights/", insights_page, name="insights"),
    path("insights/charts/", insights_partial, name="insights-partial"),
]
