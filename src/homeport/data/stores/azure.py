"""Azure Blob Storage as a source (`az://container/prefix`, `abfs[s]://...`) over azure-storage-blob
(the `azure` extra).

Read side only: list (streamed page by page, in key order as the service returns it), head, ranged
get. Writing is refused with a sentence: homeport moves data off the hyperscalers, to an S3-compatible
store or a local path.

Credentials, first found wins:
- AZURE_STORAGE_CONNECTION_STRING (also the way to reach Azurite or another emulator), unless the
  location names its account (abfs://container@ACCOUNT.dfs.core.windows.net/...);
- the account (from the location, else AZURE_STORAGE_ACCOUNT) with AZURE_STORAGE_KEY or
  AZURE_STORAGE_SAS_TOKEN, else azure-identity's DefaultAzureCredential when that package is installed,
  else anonymous access (a public container).
"""

from __future__ import annotations

import os
import threading
from typing import Iterator

from homeport.data.store import (CHUNK, AccessDenied, NotFound, ObjectInfo, SourceOnly, StoreError, Transient,
                                 missing_sdk, rechunk)

_DENIED = {"AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch",
           "AuthorizationSourceIPMismatch", "AuthorizationProtocolMismatch", "InsufficientAccountPermissions",
           "NoAuthenticationInformation", "PublicAccessNotPermitted", "KeyBasedAuthenticationNotPermitted"}
_TRANSIENT = {"ServerBusy", "OperationTimedOut", "InternalError", "IngressOverAccountLimit",
              "EgressOverAccountLimit", "TpsOverAccountLimit"}


class AzureBlobStore(SourceOnly):
    """A container and prefix on Azure Blob Storage. Keys given and returned are relative to the prefix."""

    def __init__(self, location, service=None):
        self.location = location
        self._service = service
        self._container = None
        self._lock = threading.Lock()

    @property
    def container(self):
        if self._container is None:
            with self._lock:
                if self._container is None:
                    if self._service is None:
                        self._service = _make_service(self.location)
                    self._container = self._service.get_container_client(self.location.bucket)
        return self._container

    # -- Store (read side) --------------------------------------------------------------------------

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        full = self.location.join(prefix) if prefix else self.location.key_prefix
        try:
            pages = self.container.list_blobs(name_starts_with=full or None, results_per_page=1000).by_page()
            for page in pages:  # one page at a time: never the whole listing in memory
                for b in page:
                    key = self.location.relative(b.name)
                    if not key or key.endswith("/") and (b.size or 0) == 0:
                        continue  # directory markers (hierarchical-namespace accounts list them as blobs)
                    yield ObjectInfo(key, b.size or 0, _etag(b.etag), _ts(b.last_modified))
        except Exception as e:  # noqa: BLE001 - mapped to StoreError, or re-raised as is
            raise self._map(e, "list", prefix or None) from e

    def head(self, key: str) -> ObjectInfo | None:
        try:
            p = self.container.get_blob_client(self.location.join(key)).get_blob_properties()
        except Exception as e:  # noqa: BLE001
            err = self._map(e, "head", key)
            if isinstance(err, NotFound) and not getattr(err, "bucket_missing", False):
                return None
            raise err from e
        return ObjectInfo(key, p.size or 0, _etag(p.etag), _ts(p.last_modified), _meta(p.metadata))

    def get(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        if end is not None and end <= start:
            return iter(())
        return self._stream(key, start, end)

    def _stream(self, key: str, start: int, end: int | None) -> Iterator[bytes]:
        blob = self.container.get_blob_client(self.location.join(key))
        length = None if end is None else end - start
        try:
            whole = start == 0 and length is None  # no Range header: an empty blob would answer 416 to one
            downloader = blob.download_blob(offset=None if whole else start, length=length, max_concurrency=1)
        except Exception as e:  # noqa: BLE001
            err = self._map(e, "get", key)
            if "InvalidRange" in str(err) and start > 0:
                return  # a range that starts at the end of the object: nothing to read
            raise err from e
        pieces = downloader.chunks()
        while True:
            try:
                piece = next(pieces)
            except StopIteration:
                return
            except Exception as e:  # noqa: BLE001 - a reset mid-body is as transient as one before it
                raise self._map(e, "get", key) from e
            yield from rechunk([piece])

    # -- errors -------------------------------------------------------------------------------------

    def _where(self) -> str:
        service = self._service
        url = getattr(service, "url", None) or self.location.endpoint_url or "Azure Blob Storage"
        return f"{url.rstrip('/')}"

    def _map(self, e: Exception, op: str, key: str | None) -> Exception:
        """An azure-core exception as a StoreError sentence; anything else unchanged."""
        from azure.core import exceptions as ax

        if isinstance(e, StoreError):
            return e
        loc = self.location
        what = f"{op} of {key!r} in container {loc.bucket!r}" if key else f"{op} on container {loc.bucket!r}"
        if isinstance(e, ax.HttpResponseError):
            code = str(getattr(e, "error_code", None) or "")
            status = getattr(e, "status_code", None)
            got = f"{code or status}: {_first_line(e)}"
            if code == "ContainerNotFound":
                nf = NotFound(f"The container {loc.bucket!r} does not exist on {self._where()}.", got=got,
                              hint=f"fix the location {loc} or the account it resolves to")
                nf.bucket_missing = True
                return nf
            if status == 404 or code == "BlobNotFound":
                return NotFound(f"The store {self._where()} has no such object: {what}.", got=got)
            if code in _DENIED or status in (401, 403) or isinstance(e, ax.ClientAuthenticationError):
                return AccessDenied(f"Azure refused the credentials for {what}.", got=got, hint=_cred_hint())
            if code in _TRANSIENT or (status is not None and (status >= 500 or status == 429)):
                return Transient(f"The store {self._where()} is busy or failing: {what}.", got=got,
                                 hint="retry later or with fewer parallel transfers")
            return StoreError(f"The store {self._where()} refused {what}.", got=got)
        if isinstance(e, (ax.ServiceRequestError, ax.ServiceResponseError, ax.IncompleteReadError,
                          ConnectionError, TimeoutError)):
            return Transient(f"The connection to {self._where()} failed during {what}.",
                             got=f"{type(e).__name__}: {_first_line(e)}",
                             hint="check the account and the network; homeport retries this a few times")
        if isinstance(e, ax.ClientAuthenticationError) or type(e).__name__ == "CredentialUnavailableError":
            return AccessDenied(f"No usable Azure credentials for {what}.", got=_first_line(e), hint=_cred_hint())
        return e


def _make_service(location):
    try:
        from azure.storage.blob import BlobServiceClient
    except ImportError:
        raise missing_sdk(location, "azure-storage-blob", "azure") from None
    # Few SDK retries (the copy engine retries Transient errors itself) and reads of 4 MiB a request.
    kw = {"retry_total": 1, "connection_timeout": 10, "read_timeout": 60,
          "max_single_get_size": 4 * CHUNK, "max_chunk_get_size": 4 * CHUNK}
    conn = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
    if conn and not location.endpoint_url:
        try:
            return BlobServiceClient.from_connection_string(conn, **kw)
        except ValueError as e:
            raise AccessDenied("AZURE_STORAGE_CONNECTION_STRING is not a valid connection string.", got=str(e),
                               hint="copy it again from the portal (Access keys) or unset it") from None
    account_url = location.endpoint_url
    if not account_url:
        account = os.environ.get("AZURE_STORAGE_ACCOUNT")
        if not account:
            raise AccessDenied(f"The location {location} names no Azure storage account.",
                               expected="AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT in the environment",
                               hint="export AZURE_STORAGE_ACCOUNT=NAME (with AZURE_STORAGE_KEY or a login), or write "
                               "abfss://container@NAME.dfs.core.windows.net/prefix")
        account_url = f"https://{account}.blob.core.windows.net"
    return BlobServiceClient(account_url, credential=_credential(), **kw)


def _credential():
    key = os.environ.get("AZURE_STORAGE_KEY")
    if key:
        return key
    sas = os.environ.get("AZURE_STORAGE_SAS_TOKEN")
    if sas:
        return sas.lstrip("?")
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        return None  # anonymous: a public container
    return DefaultAzureCredential()


def _cred_hint() -> str:
    return ("check AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or "
            "AZURE_STORAGE_SAS_TOKEN (or `az login` with azure-identity installed), and the role on the container "
            "(Storage Blob Data Reader)")


def _first_line(e: Exception) -> str:
    text = str(getattr(e, "message", None) or e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _etag(v: str | None) -> str | None:
    return v.strip('"') if v else None


def _ts(v) -> float | None:
    return v.timestamp() if v is not None else None


def _meta(m: dict | None) -> dict:
    return {k.lower(): v for k, v in (m or {}).items()}
