"""Stand-in for IPython.extensions.storemagic (preloaded)."""
