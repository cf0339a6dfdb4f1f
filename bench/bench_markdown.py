"""Writing a generated block into BENCHMARKS.md between its markers (shared by the bench scripts)."""

from __future__ import annotations

from pathlib import Path


def replace_block(out: Path, begin: str, end: str, block: str) -> None:
    """Puts `block` between the `begin` and `end` markers of `out`, or appends it with them."""
    text = out.read_text() if out.exists() else "# gleaner benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = f"{head}{begin}\n{block}{end}{tail}"
    else:
        text = text.rstrip("\n") + f"\n\n{begin}\n{block}{end}\n"
    out.write_text(text)
