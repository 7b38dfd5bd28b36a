"""The outbox holds one row per write (`OutboxEntry`), which the sequencer expands into
numbered events; events are no longer inserted unnumbered, so `event_unsequenced` goes
(issue 18: the outbox adds at most 10% to writes). Events an older version appended and
no sequencer numbered yet are numbered here first, as that version's sequencer did. The
entries' payload is compressed with lz4 where the server has it (as events' `data`,
0005)."""

import uuid

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.utils import DatabaseError


def number_pending(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    database = schema_editor.connection.alias
    events = apps.get_model("events", "Event").objects.using(database)
    pending = list(events.filter(position__isnull=True).order_by("id").only("id", "public_id"))
    if not pending:
        return
    sequencer = apps.get_model("events", "EventSequencer").objects.using(database)
    counter, _ = sequencer.get_or_create(id=1)
    for offset, event in enumerate(pending, start=1):
        event.position = counter.last_position + offset
        event.public_id = event.public_id or uuid.uuid4()
    events.bulk_update(pending, ["position", "public_id"], batch_size=500)
    counter.last_position += len(pending)
    counter.save(update_fields=["last_position"])


def lz4(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE events_outboxentry ALTER COLUMN payload SET COMPRESSION lz4"
            )
    except DatabaseError:  # no lz4 in this server: pglz stays
        pass


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_event_data_lz4"),
        ("tenancy", "0007_storefront_versions"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutboxEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=16)),
                ("payload", models.TextField()),
                ("extra", models.TextField(blank=True, default="")),
                (
                    "created_at",
                    models.DateTimeField(db_default=django.db.models.functions.datetime.Now()),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.tenant",
                    ),
                ),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.RunPython(lz4, migrations.RunPython.noop),
        migrations.RunPython(number_pending, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="event", name="event_unsequenced"),
    ]
