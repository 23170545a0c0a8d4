"""Make the promise history append-only in the database itself (not only in Python).

A trigger rejects every UPDATE and DELETE on orders_promise, so neither the ORM, the admin, a
raw SQL session nor a future bug can rewrite what was promised. TRUNCATE, a table-owner
operation that wipes a whole database (test flushes, a deliberate reset), is left to the
database's privileges: the application's role should not own the table in production."""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION orders_promise_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'promise history is append-only: % on orders_promise is not allowed', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER orders_promise_no_update BEFORE UPDATE ON orders_promise
    FOR EACH ROW EXECUTE FUNCTION orders_promise_append_only();
CREATE TRIGGER orders_promise_no_delete BEFORE DELETE ON orders_promise
    FOR EACH ROW EXECUTE FUNCTION orders_promise_append_only();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS orders_promise_no_update ON orders_promise;
DROP TRIGGER IF EXISTS orders_promise_no_delete ON orders_promise;
DROP FUNCTION IF EXISTS orders_promise_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER orders_promise_no_update BEFORE UPDATE ON orders_promise
       BEGIN SELECT RAISE(ABORT, 'promise history is append-only: UPDATE is not allowed'); END;""",
    """CREATE TRIGGER orders_promise_no_delete BEFORE DELETE ON orders_promise
       BEGIN SELECT RAISE(ABORT, 'promise history is append-only: DELETE is not allowed'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS orders_promise_no_update;",
    "DROP TRIGGER IF EXISTS orders_promise_no_delete;",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the function body's "%" is PL/pgSQL's placeholder, not a query parameter.
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
    else:
        raise RuntimeError(f"append-only promises are not implemented for {vendor}")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_initial")]

    operations = [migrations.RunPython(forward, backward)]
