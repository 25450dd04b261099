"""Catalog images uploaded to a shop before publishing: once per shop and file.

A product's ``images`` are paths under the media folder (``<TESSERA_INSTANCE_PATH>/media``).
Each file is read, uploaded with the platform's ``upload_image`` and the platform's id / URL is
kept in ``marketplace_image`` (per shop and path, with the file's SHA-256: a changed file is
uploaded again). A missing file or a refused upload is a ``UserError`` naming the image, raised
before anything is published.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from core.errors import UserError
from core.i18n import _

from ..models import ImageUpload
from ..platforms import PlatformError
from .shops import call

MEDIA_FOLDER = "media"


def media_root(runtime) -> Path:
    """The media folder: ``media`` under the instance folder."""
    return (Path(runtime.config["INSTANCE_PATH"]) / MEDIA_FOLDER).resolve()


def read_image(runtime, path: str) -> bytes:
    """The bytes of ``path`` under the media folder; ``UserError`` naming it when it is not there."""
    root = media_root(runtime)
    full = (root / str(path or "")).resolve()
    if not path or root not in full.parents:
        raise UserError(_("images: %(path)r is not a path inside the media folder", path=path))
    try:
        return full.read_bytes()
    except OSError:
        raise UserError(_("images: %(path)s is not in the media folder (%(root)s)", path=path, root=str(root))) from None


def platform_images(runtime, business_id: int, shop_id: int, paths) -> tuple[str, ...]:
    """The platform's ids / URLs of these images, uploading those the shop does not have yet."""
    paths = list(dict.fromkeys(str(p) for p in paths or ()))
    files = {p: read_image(runtime, p) for p in paths}          # every file first: a missing one uploads nothing
    with runtime.session(business_id) as session:
        known = {row.path: (row.sha256, row.ref) for row in session.scalars(
            select(ImageUpload).where(ImageUpload.shop_id == shop_id, ImageUpload.path.in_(paths)))} if paths else {}
    refs = []
    for path in paths:
        digest = hashlib.sha256(files[path]).hexdigest()
        if path in known and known[path][0] == digest:
            refs.append(known[path][1])
            continue
        name, data = Path(path).name, files[path]
        try:
            ref = call(runtime, business_id, shop_id, lambda p, t: p.upload_image(t, name, data))
        except PlatformError as exc:
            raise UserError(_("images: %(path)s: the upload was refused: %(error)s", path=path, error=str(exc))) from exc
        ref = str(ref or "").strip()
        if not ref or len(ref) > 1000:
            raise UserError(_("images: %(path)s: the platform gave no usable image id", path=path))
        with runtime.transaction(business_id) as session:
            row = session.scalar(select(ImageUpload).where(ImageUpload.shop_id == shop_id, ImageUpload.path == path))
            if row is None:
                row = ImageUpload(shop_id=shop_id, path=path)
                session.add(row)
            row.sha256, row.ref = digest, ref
        refs.append(ref)
    return tuple(refs)
