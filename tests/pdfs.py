"""Reading PDFs back with Poppler's tools, as a person opening the file would see it."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _file(data: bytes, folder: Path, name: str = "report.pdf") -> Path:
    assert data.startswith(b"%PDF-"), data[:100]
    path = folder / name
    path.write_bytes(data)
    return path


def text(data: bytes, folder: Path) -> str:
    """The text of every page, in reading order, with every run of white space made one space
    (so a check does not depend on where a line wrapped)."""
    out = subprocess.run(["pdftotext", str(_file(data, folder)), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def info(data: bytes, folder: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(_file(data, folder))], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def images(data: bytes, folder: Path) -> int:
    """How many images the PDF embeds."""
    out = subprocess.run(["pdfimages", "-list", str(_file(data, folder))], capture_output=True, text=True, check=True)
    return len(out.stdout.splitlines()) - 2


def render_every_page(data: bytes, folder: Path) -> list[Path]:
    """Every page as a PNG (fails if Poppler cannot draw one); one file per page."""
    path = _file(data, folder)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(folder / "page")], check=True, capture_output=True)
    pngs = sorted(folder.glob("page-*.png"))
    assert len(pngs) == int(info(data, folder)["Pages"])
    assert all(p.stat().st_size > 1000 for p in pngs)
    return pngs
