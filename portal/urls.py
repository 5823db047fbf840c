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
    path("declarations/", views.portal_declarations, name="portal-declarations"),
    path("declarations/<int:declaration_id>/", views.portal_declaration, name="portal-declaration"),
    path("alerts/", views.portal_alerts, name="portal-alerts"),
    path("reports/", views.portal_reports, name="portal-reports"),
    path("reports/<slug:slug>.csv", views.portal_report_download, name="portal-report-download"),
    path("users/", views.portal_users, name="portal-users"),
    path("users/new/", views.portal_user_new, name="portal-user-new"),
    path("users/<int:user_id>/", views.portal_user_edit, name="portal-user-edit"),
]
