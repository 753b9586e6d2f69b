"""The Qt desktop application (PySide6 + pyqtgraph): thin views over the core, the tables and the store."""
