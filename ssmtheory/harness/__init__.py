"""The verification harness: declared claims, reports, the runner and CLI, figures and paths.

Nothing here computes a paper's quantity; it records, checks and presents what the notebooks compute.
"""
