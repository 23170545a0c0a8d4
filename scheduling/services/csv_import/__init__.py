"""Work centers, routings and open orders from CSV files as an ERP exports them.

Every row of every file is validated before anything is written; on any error the import writes
nothing and reports every bad row as ``orders.csv row 7, field due: <message>``. Row numbers are
the spreadsheet's: the header is row 1, the first data row is row 2.

Columns (header required, in any order; cells are trimmed; unknown columns are an error):

work centers: ``code, name, capacity, calendar, timezone, weekly``
    One row per work center. Rows naming the same ``calendar`` must give the same ``timezone``
    (an IANA name such as ``Europe/Berlin``) and ``weekly`` pattern; an existing calendar must
    match too. ``weekly`` is clauses separated by ``;``, each ``<days> <window>,<window>...``:
    days ``mon``..``sun``, a range ``mon-fri``, or ``daily``; windows ``HH:MM-HH:MM`` in local
    time, ``24:00`` allowed as an end, a window ending before it starts runs past midnight into
    the next day. ``24/7`` means around the clock. Example:
    ``mon-fri 06:00-14:00,14:00-22:00; sat 06:00-12:00``.
routings: ``product_code, product_name, sequence, step_name, work_centers, setup_minutes,
run_minutes_per_unit``
    One row per routing step. ``work_centers`` lists alternatives separated by ``|``
    (``MILL-1|MILL-2``); each must exist in the shop or in the work-center file of the same run.
    ``product_name`` is required on a product's first row and must not differ on later rows.
    ``run_minutes_per_unit`` may have two decimals.
orders: ``order_code, customer_code, customer_name, product_code, quantity, release, due,
buffer_minutes``
    One row per open order. A customer not yet in the shop is created (``customer_name``
    required for it). ``release`` (optional) and ``due`` are ISO 8601 instants with an offset
    (``2026-12-08T16:00+01:00``, ``2026-12-08T15:00Z``) at whole minutes, or a date
    (``2026-12-08``): a release date means 00:00 UTC that day, a due date 24:00 UTC that day.
    ``buffer_minutes`` (optional) defaults to QUOTE_BUFFER_MINUTES.

The import only adds: a work center, product or order code that already exists is an error
(calendars are shared when identical). Orders get their promises (kind "imported", due and
buffer as given) through `schedule_commit` after the engine's check has built a schedule that
keeps every promise, old and new, so the promised dates are verified; if there is none, the
orders that cannot be kept are reported and nothing is written.
"""

from scheduling.services.csv_import.reading import (
    DAYS,
    ORDER_COLUMNS,
    ROUTING_COLUMNS,
    WORK_CENTER_COLUMNS,
    CsvFile,
    CsvImportRejected,
    CsvRowError,
    parse_weekly,
)
from scheduling.services.csv_import.writing import CsvImportResult, csv_import

__all__ = [
    "DAYS",
    "ORDER_COLUMNS",
    "ROUTING_COLUMNS",
    "WORK_CENTER_COLUMNS",
    "CsvFile",
    "CsvImportRejected",
    "CsvImportResult",
    "CsvRowError",
    "csv_import",
    "parse_weekly",
]
