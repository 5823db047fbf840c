from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import account_settings
from monitoring.api import CasWebhookApi
from tickets.views import attachment_download

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Where the link a customer admin's new user gets by email leads (accounts.services).
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/settings/", account_settings, name="account-settings"),
    path("api/v1/cas/webhooks/<int:connection_id>/", CasWebhookApi.as_view(), name="cas-webhook"),
    path("api/v1/", include("activesupport.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("portal/", include("portal.urls")),
    path("attachments/<str:token>/", attachment_download, name="attachment-download"),
    path("", include("dashboard.urls")),
]

handler400 = "activesupport.errors.refused"
handler403 = "activesupport.errors.forbidden"
handler404 = "activesupport.errors.not_found"
handler500 = "activesupport.errors.crashed"
