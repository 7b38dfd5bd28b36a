"""A cursor that sends its parameters apart from the statement, for the writes whose
parameters are large documents (the audit trail's and the outbox's rows as JSON)."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper


def server_binding_cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """PostgreSQL: psycopg's server-side binding cursor, wrapped as `connection.cursor()`
    is (query logging). Django's default binds on the client: a JSON parameter, hundreds of
    KB for an import's chunk, was escaped into the statement's text and lexed again by
    PostgreSQL (half the cost of the outbox's append). A statement whose text never changes
    is also prepared by psycopg after a few executions (`prepare_threshold`)."""
    connection.ensure_connection()
    return connection._prepare_cursor(ServerBindingCursor(connection.connection))
