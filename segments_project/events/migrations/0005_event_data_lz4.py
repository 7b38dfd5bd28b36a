"""PostgreSQL: the events' `data` compressed with lz4 instead of pglz where the server has
it. An import's event lists 500 members (about 24 KB of JSON, compressed into TOAST):
pglz took a third of the events statement of an import chunk, lz4 a tenth (issue 18:
the outbox adds at most 10% to imports). A server built without lz4 keeps pglz."""

from django.db import migrations, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.utils import DatabaseError


def _compress_with(method: str, schema_editor: BaseDatabaseSchemaEditor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE events_event ALTER COLUMN data SET COMPRESSION {method}")
    except DatabaseError:  # no lz4 in this server: pglz stays
        pass


def lz4(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _compress_with("lz4", schema_editor)


def default(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _compress_with("default", schema_editor)


class Migration(migrations.Migration):
    dependencies = [("events", "0004_event_id_at_sequencing")]

    operations = [migrations.RunPython(lz4, default)]
