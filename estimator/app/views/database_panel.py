"""Practice settings > Database: where the practice's data is, who is connected, and the audit trail.

The database the app opens is chosen here (a file on this computer, or a shared PostgreSQL server:
``postgresql://user@server/practice``) and used from the next start; ``--db`` and ``ESTIMATOR_DB`` override it.
The audit trail lists who changed contracts, settings and charges and who issued or purged GFEs, and when.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from estimator.app.context import AppContext
from estimator.app.settings import DATABASE, Settings
from estimator.store.open import is_server

AUDIT_ROWS = 200


class DatabasePanel(QGroupBox):
    """The connection, the database setting and the newest audit-trail entries."""

    def __init__(self, context: AppContext, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__("Database", parent)
        self.context = context
        self.settings = settings
        store = context.store
        where = "shared PostgreSQL server" if store.engine == "postgresql" else "file on this computer"
        self.connection = QLabel(f"{store.describe()} ({where}), connected as <b>{store.user}</b> "
                                 f"with the <b>{context.role.value}</b> role", self)
        self.connection.setWordWrap(True)
        self.target = QLineEdit(str(settings.get(DATABASE)), self)
        self.target.setPlaceholderText("empty: this computer's file; shared: postgresql://user@server/practice")
        self.target.setAccessibleName("Database to open at the next start")
        self.apply_button = QPushButton("Use from ne&xt start", self)
        self.apply_button.setAccessibleName("Use this database from the next start")
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.audit = QTableWidget(0, 5, self)
        self.audit.setHorizontalHeaderLabels(["When (UTC)", "Who", "What", "Subject", "Detail"])
        self.audit.setAccessibleName("Audit trail: who changed what and when")
        self.audit.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.audit.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.audit.verticalHeader().setVisible(False)
        self.audit.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.audit.horizontalHeader().setStretchLastSection(True)

        form = QFormLayout(self)
        form.addRow("Connected to:", self.connection)
        line = QHBoxLayout()
        line.addWidget(self.target, 1)
        line.addWidget(self.apply_button)
        label = QLabel("&Database:", self)
        label.setBuddy(self.target)
        form.addRow(label, line)
        form.addRow("", self.note)
        form.addRow(QLabel("<b>Audit trail</b> (newest first)", self))
        form.addRow(self.audit)

        self.apply_button.clicked.connect(self.apply)
        self.target.returnPressed.connect(self.apply)
        context.store_changed.connect(self.refresh)
        self.refresh()

    def apply(self) -> bool:
        """Remember the database for the next start; False (with the reason) for a value that cannot be one."""
        text = self.target.text().strip()
        if text and "://" in text and not is_server(text):
            self.note.setText("Use postgresql://user@server/database for a shared database, or a file path.")
            return False
        self.settings.set(DATABASE, text)
        self.settings.sync()
        self.note.setText("Saved: the app opens " + (text or "this computer's file") + " from its next start.")
        return True

    def refresh(self) -> None:
        entries = self.context.store.audit_trail(AUDIT_ROWS)
        self.audit.setRowCount(len(entries))
        for row, e in enumerate(entries):
            for column, text in enumerate((e.at.replace("T", " ").removesuffix("+00:00"), e.who, e.action,
                                           e.subject, e.detail)):
                self.audit.setItem(row, column, QTableWidgetItem(text))
