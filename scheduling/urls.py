"""Scheduler pages."""

from django.urls import URLPattern, URLResolver, path

from scheduling import views, views_repair

urlpatterns: list[URLPattern | URLResolver] = [
    path("board/", views.job_board, name="job-board"),
    path(
        "board/proposals/<int:proposal_id>/approve/",
        views.proposal_approve,
        name="proposal-approve",
    ),
    path(
        "board/proposals/<int:proposal_id>/reject/", views.proposal_reject, name="proposal-reject"
    ),
    path("board/repair/", views_repair.repair_request, name="repair-request"),
    path(
        "board/repair/<int:repair_id>/approve/",
        views_repair.repair_approve,
        name="repair-approve",
    ),
    path("board/repair/<int:repair_id>/reject/", views_repair.repair_reject, name="repair-reject"),
    path("shop-floor/", views.shop_floor, name="shop-floor"),
    path(
        "shop-floor/operations/<int:operation_id>/start/",
        views.operation_start,
        name="operation-start",
    ),
    path(
        "shop-floor/operations/<int:operation_id>/finish/",
        views.operation_finish,
        name="operation-finish",
    ),
    path(
        "shop-floor/orders/<int:order_id>/repromise/",
        views.order_repromise,
        name="order-repromise",
    ),
    path("shop-floor/downtime/", views.downtime_record, name="downtime-record"),
    path(
        "shop-floor/downtime/<int:downtime_id>/",
        views.downtime_change,
        name="downtime-change",
    ),
]
