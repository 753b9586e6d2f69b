"""A finding: what a rule check says about a claim, in a biller's words, with its source and a fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: Final = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict: ``code`` names the rule, ``fix`` is the one-line remedy shown beside it."""

    code: str
    severity: Severity
    message: str
    source: str
    fix: str = ""
    line_code: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "severity": self.severity, "message": self.message, "source": self.source,
                "fix": self.fix, "line_code": self.line_code}
