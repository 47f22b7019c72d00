"""S3 and S3-compatible stores (AWS, OVHcloud, Scaleway, IONOS, STACKIT, Exoscale, rclone, moto...) over
boto3.

One botocore client per store, shared by the copy threads (clients are thread-safe, sessions are not).
GETs, single PUTs and listings, the requests a copy of many small objects is made of, go through the store's
Wire (s3_wire.py) and fall back to the client whenever the Wire gets no 2xx.
The client is set up for non-AWS stores: path-style addressing with an endpoint, checksums only when
required (boto3 >= 1.36 otherwise sends CRC headers that S3-compatible stores refuse, research/data.md
1.4 #6), few botocore retries (the copy engine retries Transient errors itself, with its own backoff).
"""

from __future__ import annotations

import threading
from datetime import datetime
from urllib.parse import quote, unquote_plus, urlsplit
from typing import Iterable, Iterator

from homeport.data.store import CHUNK, AccessDenied, NotFound, ObjectInfo, StoreError, Transient

FIRST_PAGE = 100  # keys asked for in a listing's first page; 1,000 (S3's most) in the others
_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
           "AuthorizationHeaderMalformed", "AllAccessDisabled", "403", "Forbidden"}
_TRANSIENT = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed",
              "InternalError", "ServiceUnavailable", "503", "500", "502", "504", "RequestLimitExceeded",
              "TooManyRequests", "429"}


class S3Store:
    """A bucket and prefix on an S3-compatible store. Keys given and returned are relative to the prefix."""

    def __init__(self, location, client=None):
        self.location = location
        self._client = client
        self._lock = threading.Lock()
        self._wire = None  # made on first use; False: this client has none

    # -- the client ---------------------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            with self._lock:  # boto3 sessions are not thread-safe: build the client once
                if self._client is None:
                    self._client = _make_client(self.location)
        return self._client

    def _call(self, op: str, key: str | None = None, **kw):
        try:
            return getattr(self.client, op)(Bucket=self.location.bucket, **kw)
        except Exception as e:  # noqa: BLE001 - mapped to StoreError below, or re-raised as is
            raise self._map(e, op, key) from e

    def _fast(self, method: str, op: str, key: str | None, headers: dict | None = None, body: bytes | None = None,
              query: dict | None = None):
        """`op` through the Wire (homeport.data.stores.s3_wire): the response when it is 2xx, else None, and
        the caller asks again through the client, whose error (missing key, refused credentials, throttling, a
        key the Wire spells wrongly) is mapped as always."""
        wire = self._wire
        if wire is None:
            wire = self._wire = self._make_wire()
        if wire is False:
            return None
        try:
            tail = "" if key is None else quote(self.location.join(key), safe="/~")  # None: the bucket
            response = wire.send(method, tail, headers, body, query)
        except Exception:  # noqa: BLE001 - a reset or refused connection: the client tries again, with its retry
            return None
        if 200 <= response.status < 300:
            return response
        response.close()
        return None

    def _make_wire(self):
        """A Wire for this store's objects, or False when this client cannot have one (no credentials, or a
        botocore whose internals differ): every request then goes through the client."""
        from homeport.data.stores.s3_wire import Wire

        probe = "homeport-url-probe"  # the endpoint and addressing style, as the client builds them
        try:
            url = self.client.generate_presigned_url("get_object", Params={"Bucket": self.location.bucket, "Key": probe})
            parts = urlsplit(url)
            return Wire(self.client, f"{parts.scheme}://{parts.netloc}{parts.path[:-len(probe)]}")
        except Exception:  # noqa: BLE001 - no credentials to sign with, another botocore: the client path it is
            return False

    # -- Store --------------------------------------------------------------------------------------

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        full = self.location.join(prefix) if prefix else self.location.key_prefix
        token = None
        while True:  # one page at a time: never the whole listing in memory
            page = self._list_page(full, token, prefix)
            for o in page.get("Contents", ()):
                key = self.location.relative(o["Key"])
                if not key or key.endswith("/") and o.get("Size", 0) == 0:
                    continue  # "directory marker" objects some consoles create
                yield ObjectInfo(key, o.get("Size", 0), _etag(o.get("ETag")), _ts(o.get("LastModified")))
            if not page.get("IsTruncated"):
                return
            token = page.get("NextContinuationToken")
            if not token:
                raise StoreError(f"The store {self._where()} said its listing goes on but gave no continuation token.",
                                 hint="report this store's behaviour; list a narrower prefix meanwhile")

    def _list_page(self, full: str, token: str | None, prefix: str) -> dict:
        """One ListObjectsV2 page, shaped as the client returns it: through the Wire and parsed here (a
        third of the client's CPU for a page of 1,000), or through the client when the Wire gets no 2xx or
        a body it cannot read."""
        # the first page short: its answer comes back at once (a store spends ~0.1 ms per key it lists), so a
        # copy or a plan starts on it while the next pages, of 1,000, are read
        size = FIRST_PAGE if token is None else 1000
        query = {"list-type": "2", "prefix": full, "max-keys": str(size), "encoding-type": "url"}
        if token:
            query["continuation-token"] = token
        fast = self._fast("GET", "list_objects_v2", None, query=query)
        if fast is not None:
            try:
                body = fast.read()
            except Exception:  # noqa: BLE001 - cut off mid-answer: the client asks again, with its retry
                fast.close()
                body = b""
            else:
                _done_with(fast, True)
            page = _listing_page(body) if body else None
            if page is not None:
                return page
        kw = {"Prefix": full, "MaxKeys": size, **({"ContinuationToken": token} if token else {})}
        return self._call("list_objects_v2", prefix or None, **kw)

    def head(self, key: str) -> ObjectInfo | None:
        try:
            r = self._call("head_object", key, Key=self.location.join(key))
        except NotFound as e:
            if getattr(e, "bucket_missing", False):
                raise
            return None
        return ObjectInfo(key, r.get("ContentLength", 0), _etag(r.get("ETag")), _ts(r.get("LastModified")),
                          _meta(r.get("Metadata")))

    def get(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        if end is not None and end <= start:
            return iter(())  # an empty range; S3 would answer 416 to bytes=N-(N-1)
        kw = {"Key": self.location.join(key)}
        if start or end is not None:
            kw["Range"] = f"bytes={start}-" + ("" if end is None else str(end - 1))
        return self._stream(key, kw, start, end)

    def _stream(self, key, kw, start, end) -> Iterator[bytes]:
        fast = self._fast("GET", "get_object", key, headers={"Range": kw["Range"]} if "Range" in kw else None)
        if fast is not None:
            headers = fast.headers
            r = {"Body": fast, "ContentRange": headers.get("Content-Range"),
                 "ContentLength": int(headers["Content-Length"]) if "Content-Length" in headers else None}
        else:
            try:
                r = self._call("get_object", key, **kw)
            except StoreError as e:
                if "InvalidRange" in str(e) and start > 0:
                    return  # a range that starts at the end of the object: nothing to read
                raise
        body = r["Body"]
        # rclone serve s3 answers a range GET with 200 and the right bytes; a store that ignored the
        # Range header entirely would send the whole object, which the Content-Range check catches.
        if "Range" in kw and not r.get("ContentRange") and r.get("ContentLength") is not None:
            want = (end if end is not None else start + r["ContentLength"]) - start
            if start and r["ContentLength"] != want:
                body.close()
                raise StoreError(f"The store {self._where()} ignored a range request for {key}.",
                                 expected=f"bytes {start}-{end}", got=f"{r['ContentLength']} bytes from offset 0")
        whole, got = False, 0
        try:
            while True:
                try:
                    chunk = body.read(CHUNK)
                except Exception as e:  # noqa: BLE001 - a reset mid-body is as transient as one before it
                    raise self._map(e, "get_object", key) from e
                if not chunk:
                    if r.get("ContentLength") is not None and got != r["ContentLength"]:  # cut off: no error raised
                        raise Transient(f"The connection to {self._where()} was cut while reading {key!r}.",
                                        expected=f"{r['ContentLength']} bytes", got=f"{got} bytes",
                                        hint="homeport retries this a few times")
                    whole = True
                    return
                got += len(chunk)
                yield chunk
        finally:
            _done_with(body, whole)

    def put(self, key: str, chunks: Iterable[bytes], metadata: dict | None = None) -> ObjectInfo:
        data, meta = b"".join(chunks), _meta_out(metadata)
        fast = self._fast("PUT", "put_object", key, body=data, headers={f"x-amz-meta-{k}": v for k, v in meta.items()})
        if fast is not None:
            fast.read()
            _done_with(fast, True)
            etag = fast.headers.get("ETag")
        else:
            etag = self._call("put_object", key, Key=self.location.join(key), Body=data, Metadata=meta).get("ETag")
        return ObjectInfo(key, len(data), _etag(etag), None, dict(meta))

    def start_multipart(self, key: str, metadata: dict | None = None) -> str:
        r = self._call("create_multipart_upload", key, Key=self.location.join(key), Metadata=_meta_out(metadata))
        return r["UploadId"]

    def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        r = self._call("upload_part", key, Key=self.location.join(key), UploadId=upload_id, PartNumber=number,
                       Body=data)
        return r["ETag"]

    def list_parts(self, key: str, upload_id: str) -> dict[int, str]:
        parts, marker = {}, None
        while True:
            kw = {"Key": self.location.join(key), "UploadId": upload_id}
            if marker:
                kw["PartNumberMarker"] = marker
            r = self._call("list_parts", key, **kw)
            for p in r.get("Parts", ()):
                parts[p["PartNumber"]] = p["ETag"]
            if not r.get("IsTruncated"):
                return parts
            marker = r.get("NextPartNumberMarker")
            if not marker:
                return parts

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> ObjectInfo:
        ordered = [{"PartNumber": n, "ETag": e} for n, e in sorted(parts)]
        self._call("complete_multipart_upload", key, Key=self.location.join(key), UploadId=upload_id,
                   MultipartUpload={"Parts": ordered})
        # Complete's ETag is "...-N" on AWS but rclone reports a plain MD5 on HEAD: report what HEAD says.
        info = self.head(key)
        if info is None:
            raise StoreError(f"The store {self._where()} completed the upload of {key} but does not show the object.",
                             hint="retry the copy; the store may be eventually consistent")
        return info

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self._call("abort_multipart_upload", key, Key=self.location.join(key), UploadId=upload_id)
        except NotFound as e:
            if getattr(e, "bucket_missing", False):
                raise  # the upload already gone is fine; the bucket gone is not

    part_limits = (5 * 1024 ** 2, 5 * 1024 ** 3)  # S3's smallest part (but the last) and largest

    def set_metadata(self, key: str, metadata: dict) -> None:
        """Replace the user metadata by copying the object onto itself (S3 takes metadata only when an
        upload starts, before a multipart copy knows the SHA-256). A single CopyObject: up to 5 GiB."""
        full = self.location.join(key)
        self._call("copy_object", key, Key=full, CopySource={"Bucket": self.location.bucket, "Key": full},
                   Metadata=_meta_out(metadata), MetadataDirective="REPLACE")

    def delete(self, key: str) -> None:
        try:
            self._call("delete_object", key, Key=self.location.join(key))
        except NotFound as e:
            if getattr(e, "bucket_missing", False):
                raise

    # -- errors -------------------------------------------------------------------------------------

    def _where(self) -> str:
        loc = self.location
        return f"{loc.display_remote} ({loc.endpoint_url or 'AWS'})"

    def _map(self, e: Exception, op: str, key: str | None) -> Exception:
        """A botocore/urllib3 exception as a StoreError sentence; anything else unchanged."""
        from botocore import exceptions as bx

        if isinstance(e, StoreError):
            return e
        loc = self.location
        what = f"{op} of {key!r} in bucket {loc.bucket!r}" if key else f"{op} on bucket {loc.bucket!r}"
        if isinstance(e, bx.ClientError):
            err = e.response.get("Error", {})
            code = str(err.get("Code", ""))
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            msg = err.get("Message") or code
            if code == "NoSuchBucket" or (op in ("list_objects_v2",) and status == 404):
                nf = NotFound(f"The bucket {loc.bucket!r} does not exist on {self._where()}.",
                              got=f"{code or status}: {msg}", hint=f"create the bucket or fix the location {loc}")
                nf.bucket_missing = True
                return nf
            if code in ("NoSuchKey", "NoSuchUpload", "404", "NotFound") or status == 404:
                return NotFound(f"The store {self._where()} has no such object or upload: {what}.",
                                got=f"{code or status}: {msg}")
            if code in _DENIED or status == 403:
                return AccessDenied(f"The store refused the credentials of {self._who()}: {what}.",
                                    got=f"{code or status}: {msg}", hint=self._cred_hint())
            if code in _TRANSIENT or (status is not None and (status >= 500 or status == 429)):
                return Transient(f"The store {self._where()} is busy or failing: {what}.",
                                 got=f"{code or status}: {msg}", hint="retry later or with fewer parallel transfers")
            return StoreError(f"The store {self._where()} refused {what}.", got=f"{code or status}: {msg}")
        if isinstance(e, bx.NoCredentialsError):
            return AccessDenied(f"No credentials were found for {self._who()}.", hint=self._cred_hint())
        transient = (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ReadTimeoutError,
                     bx.ConnectTimeoutError, bx.ResponseStreamingError, bx.IncompleteReadError)
        if isinstance(e, transient) or _is_urllib3_transient(e):
            return Transient(f"The connection to {self._where()} failed during {what}.", got=f"{type(e).__name__}: {e}",
                             hint="check the endpoint and the network; homeport retries this a few times")
        if isinstance(e, bx.ParamValidationError):
            return StoreError(f"Invalid request to {self._where()}: {what}.", got=str(e))
        return e

    def _who(self) -> str:
        return f"remote {self.location.remote!r}" if self.location.remote else "s3:// (standard AWS configuration)"

    def _cred_hint(self) -> str:
        if self.location.remote:
            env = "HOMEPORT_REMOTE_" + self.location.remote.upper().replace("-", "_")
            return (f"check {env}_ACCESS_KEY_ID and {env}_SECRET_ACCESS_KEY (or [remotes.{self.location.remote}] "
                    "in homeport.toml) and the key's permissions on the bucket")
        return "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE and the IAM policy on the bucket"


_shared: dict = {}


def _make_client(location):
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise StoreError(f"Reading or writing {location} needs boto3, which is not installed.",
                         hint="pip install boto3") from None

    cfg = Config(
        region_name=location.region,
        s3={"addressing_style": "path" if location.path_style else ("virtual" if location.path_style is False else "auto"),
            # UNSIGNED-PAYLOAD: botocore would otherwise SHA-256 every part body to sign it (always over http,
            # and over https for bytes bodies), a second pass over every byte; homeport hashes each object
            # itself and `verify` re-reads the destination, which a signature over the body does not replace
            "payload_signing_enabled": False},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=64,  # parallel copies share this client
        connect_timeout=10,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": 2},
        signature_version="s3v4",
    )
    session = boto3.session.Session()  # one per store: the default session is shared and not thread-safe
    core = session._session
    # the loader of botocore's service models is shared: each store resolves its own credentials, but the S3
    # model is read once (a second store's client took 50 ms, with the loader 4 ms)
    _shared["loader"] = _shared.get("loader") or core.get_component("data_loader")
    core.register_component("data_loader", _shared["loader"])
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_timestamp)
    kw = {"config": cfg, "endpoint_url": location.endpoint_url}
    if location.access_key_id or location.secret_access_key:
        kw.update(aws_access_key_id=location.access_key_id, aws_secret_access_key=location.secret_access_key)
    if location.endpoint_url and not location.region:
        kw["region_name"] = "us-east-1"  # S3-compatible stores accept it; botocore needs one to sign
    return session.client("s3", **kw)


def _listing_page(body: bytes) -> dict | None:
    """A ListObjectsV2 XML answer as {"Contents": [{Key, Size, ETag, LastModified}], "IsTruncated",
    "NextContinuationToken"}, keys URL-decoded when the store says it encoded them (as botocore does); None
    for a body that is not such an answer."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    if _local(root.tag) != "ListBucketResult":
        return None
    fields = {_local(child.tag): child for child in root}
    decode = unquote_plus if (fields.get("EncodingType") is not None and fields["EncodingType"].text == "url") \
        else (lambda text: text)
    contents = []
    for entry in root:
        if _local(entry.tag) != "Contents":
            continue
        item = {_local(child.tag): child.text or "" for child in entry}
        contents.append({"Key": decode(item.get("Key", "")), "Size": int(item.get("Size") or 0),
                         "ETag": item.get("ETag"), "LastModified": _timestamp(item["LastModified"])
                         if item.get("LastModified") else None})
    token = fields.get("NextContinuationToken")
    truncated = fields.get("IsTruncated")
    return {"Contents": contents, "IsTruncated": truncated is not None and truncated.text == "true",
            "NextContinuationToken": token.text if token is not None else None}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]  # the name without its XML namespace


def _timestamp(text):
    """A timestamp botocore reads in a response: the ISO 8601 of listings by the standard library, where
    dateutil's general parser took a third of the client's CPU in a listing; anything else as botocore would."""
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        from botocore.utils import parse_timestamp

        return parse_timestamp(text)


def _done_with(body, whole: bool) -> None:
    """A response read to its end gives its connection back to the pool (keep-alive: no new TCP and no new
    fence check per request); one left half-read is closed, or its unread bytes would reach the next caller."""
    if whole and hasattr(body, "release_conn"):
        body.release_conn()
    else:
        body.close()


def _is_urllib3_transient(e: Exception) -> bool:
    try:
        from urllib3.exceptions import HTTPError, ProtocolError
        from http.client import IncompleteRead
    except ImportError:  # pragma: no cover
        return False
    return isinstance(e, (ProtocolError, IncompleteRead, HTTPError, ConnectionError, TimeoutError))


def _etag(v: str | None) -> str | None:
    return v.strip('"') if v else None


def _ts(v) -> float | None:
    return v.timestamp() if v is not None else None


def _meta(m: dict | None) -> dict:
    return {k.lower(): v for k, v in (m or {}).items()}  # rclone turns sha256 into Sha256


def _meta_out(m: dict | None) -> dict:
    return {str(k).lower(): str(v) for k, v in (m or {}).items()}
