"""Page 1 of a realistic usage report as docs/usage-report.png (`make usage-report-picture`).

A French-speaking tenant over its quota with a data gap: the page shows every block a tenant
can get (KPI tiles with changes, the quota bar in red, the completeness box, the notes).
Needs poppler-utils (pdftoppm) and, for the committed look, DejaVu (fonts-dejavu-core).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jobs.usage_report.model import Note  # noqa: E402
from jobs.usage_report.render import render  # noqa: E402
from tests.usage_report.reports import report  # noqa: E402

PICTURE = ROOT / "docs" / "usage-report.png"


def main() -> None:
    subject = report(
        "dupont",
        "Dupont & Fils — Logistique",
        "fr",
        scale=1.37,
        completeness=0.964,
        exceeded=True,
        notes=[
            Note("incomplete", {"percent": 96.4}),
            Note("quota_exceeded", {"quota": 30_000_000, "used": 46_580_000}),
            Note("quota_runs_out", {"date": "2026-11-27"}),
        ],
    )
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "report.pdf"
        pdf.write_bytes(render(subject))
        subprocess.run(  # noqa: S603 - a fixed argv, poppler's pdftoppm from PATH
            [  # noqa: S607
                "pdftoppm",
                "-r",
                "60",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(PICTURE.with_suffix("")),
            ],
            check=True,
        )
    print(f"wrote {PICTURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
