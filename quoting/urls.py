"""Sales pages (new quote, quote progress and answer, history, customers' date requests), the
scheduler's pages (job board with its proposals and repairs, shop floor) and the customer
portal (its requests for an earlier date are quoting's)."""

from django.urls import URLPattern, URLResolver, path

from quoting import views, views_portal, views_repair, views_repromise, views_scheduler

urlpatterns: list[URLPattern | URLResolver] = [
    path("portal/", views_portal.portal, name="portal"),
    path("portal/orders/<str:code>/", views_portal.portal_order, name="portal-order"),
    path(
        "portal/orders/<str:code>/earlier/",
        views_portal.portal_order_earlier,
        name="portal-order-earlier",
    ),
    path("board/", views_scheduler.job_board, name="job-board"),
    path(
        "board/proposals/<int:proposal_id>/approve/",
        views_scheduler.proposal_approve,
        name="proposal-approve",
    ),
    path(
        "board/proposals/<int:proposal_id>/reject/",
        views_scheduler.proposal_reject,
        name="proposal-reject",
    ),
    path("board/repair/", views_repair.repair_request, name="repair-request"),
    path(
        "board/repair/<int:repair_id>/approve/",
        views_repair.repair_approve,
        name="repair-approve",
    ),
    path("board/repair/<int:repair_id>/reject/", views_repair.repair_reject, name="repair-reject"),
    path("shop-floor/", views_scheduler.shop_floor, name="shop-floor"),
    path(
        "shop-floor/operations/<int:operation_id>/start/",
        views_scheduler.operation_start,
        name="operation-start",
    ),
    path(
        "shop-floor/operations/<int:operation_id>/finish/",
        views_scheduler.operation_finish,
        name="operation-finish",
    ),
    path(
        "shop-floor/orders/<int:order_id>/repromise/",
        views_scheduler.order_repromise,
        name="order-repromise",
    ),
    path("shop-floor/downtime/", views_scheduler.downtime_record, name="downtime-record"),
    path(
        "shop-floor/downtime/<int:downtime_id>/",
        views_scheduler.downtime_change,
        name="downtime-change",
    ),
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
