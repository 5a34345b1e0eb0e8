"""The files of this repository that are made from the code, and the one way to remake
them: `templates/TARGET.xlsx` from the targets' Row models, and the README's settings
reference from the connection settings models. Tests fail when either is out of date.

    python3 tasks.py templates      # python -m rowpush.generated templates
    python3 tasks.py readme         # python -m rowpush.generated readme
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from rowpush.engine.export import write_template
from rowpush.targets.registry import builtin_targets as all_targets
from rowpush.targets.registry import settings_reference

__all__ = ["REFERENCE_END", "REFERENCE_START", "write_settings_reference", "write_templates"]

REFERENCE_START = "<!-- settings-reference"
REFERENCE_END = "<!-- end of settings-reference -->"


def write_templates(folder: Path) -> list[Path]:
    """Write every target's template into `folder`; a file whose content (all but its
    timestamps) is unchanged is left alone, so git sees no change. Returns those written."""
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, target in all_targets().items():
            fresh, kept = Path(tmp) / f"{name}.xlsx", folder / f"{name}.xlsx"
            write_template(target, fresh)
            if kept.exists() and _parts(kept) == _parts(fresh):
                continue
            kept.write_bytes(fresh.read_bytes())
            written.append(kept)
    return written


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def write_settings_reference(readme: Path) -> bool:
    """Put the settings reference the models render between the README's markers;
    returns whether the file changed."""
    text = readme.read_text(encoding="utf-8")
    start = text.index(REFERENCE_START)
    start = text.index("-->", start) + len("-->")
    end = text.index(REFERENCE_END)
    new = f"{text[:start]}\n{settings_reference()}{text[end:]}"
    if new == text:
        return False
    readme.write_text(new, encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path.cwd()
    if args == ["templates"]:
        for path in write_templates(root / "templates"):
            print(f"wrote {path}")
        return 0
    if args == ["readme"]:
        changed = write_settings_reference(root / "README.md")
        print("README.md: settings reference " + ("rewritten" if changed else "up to date"))
        return 0
    print("usage: python -m rowpush.generated templates|readme", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
