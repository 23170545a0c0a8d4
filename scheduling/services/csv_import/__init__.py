"""Work centers, routings and open orders from CSV files as an ERP exports them.

The columns, formats, bounds and error messages are in docs/import-export.md ("ERP CSV
files"). Every row of every file is validated before anything is written; the orders' promises
(kind "imported") go through `schedule_commit` once the engine's check has found a schedule
that keeps every promise, old and new.
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
