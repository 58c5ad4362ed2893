"""services.media.prepare on real images made with Pillow: what is accepted, what is refused, what is dropped."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from services import media
from services.media import BrokenImage, NotAnImage, PhotoTooLarge, TooManyPhotos, Upload, prepare, prepare_all
from settings import get_settings
from tests.photos import ORIENTATION, has_gps, jpeg_with_gps, metadata_of, png


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> Upload:
    return Upload(name, content_type, data, "media")


def test_a_jpeg_is_re_encoded_as_a_jpeg_without_any_metadata_gps_included():
    original = jpeg_with_gps()
    assert has_gps(original)
    photo = prepare(upload(original))
    assert photo.content_type == "image/jpeg" and photo.extension == "jpg"
    assert (photo.width, photo.height) == (64, 32)
    assert not has_gps(photo.data)
    assert metadata_of(photo.data) == {"exif": {}, "info": {}}
    with Image.open(io.BytesIO(photo.data)) as stored:
        assert stored.format == "JPEG" and stored.getpixel((60, 10))[0] > 150     # still the same picture


def test_the_exif_orientation_is_applied_before_it_is_dropped():
    photo = prepare(upload(jpeg_with_gps(64, 32, orientation=6)))        # 6: turn 90° clockwise to view
    assert (photo.width, photo.height) == (32, 64)
    with Image.open(io.BytesIO(photo.data)) as stored:
        assert ORIENTATION not in stored.getexif()


def test_a_png_stays_a_png_and_loses_its_text_chunks():
    photo = prepare(upload(png(), "drawing.png", "image/png"))
    assert photo.content_type == "image/png" and (photo.width, photo.height) == (40, 20)
    assert metadata_of(photo.data) == {"exif": {}, "info": {}}


def test_the_type_is_told_by_the_content_not_by_the_name():
    photo = prepare(upload(png(), "looks-like.jpg", "image/jpeg"))
    assert photo.content_type == "image/png"
    with pytest.raises(NotAnImage, match="不是可接受的图片"):
        prepare(upload(b"GIF89a" + b"\x00" * 40, "cat.png", "image/png"))


def test_a_text_file_is_not_an_image():
    with pytest.raises(NotAnImage) as refused:
        prepare(upload("这不是图片\n".encode(), "note.jpg", "text/plain"))
    assert refused.value.field == "media" and "note.jpg" in refused.value.message


def test_an_empty_file_is_refused():
    with pytest.raises(NotAnImage, match="文件为空"):
        prepare(upload(b""))


def test_a_file_over_the_size_limit_is_refused_before_it_is_decoded(monkeypatch):
    data = jpeg_with_gps()
    monkeypatch.setattr(get_settings(), "media_max_bytes", len(data) - 1)
    with pytest.raises(PhotoTooLarge, match="不能超过"):
        prepare(upload(data))


def test_a_truncated_image_is_broken():
    data = jpeg_with_gps(400, 300)
    with pytest.raises(BrokenImage, match="损坏"):
        prepare(upload(data[: len(data) // 2]))


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header says it is width × height: what a decompression bomb looks like before it is
    decoded (a real one inflates from a few kilobytes of zeros into gigabytes)."""
    data = bytearray(png(8, 8))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr:ihdr + 17])))
    return bytes(data)


def test_a_decompression_bomb_is_refused_from_its_header():
    bomb = png_claiming(10_000, 8_000)                 # 80 million pixels: above ours, below Pillow's
    with Image.open(io.BytesIO(bomb)) as claimed:
        assert claimed.size == (10_000, 8_000)
    with pytest.raises(PhotoTooLarge, match="像素过多"):
        prepare(upload(bomb, "bomb.png", "image/png"))


def test_the_pixel_limit_is_the_settings(monkeypatch):
    monkeypatch.setattr(get_settings(), "media_max_pixels", 64 * 32 - 1)
    with pytest.raises(PhotoTooLarge, match="64×32"):
        prepare(upload(jpeg_with_gps(64, 32)))


def test_a_transparent_png_keeps_its_transparency():
    photo = prepare(upload(png(transparent=True), "t.png", "image/png"))
    with Image.open(io.BytesIO(photo.data)) as stored:
        assert stored.mode == "RGBA" and stored.getpixel((1, 1))[3] == 100


@pytest.mark.skipif("WEBP" not in media.ACCEPTED_FORMATS, reason="this Pillow has no WebP")
def test_a_webp_photo_is_stored_as_jpeg():
    out = io.BytesIO()
    Image.new("RGB", (30, 30), (10, 200, 10)).save(out, format="WEBP")
    photo = prepare(upload(out.getvalue(), "p.webp", "image/webp"))
    assert photo.content_type == "image/jpeg"


def test_more_photos_than_allowed_are_refused_before_any_is_decoded(monkeypatch):
    monkeypatch.setattr(get_settings(), "media_max_photos", 2)
    with pytest.raises(TooManyPhotos, match="最多上传 2 张"):
        prepare_all([upload(b"not even an image")] * 3)
    assert len(prepare_all([upload(jpeg_with_gps())] * 2)) == 2


def test_the_original_name_keeps_no_path():
    assert prepare(upload(jpeg_with_gps(), "C:\\Users\\wang\\IMG_0001.JPG")).original_name == "IMG_0001.JPG"


def test_a_bomb_past_pillows_own_limit_is_refused_too():
    with pytest.raises(PhotoTooLarge, match="像素过多"):
        prepare(upload(png_claiming(30_000, 30_000), "bomb.png", "image/png"))
