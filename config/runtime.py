"""The runtime folders the settings point at (VAR_DIR: SQLite files, beat's schedule, the
file-system broker's folders), created when Django loads its apps rather than when the settings
module is imported."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

# Option keys of kombu's file-system transport that name a folder it reads or writes.
_BROKER_FOLDER_OPTIONS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


def runtime_directories_create() -> None:
    """Create VAR_DIR and, with the file-system broker, its folders (kombu does not create them)."""
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    for key in _BROKER_FOLDER_OPTIONS:
        folder = options.get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
