"""An empty stand-in (see the README of this folder)."""
