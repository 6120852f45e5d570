"""Benchmarks of anchor-assets: they print figures and assert nothing (see README.md here)."""
