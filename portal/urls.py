from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal_home, name="portal-home"),
    path("tickets/new/", views.portal_ticket_new, name="portal-ticket-new"),
    path("tickets/<int:ticket_id>/", views.portal_ticket, name="portal-ticket"),
    path("tickets/<int:ticket_id>/reply/", views.portal_ticket_reply, name="portal-ticket-reply"),
    path(
        "tickets/<int:ticket_id>/proposals/<int:proposal_id>/decide/",
        views.portal_proposal_decide,
        name="portal-proposal-decide",
    ),
]
