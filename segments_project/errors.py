"""Domain errors raised by services and selectors.

Services never import DRF: they raise these, and one exception handler
(`segments_project.api.exceptions`) turns them into the vendor's error JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from http import HTTPStatus


@dataclass(frozen=True)
class ErrorDetail:
    """One problem, rendered into the `details` list of an error body.

    `field` is empty when the problem concerns no field; the body then leaves it out, as
    the vendor's specs allow. With neither field nor type it is a bare message (`rendered`).
    """

    field: str
    type: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if name != "field" or value}

    def rendered(self) -> dict[str, str] | str:
        """The detail as an error body lists it: an object, or the bare message when the
        detail names neither field nor type (a missing scope: `"missing scope: <scope>"`,
        the string Emporix clients look for)."""
        if not self.field and not self.type:
            return self.message
        return self.as_dict()


class ApplicationError(Exception):
    """An error a client caused; carries its HTTP status and the details to show."""

    status_code: int = HTTPStatus.BAD_REQUEST

    def __init__(
        self,
        message: str,
        *,
        resource_id: str | None = None,
        details: list[ErrorDetail] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.resource_id = resource_id
        self.details = details or []


class ValidationFailed(ApplicationError):
    status_code = HTTPStatus.BAD_REQUEST


class PermissionDenied(ApplicationError):
    status_code = HTTPStatus.FORBIDDEN


class NotFound(ApplicationError):
    status_code = HTTPStatus.NOT_FOUND


class AlreadyExists(ApplicationError):
    status_code = HTTPStatus.CONFLICT


class StateConflict(ApplicationError):
    """The request is well formed, but the resource's state does not allow it (a 409 whose
    message says what to do instead)."""

    status_code = HTTPStatus.CONFLICT


class VersionConflict(ApplicationError):
    """The client sent a `metadata.version` that is not the current one."""

    status_code = HTTPStatus.CONFLICT


class Gone(ApplicationError):
    """What the request names existed but is no longer kept (a changes-feed cursor older
    than the retention)."""

    status_code = HTTPStatus.GONE


def field_error(field: str, message: str, *, type: str = "invalid") -> ValidationFailed:
    """A 400 about a single field, the commonest validation failure."""
    return ValidationFailed(message, details=[ErrorDetail(field=field, type=type, message=message)])
