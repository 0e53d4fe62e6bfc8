"""A fake ipyparallel (see ../README.md)."""
