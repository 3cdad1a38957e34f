"""digest: consolidate several outlets' articles on one story into a cited summary."""

__version__ = "0.1.0"
