"""Charts: each is one wrapper widget that owns a pyqtgraph ``PlotWidget`` and exposes ``set_series``."""
