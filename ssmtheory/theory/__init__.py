"""The papers' formulas: one quantity per function, each docstring stating the formula and its source tag
([V] verified, [S] secondary, [R] our reconstruction, [C] read from the authors' code; see ``docs/papers/``).
"""
