"""nbformat, imported without a grammar no notebook uses.

nbformat imports jsonschema, which imports rfc3987_syntax when it is
installed (Jupyter brings it) and spends over a second compiling a grammar
for the `iri` string format, which notebooks never use. The modules that
read or write notebooks import nbformat from here, which blocks that one
module first: every build command starts about a second faster. Importing
booktools alone blocks nothing.
"""
import sys

sys.modules.setdefault('rfc3987_syntax', None)

import nbformat  # noqa: E402  (after the line above, which is the point)

__all__ = ['nbformat']
