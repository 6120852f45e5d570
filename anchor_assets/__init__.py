"""anchor-assets: a podcast's Spotify for Creators analytics as Dagster assets in DuckDB."""
