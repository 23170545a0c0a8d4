"""What every list page shares: a page of rows with its links, and the same rows as CSV.

A list page filters with a GET form (so a filtered view is a link that can be shared and
reloaded), shows `PAGE_SIZE` rows a page, and offers the filtered rows as a CSV download."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

# A screenful on a laptop; the shop's lists run to hundreds of rows.
PAGE_SIZE = 25


def page_of(request: HttpRequest, rows: Any, *, per_page: int = PAGE_SIZE) -> Page:
    """The page the request asks for (`?page=`); out of range or junk gives the nearest one."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def csv_cell(value: object) -> object:
    """Instants in the viewer's time zone as ISO 8601 with the offset; others unchanged."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return "" if value is None else value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    """A CSV download of `rows` under `header`."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return response
