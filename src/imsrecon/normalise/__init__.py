"""Normalisers: pure Polars expressions (one implementation, vectorised) with scalar helpers."""
