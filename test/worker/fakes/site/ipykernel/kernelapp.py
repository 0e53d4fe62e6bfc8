"""Stand-in for ipykernel.kernelapp (preloaded)."""
