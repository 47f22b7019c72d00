"""Google Cloud Storage as a source (`gs://bucket/prefix`) over google-cloud-storage (the `gcs` extra).

Read side only: list (streamed page by page, in key order as the service returns it), head, ranged
get; writing is refused with the sentence of SourceOnly (stores/azure.py).

Credentials: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth
application-default login`, the metadata server), else anonymous access (a public bucket). With
STORAGE_EMULATOR_HOST set, the client talks to that emulator, anonymously.

Checksums: composite objects (gsutil/gcloud parallel uploads) carry a CRC32C but no MD5, so the
store's own hashes cannot serve as a content check across stores. Nothing to do here: homeport hashes
every byte itself (SHA-256, data/verify.py) and never compares a store's ETag or MD5 with another's.
"""

from __future__ import annotations

import os
import threading
from typing import Iterator

from homeport.data.store import (CHUNK, AccessDenied, NotFound, ObjectInfo, SourceOnly, StoreError, Transient,
                                 missing_sdk, rechunk)

PIECE = 8 * CHUNK  # bytes a ranged request reads (one request per piece, cut into CHUNKs)
PAGE = 1000


class GCSStore(SourceOnly):
    """A bucket and prefix on Google Cloud Storage. Keys given and returned are relative to the prefix."""

    def __init__(self, location, client=None):
        self.location = location
        self._client = client
        self._lock = threading.Lock()
        self._retry = None

    @property
    def client(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = _make_client(self.location)
        return self._client

    @property
    def retry(self):
        # Few SDK retries (its default goes on for 120 s): the copy engine retries Transient errors itself.
        if self._retry is None:
            from google.cloud.storage.retry import DEFAULT_RETRY

            shorten = getattr(DEFAULT_RETRY, "with_timeout", None) or DEFAULT_RETRY.with_deadline  # api-core < 2.17
            self._retry = shorten(5.0)
        return self._retry

    # -- Store (read side) --------------------------------------------------------------------------

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        full = self.location.join(prefix) if prefix else self.location.key_prefix
        try:
            blobs = self.client.list_blobs(self.location.bucket, prefix=full or None, page_size=PAGE,
                                           retry=self.retry)
            for page in blobs.pages:  # one page at a time: never the whole listing in memory
                for b in page:
                    key = self.location.relative(b.name)
                    if not key or key.endswith("/") and (b.size or 0) == 0:
                        continue  # "folder" placeholders the console creates
                    yield ObjectInfo(key, b.size or 0, b.etag, _ts(b.updated))
        except Exception as e:  # noqa: BLE001 - mapped to StoreError, or re-raised as is
            raise self._map(e, "list", prefix or None, bucket_missing=True) from e

    def head(self, key: str) -> ObjectInfo | None:
        try:
            b = self.client.bucket(self.location.bucket).get_blob(self.location.join(key), retry=self.retry)
        except Exception as e:  # noqa: BLE001
            raise self._map(e, "head", key) from e
        if b is None:  # no such object, or no such bucket: GCS answers 404 to both
            self._check_bucket()
            return None
        return ObjectInfo(key, b.size or 0, b.etag, _ts(b.updated), _meta(b.metadata))

    def get(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        if end is not None and end <= start:
            return iter(())
        return rechunk(self._pieces(key, start, end))

    def _pieces(self, key: str, start: int, end: int | None) -> Iterator[bytes]:
        from google.api_core import exceptions as gx

        blob = self.client.bucket(self.location.bucket).blob(self.location.join(key))
        pos = start
        while end is None or pos < end:
            last = pos + PIECE if end is None else min(pos + PIECE, end)
            try:
                # raw_download: the bytes as stored (no decompressive transcoding), so sizes match the listing
                data = blob.download_as_bytes(start=pos, end=last - 1, raw_download=True, checksum=None,
                                              retry=self.retry)
            except gx.RequestRangeNotSatisfiable:
                return  # the range starts at (or past) the end of the object: nothing more to read
            except Exception as e:  # noqa: BLE001
                err = self._map(e, "get", key)
                if isinstance(err, NotFound):
                    self._check_bucket()
                raise err from e
            if data:
                yield data
            if len(data) < last - pos:
                return  # the object ended inside this piece
            pos = last

    def _check_bucket(self) -> None:
        """Raise NotFound naming the bucket when it is the bucket, not the object, that is missing.
        A one-key listing: it needs only the permission a source needs anyway (objects.list)."""
        try:
            next(iter(self.client.list_blobs(self.location.bucket, max_results=1, retry=self.retry)), None)
        except Exception as e:  # noqa: BLE001
            raise self._map(e, "list", None, bucket_missing=True) from e

    # -- errors -------------------------------------------------------------------------------------

    def _where(self) -> str:
        host = os.environ.get("STORAGE_EMULATOR_HOST")
        return f"the GCS emulator at {host}" if host else "Google Cloud Storage"

    def _map(self, e: Exception, op: str, key: str | None, bucket_missing: bool = False) -> Exception:
        """A google-api-core / google-auth / requests exception as a StoreError sentence; else unchanged."""
        from google.api_core import exceptions as gx
        from google.auth import exceptions as ga

        if isinstance(e, StoreError):
            return e
        loc = self.location
        what = f"{op} of {key!r} in bucket {loc.bucket!r}" if key else f"{op} on bucket {loc.bucket!r}"
        if isinstance(e, gx.GoogleAPICallError):
            got = f"{e.code}: {e.message}" if getattr(e, "message", None) else str(e.code)
            if isinstance(e, gx.NotFound):
                if bucket_missing:
                    nf = NotFound(f"The bucket {loc.bucket!r} does not exist on {self._where()}.", got=got,
                                  hint=f"fix the location {loc}")
                    nf.bucket_missing = True
                    return nf
                return NotFound(f"{self._where()} has no such object: {what}.", got=got)
            if isinstance(e, (gx.Forbidden, gx.Unauthorized)):
                return AccessDenied(f"Google Cloud Storage refused the credentials for {what}.", got=got,
                                    hint=_cred_hint())
            if isinstance(e, (gx.ServerError, gx.TooManyRequests)):
                return Transient(f"{self._where()} is busy or failing: {what}.", got=got,
                                 hint="retry later or with fewer parallel transfers")
            return StoreError(f"{self._where()} refused {what}.", got=got)
        if isinstance(e, (ga.RefreshError, ga.DefaultCredentialsError)):
            return AccessDenied(f"No usable Google credentials for {what}.", got=str(e), hint=_cred_hint())
        if isinstance(e, (gx.RetryError, ga.TransportError, ConnectionError, TimeoutError)) or _is_requests_transient(e):
            return Transient(f"The connection to {self._where()} failed during {what}.",
                             got=f"{type(e).__name__}: {e}", hint="check the network; homeport retries this a few times")
        return e


def _make_client(location):
    try:
        from google.auth.exceptions import DefaultCredentialsError
        from google.cloud import storage
    except ImportError:
        raise missing_sdk(location, "google-cloud-storage", "gcs") from None
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        return storage.Client(project=os.environ.get("GOOGLE_CLOUD_PROJECT") or "homeport")  # anonymous
    try:
        return storage.Client(project=os.environ.get("GOOGLE_CLOUD_PROJECT") or None)
    except DefaultCredentialsError:
        return storage.Client.create_anonymous_client()  # public buckets; others answer 401, mapped above


def _is_requests_transient(e: Exception) -> bool:
    try:
        from requests import exceptions as rx
    except ImportError:  # pragma: no cover
        return False
    return isinstance(e, (rx.ConnectionError, rx.Timeout, rx.ChunkedEncodingError))


def _cred_hint() -> str:
    return ("set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file or run "
            "`gcloud auth application-default login`, and grant Storage Object Viewer on the bucket")


def _ts(v) -> float | None:
    return v.timestamp() if v is not None else None


def _meta(m: dict | None) -> dict:
    return {k.lower(): v for k, v in (m or {}).items()}
