"""The dataset card: counts per split, skill, template, technique, kind and style as Markdown, with plots."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

from ..synth.runner import atomic_write_bytes

__all__ = ["card_markdown", "write_card"]

FACETS = (
    ("split", "Split"),
    ("skill", "Skill"),
    ("template", "Template"),
    ("technique", "Technique"),
    ("kind", "Figure kind"),
    ("theme", "Style theme"),
    ("degraded", "Degraded image"),
)


def _counts(items: list[dict[str, Any]], key: str) -> list[tuple[str, int]]:
    return sorted(Counter(str(it[key]) for it in items).items())


def _table(title: str, counts: list[tuple[str, int]], total: int) -> str:
    rows = "\n".join(f"| {k} | {v} | {100 * v / max(total, 1):.1f}% |" for k, v in counts)
    return f"### {title}\n\n| {title.lower()} | items | share |\n| --- | ---: | ---: |\n{rows}\n"


def card_markdown(items: list[dict[str, Any]], *, dups: dict[str, int], seed: int, n_images: int) -> str:
    """The Markdown text of the card (plots referenced from ``card/``)."""
    total = len(items)
    images = len({it["image"] for it in items})
    groups = {s: {it["group"] for it in items if it["split"] == s} for s in ("train", "val", "test")}
    shared = len(
        (groups["train"] & groups["val"])
        | (groups["train"] & groups["test"])
        | (groups["val"] & groups["test"])
    )
    lengths = [len(it["response"]) for it in items]
    parts = [
        "# voltlens VLM dataset\n",
        f"{total} question–answer items on {images} rendered figures (seed {seed}, {n_images} figures drawn). "
        "Answers come from the simulator's exact labels. Splits are assigned per group of coarsely binned "
        f"simulation parameters; groups shared between splits: {shared}. Duplicates dropped: "
        f"{dups.get('image', 0)} images, {dups.get('question', 0)} questions.\n",
        f"Assistant answer length: median {sorted(lengths)[len(lengths) // 2] if lengths else 0} characters, "
        f"max {max(lengths, default=0)}.\n",
        "![counts](card/counts.png)\n",
        "![answer lengths](card/answer_lengths.png)\n",
    ]
    parts += [_table(title, _counts(items, key), total) for key, title in FACETS]
    return "\n".join(parts)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _plots(items: list[dict[str, Any]]) -> tuple[bytes, bytes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 7), dpi=90)
    FigureCanvasAgg(fig)
    for k, (key, title) in enumerate(FACETS[1:5] + FACETS[5:6]):
        ax = fig.add_subplot(2, 3, k + 1)
        counts = _counts(items, key)
        ax.barh([c[0] for c in counts], [c[1] for c in counts], color="C0")
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    counts_png = _png(fig)
    fig = Figure(figsize=(6, 3.5), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.hist([len(it["response"]) for it in items], bins=40, color="C1")
    ax.set_xlabel("assistant answer length / characters")
    ax.set_ylabel("items")
    fig.tight_layout()
    return counts_png, _png(fig)


def write_card(
    out: Path, items: list[dict[str, Any]], *, dups: dict[str, int], seed: int, n_images: int
) -> None:
    """Write ``README.md`` and ``card/*.png`` into the dataset folder."""
    counts_png, lengths_png = _plots(items)
    atomic_write_bytes(out / "card" / "counts.png", counts_png)
    atomic_write_bytes(out / "card" / "answer_lengths.png", lengths_png)
    text = card_markdown(items, dups=dups, seed=seed, n_images=n_images)
    atomic_write_bytes(out / "README.md", text.encode())
