"""PDF from a PowerPoint deck through LibreOffice (Debian's ``libreoffice-impress``).

LibreOffice renders the very deck the CSM presents, so the PDF and the .pptx
never disagree. Each conversion gets its own throwaway LibreOffice profile:
two conversions at once (the web app and a CLI run) would otherwise fight
over one profile's lock.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from steward.errors import RendererUnavailable

TIMEOUT_SECONDS = 180
INSTALL = "apt-get install -y libreoffice-impress"


def office_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def pptx_to_pdf(deck: Path, out_dir: Path) -> Path:
    """Write ``out_dir/<deck name>.pdf`` and return its path."""
    binary = office_binary()
    if binary is None:
        raise RendererUnavailable(
            f"no PDF renderer: install LibreOffice ({INSTALL}); the deck "
            f"{deck} was written and opens in PowerPoint as it is"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="steward-office-") as profile:
        command = [
            binary,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            str(deck),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            raise RendererUnavailable(
                f"LibreOffice took more than {TIMEOUT_SECONDS} s to turn {deck} "
                "into a PDF; the deck itself was written"
            ) from None
    pdf = out_dir / (deck.stem + ".pdf")
    if done.returncode != 0 or not pdf.exists():
        said = (done.stderr or done.stdout).strip()[:300]
        raise RendererUnavailable(
            f"LibreOffice could not turn {deck} into a PDF (exit "
            f"{done.returncode}): {said}; the deck itself was written"
        )
    return pdf
