"""Sales pages: new quote, quote progress and answer, history, customers' date requests."""

from django.urls import URLPattern, URLResolver, path

from quoting import views, views_repromise

urlpatterns: list[URLPattern | URLResolver] = [
    path("quotes/", views.quote_list, name="quote-list"),
    path("quotes/new/", views.quote_new, name="quote-new"),
    path("quotes/<int:quote_id>/", views.quote_detail, name="quote-detail"),
    path("quotes/<int:quote_id>/status/", views.quote_status, name="quote-status"),
    path("quotes/<int:quote_id>/accept/", views.quote_accept, name="quote-accept"),
    path("quotes/<int:quote_id>/cancel/", views.quote_cancel, name="quote-cancel"),
    path("quotes/<int:quote_id>/requote/", views.quote_requote, name="quote-requote"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path(
        "quotes/<int:quote_id>/later/<str:decision>/",
        views.quote_later_promise,
        name="quote-later-promise",
    ),
    path(
        "quotes/requests/<int:request_id>/close/",
        views.date_request_close,
        name="date-request-close",
    ),
    path("repromises/", views_repromise.repromise_list, name="repromise-list"),
    path(
        "repromises/<int:repromise_id>/confirm/",
        views_repromise.repromise_confirm,
        name="repromise-confirm",
    ),
]
