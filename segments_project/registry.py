"""The one way a lower layer learns about a higher one: a registry that fails closed.

Dependencies point one way (ground <- catalog <- segments <- coupons <- top). Where a lower
layer needs something only a higher app knows (whether a customer exists, which categories
segments hold, who must hear of a catalog deletion, which panels a preview shows), it
declares a registry here, and the higher app registers into it from its
`AppConfig.ready()`:

- `Slot`: exactly one provider; calling an empty slot raises, never answers by default.
- `Hooks`: listeners, called in registration order.
- `Registry`: named entries; an unknown name is a `KeyError`.

Each registry names the apps (by label) that must provide it. The system check below
(`registry.E001`, run by `manage.py check`, `runserver` and `migrate`) reports every
registry that an installed providing app left empty, so a wiring mistake stops the start,
not a request. Registering for an app not named, or twice, is refused at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, ParamSpec, TypeVar

from django.apps import apps
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_ALL: list[_Declared] = []


class _Declared:
    """What every registry shares: a name, the apps that must provide it, who did."""

    def __init__(self, name: str, *, provided_by: tuple[str, ...]) -> None:
        self.name = name
        self.provided_by = provided_by
        self.owners: list[str] = []
        _ALL.append(self)

    def _accept(self, owner: str) -> None:
        if owner not in self.provided_by:
            raise ImproperlyConfigured(
                f"{owner} may not register into {self.name}; "
                f"only {', '.join(self.provided_by)} may."
            )
        self.owners.append(owner)

    def missing(self) -> list[str]:
        """The installed apps that must provide this registry and have not."""
        return [
            label for label in self.provided_by if _installed(label) and label not in self.owners
        ]


class Slot(_Declared, Generic[P, R]):
    """Exactly one provider, registered by an app above; calling an empty slot raises."""

    def __init__(self, name: str, *, provided_by: tuple[str, ...]) -> None:
        super().__init__(name, provided_by=provided_by)
        self._provider: Callable[P, R] | None = None

    def register(self, provider: Callable[P, R], *, owner: str) -> None:
        if self._provider is not None:
            raise ImproperlyConfigured(f"{self.name} already has a provider ({self.owners[0]}).")
        self._accept(owner)
        self._provider = provider

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._provider is None:
            raise ImproperlyConfigured(f"No provider for {self.name}.")
        return self._provider(*args, **kwargs)

    @contextmanager
    def override(self, provider: Callable[P, R] | None) -> Iterator[None]:
        """Tests only: another provider (or none) for the duration of the block."""
        kept = self._provider
        self._provider = provider
        try:
            yield
        finally:
            self._provider = kept


class Hooks(_Declared, Generic[F]):
    """Listeners, called in the order they connected; every installed app in
    `provided_by` must have connected at least one."""

    def __init__(self, name: str, *, provided_by: tuple[str, ...]) -> None:
        super().__init__(name, provided_by=provided_by)
        self._hooks: list[F] = []

    def connect(self, hook: F, *, owner: str) -> None:
        if hook in self._hooks:
            raise ImproperlyConfigured(f"{hook!r} is already connected to {self.name}.")
        self._accept(owner)
        self._hooks.append(hook)

    def __iter__(self) -> Iterator[F]:
        return iter(tuple(self._hooks))


class Registry(_Declared, Generic[T]):
    """Named entries (import kinds, exporters); every installed app in `provided_by` must
    have registered at least one."""

    def __init__(self, name: str, *, provided_by: tuple[str, ...]) -> None:
        super().__init__(name, provided_by=provided_by)
        self._entries: dict[str, T] = {}

    def register(self, entry: T, *, owner: str, name: str) -> None:
        if name in self._entries:
            raise ImproperlyConfigured(f"{self.name} already has an entry named {name!r}.")
        self._accept(owner)
        self._entries[name] = entry

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise KeyError(f"{self.name} has no entry named {name!r} (known: {known}).") from None

    def names(self) -> list[str]:
        return sorted(self._entries)


def _installed(label: str) -> bool:
    try:
        apps.get_app_config(label)
    except LookupError:
        return False
    return True


@register(Tags.compatibility)
def check_registries(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """registry.E001: an installed app left a registry it must provide empty."""
    return [
        Error(
            f"{declared.name} has no provider although the app {label} is installed.",
            hint=f"Register it from {label}'s AppConfig.ready().",
            obj=declared.name,
            id="registry.E001",
        )
        for declared in _ALL
        for label in declared.missing()
    ]
