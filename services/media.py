"""Photo storage: what a client uploads is checked, re-encoded and kept under MEDIA_DIR, with a row per photo in
PostGIS (ticket_photos) and an ``add_photos`` entry in the ticket's history.

- ``prepare(upload)``: the type is told by the content (JPEG, PNG, WebP when Pillow has it), never by the name or
  the client's content type; at most MEDIA_MAX_BYTES as uploaded and MEDIA_MAX_PIXELS decoded (a small file can
  decode into gigabytes: a decompression bomb is refused from its header, before decoding). The EXIF orientation
  is applied, colours converted to sRGB, and the pixels re-encoded into a fresh image: nothing of the original
  file travels on — no EXIF (GPS position, camera, time), XMP, ICC profile or text chunks.
- Files are written in two steps around the database commit: *staged* (tmp/, fsynced) before the transaction,
  *published* (an atomic rename into photos/) after it commits, *discarded* when it rolls back. A crash between
  commit and rename leaves a staged file whose row exists: ``open_photo`` and ``sweep_temporary_files`` publish
  it. A crash before the commit leaves a staged file without a row: the sweep deletes it. So no committed row
  points at a missing file, and no orphan stays for ever.
- Who may see a photo is workorders.policy's (``may_see_photo``); who may add one too (``ticket_handle``).

Doors turn their uploaded files into ``Upload`` (``uploads_from_files``) and call ``create_ticket_with_photos``,
``add_photos`` or ``open_photo``; they answer MediaError with 400 and StorageUnavailable with 503.
"""
from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import re
import time
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError, features

from sqlalchemy.engine import Engine

from geo import media as db
from geo import tickets as ticket_db
from geo.db import get_engine
from services.tickets import Created, NewTicket, NotFound, create_ticket, utcnow
from settings import get_settings
from workorders import policy
from workorders.policy import Principal, Target

log = logging.getLogger(__name__)

# What we accept (Pillow's format names, told from the file's first bytes) and what we store.
ACCEPTED_FORMATS = ("JPEG", "PNG", *(("WEBP",) if features.check("webp") else ()))
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
CONTENT_TYPES = {ext: content_type for content_type, ext in EXTENSIONS.items()}
JPEG_QUALITY = 85
PUBLIC_ID = re.compile(r"^[0-9a-f]{32}$")
HISTORY_ACTION = "add_photos"
MAX_NAME = 200


# ------------------------------------------------------------------------------------------------ errors

class MediaError(ValueError):
    """An upload we refuse; ``field`` is the form part it came in, ``message`` what the client reads (zh-CN)."""
    code = "invalid_photo"

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


class NotAnImage(MediaError):
    code = "not_an_image"


class PhotoTooLarge(MediaError):
    code = "photo_too_large"


class BrokenImage(MediaError):
    code = "broken_image"


class TooManyPhotos(MediaError):
    code = "too_many_photos"


class NoPhotos(MediaError):
    code = "no_photos"


class StorageUnavailable(RuntimeError):
    """The photo could not be written (disk full, no permission): the server's trouble, not the client's."""
    retry_after_seconds = 60      # the doors' Retry-After: someone has to free space or fix the folder


# ------------------------------------------------------------------------------------------------ prepare

@dataclass(frozen=True)
class Upload:
    filename: str | None
    content_type: str | None     # what the client said; told for the error message only, never trusted
    data: bytes
    field: str = "media"         # the form part it came in, named in errors


@dataclass(frozen=True)
class PreparedPhoto:
    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str
    original_name: str | None
    field: str = "media"

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def _label(upload: Upload) -> str:
    name = (upload.filename or "").strip()
    return f"{upload.field}（{name[:60]}）" if name else upload.field


def prepare(upload: Upload) -> PreparedPhoto:
    """The upload checked and re-encoded, or MediaError saying what is wrong with it."""
    settings = get_settings()
    label = _label(upload)
    if not upload.data:
        raise NotAnImage(upload.field, f"{label}：文件为空")
    if len(upload.data) > settings.media_max_bytes:
        raise PhotoTooLarge(upload.field, f"{label}：图片不能超过 {settings.media_max_bytes // (1024 * 1024)} MB")
    image = _open(upload, label, settings.media_max_pixels)
    source_format = image.format
    image = _upright_srgb(image)
    data, content_type = _encode(image, keep_png=source_format == "PNG")
    return PreparedPhoto(data, content_type, image.width, image.height, hashlib.sha256(data).hexdigest(),
                         _original_name(upload.filename), upload.field)


def prepare_all(uploads: Sequence[Upload]) -> list[PreparedPhoto]:
    """Every upload prepared, or the first one's refusal: nothing is stored before all of them passed."""
    limit = get_settings().media_max_photos
    if len(uploads) > limit:
        raise TooManyPhotos(uploads[limit].field, f"一次最多上传 {limit} 张图片（收到 {len(uploads)} 张）")
    return [off_the_event_loop(prepare, u) for u in uploads]


def off_the_event_loop(function, *args):
    """Under gunicorn's gevent worker, run ``function`` in gevent's thread pool: re-encoding a phone photo takes
    about half a second of CPU (bench/results/photo-prepare-*.md), which would stall every other connection of
    the worker (open maps included); Pillow lets go of the GIL while it decodes and encodes, so they go on.
    Anywhere else (threads, tests, the CLI) it runs right here. Exceptions come back as raised."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return function(*args)
    if not monkey.is_module_patched("threading"):
        return function(*args)
    # Raised in the pool, gevent would print each refusal (a text file sent as a photo) as a crash: carry it back.
    ok, value = get_hub().threadpool.apply(_outcome, (function, args))
    if not ok:
        raise value
    return value


def _outcome(function, args) -> tuple[bool, Any]:
    try:
        return True, function(*args)
    except Exception as error:      # noqa: BLE001 - re-raised by the caller, in its own greenlet
        return False, error


def _open(upload: Upload, label: str, max_pixels: int) -> Image.Image:
    said = f"（声称 {upload.content_type[:40]}）" if upload.content_type else ""
    kinds = "、".join("WebP" if f == "WEBP" else f for f in ACCEPTED_FORMATS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(upload.data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise NotAnImage(upload.field, f"{label}：不是可接受的图片{said}，只接受 {kinds}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoTooLarge(upload.field, f"{label}：图片像素过多") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise BrokenImage(upload.field, f"{label}：图片已损坏，无法读取") from None
    width, height = image.size
    if width * height > max_pixels:
        raise PhotoTooLarge(upload.field, f"{label}：图片像素过多（{width}×{height}，"
                                          f"上限 {max_pixels // 1_000_000} 百万像素）")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()      # a truncated or corrupt file fails here, not later while encoding
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoTooLarge(upload.field, f"{label}：图片像素过多") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise BrokenImage(upload.field, f"{label}：图片已损坏或不完整，无法读取") from None
    return image


def _upright_srgb(image: Image.Image) -> Image.Image:
    """Turned as the camera said (EXIF orientation), colours in sRGB, in a mode JPEG or PNG can store."""
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:       # noqa: BLE001 - a garbled orientation tag must not cost the citizen the photo
        upright = image
    upright = _to_srgb(upright)
    if upright.mode == "P":
        upright = upright.convert("RGBA" if "transparency" in upright.info else "RGB")
    elif upright.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16", "I"):
        upright = upright.convert("RGBA" if "A" in upright.mode else "RGB")
    return upright


def _to_srgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image if image.mode != "CMYK" else image.convert("RGB")
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
    except Exception:       # noqa: BLE001 - an unreadable profile: keep the pixels as they are
        return image if image.mode != "CMYK" else image.convert("RGB")


def _encode(image: Image.Image, keep_png: bool) -> tuple[bytes, str]:
    """Pixels only, into a new image: whatever the original carried (EXIF, XMP, ICC, text) stays behind.
    PNG stays PNG (drawings, screenshots) and so does anything transparent; photos become JPEG."""
    transparent = image.mode in ("LA", "RGBA")
    as_png = keep_png or transparent
    if not as_png and image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if as_png:
        clean.save(out, format="PNG")
        return out.getvalue(), "image/png"
    clean.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), "image/jpeg"


def _original_name(name: str | None) -> str | None:
    cleaned = re.sub(r"[\x00-\x1f\x7f]", "", os.path.basename((name or "").replace("\\", "/"))).strip()
    return cleaned[:MAX_NAME] or None


def uploads_from_files(files: Any) -> list[Upload]:
    """Every file part of a multipart form (a werkzeug MultiDict of FileStorage), whatever its name. A part the
    browser sends for a file input left empty (no name, no bytes) is no upload. Each is read to one byte past the
    size limit at most: enough to refuse it."""
    limit = get_settings().media_max_bytes
    uploads = []
    for name, part in files.items(multi=True):
        data = part.stream.read(limit + 1)
        if not data and not part.filename:
            continue
        uploads.append(Upload(part.filename, part.mimetype or None, data, name or "media"))
    return uploads


# ------------------------------------------------------------------------------------------------ the files

@dataclass
class StagedPhoto:
    photo: PreparedPhoto
    public_id: str
    path: Path
    dropped: bool = False


class PhotoStore:
    """MEDIA_DIR/tmp/<id>.<ext> (staged, awaiting its commit) and MEDIA_DIR/photos/<id[:2]>/<id>.<ext>."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.photos = self.root / "photos"

    def staged_path(self, public_id: str, ext: str) -> Path:
        return self.tmp / f"{public_id}.{ext}"

    def published_path(self, public_id: str, ext: str) -> Path:
        return self.photos / public_id[:2] / f"{public_id}.{ext}"

    def stage(self, photo: PreparedPhoto) -> StagedPhoto:
        public_id = uuid.uuid4().hex
        path = self.staged_path(public_id, photo.extension)
        part = path.with_name(path.name + ".part")
        try:
            self.tmp.mkdir(parents=True, exist_ok=True)
            _write_durably(part, photo.data)
            os.replace(part, path)
        except OSError as error:
            _remove_quietly(part)
            raise _storage_error(error) from error
        return StagedPhoto(photo, public_id, path)

    def publish(self, public_id: str, ext: str) -> Path:
        final = self.published_path(public_id, ext)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.staged_path(public_id, ext), final)
        _fsync_dir(final.parent)
        return final

    def discard(self, staged: StagedPhoto) -> None:
        staged.path.unlink(missing_ok=True)

    def find(self, public_id: str, ext: str) -> Path | None:
        """The published file; a staged one whose row exists (the caller checked) is published on the way."""
        final = self.published_path(public_id, ext)
        if final.exists():
            return final
        if self.staged_path(public_id, ext).exists():
            try:
                return self.publish(public_id, ext)
            except OSError:
                log.exception("could not publish staged photo %s", public_id)
                return self.staged_path(public_id, ext)
        return None

    def staged_files(self, older_than_seconds: float) -> list[Path]:
        if not self.tmp.is_dir():
            return []
        cutoff = time.time() - older_than_seconds
        found = []
        for path in self.tmp.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    found.append(path)
            except FileNotFoundError:
                continue            # published or discarded meanwhile
        return found


def _remove_quietly(path: Path) -> None:
    """Remove a half-written file, if there is one. Where the folder itself is unusable (a file in its place: not a
    directory; no permission) removing fails too, and that must not hide the first error, which the client is
    answered with (503)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove %s after a failed write", path)


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _storage_error(error: OSError) -> StorageUnavailable:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageUnavailable("照片存储空间已满，暂时无法保存图片，请稍后重试")
    return StorageUnavailable("照片存储暂时不可用，请稍后重试")


def photo_store() -> PhotoStore:
    return PhotoStore(get_settings().media_dir)


@dataclass
class Batch:
    """Photos staged for one transaction."""
    store: PhotoStore
    staged: list[StagedPhoto] = field(default_factory=list)

    def drop(self) -> None:
        """Not needed after all (an idempotent replay): discarded at once."""
        for s in self.staged:
            s.dropped = True
            self.store.discard(s)


@contextmanager
def staged(prepared: Sequence[PreparedPhoto]) -> Iterator[Batch]:
    """Stage the photos; the block writes their rows. The block failing (the transaction rolled back) discards
    the files; the block done (commit inside it) publishes them."""
    batch = Batch(photo_store())
    try:
        for photo in prepared:
            batch.staged.append(batch.store.stage(photo))
        yield batch
    except BaseException:
        for s in batch.staged:
            batch.store.discard(s)
        raise
    for s in batch.staged:
        if s.dropped:
            continue
        try:
            batch.store.publish(s.public_id, s.photo.extension)
        except OSError:     # committed: open_photo or the sweep publishes it later
            log.exception("could not publish photo %s; it stays staged until the sweep", s.public_id)


def sweep_temporary_files(older_than_seconds: float | None = None, engine: Engine | None = None) -> int:
    """Staged files left by a crash: published when their row exists (the commit happened), deleted when it does
    not (it never will) or when they are half-written. Returns how many files it handled."""
    store = photo_store()
    grace = get_settings().media_staged_grace_seconds if older_than_seconds is None else older_than_seconds
    files = store.staged_files(grace)
    if not files:
        return 0
    complete = {p.name.split(".")[0]: p for p in files if not p.name.endswith(".part")
                and PUBLIC_ID.match(p.name.split(".")[0])}
    with (engine or get_engine()).connect() as conn:
        known = db.known_public_ids(conn, complete)
    handled = 0
    for path in files:
        public_id = path.name.split(".")[0]
        try:
            if public_id in known and path in complete.values():
                store.publish(public_id, path.name.split(".")[1])
            else:
                path.unlink(missing_ok=True)
            handled += 1
        except OSError:
            log.exception("sweep could not handle %s", path)
    return handled


# ------------------------------------------------------------------------------------------------ tickets

def photo_path(photo: dict) -> str:
    """The photo's URL path (GET /media/<id>.<ext>)."""
    return f"/media/{photo['public_id']}.{EXTENSIONS[photo['content_type']]}"


def photo_view(photo: dict) -> dict:
    return {"id": photo["public_id"], "path": photo_path(photo), "content_type": photo["content_type"],
            "width": photo["width"], "height": photo["height"], "bytes": photo["size_bytes"],
            "public": photo["public"], "source": photo["source"], "uploaded_by": photo["uploaded_by"],
            "created_at": photo["created_at"]}


def attach(conn, ticket: dict, batch: Batch, *, actor: str, source: str, public: bool = False,
           now: datetime | None = None) -> list[dict]:
    """Rows for the staged photos and one ``add_photos`` entry in the ticket's history, in the caller's
    transaction."""
    now = now or utcnow()
    ids = [s.public_id for s in batch.staged]
    event_id = ticket_db.add_event(conn, ticket["id"], now, actor, HISTORY_ACTION, ticket["state"], ticket["state"],
                                   data={"photos": ids, "count": len(ids), "source": source})
    photos = []
    for s in batch.staged:
        row = {"public_id": s.public_id, "ticket_id": ticket["id"], "event_id": event_id,
               "content_type": s.photo.content_type, "width": s.photo.width, "height": s.photo.height,
               "size_bytes": len(s.photo.data), "sha256": s.photo.sha256, "original_name": s.photo.original_name,
               "source": source, "uploaded_by": actor, "public": public, "created_at": now}
        db.insert_photo(conn, row)
        photos.append(photo_view(row))
    return photos


@dataclass
class CreatedWithPhotos:
    created: Created
    photos: list[dict]


def create_ticket_with_photos(request: NewTicket, principal: Principal | None, uploads: Sequence[Upload], *,
                              source: str, idempotency: tuple[str, str] | None = None,
                              now: datetime | None = None) -> CreatedWithPhotos:
    """A new ticket and its photos in one transaction: a refused photo writes no ticket, a refused ticket keeps no
    photo. An idempotent replay answers the first request's ticket and photos and stores nothing new.
    ``principal``: who registers it, as for services.tickets.create_ticket (which decides)."""
    prepared = prepare_all(uploads)
    if not prepared:
        return CreatedWithPhotos(create_ticket(request, principal, idempotency=idempotency, now=now), [])
    with staged(prepared) as batch, get_engine().begin() as conn:
        created = create_ticket(request, principal, idempotency=idempotency, now=now, conn=conn)
        if not created.created:
            batch.drop()
            return CreatedWithPhotos(created, [photo_view(p) for p in db.photos_of_ticket(conn, created.ticket["id"])])
        actor = created.ticket["registered_by"] or request.channel
        photos = attach(conn, created.ticket, batch, actor=actor, source=source,
                        now=created.ticket["registered_at"])
    return CreatedWithPhotos(created, photos)


def add_photos(number: str, uploads: Sequence[Upload], principal: Principal, *, source: str,
               public: bool = False, now: datetime | None = None) -> list[dict]:
    """Photos added to an existing ticket by ``principal`` (a signed-in user, an API key, the product's own
    ``policy.system_principal``), who needs ``ticket_handle`` on this ticket (a key: the ``transitions`` scope,
    within its binding)."""
    policy.require(principal, "ticket_handle")      # before any decoding: nobody gets us to re-encode for free
    prepared = prepare_all(uploads)
    if not prepared:
        raise NoPhotos("media", "请求中没有图片文件（multipart/form-data 的文件部分）")
    now = now or utcnow()
    with staged(prepared) as batch, get_engine().begin() as conn:
        ticket = ticket_db.ticket_by_number(conn, number, lock=True)
        if ticket is None:
            raise NotFound(f"没有工单 {number}")
        policy.require(principal, "ticket_handle", Target.of_ticket(ticket))
        photos = attach(conn, ticket, batch, actor=principal.label, source=source, public=public, now=now)
        ticket_db.update_ticket(conn, ticket["id"], {"updated_at": now})
    return photos


def photos_of(ticket: dict) -> list[dict]:
    """The photos of a ticket row (one its caller has read, and may)."""
    with get_engine().connect() as conn:
        return [photo_view(p) for p in db.photos_of_ticket(conn, ticket["id"])]


def first_photo_paths(ticket_ids: Iterable[int]) -> dict[int, str]:
    """ticket id → the URL path of its first photo, for the tickets that have one."""
    with get_engine().connect() as conn:
        return {tid: photo_path(p) for tid, p in db.first_photos(conn, ticket_ids).items()}


# ------------------------------------------------------------------------------------------------ serving

@dataclass(frozen=True)
class OpenedPhoto:
    path: Path
    content_type: str
    sha256: str
    public: bool          # seen by anyone: shared caches may keep it


def open_photo(public_id: str, ext: str, principal: Principal | None) -> OpenedPhoto:
    """The stored file of photo ``public_id`` for ``principal``. Nobody is told to sign in whether the photo
    exists or not (its address tells nothing); a signed-in principal gets NotFound or Forbidden."""
    row = None
    if PUBLIC_ID.match(public_id or "") and ext in CONTENT_TYPES:
        with get_engine().connect() as conn:
            row = db.photo_with_ticket(conn, public_id)
    if row is not None and EXTENSIONS[row["content_type"]] != ext:
        row = None
    public = row is not None and policy.photo_is_public(row["public"], row["source"],
                                                       get_settings().open311_photos_public)
    if row is None or not public:
        if principal is None:
            raise policy.SignInRequired("ticket_read")
        if row is None:
            raise NotFound("没有这张照片")
        if not policy.may_see_photo(principal, Target.of_ticket(row)):
            raise policy.Forbidden("ticket_read", "没有权限查看这张照片")
    path = photo_store().find(public_id, ext)
    if path is None:
        log.error("photo %s of ticket %s has a row but no file under %s", public_id, row["number"],
                  get_settings().media_dir)
        raise NotFound("照片文件缺失")
    return OpenedPhoto(path, row["content_type"], row["sha256"], public)
