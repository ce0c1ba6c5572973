import shutil
from datetime import date

from provinces.choices import Role
from reports.choices import ReportKind, ReportScope
from reports.documents.issue import report_issue

from .test_documents import (  # noqa: F401
    data, deputy, eager, media, national_scale_rows, run_report, tn_approver, tn_department,
)


def test_shots(data, tn_officer, tn_approver, deputy, make_member, eager, django_capture_on_commit_callbacks):
    run = run_report(tn_officer, django_capture_on_commit_callbacks)
    shutil.copy(run.files.get(format="pdf").file.path, "/tmp/shots-12/province-draft.pdf")
    doc = report_issue(user=tn_approver, run_id=run.pk, signer_id=deputy.pk, today=date(2026, 2, 3))
    shutil.copy(doc.file.path, "/tmp/shots-12/province-issued.pdf")
    national_scale_rows()
    agency = make_member(Role.AGENCY_OFFICER, agency=True)
    run = run_report(agency, django_capture_on_commit_callbacks, kind=ReportKind.REGIONAL_SUMMARY,
                     scope=ReportScope.NATIONAL, province=None)
    shutil.copy(run.files.get(format="pdf").file.path, "/tmp/shots-12/national.pdf")
    run = run_report(tn_officer, django_capture_on_commit_callbacks, kind=ReportKind.BUDGET_EXECUTION)
    shutil.copy(run.files.get(format="pdf").file.path, "/tmp/shots-12/budget.pdf")
