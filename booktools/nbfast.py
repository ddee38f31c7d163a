"""nbformat, imported without a grammar no notebook uses.

nbformat imports jsonschema, which imports rfc3987_syntax when it is
installed (Jupyter brings it) and spends over a second compiling a grammar
for the `iri` string format, which notebooks never use. The modules that
read or write notebooks import nbformat from here, which blocks that one
module first: every build command starts about a second faster. Importing
booktools alone blocks nothing.

`unchecked_cells()`: nbformat's cell constructors (new_markdown_cell,
new_code_cell) check each new cell against the notebook schema, a jsonschema
walk per cell. notedown and d2lbook make every cell of a chapter that way,
from strings, on every build; inside this context they are made unchecked.
A whole notebook is still checked where it is read, converted or written.
"""
import contextlib
import sys

sys.modules.setdefault('rfc3987_syntax', None)

import nbformat  # noqa: E402  (after the line above, which is the point)

from nbformat.v4 import nbbase  # noqa: E402

__all__ = ['nbformat', 'unchecked_cells']


@contextlib.contextmanager
def unchecked_cells():
    check = nbbase.validate
    nbbase.validate = lambda node, ref=None: None
    try:
        yield
    finally:
        nbbase.validate = check
