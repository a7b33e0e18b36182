"""qa-lint: lint and prove technical Q&A written in Markdown.

The command line is ``qa-lint`` (or ``python -m qa_lint``); see the README.
"""

__all__ = ["main"]


def main() -> None:
    """Console-script entry point (``qa-lint``)."""
    from qa_lint.__main__ import main as run

    run()
