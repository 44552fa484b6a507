"""Later pipeline commands (features, train, score, draw, demo) register here."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the pipeline commands beyond db/load/generate to the parser."""
