from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("feed/", views.feed_partial, name="feed-partial"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert-detail"),
]
