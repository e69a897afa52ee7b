"""Figures to bytes: one matplotlib figure saved as PNG and SVG with the same bytes for the same input.

Shared by the drawings of the collaboration network (:mod:`llm_atlas.network_drawing`) and of a family's lineage
(:mod:`llm_atlas.lineage_drawing`). The Agg canvas is used directly (never pyplot), so no global matplotlib state
changes; the SVG's ids are salted with a fixed string and no date or creator is written.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SVG_RC = {"svg.hashsalt": "llm-atlas", "svg.id": "llm-atlas-network", "svg.fonttype": "none", "font.family": "DejaVu Sans"}
FORMATS = ("png", "svg")


def figure_bytes(make_figure: Callable[[], Figure], formats: tuple[str, ...] = FORMATS) -> dict[str, bytes]:
    """The figure ``make_figure`` draws (called once, under the deterministic settings) in each of ``formats``."""
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"cannot draw as {fmt}: use png or svg")
    found = {}
    with rc_context(SVG_RC):
        figure = make_figure()
        FigureCanvasAgg(figure)
        for fmt in formats:
            buffer = io.BytesIO()
            if fmt == "svg":
                figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
            else:
                figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
            found[fmt] = buffer.getvalue()
    return found


__all__ = ["figure_bytes", "SVG_RC", "FORMATS"]
