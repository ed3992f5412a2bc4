"""Findings of the screener and the report that collects them, grouped and capped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from openstats.standards.rules import RULES, Severity

CAP_PER_RULE = 100  # each rule lists at most this many findings, then counts the rest
# A finding repeats at most this many characters of a value, and of its message: a 10 MB
# cell must not make a 1 GB report (100 findings, each quoting it twice).
MAX_VALUE = 200
MAX_MESSAGE = 500


def shorten(text: str | None, limit: int) -> str | None:
    """`text` cut to `limit` characters, saying how long it was."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters in all)"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    file: str
    message: str
    advice: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def location(self) -> str:
        """`file:row:column`, leaving out the parts that do not apply."""
        parts = [self.file]
        if self.row is not None:
            parts.append(str(self.row))
        if self.column:
            parts.append(self.column)
        return ":".join(parts)


@dataclass
class Report:
    """Every finding of one screening, in the order found, with a cap per rule."""

    data_file: str
    meta_file: str
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # rule id -> total occurrences
    row_count: int | None = None
    _listed: dict[str, int] = field(default_factory=dict, repr=False)

    def add(
        self,
        rule_id: str,
        file: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        count: int = 1,
    ) -> None:
        """Record `count` occurrences of a rule; the finding itself is kept under the cap."""
        rule = RULES[rule_id]
        self.counts[rule_id] = self.counts.get(rule_id, 0) + count
        listed = self._listed.get(rule_id, 0)
        if listed < CAP_PER_RULE:
            self._listed[rule_id] = listed + 1
            self.findings.append(
                Finding(rule_id, rule.severity, file, shorten(message, MAX_MESSAGE) or "",
                        rule.advice, row, shorten(column, MAX_VALUE), shorten(value, MAX_VALUE))
            )

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def rule_ids(self) -> set[str]:
        return set(self.counts)

    def by_rule(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.rule, []).append(finding)
        return grouped

    def as_dict(self) -> dict[str, Any]:
        return {
            "data_file": self.data_file,
            "meta_file": self.meta_file,
            "passed": self.ok,
            "row_count": self.row_count,
            "error_count": sum(n for r, n in self.counts.items() if RULES[r].severity == "error"),
            "warning_count": sum(
                n for r, n in self.counts.items() if RULES[r].severity == "warning"
            ),
            "rules": [
                {
                    "rule": rule_id,
                    "severity": RULES[rule_id].severity,
                    "title": RULES[rule_id].title,
                    "advice": RULES[rule_id].advice,
                    "ees_check": RULES[rule_id].ees_check,
                    "count": self.counts[rule_id],
                    "findings": [
                        {k: v for k, v in asdict(f).items() if k not in ("advice", "severity")}
                        for f in findings
                    ],
                }
                for rule_id, findings in self.by_rule().items()
            ],
        }
