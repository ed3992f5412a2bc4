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
    count: int = 1  # the occurrences this finding stands for (a row, or "(300 rows)")

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
        more: int = 0,
    ) -> None:
        """Record a finding standing for `count` occurrences of a rule (kept under the
        cap), and `more` occurrences found like it that are not listed one by one."""
        rule = RULES[rule_id]
        self.counts[rule_id] = self.counts.get(rule_id, 0) + count + more
        listed = self._listed.get(rule_id, 0)
        if listed < CAP_PER_RULE:
            self._listed[rule_id] = listed + 1
            self.findings.append(
                Finding(rule_id, rule.severity, file, shorten(message, MAX_MESSAGE) or "",
                        rule.advice, row, shorten(column, MAX_VALUE), shorten(value, MAX_VALUE),
                        count)
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

    def count_of(self, severity: Severity) -> int:
        """Every occurrence of the rules of this severity, listed or not: the sum of each
        rule's count, so a summary and the rules under it always agree."""
        return sum(n for r, n in self.counts.items() if RULES[r].severity == severity)

    def unlisted(self, rule_id: str) -> int:
        """The occurrences of a rule that no listed finding stands for ("and N more")."""
        listed = sum(f.count for f in self.findings if f.rule == rule_id)
        return max(self.counts.get(rule_id, 0) - listed, 0)

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
            "error_count": self.count_of("error"),
            "warning_count": self.count_of("warning"),
            "rules": [
                {
                    "rule": rule_id,
                    "severity": RULES[rule_id].severity,
                    "title": RULES[rule_id].title,
                    "advice": RULES[rule_id].advice,
                    "ees_check": RULES[rule_id].ees_check,
                    "count": self.counts[rule_id],
                    "unlisted": self.unlisted(rule_id),
                    "findings": [
                        {k: v for k, v in asdict(f).items()
                         if k not in ("advice", "severity", "count")}
                        for f in findings
                    ],
                }
                for rule_id, findings in self.by_rule().items()
            ],
        }


def report_to_json(report: Report) -> dict[str, Any]:
    """Everything needed to show a report again later (upload_folders keeps it with the
    upload): every listed finding and every rule's count."""
    return {"data_file": report.data_file, "meta_file": report.meta_file,
            "row_count": report.row_count, "counts": report.counts,
            "findings": [{k: v for k, v in asdict(f).items() if k not in ("advice", "severity")}
                         for f in report.findings]}


def report_from_json(doc: dict[str, Any]) -> Report:
    """A report kept by `report_to_json`, its advice and severities as the rules say now."""
    report = Report(str(doc["data_file"]), str(doc["meta_file"]),
                    counts={str(k): int(v) for k, v in doc["counts"].items() if k in RULES},
                    row_count=doc.get("row_count"))
    for f in doc["findings"]:
        rule = RULES.get(str(f["rule"]))
        if rule is None:
            continue  # a rule since retired: its count went with it
        report.findings.append(Finding(
            rule.id, rule.severity, str(f["file"]), str(f["message"]), rule.advice,
            f.get("row"), f.get("column"), f.get("value"), int(f.get("count", 1))))
        report._listed[rule.id] = report._listed.get(rule.id, 0) + 1
    return report
