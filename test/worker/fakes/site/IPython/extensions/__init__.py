"""Stand-in for IPython.extensions (preloaded)."""
