"""Branding set by owners: checked beside each field, stored with a line in the activity
trail, and shown in the header of every page and in every PDF report."""

import io
import re

from PIL import Image, PngImagePlugin

from audit.services.company import branding
from audit.web import assets
from tests import actors, pdfs

PERIOD = "from=2026-10-01&to=2026-11-30"


def logo_with_metadata(kind: str = "PNG", size: tuple[int, int] = (1200, 300)) -> bytes:
    """A picture carrying what must not survive: EXIF (with a GPS position), text and a colour profile."""
    image = Image.new("RGBA" if kind == "PNG" else "RGB", size, (20, 90, 160))
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    out = io.BytesIO()
    if kind == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Author", "secret author")
        image.save(out, "PNG", pnginfo=text, exif=exif, icc_profile=b"not really a profile")
    else:
        image.save(out, kind, exif=exif)
    return out.getvalue()


def post(client, files=None, **data):
    return client.post("/admin/branding", data={"name": "Ωmega Stores", "accent": "#8a1538", **data}, files=files)


def test_bad_colour_gif_and_oversized_logo_are_refused_beside_their_fields_keeping_what_was_typed(client, org):
    gif = actors.picture(kind="GIF")
    response = post(client, {"logo": ("logo.gif", gif, "image/gif")}, accent="#8a153")
    page = response.text
    assert response.status_code == 422 and 'value="Ωmega Stores"' in page and 'value="#8a153"' in page
    assert re.search(r'id="accent-error"[^>]*>[^<]*six hexadecimal digits', page)
    assert re.search(r'id="logo-error"[^>]*>a GIF is not accepted', page)
    assert re.search(r'id="accent"[^>]*aria-invalid="true"', page, re.S)
    big = b"\x89PNG" + b"\0" * branding.MAX_LOGO_BYTES
    response = post(client, {"logo": ("logo.png", big, "image/png")}, accent="#ffee00")
    assert response.status_code == 422 and "larger than 2 MB" in response.text and "too light" in response.text
    response = post(client, {"logo": ("logo.png", b"\x89PNG\r\n\x1a\n broken", "image/png")}, name="")
    assert response.status_code == 422 and 'id="name-error"' in response.text and 'id="logo-error"' in response.text
    assert branding.current(client.app.state.db).name == "Audit"  # nothing was stored
    assert "Ωmega" not in client.get("/admin/activity?kind=branding_changed").text


def test_the_branding_form_needs_the_csrf_token_and_an_owner(client, client_for, org):
    del client.headers["X-CSRF-Token"]
    assert post(client).status_code == 403
    assert post(client_for("north@example.com")).status_code == 403
    assert branding.current(client.app.state.db).name == "Audit"


def test_a_saved_brand_heads_every_page_and_every_report(client, client_for, org, tmp_path):
    page = client.get("/admin/branding").text
    assert 'href="/admin/branding" aria-current="page"' in page and 'value="#0b5cad"' in page
    response = post(client, {"logo": ("logo.png", logo_with_metadata(), "image/png")})
    assert response.status_code == 303 and response.headers["location"] == "/admin/branding?done=saved"

    manager = client_for("north@example.com")
    home = manager.get("/").text
    version = branding.current(client.app.state.db).version
    assert f'<link rel="stylesheet" href="/branding.css?v={version}">' in home
    img = rf'<img class="brand-logo" src="/branding/logo\?v={version}" alt=""[^>]*>'
    assert re.search(rf'<a class="brand" href="/">{img}Ωmega Stores</a>', home)
    assert 'style="' not in home and "<style" not in home  # the CSP allows no inline styles
    css = manager.get(f"/branding.css?v={version}")
    assert css.text.strip() == ":root { --accent: #8a1538; }" and "immutable" in css.headers["cache-control"]
    assert "immutable" not in manager.get("/branding.css?v=old").headers["cache-control"]

    logo = manager.get(f"/branding/logo?v={version}")
    assert logo.headers["content-type"] == "image/png" and "immutable" in logo.headers["cache-control"]
    with Image.open(io.BytesIO(logo.content)) as image:
        assert image.size == (600, 150) and image.mode == "RGBA"  # fits 600x200, keeps transparency
        assert not {"exif", "icc_profile", "Author"} & set(image.info) and not image.getexif()

    pdf = manager.get(f"/regions/NTH/report.pdf?{PERIOD}").content
    assert "Ωmega Stores" in pdfs.text(pdf, tmp_path) and pdfs.info(pdf, tmp_path)["Author"] == "Ωmega Stores"
    assert pdfs.images(pdf, tmp_path) >= 1  # the logo

    trail = client.get("/admin/activity?kind=branding_changed").text
    assert "branding changed" in trail and "accent #8a1538" in trail and "new logo" in trail


def test_a_jpeg_logo_is_kept_as_a_jpeg_without_its_exif(client, org):
    assert post(client, {"logo": ("logo.jpg", logo_with_metadata("JPEG", (300, 900)), "image/jpeg")}).status_code == 303
    brand = branding.current(client.app.state.db)
    assert brand.logo_type == "image/jpeg"
    with Image.open(io.BytesIO(brand.logo)) as image:
        assert image.format == "JPEG" and image.size == (67, 200) and "exif" not in image.info
    assert post(client, remove_logo="yes").status_code == 303
    assert branding.current(client.app.state.db).logo is None
    assert client.get("/branding/logo").status_code == 404


def test_the_offline_shell_does_not_depend_on_the_brand(client, org):
    """The service worker precaches the shell: the brand's stylesheet and logo are not part
    of it, so a failed fetch of them (offline) can only leave the default look."""
    assert not [url for url in assets.shell_urls() if "branding" in url]
    assert "/branding" not in client.get("/sw.js").text
    offline = client.get("/offline").text
    assert "/branding.css?v=" in offline and offline.index("/static/css/app.css") < offline.index("/branding.css")
