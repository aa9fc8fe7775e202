"""Each tenant's PDF holds only its own data: several tenants rendered in one process (as a render
worker does, with its font and subset caches warm), and no other tenant's name, id, API or
application names or figures in any tenant's PDF, read back with pdftotext."""

from __future__ import annotations

from jobs.usage_report.locale import for_tenant
from jobs.usage_report.model import KPIS, TenantReport
from jobs.usage_report.render import render
from tests.usage_report import pdfs
from tests.usage_report.reports import report

pytestmark = pdfs.needs_poppler

TENANTS = (
    ("acme", "Acme Corporation", "en", 1.0),
    ("dupont", "Dupont et Fils", "fr", 1.37),
    ("zenith", "Zenith Logistics", "en", 2.91),
    ("elan", "Élan Vital", "fr", 4.53),
)


def _reports() -> list[TenantReport]:
    return [
        report(tenant, name, locale, scale=scale, api_names=[f"{tenant}-checkout", f"{tenant}-search"])
        for tenant, name, locale, scale in TENANTS
    ]


def _secrets(subject: TenantReport) -> set[str]:
    """What identifies a tenant's data: its name, id, contacts, top names and its distinctive figures
    (written as every language writes them, since another tenant may read in the other one)."""
    found = {subject.tenant.name, subject.tenant.id + "-checkout", *subject.tenant.contacts}
    found |= {row.name for row in subject.top_apis_by_calls if row.name.startswith(subject.tenant.id)}
    for language in ("en", "fr"):
        words = for_tenant(language)[0]
        for name in KPIS:
            figure = pdfs.spaced(words.kpi(name, subject.kpis[name].value))
            if sum(c.isdigit() for c in figure) >= 5:  # "15" or "2.1%" could be anyone's
                found.add(figure)
    return found


def test_no_tenant_pdf_contains_another_tenants_name_or_figures() -> None:
    reports = _reports()
    # rendered interleaved and twice, so any state kept between documents would show
    rendered = {subject.tenant.id: render(subject) for subject in reports + reports[::-1]}
    texts = {tenant: pdfs.text(pdf) for tenant, pdf in rendered.items()}
    for subject in reports:
        own = texts[subject.tenant.id]
        assert subject.tenant.name in own  # the check can see names at all
        assert pdfs.spaced(for_tenant(subject.tenant.locale)[0].kpi("calls", subject.kpis["calls"].value)) in own
        for other in reports:
            if other is subject:
                continue
            leaked = {secret for secret in _secrets(other) if secret in own}
            assert not leaked, f"{other.tenant.id}'s data in {subject.tenant.id}'s PDF: {leaked}"
    assert rendered["acme"] == render(reports[0])
