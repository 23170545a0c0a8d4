"""`manage.py db_app_role ROLE`: the PostgreSQL role the application runs as.

Run it as the database owner after `migrate` (again after each migrate that adds tables). The
role logs in and reads and writes every table, but owns none: it cannot TRUNCATE, ALTER,
DISABLE TRIGGER or DROP anything, cannot set `session_replication_role`, and may only SELECT
and INSERT the promise history (orders_promise). See docs/deployment.md."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

APPEND_ONLY_TABLES = ("orders_promise",)


class Command(BaseCommand):
    help = (
        "Create or update the PostgreSQL role the application runs as: every table read and "
        "written, none owned, the promise history insert-only. Run as the owner after migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role's name, e.g. promise_app")
        parser.add_argument(
            "--password-env",
            default="DATABASE_APP_PASSWORD",
            help="environment variable holding the role's password (default "
            "DATABASE_APP_PASSWORD; unset: the role gets no password, for trust or peer auth)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("db_app_role is for PostgreSQL (the embedded SQLite has no roles)")
        role = options["role"]
        if not role or not role.replace("_", "").isalnum() or role[0].isdigit():
            raise CommandError(f"role: {role!r} is not a plain name (letters, digits, _)")
        if role == connection.settings_dict["USER"]:
            raise CommandError("role: the application's role must not be the owner running this")
        password = os.environ.get(options["password_env"]) or None
        from psycopg2 import sql

        name = sql.Identifier(role)
        database = sql.Identifier(connection.settings_dict["NAME"])
        statements: list[tuple[Any, tuple[Any, ...]]] = []
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                statements.append((sql.SQL("CREATE ROLE {}").format(name), ()))
            statements += [
                (
                    sql.SQL(
                        "ALTER ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                        "NOREPLICATION NOBYPASSRLS PASSWORD %s"
                    ).format(name),
                    (password,),
                ),
                (sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, name), ()),
                (sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name), ()),
                (
                    sql.SQL(
                        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
                    ).format(name),
                    (),
                ),
                (
                    sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(
                        name
                    ),
                    (),
                ),
            ]
            for table in APPEND_ONLY_TABLES:
                statements.append(
                    (
                        sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                            sql.Identifier(table), name
                        ),
                        (),
                    )
                )
            for statement, params in statements:
                cursor.execute(statement, params or None)
        self.stdout.write(
            f"role {role}: reads and writes every table, owns none; "
            f"{', '.join(APPEND_ONLY_TABLES)} insert-only"
        )
