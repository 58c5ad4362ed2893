"""Real images made with Pillow for the photo tests: a JPEG with GPS EXIF and a rotation, a PNG, broken ones."""
from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(width: int = 64, height: int = 32, orientation: int | None = None, quality: int = 90) -> bytes:
    """A JPEG whose EXIF says where it was taken (GPS), with which camera, and optionally how it is turned."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    for x in range(width // 2):                 # something that is not one flat colour
        for y in range(height):
            image.putpixel((x, y), (20, 20 + (y * 7) % 200, 220))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"                 # Make
    exif[0x0110] = "Phone 15"                   # Model
    if orientation:
        exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (41.0, 7.0, 30.0), 3: "E", 4: (122.0, 59.0, 10.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=quality)
    return out.getvalue()


def png(width: int = 40, height: int = 20, transparent: bool = False) -> bytes:
    image = Image.new("RGBA" if transparent else "RGB", (width, height),
                      (0, 128, 0, 100) if transparent else (0, 128, 0))
    out = io.BytesIO()
    info = None
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "王小明")
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(GPS_IFD))


def metadata_of(data: bytes) -> dict:
    """Everything a stored photo says besides its pixels: EXIF tags, and its info (XMP, ICC, text chunks …)."""
    with Image.open(io.BytesIO(data)) as image:
        info = {k: v for k, v in image.info.items() if k not in ("jfif", "jfif_version", "jfif_unit",
                                                                  "jfif_density", "dpi")}
        return {"exif": dict(image.getexif()), "info": info}
