"""Check every botocore request before it is sent: a `before-send` handler on each client.

`install(check)` wraps `botocore.session.Session.create_client` (now if botocore is imported, else as soon as
`botocore.session` is, through a post-import hook, so that a job that never uses boto3 never imports it), and
each new client gets `check(url, event_name)` as its first `before-send` handler. botocore runs that handler
inside its send path and re-raises what it raises without retrying (a PermissionError is not a connection
error), so a blocked request never reaches the socket. The URL is the final one: after endpoint resolution,
virtual-hosted bucket addressing, and again for a region redirect.

Not seen here (the socket layer of the fence still sees their connections, by host name): clients created before
the fence was activated, aiobotocore's async clients, and boto3's CRT transfer manager (aws-crt opens native
sockets, which nothing in Python sees).
"""

from __future__ import annotations

import importlib.abc
import sys
from typing import Callable

_HANDLER_ID = "homeport-fence-before-send"
_check: Callable[[str, str], None] | None = None
_original_create_client = None
_finder: _AfterImport | None = None


def _before_send(request, event_name: str = "", **kwargs) -> None:
    check = _check
    if check is not None:
        check(request.url, event_name)


def _patch(module) -> None:
    global _original_create_client
    session_class = module.Session
    if _original_create_client is not None:
        return
    original = _original_create_client = session_class.create_client

    def create_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register_first("before-send", _before_send, unique_id=_HANDLER_ID)
        return client

    create_client.__wrapped__ = original
    session_class.create_client = create_client


class _WrappedLoader(importlib.abc.Loader):
    def __init__(self, loader, then: Callable):
        self._loader, self._then = loader, then

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._then(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs `then(module)` right after `name` is first imported, by wrapping the loader the other finders find."""

    def __init__(self, name: str, then: Callable):
        self.name, self.then = name, then

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _WrappedLoader(spec.loader, self.then)
                return spec
        return None


def install(check: Callable[[str, str], None]) -> None:
    global _check, _finder
    _check = check
    module = sys.modules.get("botocore.session")
    if module is not None:
        _patch(module)
    elif _finder is None:
        _finder = _AfterImport("botocore.session", _patch)
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Stop checking; clients created meanwhile keep a handler that does nothing while no check is set."""
    global _check, _finder, _original_create_client
    _check = None
    if _finder is not None and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    _finder = None
    module = sys.modules.get("botocore.session")
    if module is not None and _original_create_client is not None:
        module.Session.create_client = _original_create_client
    _original_create_client = None
