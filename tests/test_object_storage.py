"""Uploads and report files on S3-compatible object storage (django-storages), as a portal
running on several hosts keeps them: an S3 server on loopback (moto's server, speaking the
S3 protocol over HTTP) stands in for the bucket. The files land in the bucket, are read
back through the scoped views only, and another province still gets a 404."""

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from rest_framework.test import APIClient

from khuyencong.services import api_token_create
from reports.choices import ReportFormat, ReportKind, ReportScope
from reports.models import ReportRun
from reports.tasks import report_run_task

from .conftest import HCM, TAY_NINH
from .factories import PDF_BYTES, build_world, make_application
from .pgcluster import free_port

pytestmark = pytest.mark.django_db

BUCKET = "kc-files"


@pytest.fixture(scope="module")
def s3_server():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": BUCKET, "endpoint_url": s3_server, "region_name": "us-east-1",
                    "access_key": "test", "secret_key": "test", "default_acl": None, "file_overwrite": False,
                    "querystring_auth": True}}}
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return client


def test_attachments_live_in_the_bucket_and_are_served_only_through_scoped_views(bucket):
    world = build_world()
    tay_ninh = world.provinces[TAY_NINH]
    application = make_application(tay_ninh, attachments=False)
    client = _client(tay_ninh.officer)
    url = f"/api/v1/applications/{application.pk}/attachments/"
    upload = SimpleUploadedFile("Thuyết minh.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(url, {"kind": "scheme_document", "file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    keys = [item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len(keys) == 1
    assert bucket.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read() == PDF_BYTES
    download_url = response.json()["download_url"]
    download = client.get(download_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert _client(world.provinces[HCM].officer).get(download_url).status_code == 404


def test_report_files_are_written_to_and_read_from_the_bucket(bucket, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    world = build_world(province_codes=(TAY_NINH,))
    make_application(world.provinces[TAY_NINH])
    run = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=2026,
                                   formats=[ReportFormat.CSV, ReportFormat.XLSX], requested_by=world.agency_officer)
    report_run_task.apply(args=[run.pk])
    run.refresh_from_db()
    def report_keys():
        return sorted(item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET, Prefix="reports/")["Contents"])

    assert (report_keys()
            == [f"reports/{run.pk}/tong-hop-vung-toan-quoc-2026.csv",
                f"reports/{run.pk}/tong-hop-vung-toan-quoc-2026.xlsx"])
    client = _client(world.agency_officer)
    files = client.get(f"/api/v1/reports/{run.pk}/").json()["files"]
    csv_file = next(f for f in files if f["format"] == "csv")
    download = client.get(csv_file["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\xef\xbb\xbf")
    # Running it again replaces the files in the bucket rather than piling them up.
    ReportRun.objects.filter(pk=run.pk).update(status="queued")
    report_run_task.apply(args=[run.pk])
    assert len(report_keys()) == 2
