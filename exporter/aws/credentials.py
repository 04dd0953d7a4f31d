"""Credentials chosen per call. A botocore client costs about 200 KiB (a class with a method
per operation, its event handlers, its endpoint resolver), so one client per account-region
would cost 120 MB for an organization of 200 accounts in 3 regions. Clients are shared by every
account of a region instead, and each call is signed with its own account's credentials: the
thread that makes the call names them (`signing_with`), and the client's credentials object
(`CallCredentials`) hands them to botocore's signer, which asks for them on every request,
retries included."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.exceptions import NoCredentialsError

_active = threading.local()


@contextmanager
def signing_with(credentials: Credentials | None) -> Iterator[None]:
    """Calls this thread makes meanwhile are signed with `credentials` (None: the client's own)."""
    previous = getattr(_active, "credentials", None)
    _active.credentials = credentials
    try:
        yield
    finally:
        _active.credentials = previous


class CallCredentials(Credentials):
    """The credentials of the call in progress on this thread (see signing_with)."""

    def __init__(self) -> None:
        super().__init__("", "", None, "call")

    def _current(self) -> Credentials:
        current: Credentials | None = getattr(_active, "credentials", None)
        if current is None:
            raise NoCredentialsError()
        return current

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        frozen: ReadOnlyCredentials = self._current().get_frozen_credentials()
        return frozen


class LazyCredentials(Credentials):
    """A credential set resolved on first use (the SDK's chain may ask the instance metadata
    service), not when its client is made."""

    def __init__(self, resolve: Callable[[], Credentials | None]) -> None:
        super().__init__("", "", None, "lazy")
        self._resolve = resolve
        self._resolved: Credentials | None = None
        self._lock = threading.Lock()

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        with self._lock:
            if self._resolved is None:
                self._resolved = self._resolve()
        if self._resolved is None:
            raise NoCredentialsError()
        frozen: ReadOnlyCredentials = self._resolved.get_frozen_credentials()
        return frozen
