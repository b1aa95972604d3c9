"""What a photo upload may cost the server (issue 12): a picture is weighed from its header
before a pixel is decoded, a big JPEG is decoded at a reduced scale, and a process decodes
at most photos.DECODE_SLOTS pictures at once. Figures: bench/photo_memory.py."""

from __future__ import annotations

import io
import re
import struct
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from audit.services.audits import photos
from audit.storage import models
from tests import actors

TOO_LARGE = re.compile(
    r"the picture is too large to process: (\d+ x \d+ pixels|too many pixels); send a photo of at most (\d+) megapixels"
)


@pytest.fixture(scope="session")
def huge_png() -> bytes:
    """The picture of the issue: 6300 x 6300 RGBA in about 160 KB, 160 MB once decoded."""
    out = io.BytesIO()
    Image.new("RGBA", (6300, 6300), (200, 40, 40, 255)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def phone_jpeg() -> bytes:
    """A 24-megapixel photo held sideways, with a location: upright, it is 4000 x 6000."""
    image = Image.new("RGB", (6000, 4000), (200, 40, 40))
    image.paste((0, 0, 255), (0, 0, 1500, 1000))  # blue top left, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise
    exif[0x8825] = {2: (51.0, 30.0, 0.0), 1: "N"}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width x height and holds no pixels: only its header is read."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def upload(client, data: bytes):
    return client.put(f"/api/photos/{uuid.uuid4()}", content=data)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size of every picture decoded, as it was decoded."""
    seen: list[tuple[int, int]] = []
    real = photos._shrunk_jpeg

    def recorded(image: Image.Image) -> tuple[bytes, int, int]:
        seen.append(image.size)
        return real(image)

    monkeypatch.setattr(photos, "_shrunk_jpeg", recorded)
    return seen


def test_a_small_file_of_a_huge_picture_is_refused_from_its_header_and_nothing_is_stored(
    shopper_client, db, huge_png, decodes
):
    assert len(huge_png) < 300_000
    response = upload(shopper_client, huge_png)
    assert response.status_code == 413
    [problem] = response.json()["errors"]
    assert problem["field"] == "photo"
    match = TOO_LARGE.fullmatch(problem["message"])
    assert match and match[1] == "6300 x 6300 pixels" and 10 <= int(match[2]) < 40, problem["message"]
    assert response.json()["error"].startswith("The picture is too large to process: 6300 x 6300 pixels")
    assert decodes == [] and actors.count(db, models.Photo) == 0


def test_pictures_of_more_pixels_than_any_phone_makes_are_refused_in_words(shopper_client, db, decodes):
    for width, height, found in ((6400, 6400, "6400 x 6400 pixels"), (10_000, 10_000, "too many pixels")):
        response = upload(shopper_client, png_header(width, height))
        assert response.status_code == 413
        [problem] = response.json()["errors"]
        words = f"the picture is too large to process: {found}; send a photo of at most 40 megapixels"
        assert problem == {"field": "photo", "message": words}
    assert decodes == [] and actors.count(db, models.Photo) == 0


def test_a_big_phone_jpeg_is_decoded_at_a_reduced_scale_and_stored_upright_small_and_clean(
    shopper_client, db, phone_jpeg, decodes
):
    response = upload(shopper_client, phone_jpeg)
    assert response.status_code == 201
    assert decodes == [(3000, 2000)]  # DCT scaling: a quarter of the pixels decoded
    assert (response.json()["width"], response.json()["height"]) == (1067, 1600)
    with db.session() as session:
        stored = session.get(models.Photo, response.json()["id"]).data
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (1067, 1600)
        assert not image.getexif() and "exif" not in image.info
        assert image.getpixel((1060, 5))[2] > 200 and image.getpixel((5, 5))[0] > 150  # blue now top right


def test_a_process_decodes_at_most_two_pictures_at_once_and_the_others_wait_their_turn(
    client_for, db, monkeypatch: pytest.MonkeyPatch
):
    clients = [client_for("shopper@example.com") for _ in range(8)]
    running, most, lock = 0, 0, threading.Lock()
    real = photos._shrunk_jpeg

    def slow(image: Image.Image) -> tuple[bytes, int, int]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.15)
            return real(image)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(photos, "_shrunk_jpeg", slow)
    start = threading.Barrier(len(clients))
    picture = actors.picture(800, 600, "JPEG")

    def send(client) -> int:
        start.wait()
        return upload(client, picture).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(send, clients))
    assert statuses == [201] * 8
    assert most == photos.DECODE_SLOTS == 2
    assert actors.count(db, models.Photo) == 8


def test_an_upload_that_gets_no_decode_slot_in_time_answers_503_and_stores_nothing(
    shopper_client, db, huge_png, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(photos, "DECODE_WAIT_SECONDS", 0.2)
    for _ in range(photos.DECODE_SLOTS):  # every slot taken, as by long decodes
        assert photos._decode_slots.acquire(timeout=5)
    try:
        busy = upload(shopper_client, actors.picture(kind="JPEG"))
        refused = upload(shopper_client, huge_png)  # weighed from its header: no slot needed
    finally:
        for _ in range(photos.DECODE_SLOTS):
            photos._decode_slots.release()
    assert busy.status_code == 503
    assert busy.json()["errors"] == [
        {"field": "photo", "message": "the server is busy with other photos; try again in a minute"}
    ]
    assert "nothing was stored" in busy.json()["error"]
    assert refused.status_code == 413
    assert actors.count(db, models.Photo) == 0
    assert upload(shopper_client, actors.picture(kind="JPEG")).status_code == 201
