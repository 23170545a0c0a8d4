"""What customers see, `orders_order.promised_due`, is derived from the promise history.

A deferred constraint trigger (checked at commit) refuses any transaction that changes an
order's `promised_due` to anything but the due date of its latest row in orders_promise, so
the date can change only together with an appended promise (the commit gate writes both in
one transaction). With the application running as a role that does not own the tables
(`manage.py db_app_role`, docs/deployment.md), neither this trigger nor the append-only ones
can be dropped or disabled by the application. PostgreSQL only: SQLite has no deferred
triggers, and the embedded database is for demos."""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION orders_order_promised_due_from_history() RETURNS trigger AS $$
DECLARE
    current_due timestamptz;
    latest_due timestamptz;
BEGIN
    SELECT promised_due INTO current_due FROM orders_order WHERE id = NEW.id;
    IF NOT FOUND THEN
        RETURN NULL;  -- deleted later in the same transaction
    END IF;
    SELECT due INTO latest_due FROM orders_promise WHERE order_id = NEW.id
        ORDER BY id DESC LIMIT 1;
    IF latest_due IS NULL OR latest_due <> current_due THEN
        RAISE EXCEPTION 'orders_order.promised_due of order % must be its latest promise (%), not %',
            NEW.code, latest_due, current_due
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER orders_order_promised_due_from_history
    AFTER UPDATE OF promised_due ON orders_order
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.promised_due IS DISTINCT FROM NEW.promised_due)
    EXECUTE FUNCTION orders_order_promised_due_from_history();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS orders_order_promised_due_from_history ON orders_order;
DROP FUNCTION IF EXISTS orders_order_promised_due_from_history();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_profile_time_zone")]

    operations = [migrations.RunPython(forward, backward)]
