"""`homeport report`: the migration on one page, built from whatever evidence the phases left.

Library entry point: `build_report(path, evidence, targets=...)` returns a Document; `html.render(doc)` and
`markdown.render(doc)` write it.
"""

from homeport.report.page.build import build_report

__all__ = ["build_report"]
