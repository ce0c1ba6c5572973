"""Establishments and dossiers at the service level: tax codes, places and scope;
application codes, cost lines and totals, editing, attachments; duplicate support."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from openpyxl import Workbook

from applications import selectors, services
from applications.api.serializers.dossier import CostLineSerializer
from applications.choices import Status
from applications.forms import CostLineForm
from applications.models import Application, ApplicationCodeSequence, Attachment, CostLine, Establishment
from khuyencong.errors import DomainConflict
from programs.models import ActivityType
from provinces.models import Commune
from tests.conftest import module_transaction
from tests.factories import PDF_BYTES, PNG_BYTES, build_world, make_application, make_establishment

YEAR = timezone.localdate().year

@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """Built once per module in an outer transaction; each test runs in a savepoint."""
    with module_transaction(django_db_blocker):
        yield build_world((80, 79))

@pytest.fixture
def world(module_world, db):
    return module_world

@pytest.fixture
def tn(world):
    return world.provinces[80]

@pytest.fixture
def hcm(world):
    return world.provinces[79]

def establishment_data(setup, **overrides):
    return {"name": "Hợp tác xã mây tre đan Phú Hòa", "legal_form": "cooperative", "tax_code": "",
            "representative": "Trần Văn Bình", "province": setup.province,
            "commune": setup.province.communes.filter(kind="xa").order_by("code").first(),
            "address": "Ấp Phú Hòa", "industry": "Mây tre đan", **overrides}

def application_data(setup, **overrides):
    call = setup.local_call
    return {"title": "Hỗ trợ máy chẻ nan tre", "programme": call.programme, "call": call,
            "activity_type": ActivityType.objects.get(code="MMTB"), "implementing_organisation": setup.centre,
            "requested_support": 100_000_000, "counterpart_funds": 150_000_000, **overrides}

LINES = [{"item": "Máy chẻ nan", "quantity": Decimal("2"), "unit": "chiếc", "unit_cost": 100_000_000},
         {"item": "Lắp đặt, chạy thử", "quantity": Decimal("1"), "unit": "gói", "unit_cost": 50_000_000}]

def create_application(setup, *, user=None, establishments=None, lines=LINES, **data):
    return services.application_create(
        user=user or setup.officer, province=setup.province, data=application_data(setup, **data),
        establishments=establishments or [make_establishment(setup)], cost_lines=lines)

# --- 3. Establishments ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("tax_code", ["0312345678", "0312345678-001", "079123456789"])
def test_valid_tax_codes_are_accepted(tn, tax_code):
    establishment = services.establishment_create(user=tn.officer, data=establishment_data(tn, tax_code=tax_code))
    assert Establishment.objects.get(pk=establishment.pk).tax_code == tax_code

def test_tax_code_is_trimmed(tn):
    establishment = services.establishment_create(user=tn.officer,
                                                  data=establishment_data(tn, tax_code=" 0312345678 "))
    assert establishment.tax_code == "0312345678"

@pytest.mark.parametrize("tax_code", ["031234567", "03123456AB", "03123456789", "0312345678-01", "0312345678-0012",
                                      "0312345678 001", "MST0312345678"])
def test_invalid_tax_codes_are_refused(tn, tax_code):
    with pytest.raises(ValidationError) as caught:
        services.establishment_create(user=tn.officer, data=establishment_data(tn, tax_code=tax_code))
    assert "tax_code" in caught.value.message_dict
    assert not Establishment.objects.filter(tax_code=tax_code).exists()

def test_tax_code_is_unique_nationally_without_revealing_where(tn, hcm):
    services.establishment_create(user=tn.officer, data=establishment_data(
        tn, name="Cơ sở nước mắm Tây Ninh Xanh", tax_code="0312345678"))
    with pytest.raises(ValidationError) as caught:
        services.establishment_create(user=hcm.officer, data=establishment_data(hcm, tax_code="0312345678"))
    messages = " ".join(caught.value.message_dict["tax_code"])
    for secret in ("Tây Ninh", "Tay Ninh", "80", "Nước mắm", "nước mắm", tn.province.name):
        assert secret not in messages
    assert Establishment.objects.filter(tax_code="0312345678").count() == 1
    # Nor can an existing establishment take the code over.
    other = services.establishment_create(user=hcm.officer, data=establishment_data(hcm, tax_code="0398765432"))
    with pytest.raises(ValidationError) as caught:
        services.establishment_update(user=hcm.officer, establishment=other, data={"tax_code": "0312345678"})
    assert "tax_code" in caught.value.message_dict
    # Establishments without a tax code (some households) do not clash with each other.
    services.establishment_create(user=tn.officer, data=establishment_data(tn, tax_code=""))
    services.establishment_create(user=tn.officer, data=establishment_data(tn, tax_code=""))

def test_commune_must_belong_to_the_province(tn, hcm):
    hcm_commune = hcm.province.communes.first()
    with pytest.raises(ValidationError) as caught:
        services.establishment_create(user=tn.officer, data=establishment_data(tn, commune=hcm_commune))
    assert "commune" in caught.value.message_dict

def test_craft_village_needs_its_name(tn):
    with pytest.raises(ValidationError) as caught:
        services.establishment_create(user=tn.officer, data=establishment_data(tn, craft_village=True))
    assert "craft_village_name" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.establishment_create(user=tn.officer, data=establishment_data(
            tn, craft_village=True, craft_village_name="   "))
    establishment = services.establishment_create(user=tn.officer, data=establishment_data(
        tn, craft_village=True, craft_village_name="Làng nghề bánh tráng Trảng Bàng"))
    assert establishment.craft_village

def test_commune_officer_registers_only_in_their_commune(tn):
    own = Commune.objects.get(pk=tn.commune_officer.memberships.get().organisation.commune_id)
    other = tn.province.communes.exclude(pk=own.pk).first()
    data = establishment_data(tn, commune=own)
    data.pop("province")  # taken from the commune
    establishment = services.establishment_create(user=tn.commune_officer, data=data)
    assert establishment.province_id == 80 and establishment.commune_id == own.pk
    with pytest.raises(PermissionDenied):
        services.establishment_create(user=tn.commune_officer, data=establishment_data(tn, commune=other))
    # Nor move their establishment to another commune.
    with pytest.raises(PermissionDenied):
        services.establishment_update(user=tn.commune_officer, establishment=establishment, data={"commune": other})
    assert Establishment.objects.get(pk=establishment.pk).commune_id == own.pk

def test_another_province_cannot_update_and_nobody_moves_a_row_out_of_scope(tn, hcm):
    establishment = make_establishment(tn)
    with pytest.raises(PermissionDenied):
        services.establishment_update(user=hcm.officer, establishment=establishment, data={"name": "Đổi tên"})
    with pytest.raises(PermissionDenied):
        services.establishment_update(user=tn.officer, establishment=establishment,
                                      data={"province": hcm.province, "commune": hcm.province.communes.first()})
    stored = Establishment.objects.get(pk=establishment.pk)
    assert stored.name == establishment.name and stored.province_id == 80
    updated = services.establishment_update(user=tn.officer, establishment=establishment,
                                            data={"employees": 12, "woman_owned": True})
    assert updated.employees == 12 and updated.woman_owned

# --- 4. Applications: codes ----------------------------------------------------------------------------------

def test_codes_are_sequential_per_province_and_year(tn, hcm):
    first, second = create_application(tn), create_application(tn)
    assert first.code == f"KC-80-{YEAR}-0001"
    assert second.code == f"KC-80-{YEAR}-0002"
    assert re.fullmatch(r"KC-\d{2}-\d{4}-\d{4}", first.code)
    assert create_application(hcm).code == f"KC-79-{YEAR}-0001"
    next_year = create_application(tn, call=None, year=YEAR + 1)
    assert next_year.code == f"KC-80-{YEAR + 1}-0001" and next_year.year == YEAR + 1
    assert create_application(tn).code == f"KC-80-{YEAR}-0003"

def test_a_failed_creation_leaves_no_gap(tn):
    assert create_application(tn).code.endswith("-0001")
    with pytest.raises(ValidationError):
        create_application(tn, counterpart_funds=1)  # money does not add up
    with pytest.raises(ValidationError):
        create_application(tn, lines=[{"item": "Máy", "quantity": 1, "unit": "bộ", "unit_cost": 5, "amount": 6}])
    # A failure after the code was allocated (the form's upload is refused in the same
    # request) rolls the sequence back with everything else.
    with pytest.raises(ValidationError), transaction.atomic():
        application = create_application(tn)
        assert application.code.endswith("-0002")
        services.attachment_add(user=tn.officer, application_id=application.pk, kind="scheme_document",
                                uploaded_file=SimpleUploadedFile("thuyet-minh.pdf", b"not a pdf"))
    assert create_application(tn).code.endswith("-0002")
    assert ApplicationCodeSequence.objects.get(province=80, year=YEAR).last == 2
    assert list(Application.objects.filter(province=80).order_by("sequence").values_list("sequence", flat=True)) == [
        1, 2]

# --- 4. Applications: money ----------------------------------------------------------------------------------

def test_cost_line_amount_is_quantity_times_unit_cost(tn):
    lines = [{"item": "Khung tre", "quantity": Decimal("2.5"), "unit": "m3", "unit_cost": 4_000_000},
             {"item": "Máy bào", "quantity": Decimal("3"), "unit": "chiếc", "unit_cost": 30_000_000}]
    application = create_application(tn, lines=lines, requested_support=40_000_000, counterpart_funds=60_000_000)
    stored = list(application.cost_lines.order_by("position").values_list("quantity", "unit_cost", "amount"))
    assert stored == [(Decimal("2.50"), 4_000_000, 10_000_000), (Decimal("3.00"), 30_000_000, 90_000_000)]
    assert application.total_cost == 100_000_000
    with pytest.raises(ValidationError) as caught:
        create_application(tn, lines=[{**lines[0], "amount": 9_999_999}], requested_support=5_000_000,
                           counterpart_funds=5_000_000)
    assert "cost_lines" in caught.value.message_dict

@pytest.mark.parametrize("line", [
    {"item": "Máy", "quantity": "0", "unit": "chiếc", "unit_cost": 1},
    {"item": "Máy", "quantity": "-1", "unit": "chiếc", "unit_cost": 1},
    {"item": "Máy", "quantity": Decimal("1"), "unit": "chiếc", "unit_cost": -5},
    {"item": "", "quantity": Decimal("1"), "unit": "chiếc", "unit_cost": 5},
    {"item": "Máy", "quantity": Decimal("1"), "unit": "", "unit_cost": 5},
])
def test_bad_cost_lines_are_refused(line):
    """Refused where the input is shaped: the page's cost-line form and the API's serializer
    (the service takes only typed rows)."""
    raw = {key: str(value) for key, value in line.items()}
    assert not CostLineForm(data=raw).is_valid()
    assert not CostLineSerializer(data=raw).is_valid()

def test_totals_must_add_up(tn):
    # requested + counterpart must equal the total, which must equal the sum of the lines (250 M).
    with pytest.raises(ValidationError) as caught:
        create_application(tn, requested_support=100_000_000, counterpart_funds=100_000_000)
    assert "counterpart_funds" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.application_create(user=tn.officer, province=tn.province, establishments=[make_establishment(tn)],
                                    data={**application_data(tn), "total_cost": 300_000_000}, cost_lines=LINES)
    assert "total_cost" in caught.value.message_dict
    application = services.application_create(user=tn.officer, province=tn.province,
                                              establishments=[make_establishment(tn)],
                                              data={**application_data(tn), "total_cost": 250_000_000},
                                              cost_lines=LINES)
    assert (application.total_cost, application.requested_support, application.counterpart_funds) == (
        250_000_000, 100_000_000, 150_000_000)
    assert not Application.objects.exclude(pk=application.pk).filter(province=80).exists()

# --- 4. Applications: editing ----------------------------------------------------------------------------------

def test_drafts_are_editable_and_each_edit_is_recorded(tn):
    application = create_application(tn)
    services.application_update(user=tn.officer, application_id=application.pk,
                                data={"title": "Hỗ trợ máy chẻ nan và máy vót tre", "requested_support": 120_000_000,
                                      "counterpart_funds": 130_000_000})
    event = application.events.get(action="update")
    assert event.actor == tn.officer
    assert event.payload["changes"]["title"] == ["Hỗ trợ máy chẻ nan tre", "Hỗ trợ máy chẻ nan và máy vót tre"]
    assert event.payload["changes"]["requested_support"] == [100_000_000, 120_000_000]
    stored = Application.objects.get(pk=application.pk)
    assert stored.version == 2 and stored.requested_support == 120_000_000
    # New cost lines replace the old ones; the history shows the new total.
    services.application_update(user=tn.officer, application_id=application.pk,
                                data={"counterpart_funds": 180_000_000},
                                cost_lines=[{"item": "Máy vót tre", "quantity": Decimal("1"), "unit": "chiếc",
                                             "unit_cost": 300_000_000}])
    assert list(stored.cost_lines.values_list("item", flat=True)) == ["Máy vót tre"]
    changes = application.events.filter(action="update").latest("pk").payload["changes"]
    assert changes["cost_lines"] == [2, 1] and changes["total_cost"] == [250_000_000, 300_000_000]
    assert changes["counterpart_funds"] == [130_000_000, 180_000_000]
    # Saving without a change records nothing.
    services.application_update(user=tn.officer, application_id=application.pk, data={"title": stored.title})
    assert application.events.filter(action="update").count() == 2
    assert Application.objects.get(pk=application.pk).version == 3

def test_an_edit_that_breaks_the_totals_is_refused_and_changes_nothing(tn):
    application = create_application(tn)
    with pytest.raises(ValidationError):
        services.application_update(user=tn.officer, application_id=application.pk,
                                    data={"requested_support": 200_000_000})
    stored = Application.objects.get(pk=application.pk)
    assert stored.requested_support == 100_000_000 and stored.version == 1
    assert not stored.events.filter(action="update").exists()

def test_submitted_dossiers_are_frozen_until_returned(tn):
    application = make_application(tn)
    services.application_transition(user=tn.officer, application_id=application.pk, action="submit")
    with pytest.raises(DomainConflict):
        services.application_update(user=tn.officer, application_id=application.pk, data={"title": "Sửa sau khi nộp"})
    with pytest.raises(DomainConflict):
        services.attachment_add(user=tn.officer, application_id=application.pk, kind="quotation",
                                uploaded_file=SimpleUploadedFile("bao-gia.pdf", PDF_BYTES))
    attachment = application.attachments.first()
    with pytest.raises(DomainConflict):
        services.attachment_remove(user=tn.officer, attachment_id=attachment.pk)
    assert Application.objects.get(pk=application.pk).title == application.title
    services.application_transition(user=tn.approver, application_id=application.pk, action="return",
                                    reason="Bổ sung báo giá")
    services.application_update(user=tn.officer, application_id=application.pk, data={"title": "Đã bổ sung"})
    services.attachment_add(user=tn.officer, application_id=application.pk, kind="quotation",
                            uploaded_file=SimpleUploadedFile("bao-gia.pdf", PDF_BYTES))
    assert Application.objects.get(pk=application.pk).title == "Đã bổ sung"
    assert services.application_transition(user=tn.officer, application_id=application.pk,
                                           action="submit").status == Status.SUBMITTED

def test_another_province_cannot_see_or_edit_a_dossier(tn, hcm):
    application = create_application(tn)
    with pytest.raises(Application.DoesNotExist):
        services.application_update(user=hcm.officer, application_id=application.pk, data={"title": "x"})
    with pytest.raises(Application.DoesNotExist):
        services.attachment_add(user=hcm.officer, application_id=application.pk, kind="other",
                                uploaded_file=SimpleUploadedFile("a.pdf", PDF_BYTES))

def test_commune_officer_proposes_for_their_own_establishments_only(tn):
    own = make_establishment(tn)  # in the commune officer's commune
    other_commune = tn.province.communes.filter(kind="xa").order_by("code")[1]
    elsewhere = make_establishment(tn, commune=other_commune)
    application = create_application(tn, user=tn.commune_officer, establishments=[own])
    assert application.created_by == tn.commune_officer
    with pytest.raises(PermissionDenied):
        create_application(tn, user=tn.commune_officer, establishments=[own, elsewhere])
    # A province-wide dossier that includes their establishment is visible to them, but
    # they may not edit it, e.g. by dropping the other commune's beneficiary.
    shared = create_application(tn, establishments=[own, elsewhere])
    with pytest.raises(PermissionDenied):
        services.application_update(user=tn.commune_officer, application_id=shared.pk, data={},
                                    establishments=[own])
    with pytest.raises(PermissionDenied):
        services.application_update(user=tn.commune_officer, application_id=shared.pk, data={"title": "Sửa"})
    assert set(Application.objects.get(pk=shared.pk).establishments.all()) == {own, elsewhere}
    services.application_update(user=tn.commune_officer, application_id=application.pk, data={"title": "Sửa"})
    assert Application.objects.get(pk=application.pk).title == "Sửa"

# --- 4. Attachments ------------------------------------------------------------------------------------------

def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
                         'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Thuyết minh đề án'
                         '</w:t></w:r></w:p></w:body></w:document>')
    return buffer.getvalue()

def _xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Nội dung chi", "Số lượng", "Đơn giá"])
    workbook.active.append(["Máy sấy", 1, 500_000_000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

@pytest.mark.parametrize("name,content,expected", [
    ("du-toan.pdf", PDF_BYTES, "application/pdf"),
    ("anh-may.png", PNG_BYTES, "image/png"),
    ("thuyet-minh.docx", _docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("du-toan.xlsx", _xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("khong-ten", PDF_BYTES, "application/pdf"),  # the content decides, not the name
])
def test_attachment_types_are_detected_from_content(tn, name, content, expected):
    application = create_application(tn)
    attachment = services.attachment_add(user=tn.officer, application_id=application.pk, kind="other",
                                         uploaded_file=SimpleUploadedFile(name, content,
                                                                          content_type="application/octet-stream"))
    assert attachment.content_type == expected
    assert attachment.size == len(content) and attachment.original_name == name
    event = application.events.get(action="attachment_add")
    assert event.payload["attachment"] == attachment.pk and event.actor == tn.officer

@pytest.mark.parametrize("name,content", [
    ("thuyet-minh.pdf", "Đây là văn bản thuần, không phải PDF".encode()),
    ("script.pdf", b"#!/bin/sh\nrm -rf /\n"),
    ("nen.zip", b"PK\x03\x04" + b"\x00" * 60),
    ("rong.pdf", b""),
])
def test_files_that_are_not_what_they_claim_are_refused(tn, name, content):
    application = create_application(tn)
    with pytest.raises(ValidationError) as caught:
        services.attachment_add(user=tn.officer, application_id=application.pk, kind="scheme_document",
                                uploaded_file=SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert "file" in caught.value.message_dict
    assert not application.attachments.exists()

def test_attachment_size_limit(tn):
    application = create_application(tn)
    big = PDF_BYTES + b"%" + b"x" * 2000 + b"\n"
    with override_settings(KC_ATTACHMENT_MAX_BYTES=1024):
        with pytest.raises(ValidationError) as caught:
            services.attachment_add(user=tn.officer, application_id=application.pk, kind="other",
                                    uploaded_file=SimpleUploadedFile("lon.pdf", big))
        assert "file" in caught.value.message_dict
        small = services.attachment_add(user=tn.officer, application_id=application.pk, kind="other",
                                        uploaded_file=SimpleUploadedFile("nho.pdf", PDF_BYTES))
    assert small.size == len(PDF_BYTES)
    assert services.attachment_add(user=tn.officer, application_id=application.pk, kind="other",
                                   uploaded_file=SimpleUploadedFile("lon.pdf", big)).size == len(big)

def test_unknown_attachment_kind_is_refused(tn):
    application = create_application(tn)
    with pytest.raises(ValidationError) as caught:
        services.attachment_add(user=tn.officer, application_id=application.pk, kind="selfie",
                                uploaded_file=SimpleUploadedFile("a.pdf", PDF_BYTES))
    assert "kind" in caught.value.message_dict

def test_removing_an_attachment_keeps_the_row_and_records_it(tn):
    application = create_application(tn)
    attachment = services.attachment_add(user=tn.officer, application_id=application.pk, kind="quotation",
                                         uploaded_file=SimpleUploadedFile("bao-gia.pdf", PDF_BYTES))
    removed = services.attachment_remove(user=tn.officer, attachment_id=attachment.pk)
    assert removed.removed_at is not None
    stored = Attachment.objects.get(pk=attachment.pk)
    assert stored.removed_at is not None and stored.file.read() == PDF_BYTES
    event = application.events.get(action="attachment_remove")
    assert event.payload == {"attachment": attachment.pk, "name": "bao-gia.pdf"} and event.actor == tn.officer
    # Removing again changes nothing and records nothing.
    services.attachment_remove(user=tn.officer, attachment_id=attachment.pk)
    assert application.events.filter(action="attachment_remove").count() == 1

# --- 5. Duplicate support ----------------------------------------------------------------------------------

def _submitted(setup, establishment, activity_type="MMTB"):
    application = make_application(setup, establishments=[establishment], activity_type=activity_type,
                                   requested=50_000_000 if activity_type == "DAO_TAO" else 200_000_000)
    services.application_transition(user=setup.officer, application_id=application.pk, action="submit")
    return Application.objects.get(pk=application.pk)

def test_duplicate_support_across_provinces(world, tn, hcm):
    """A cooperative supported in TP HCM relocates to Tây Ninh and asks again: the Tây Ninh
    reviewers see the HCM schemes of any activity type (issue 15: a demonstration model
    for an establishment with a machinery scheme under way counts); drafts do not."""
    root = world.agency_officer.__class__.objects.get(username="root")
    cooperative = make_establishment(hcm, tax_code="0312345678")
    in_hcm = _submitted(hcm, cooperative, "MMTB")
    training = _submitted(hcm, cooperative, "DAO_TAO")  # another activity type counts too
    draft = make_application(hcm, establishments=[cooperative])  # never submitted
    unrelated = _submitted(hcm, make_establishment(hcm), "MMTB")
    services.establishment_update(user=root, establishment=cooperative, data={
        "province": tn.province, "commune": tn.province.communes.filter(kind="xa").order_by("code").first()})
    in_tn = make_application(tn, establishments=[Establishment.objects.get(pk=cooperative.pk)])

    found = selectors.duplicates_for(in_tn)
    assert {a.pk for a in found} == {in_hcm.pk, training.pk} and draft not in found
    assert any("nội dung khác (DAO_TAO)" in r for a in found for r in a.overlap_reasons)
    counts = selectors.duplicate_counts(Application.objects.filter(pk__in=[in_tn.pk, unrelated.pk, training.pk]))
    assert counts == {in_tn.pk: 2, training.pk: 1}
    # Once the Tây Ninh scheme is submitted, the HCM one sees it too.
    services.application_transition(user=tn.officer, application_id=in_tn.pk, action="submit")
    assert {a.pk for a in selectors.duplicates_for(in_hcm)} == {in_tn.pk, training.pk}
    # Three plan years apart or more: no longer a duplicate.
    Application.objects.filter(pk__in=[in_hcm.pk, training.pk]).update(year=in_tn.year - 3)
    assert list(selectors.duplicates_for(in_tn)) == []
    assert selectors.duplicate_counts([in_tn]) == {}

def test_duplicate_counts_do_not_grow_queries_with_the_page(tn, django_assert_max_num_queries):
    establishment = make_establishment(tn)
    applications = [_submitted(tn, establishment) for _ in range(4)]
    with django_assert_max_num_queries(2):
        counts = selectors.duplicate_counts(applications)
    assert counts == {a.pk: 3 for a in applications}

_ = CostLine  # the model whose amounts are checked above


def test_moving_a_draft_to_another_year_keeps_codes_unique(tn):
    """The code carries the year: a draft may not silently change year (its sequence
    would collide with, or later block, the other year's codes)."""
    next_year = create_application(tn, call=None, year=YEAR + 1)
    this_year = create_application(tn)
    assert (next_year.code, this_year.code) == (f"KC-80-{YEAR + 1}-0001", f"KC-80-{YEAR}-0001")
    with pytest.raises(ValidationError) as caught:
        services.application_update(user=tn.officer, application_id=this_year.pk, data={"call": None,
                                                                                        "year": YEAR + 1})
    assert "year" in caught.value.message_dict
    stored = Application.objects.get(pk=this_year.pk)
    assert (stored.year, stored.code) == (YEAR, f"KC-80-{YEAR}-0001")
    assert create_application(tn, call=None, year=YEAR + 1).code == f"KC-80-{YEAR + 1}-0002"
    # Moving between calls of the same year is an ordinary edit.
    services.application_update(user=tn.officer, application_id=this_year.pk, data={"call": None})
    assert Application.objects.get(pk=this_year.pk).call_id is None


def test_commune_officer_manages_the_attachments_of_their_proposal(tn, hcm):
    application = create_application(tn, user=tn.commune_officer)
    attachment = services.attachment_add(user=tn.commune_officer, application_id=application.pk, kind="quotation",
                                         uploaded_file=SimpleUploadedFile("bao-gia.pdf", PDF_BYTES))
    with pytest.raises(Attachment.DoesNotExist):  # another province: not found, and nothing changes
        services.attachment_remove(user=hcm.officer, attachment_id=attachment.pk)
    assert Attachment.objects.get(pk=attachment.pk).removed_at is None
    removed = services.attachment_remove(user=tn.commune_officer, attachment_id=attachment.pk)
    assert removed.removed_at is not None
