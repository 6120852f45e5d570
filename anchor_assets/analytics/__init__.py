"""Analytics tables computed in DuckDB SQL from the stored endpoint tables (group analytics).

They need the ``warehouse`` resource (anchor_assets.warehouse.Warehouse) to read the stored
tables; the IO manager stores them like every other table.
"""

from anchor_assets.analytics.assets import ANALYTICS_SOURCES, analytics_assets

__all__ = ["ANALYTICS_SOURCES", "analytics_assets"]
