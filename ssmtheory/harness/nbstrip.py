"""Strip a notebook to what is committed: sources, cell ids, tags; no outputs, counts or run metadata.

Used as a git *clean* filter for ``notebooks/*.ipynb`` (``.gitattributes``; ``make setup``
configures it with ``git config filter.nbstrip.clean ".venv/bin/python -m ssmtheory.harness.nbstrip"``):
running the notebooks in JupyterLab and saving writes outputs into the working copy, but
``git diff`` / ``git add`` see the stripped notebook, byte for byte what ``make notebooks``
(``jupytext --update``) writes.  So saving in Lab never makes a commit carry outputs.

``python -m ssmtheory.harness.nbstrip`` filters stdin to stdout; ``python -m ssmtheory.harness.nbstrip FILE...``
strips files in place.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["strip_notebook", "strip_text"]

# what JupyterLab, papermill and friends add when a notebook runs; everything else (tags, jupytext's
# lines_to_next_cell, ...) is kept
DROP_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled", "papermill", "jupyter", "trusted")
DROP_NOTEBOOK_METADATA = ("language_info", "widgets", "papermill", "toc", "varInspector", "vscode")


def strip_notebook(nb: dict) -> dict:
    """A copy of the notebook JSON ``nb`` with outputs, execution counts and volatile metadata removed."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("nb must be a notebook (a JSON object with a 'cells' list)")
    out = dict(nb)
    cells = []
    for cell in nb["cells"]:
        c = dict(cell)
        md = c.get("metadata") or {}
        c["metadata"] = {k: v for k, v in md.items() if k not in DROP_CELL_METADATA}
        if c.get("cell_type") == "code":
            c["outputs"] = []
            c["execution_count"] = None
        else:
            c.pop("outputs", None)
            c.pop("execution_count", None)
        if "attachments" in c and not c["attachments"]:
            del c["attachments"]
        cells.append(c)
    out["cells"] = cells
    md = nb.get("metadata") or {}
    out["metadata"] = {k: v for k, v in md.items() if k not in DROP_NOTEBOOK_METADATA}
    return out


def strip_text(text: str) -> str:
    """Strip notebook JSON text; the result is formatted like nbformat/jupytext (indent 1, sorted keys)."""
    nb = strip_notebook(json.loads(text))
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        data = sys.stdin.buffer.read().decode("utf-8")
        try:
            sys.stdout.buffer.write(strip_text(data).encode("utf-8"))
        except ValueError:  # not a notebook: pass it through unchanged
            sys.stdout.buffer.write(data.encode("utf-8"))
        return 0
    for f in argv:
        p = Path(f)
        new = strip_text(p.read_text(encoding="utf-8"))
        if new != p.read_text(encoding="utf-8"):
            from ssmtheory.harness.paths import atomic_write_text

            atomic_write_text(p, new)
            print(f"stripped {p}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
