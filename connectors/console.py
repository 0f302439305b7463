"""The ``connectors`` console script's entry point: :func:`main` imports the CLI when called.

Why not ``connectors.cli:main`` directly: an extraction worker is a *spawned* process, and spawn
re-imports the parent's main script in the child (as ``__mp_main__``) before the worker's first
job. For the console script that import is this module, so it must import nothing at module level;
``connectors.cli`` would bring asyncio, ssl and the logger into every worker (about 8 MB each).
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from connectors.cli import main as cli_main

    return cli_main(argv)
