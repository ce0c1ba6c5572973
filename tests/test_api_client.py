"""The API as an integrator meets it: the OpenAPI schema validates without a warning, a
Python client generated from it with openapi-python-client installs and imports, and that
client — with no hand-written request — drives a submission against a live server:
establishment, application with cost lines, attachments, submit, a report requested
(202 + Location) and downloaded under its file name."""

import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from khuyencong.celery import app as celery_app
from khuyencong.services import api_token_create

from .conftest import TAN_NINH_WARD, TAY_NINH
from .factories import PDF_BYTES, build_world

BIN = Path(sys.executable).parent


def write_schema(path: Path) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))


def test_schema_validates_without_warnings(tmp_path):
    """CI's schema check (``manage.py spectacular --validate --fail-on-warn``)."""
    write_schema(tmp_path / "schema.yaml")
    assert (tmp_path / "schema.yaml").stat().st_size > 10_000


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory, django_db_blocker):
    """The package openapi-python-client makes of the schema, importable as ``kc_client``."""
    root = tmp_path_factory.mktemp("client")
    with django_db_blocker.unblock():
        write_schema(root / "schema.yaml")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(BIN / "openapi-python-client"), "generate", "--path", str(root / "schema.yaml"),
                             "--meta", "none", "--output-path", str(root / "kc_client")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("kc_client")
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == "kc_client" or n.startswith("kc_client.")]:
            del sys.modules[name]


def test_every_generated_module_imports(generated_client):
    package = Path(generated_client.__file__).parent
    failures = []
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        try:
            importlib.import_module(module.removesuffix(".__init__"))
        except Exception as exc:  # noqa: BLE001 — collect them all
            failures.append(f"{module}: {exc!r}")
    assert failures == []


def test_generated_names_are_readable(generated_client):
    api = Path(generated_client.__file__).parent / "api"
    operations = {path.stem for path in api.rglob("*.py") if path.stem != "__init__"}
    assert {"establishments_create", "applications_create", "applications_attachments_upload",
            "applications_attachments_delete", "applications_transition", "reports_request",
            "reports_download", "budget_allocations_ledger", "applications_score_sheet"} <= operations
    # No method name glued after a custom action, nothing named after a Vietnamese label.
    assert not [name for name in operations if name.endswith(("_remove_create", "_download_retrieve"))]
    models = importlib.import_module("kc_client.models")
    assert hasattr(models, "FundSourceEnum") and hasattr(models, "WorkflowActionEnum")
    assert not [name for name in dir(models) if not name.isascii()]


@pytest.mark.django_db(transaction=True)
def test_a_submission_through_the_generated_client(generated_client, live_server, units, settings, tmp_path,
                                                   monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The live server's thread is the worker: the report runs when its request commits.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)
    world = build_world(province_codes=(TAY_NINH,))
    tn = world.provinces[TAY_NINH]
    _token, key = api_token_create(user=tn.officer)

    from kc_client import AuthenticatedClient
    from kc_client.api.applications import (
        applications_attachments_delete,
        applications_attachments_list,
        applications_attachments_upload,
        applications_create,
        applications_get,
        applications_transition,
    )
    from kc_client.api.establishments import establishments_create
    from kc_client.api.reports import reports_download, reports_get, reports_request
    from kc_client.models import (
        ApplicationWriteRequest,
        AttachmentKindEnum,
        AttachmentUploadRequest,
        CostLineRequest,
        EstablishmentRequest,
        LegalFormEnum,
        ReportFormatEnum,
        ReportKindEnum,
        ReportRunCreateRequest,
        ReportRunStatusEnum,
        ReportScopeEnum,
        StatusEnum,
        TransitionRequest,
        WorkflowActionEnum,
    )
    from kc_client.types import File

    # The generated client authenticates with "Authorization: Bearer <key>".
    client = AuthenticatedClient(base_url=live_server.url, token=key, raise_on_unexpected_status=True)

    establishment = establishments_create.sync(client=client, body=EstablishmentRequest(
        name="Hợp tác xã mây tre đan Tân Ninh", legal_form=LegalFormEnum.COOPERATIVE, tax_code="3901234567",
        representative="Trần Văn Bình", commune=TAN_NINH_WARD, address="Khu phố 2", industry="Mây tre đan"))
    assert establishment.province == TAY_NINH

    application = applications_create.sync(client=client, body=ApplicationWriteRequest(
        title="Hỗ trợ máy sấy nông sản", programme=tn.local_call.programme_id, call=tn.local_call.pk,
        activity_type="MMTB", implementing_organisation=tn.centre.pk, establishments=[establishment.id],
        cost_lines=[CostLineRequest(item="Máy sấy", quantity="1", unit="bộ", unit_cost=300_000_000),
                    CostLineRequest(item="Lắp đặt", quantity="2", unit="lần", unit_cost=100_000_000)],
        requested_support=200_000_000, counterpart_funds=300_000_000))
    assert application.status == StatusEnum.DRAFT and application.total_cost == 500_000_000
    assert [line.amount for line in application.cost_lines] == [300_000_000, 200_000_000]

    extra = None
    for kind in (AttachmentKindEnum.REQUEST_LETTER, AttachmentKindEnum.SCHEME_DOCUMENT,
                 AttachmentKindEnum.BENEFICIARY_REQUEST, AttachmentKindEnum.OTHER):
        uploaded = applications_attachments_upload.sync(id=application.id, client=client, body=AttachmentUploadRequest(
            kind=kind, file=File(payload=io.BytesIO(PDF_BYTES), file_name=f"{kind.value}.pdf",
                                 mime_type="application/pdf")))
        assert uploaded.kind == kind and uploaded.size == len(PDF_BYTES)
        extra = uploaded
    # DELETE withdraws a file (kept on record, no longer listed).
    assert applications_attachments_delete.sync_detailed(id=application.id, attachment_id=extra.id,
                                                         client=client).status_code == 204
    listed = applications_attachments_list.sync(id=application.id, client=client)
    assert len(listed) == 3 and extra.id not in {a.id for a in listed}

    submitted = applications_transition.sync(id=application.id, client=client,
                                             body=TransitionRequest(action=WorkflowActionEnum.SUBMIT))
    assert submitted.status == StatusEnum.SUBMITTED
    detail = applications_get.sync_detailed(id=application.id, client=client)
    assert detail.parsed.status == StatusEnum.SUBMITTED and detail.headers["ETag"]

    accepted = reports_request.sync_detailed(client=client, body=ReportRunCreateRequest(
        kind=ReportKindEnum.PROVINCE_ANNUAL, scope=ReportScopeEnum.PROVINCE, province=TAY_NINH,
        year=application.year, formats=[ReportFormatEnum.CSV]))
    assert accepted.status_code == 202
    run_url = accepted.headers["Location"]
    assert run_url.endswith(f"/api/v1/reports/{accepted.parsed.id}/")
    run = reports_get.sync(id=accepted.parsed.id, client=client)
    assert run.status == ReportRunStatusEnum.SUCCEEDED, run.error
    download = reports_download.sync_detailed(id=run.id, fmt=ReportFormatEnum.CSV, client=client)
    assert download.status_code == 200
    assert 'filename="' in download.headers["Content-Disposition"]
    assert download.headers["Content-Disposition"].rstrip('"').endswith(".csv")
    assert submitted.code.encode() in download.content
