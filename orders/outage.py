"""Answers while the database is unreachable: 503 with Retry-After, not a 500.

A connection dropped under a request (a database restart or failover, a killed backend) is not
a bug in the page: the same request succeeds a few seconds later. Pages and API routes say so
with 503 Service Unavailable and `Retry-After`, and nothing the request meant to write was
written (each write is one transaction, rolled back with the connection). Two hooks catch it:
`DatabaseUnavailableMiddleware` for errors raised by a view, `server_error` (the project's
handler500) for those raised elsewhere on the way, e.g. loading the signed-in user.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    connection,
)
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.views.defaults import page_not_found as django_page_not_found
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

# Long enough for a dropped connection to be replaced (the next request opens a new one),
# short enough that a person retrying by hand is not told to wait for nothing.
RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is briefly unreachable; nothing was changed. Try again in a few seconds."

LOST_CONNECTION_ERRORS = (OperationalError, InterfaceError)


# Errors about the statement or the data, never about the connection.
STATEMENT_ERRORS = (IntegrityError, DataError, ProgrammingError, NotSupportedError)


def lost_connection(exc: BaseException | None) -> bool:
    """Whether `exc` (or an error it was raised from) is a lost database connection: an
    OperationalError or InterfaceError, or another database error on a connection that no
    longer answers (psycopg2 reports some drops as a bare DatabaseError, "error with status
    PGRES_TUPLES_OK and no message from the libpq")."""
    chain: list[BaseException] = []
    while exc is not None and len(chain) < 10:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    if any(isinstance(e, LOST_CONNECTION_ERRORS) for e in chain):
        return True
    database_errors = [
        e for e in chain if isinstance(e, DatabaseError) and not isinstance(e, STATEMENT_ERRORS)
    ]
    return bool(database_errors) and not connection_answers()


def connection_answers() -> bool:
    """Whether this thread's database connection is open and answers a query."""
    if connection.connection is None:
        return False
    try:
        return bool(connection.is_usable())
    except Exception:  # the check itself failing says the same
        return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON on the API, a page (that needs no database) elsewhere."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        body = loader.render_to_string("503.html", {"message": MESSAGE})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Turns a lost database connection raised by a view into a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not lost_connection(exception):
            return None
        logger.warning("%s %s: database unreachable: %s", request.method, request.path, exception)
        return unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 when the error is a lost database connection, else Django's 500
    (JSON on the API)."""
    if lost_connection(sys.exc_info()[1]):
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    response = django_server_error(request)
    assert isinstance(response, HttpResponseServerError)
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON under /api/ (a path no route matches, e.g. `/api/quotes/0.5/`), the
    site's page elsewhere. Kept beside handler500 so the API never answers with HTML."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return django_page_not_found(request, exception)
