"""The audit's HTML review page: one self-contained file, rendered with jinja2."""

from titanaudit.reports.context import ReportContext, report_context
from titanaudit.reports.render import render_report, write_report

__all__ = ["ReportContext", "render_report", "report_context", "write_report"]
