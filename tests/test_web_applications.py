"""The officer workspace pages through Django's test client: scoping (another
province's object is a 404), forms that show Vietnamese errors and save nothing on bad
input, diacritic-insensitive search, attachments streamed through a scoped view, the
workflow buttons and the council member's scoring page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services as app_services
from applications.choices import CouncilLevel, Status
from applications.models import Application, Attachment, ConflictDeclaration, Establishment, Score
from tests.factories import (
    PDF_BYTES,
    build_world,
    make_application,
    make_establishment,
    pdf_file,
    score_all,
    to_under_appraisal,
)

pytestmark = pytest.mark.django_db

TN, HCM = 80, 79


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def tn(world):
    return world.provinces[TN]


@pytest.fixture
def hcm(world):
    return world.provinces[HCM]


def client_for(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


# --- Pages answer for the own province; another province's objects are 404 ----------------------------


def test_every_page_answers_for_own_province(client, tn):
    application = make_application(tn)
    est = application.establishments.first()
    attachment = application.attachments.first()
    client_for(client, tn.officer)
    urls = [
        reverse("applications:tasks"),
        reverse("applications:establishment_list"),
        reverse("applications:establishment_create"),
        reverse("applications:establishment_detail", args=[est.pk]),
        reverse("applications:establishment_update", args=[est.pk]),
        reverse("applications:application_list"),
        reverse("applications:application_create"),
        reverse("applications:application_detail", args=[application.pk]),
        reverse("applications:application_update", args=[application.pk]),
        reverse("applications:transition", args=[application.pk, "cancel"]),
        reverse("applications:attachment_download", args=[application.pk, attachment.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    home = client.get(reverse("home"))
    assert "Việc cần làm" in text(home)


def test_another_provinces_objects_are_404(client, tn, hcm):
    application = make_application(tn)
    est = application.establishments.first()
    attachment = application.attachments.first()
    client_for(client, hcm.officer)
    urls = [
        reverse("applications:establishment_detail", args=[est.pk]),
        reverse("applications:establishment_update", args=[est.pk]),
        reverse("applications:application_detail", args=[application.pk]),
        reverse("applications:application_update", args=[application.pk]),
        reverse("applications:transition", args=[application.pk, "submit"]),
        reverse("applications:attachment_download", args=[application.pk, attachment.pk]),
        reverse("applications:scoring", args=[application.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("applications:transition", args=[application.pk, "submit"])).status_code == 404
    assert (client.post(reverse("applications:attachment_remove", args=[application.pk, attachment.pk])).status_code
            == 404)
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert Attachment.objects.get(pk=attachment.pk).removed_at is None
    # Lists show only the own province.
    listing = text(client.get(reverse("applications:application_list")))
    assert application.code not in listing
    assert est.name not in text(client.get(reverse("applications:establishment_list")))


def test_anonymous_is_sent_to_login(client, tn):
    response = client.get(reverse("applications:application_list"))
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


# --- Establishments ----------------------------------------------------------------------------------


def establishment_post(base_commune, **extra):
    commune = base_commune
    data = {"name": "Cơ sở sấy nông sản Bà Đen", "legal_form": "household", "tax_code": "3901234567",
            "representative": "Trần Văn Bình", "province": commune.province_id, "commune": commune.pk,
            "address": "Ấp Trường Lưu", "industry": "Chế biến nông sản", "is_active": "on"}
    data.update(extra)
    return data


def test_establishment_create_and_edit(client, tn):
    commune = tn.province.communes.filter(kind="xa").first()
    client_for(client, tn.officer)
    response = client.post(reverse("applications:establishment_create"), establishment_post(commune))
    est = Establishment.objects.get(tax_code="3901234567")
    assert response.status_code == 302 and response["Location"] == reverse("applications:establishment_detail",
                                                                            args=[est.pk])
    assert est.created_by == tn.officer and est.commune == commune
    response = client.post(reverse("applications:establishment_update", args=[est.pk]),
                           establishment_post(commune, name="Cơ sở sấy Bà Đen", woman_owned="on"))
    assert response.status_code == 302
    est.refresh_from_db()
    assert est.name == "Cơ sở sấy Bà Đen" and est.woman_owned
    page = text(client.get(reverse("applications:establishment_detail", args=[est.pk])))
    assert "Do phụ nữ làm chủ" in page and "Địa bàn đủ điều kiện hỗ trợ" in page


def test_establishment_form_errors_are_vietnamese_and_save_nothing(client, tn, hcm):
    commune = tn.province.communes.filter(kind="xa").first()
    other_commune = hcm.province.communes.filter(kind="xa").first()
    client_for(client, tn.officer)
    before = Establishment.objects.count()
    response = client.post(reverse("applications:establishment_create"),
                           establishment_post(commune, tax_code="12345", craft_village="on", name=""))
    assert response.status_code == 400
    page = text(response)
    assert "Mã số thuế phải gồm 10 chữ số" in page
    assert "Trường này là bắt buộc." in page
    response = client.post(reverse("applications:establishment_create"),
                           establishment_post(commune, commune=other_commune.pk))
    assert response.status_code == 400
    assert "Chọn một xã/phường thuộc tỉnh/thành của cơ sở." in text(response)
    response = client.post(reverse("applications:establishment_create"),
                           establishment_post(commune, craft_village="on"))
    assert response.status_code == 400
    assert "Ghi tên làng nghề khi cơ sở nằm trong làng nghề." in text(response)
    assert Establishment.objects.count() == before
    # Only the province's communes are offered.
    form_page = text(client.get(reverse("applications:establishment_create")))
    assert commune.name in form_page and f'value="{other_commune.pk}"' not in form_page


def test_establishment_tax_code_clash_elsewhere_is_reported(client, tn, hcm):
    make_establishment(hcm, tax_code="3909999999")
    commune = tn.province.communes.filter(kind="xa").first()
    client_for(client, tn.officer)
    response = client.post(reverse("applications:establishment_create"),
                           establishment_post(commune, tax_code="3909999999"))
    assert response.status_code == 400
    assert "đã có trong sổ đăng ký" in text(response)


def test_establishment_search_ignores_diacritics_and_htmx_gets_the_table(client, tn):
    make_establishment(tn, name="Cơ sở Máy sấy Đại Phát")
    make_establishment(tn, name="Cơ sở dệt thổ cẩm")
    client_for(client, tn.officer)
    response = client.get(reverse("applications:establishment_list"), {"q": "may say dai phat"})
    page = text(response)
    assert "Cơ sở Máy sấy Đại Phát" in page and "dệt thổ cẩm" not in page
    partial = client.get(reverse("applications:establishment_list"), {"q": "MAY SAY"}, HTTP_HX_REQUEST="true")
    assert "Máy sấy Đại Phát" in text(partial) and "<html" not in text(partial)


def test_establishment_detail_shows_location_problem_and_history(client, world):
    from provinces.models import Commune
    from tests.conftest import THU_DUC_WARD

    hcm = world.provinces[HCM]
    est = make_establishment(hcm, commune=Commune.objects.get(code=THU_DUC_WARD))
    application = make_application(hcm, establishments=[est])
    client_for(client, hcm.officer)
    page = text(client.get(reverse("applications:establishment_detail", args=[est.pk])))
    assert "Địa bàn không đủ điều kiện hỗ trợ" in page and "làng nghề được công nhận" in page
    assert application.code in page


# --- Applications: list, form ------------------------------------------------------------------------


def test_application_list_search_filters_and_badges(client, tn):
    dryer = make_application(tn)  # "Hỗ trợ máy sấy nông sản tiết kiệm năng lượng"
    est = dryer.establishments.first()
    other = make_application(tn, establishments=[est])
    app_services.application_transition(user=tn.officer, application_id=dryer.pk, action="submit")
    app_services.application_transition(user=tn.officer, application_id=other.pk, action="submit")
    Application.objects.filter(pk=other.pk).update(title="Đào tạo nghề dệt", search_text="dao tao nghe det")
    client_for(client, tn.officer)
    page = text(client.get(reverse("applications:application_list"), {"q": "may say"}))
    assert dryer.code in page and other.code not in page
    assert "nghi trùng" in page  # same establishment, same activity type
    page = text(client.get(reverse("applications:application_list"), {"status": "submitted", "fund_source": "local",
                                                                      "activity_type": "MMTB"}))
    assert dryer.code in page and other.code in page
    page = text(client.get(reverse("applications:application_list"), {"overdue": "true"}))
    assert dryer.code not in page
    Application.objects.filter(pk=dryer.pk).update(status_changed_at=dryer.status_changed_at.replace(year=2020))
    page = text(client.get(reverse("applications:application_list"), {"overdue": "true"}))
    assert dryer.code in page and "Quá hạn" in page


def test_application_list_queries_do_not_grow_with_rows(client, tn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    est = make_establishment(tn)
    make_application(tn, establishments=[est], attachments=False)
    client_for(client, tn.officer)
    client.get(reverse("applications:application_list"))  # warm the session

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("applications:application_list")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(6):
        make_application(tn, establishments=[est], attachments=False)
    assert count() == few
    # The fixed cost stays small (3 of these set and clear the row-level security scope).
    assert few <= 16


def application_post(tn, establishments, lines, **extra):
    data = {
        "province": tn.province.pk,
        "programme": tn.local_programme.pk,
        "call": tn.local_call.pk,
        "activity_type": "MMTB",
        "implementing_organisation": tn.centre.pk,
        "establishments": [e.pk for e in establishments],
        "title": "Hỗ trợ máy sấy lúa",
        "objectives": "Giảm hao hụt",
        "start_date": "",
        "end_date": "",
        "requested_support": "150000000",
        "counterpart_funds": "170000000",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i, (item, quantity, unit, unit_cost) in enumerate(lines):
        data.update({f"lines-{i}-item": item, f"lines-{i}-quantity": quantity, f"lines-{i}-unit": unit,
                     f"lines-{i}-unit_cost": unit_cost})
    data.update(extra)
    return data


def test_application_create_with_cost_lines_then_edit(client, tn):
    est = make_establishment(tn)
    client_for(client, tn.officer)
    lines = [("Máy sấy", "1", "bộ", "300000000"), ("Lắp đặt", "2.5", "ngày công", "8000000")]
    response = client.post(reverse("applications:application_create"), application_post(tn, [est], lines))
    application = Application.objects.get(title="Hỗ trợ máy sấy lúa")
    assert response.status_code == 302
    assert application.total_cost == 320_000_000
    assert [line.amount for line in application.cost_lines.all()] == [300_000_000, 20_000_000]
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert "320.000.000 ₫" in page and "Thiếu tài liệu: Công văn đề nghị." in page
    # Edit: drop the second line and lower the counterpart funds to match.
    data = application_post(tn, [est], lines, counterpart_funds="150000000", version=application.version)
    data.update({"lines-INITIAL_FORMS": "2", "lines-1-DELETE": "on"})
    response = client.post(reverse("applications:application_update", args=[application.pk]), data)
    assert response.status_code == 302, text(response)
    application.refresh_from_db()
    assert application.total_cost == 300_000_000 and application.cost_lines.count() == 1


def test_application_form_bad_input_shows_errors_and_saves_nothing(client, tn, hcm):
    est = make_establishment(tn)
    other = make_establishment(hcm)
    client_for(client, tn.officer)
    before = Application.objects.count()
    # Sums do not add up: the service's message appears on the form.
    response = client.post(reverse("applications:application_create"),
                           application_post(tn, [est], [("Máy sấy", "1", "bộ", "300000000")]))
    assert response.status_code == 400
    assert "phải bằng tổng kinh phí (300.000.000 ₫)" in text(response)
    # Bad line values and another province's establishment.
    response = client.post(reverse("applications:application_create"),
                           application_post(tn, [other], [("", "0", "bộ", "-5")]))
    page = text(response)
    assert response.status_code == 400
    assert "Cơ sở" in page and "không thuộc danh sách được chọn" in page
    assert "Trường này là bắt buộc." in page
    assert "Hãy đảm bảo giá trị này lớn hơn hoặc bằng 0" in page or "lớn hơn hoặc bằng" in page
    # No lines at all.
    response = client.post(reverse("applications:application_create"), application_post(tn, [est], []))
    assert response.status_code == 400 and "Nhập ít nhất một dòng dự toán kinh phí." in text(response)
    assert Application.objects.count() == before


def test_submitted_dossier_cannot_be_edited(client, tn):
    application = make_application(tn)
    app_services.application_transition(user=tn.officer, application_id=application.pk, action="submit")
    client_for(client, tn.officer)
    response = client.get(reverse("applications:application_update", args=[application.pk]))
    assert response.status_code == 302


# --- Application page, attachments, actions --------------------------------------------------------------


def test_attachment_upload_download_remove(client, tn, hcm):
    application = make_application(tn, attachments=False)
    client_for(client, tn.officer)
    url = reverse("applications:attachment_upload", args=[application.pk])
    response = client.post(url, {"kind": "request_letter", "file": pdf_file("cong-van.pdf")})
    assert response.status_code == 302
    attachment = application.attachments.get()
    assert attachment.original_name == "cong-van.pdf"
    download = client.get(reverse("applications:attachment_download", args=[application.pk, attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert "cong-van.pdf" in download["Content-Disposition"]
    # Not a PDF in disguise.
    fake = pdf_file("virus.pdf")
    fake.file.write(b"")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(url, {"kind": "quotation", "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf")},
                           follow=True)
    assert "Chỉ nhận PDF" in text(response)
    # Another province cannot download it.
    other = client.__class__()
    other.force_login(hcm.officer)
    assert (other.get(reverse("applications:attachment_download", args=[application.pk, attachment.pk])).status_code
            == 404)
    # The drafter removes it.
    response = client.post(reverse("applications:attachment_remove", args=[application.pk, attachment.pk]))
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.removed_at is not None


def test_commune_officer_opens_and_removes_the_files_of_their_proposal(client, tn):
    """Defect (issue 9): the page listed the files of a commune officer's own proposal, but
    opening or removing one was a 404 (the attachment table was scoped on its own, without
    the commune path the application has). Files are scoped through their application."""
    application = make_application(tn, user=tn.commune_officer)
    client_for(client, tn.commune_officer)
    page = client.get(reverse("applications:application_detail", args=[application.pk]))
    attachment = application.attachments.order_by("pk").first()
    assert attachment.original_name in text(page)
    download = client.get(reverse("applications:attachment_download", args=[application.pk, attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    response = client.post(reverse("applications:attachment_remove", args=[application.pk, attachment.pk]))
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.removed_at is not None


def test_records_are_scoped_through_their_application(tn, hcm):
    """Whoever is admitted to an application is admitted to its records, and only to
    those: a commune officer sees the files and events of their commune's proposals."""
    from applications.models import ApplicationEvent

    mine = make_application(tn, user=tn.commune_officer)
    elsewhere = tn.province.communes.filter(kind="xa").order_by("code")[1]
    other = make_application(tn, establishments=[make_establishment(tn, commune=elsewhere)])
    for model in (Attachment, ApplicationEvent):
        assert set(model.objects.visible_to(tn.commune_officer).values_list("application_id", flat=True)) == {mine.pk}
        assert set(model.objects.visible_to(tn.officer).values_list("application_id", flat=True)) == {mine.pk, other.pk}
        assert not model.objects.visible_to(hcm.officer).filter(application__in=[mine, other]).exists()


def test_action_buttons_explain_why_disabled_and_submit_works(client, tn):
    application = make_application(tn, attachments=False)
    client_for(client, tn.officer)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert 'data-action="submit"' in page and "disabled" in page
    assert "Thiếu tài liệu: Thuyết minh đề án." in page
    for kind in ("request_letter", "scheme_document", "beneficiary_request"):
        app_services.attachment_add(user=tn.officer, application_id=application.pk, kind=kind,
                                    uploaded_file=pdf_file())
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert "Hồ sơ đủ điều kiện nộp." in page
    response = client.post(reverse("applications:transition", args=[application.pk, "submit"]), follow=True)
    assert "Đã thực hiện “Nộp đề án”" in text(response)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    # The approver sees start_appraisal; the council member is told the role does not allow approving.
    client.force_login(tn.approver)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert 'data-action="start_appraisal"' in page and 'data-action="return"' in page
    # Returning needs a reason, shown in Vietnamese.
    response = client.post(reverse("applications:transition", args=[application.pk, "return"]), {"reason": ""})
    assert response.status_code == 400 and "Trường này là bắt buộc." in text(response)
    response = client.post(reverse("applications:transition", args=[application.pk, "return"]),
                           {"reason": "Bổ sung báo giá"}, follow=True)
    application.refresh_from_db()
    assert application.status == Status.RETURNED
    assert "Bổ sung báo giá" in text(response)


def test_failed_guard_shows_every_reason(client, tn):
    application = make_application(tn)
    to_under_appraisal(tn, application)
    client_for(client, tn.approver)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert "chưa khai báo xung đột lợi ích" in page  # why approve is disabled
    response = client.post(reverse("applications:transition", args=[application.pk, "approve"]),
                           {"decision_number": "1/QĐ", "decision_date": timezone.localdate().isoformat(),
                            "approved_amount": application.requested_support}, follow=True)
    page = text(response)
    assert "Chưa thể “Phê duyệt”" in page and page.count("chưa khai báo xung đột lợi ích") >= 3
    application.refresh_from_db()
    assert application.status == Status.UNDER_APPRAISAL


def test_decision_form_prefills_and_shows_cap_and_budget(client, tn):
    application = make_application(tn)
    to_under_appraisal(tn, application)
    score_all(application, tn.council, CouncilLevel.PROVINCIAL)
    client_for(client, tn.approver)
    page = text(client.get(reverse("applications:transition", args=[application.pk, "approve"])))
    grouped = f"{application.requested_support:,}".replace(",", ".")
    assert f'value="{grouped}"' in page  # the amount shown as typed: 200.000.000
    assert "250.000.000 ₫" in page  # 50 % of 500.000.000, below the 300.000.000 cap
    assert "2.000.000.000 ₫" in page  # remaining allocation
    response = client.post(reverse("applications:transition", args=[application.pk, "approve"]),
                           {"decision_number": "15/QĐ-SCT", "decision_date": timezone.localdate().isoformat(),
                            "approved_amount": str(application.requested_support + 1)})
    assert response.status_code == 400 and "vượt kinh phí đề nghị" in text(response)
    response = client.post(reverse("applications:transition", args=[application.pk, "approve"]),
                           {"decision_number": "15/QĐ-SCT",  # the local date: after 17:00 UTC it is the next day
                            "decision_date": timezone.localtime(application.status_changed_at).date().isoformat(),
                            "approved_amount": "180000000"}, follow=True)
    application.refresh_from_db()
    assert application.status == Status.APPROVED and application.approved_amount == 180_000_000
    assert "Đã phê duyệt" in text(response)


def test_duplicate_warning_shows_province_and_status(client, tn, hcm):
    est_tn = make_establishment(tn, tax_code="3901111111")
    first = make_application(tn, establishments=[est_tn])
    app_services.application_transition(user=tn.officer, application_id=first.pk, action="submit")
    # The same business (tax code) registered again in HCM cannot happen (unique tax code), so the
    # duplicate is a second scheme for the same establishment.
    second = make_application(tn, establishments=[est_tn])
    client_for(client, tn.approver)  # not the drafter: sees the warning even on the draft
    page = text(client.get(reverse("applications:application_detail", args=[second.pk])))
    assert "Cảnh báo trùng hỗ trợ" in page and first.code in page and "Tây Ninh" in page and "Đã nộp" in page
    client.force_login(tn.officer)  # the drafter of a draft: no warning yet
    page = text(client.get(reverse("applications:application_detail", args=[second.pk])))
    assert "Cảnh báo trùng hỗ trợ" not in page


# --- Tasks and scoring ---------------------------------------------------------------------------


def test_tasks_by_role(client, tn):
    draft = make_application(tn)
    appraised = make_application(tn)
    to_under_appraisal(tn, appraised)
    client_for(client, tn.officer)
    page = text(client.get(reverse("applications:tasks")))
    assert draft.code in page and "Nộp đề án" in page
    client.force_login(tn.council[0])
    page = text(client.get(reverse("applications:tasks")))
    assert appraised.code in page and draft.code not in page and "Khai báo xung đột lợi ích" in page
    panel = client.get(reverse("applications:tasks"), {"panel": "1"}, HTTP_HX_REQUEST="true")
    assert appraised.code in text(panel) and "<html" not in text(panel)
    score_all(appraised, [tn.council[0]], CouncilLevel.PROVINCIAL)
    assert appraised.code not in text(client.get(reverse("applications:tasks")))
    client.force_login(tn.approver)
    page = text(client.get(reverse("applications:tasks")))
    assert appraised.code in page  # the approver may return/reject while under appraisal


def test_council_member_declares_then_scores(client, tn):
    application = make_application(tn)
    to_under_appraisal(tn, application)
    member = tn.council[1]
    client_for(client, member)
    # The dossier stays closed until the member declares no conflict.
    response = client.get(reverse("applications:application_detail", args=[application.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("applications:scoring",
                                                                           args=[application.pk])
    attachment = application.attachments.first()
    assert client.get(reverse("applications:attachment_download",
                              args=[application.pk, attachment.pk])).status_code == 403
    page = text(client.get(reverse("applications:scoring", args=[application.pk])))
    assert "Khai báo xung đột lợi ích" in page and "Dự toán kinh phí" not in page
    response = client.post(reverse("applications:scoring", args=[application.pk]),
                           {"declare": "1", "has_conflict": "1", "note": ""})
    assert response.status_code == 400 and "Nêu ngắn gọn nội dung xung đột lợi ích." in text(response)
    client.post(reverse("applications:scoring", args=[application.pk]), {"declare": "1", "has_conflict": "0"})
    assert ConflictDeclaration.objects.get(application=application, user=member).has_conflict is False
    page = text(client.get(reverse("applications:scoring", args=[application.pk])))
    assert "Dự toán kinh phí" in page and "Phiếu chấm điểm" in page
    criteria = list(application.call.criteria.all())
    bad = {"score": "1", **{f"score_{c.pk}": "11" for c in criteria}}
    response = client.post(reverse("applications:scoring", args=[application.pk]), bad)
    assert response.status_code == 400 and "Điểm tối đa của tiêu chí này là 10." in text(response)
    assert not Score.objects.filter(user=member).exists()
    good = {"score": "1", **{f"score_{c.pk}": "8" for c in criteria}, f"comment_{criteria[0].pk}": "Cấp thiết"}
    response = client.post(reverse("applications:scoring", args=[application.pk]), good, follow=True)
    page = text(response)
    assert "Đã lưu điểm thẩm định." in page and "80,00" in page
    assert Score.objects.filter(user=member).count() == len(criteria)
    assert client.get(reverse("applications:application_detail", args=[application.pk])).status_code == 200


def test_member_with_conflict_does_not_see_the_dossier(client, tn):
    application = make_application(tn)
    to_under_appraisal(tn, application)
    client_for(client, tn.council[2])
    client.post(reverse("applications:scoring", args=[application.pk]),
                {"declare": "1", "has_conflict": "1", "note": "Người nhà của chủ cơ sở"})
    page = text(client.get(reverse("applications:scoring", args=[application.pk])))
    assert "có xung đột lợi ích" in page and "Phiếu chấm điểm" not in page
    assert client.get(reverse("applications:application_detail", args=[application.pk])).status_code == 302


def test_member_scores_blind_on_the_dossier_page(client, tn):
    application = to_under_appraisal(tn, make_application(tn))
    first, second, _third = tn.council
    score_all(application, [first], CouncilLevel.PROVINCIAL, score=9)
    detail = reverse("applications:application_detail", args=[application.pk])
    client_for(client, tn.officer)
    assert "90,00" in text(client.get(detail))
    client_for(client, second)
    client.post(reverse("applications:scoring", args=[application.pk]), {"declare": "1", "has_conflict": "0"})
    page = text(client.get(detail))
    assert 'id="score-sheet"' in page and "90,00" not in page  # the first member's total stays hidden
    criteria = list(application.call.criteria.all())
    client.post(reverse("applications:scoring", args=[application.pk]),
                {"score": "1", **{f"score_{c.pk}": "8" for c in criteria}})
    page = text(client.get(detail))
    assert "90,00" in page and "80,00" in page


def test_non_member_cannot_open_scoring(client, tn):
    application = make_application(tn)
    to_under_appraisal(tn, application)
    client_for(client, tn.officer)
    assert client.get(reverse("applications:scoring", args=[application.pk])).status_code == 403


def test_list_filter_forms_submitted_as_is(client, tn, make_member):
    """The filter form sends every field, empty ones included: that must not empty the list."""
    application = make_application(tn)
    client_for(client, tn.officer)
    params = {"q": "", "status": "", "fund_source": "", "activity_type": "", "programme": "", "year": ""}
    page = text(client.get(reverse("applications:application_list"), params))
    assert application.code in page
    partial = client.get(reverse("applications:application_list"), {**params, "q": "MAY SAY"},
                         HTTP_HX_REQUEST="true")
    assert application.code in text(partial) and "<html" not in text(partial)
    page = text(client.get(reverse("applications:establishment_list"), {"q": "", "legal_form": ""}))
    assert application.establishments.first().name in page


def test_commune_officer_offered_only_their_commune(client, tn):
    client_for(client, tn.commune_officer)
    form = client.get(reverse("applications:establishment_create"))
    assert form.status_code == 200
    communes = form.context["form"].fields["commune"].queryset
    assert list(communes.values_list("pk", flat=True)) == [
        tn.commune_officer.memberships.get().organisation.commune_id]


def test_auditor_reads_but_cannot_act(client, tn, make_member):
    from provinces.choices import Role

    application = make_application(tn)
    auditor = make_member(Role.AUDITOR, TN)
    client_for(client, auditor)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert application.code in page and 'data-action="submit"' in page and "Sửa hồ sơ" not in page
    assert client.get(reverse("applications:application_create")).status_code == 403
    response = client.post(reverse("applications:transition", args=[application.pk, "submit"]), follow=True)
    assert "Vai trò của bạn không được thực hiện" in text(response)
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_after_submission_only_other_documents_and_no_editing(client, tn):
    application = make_application(tn)
    app_services.application_transition(user=tn.officer, application_id=application.pk, action="submit")
    client_for(client, tn.officer)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert 'value="other"' in page and 'value="quotation"' not in page and "Gỡ</button>" not in page
    url = reverse("applications:attachment_upload", args=[application.pk])
    client.post(url, {"kind": "other", "file": pdf_file("bien-ban.pdf")})
    assert application.attachments.filter(kind="other").exists()
    response = client.post(url, {"kind": "quotation", "file": pdf_file("bao-gia.pdf")}, follow=True)
    assert "Hồ sơ đã nộp không bổ sung tài liệu được" in text(response)
    client.force_login(tn.council[0])
    assert client.get(reverse("applications:application_update", args=[application.pk])).status_code == 403


def test_establishment_list_filters_by_commune(client, tn):
    first, second = tn.province.communes.filter(kind="xa").order_by("code")[:2]
    a = make_establishment(tn, commune=first, name="Cơ sở mây tre đan An Hòa")
    b = make_establishment(tn, commune=second, name="Cơ sở bánh tráng Trảng Bàng")
    client_for(client, tn.officer)
    page = text(client.get(reverse("applications:establishment_list"), {"commune": second.pk, "q": ""}))
    assert b.name in page and a.name not in page


def test_superuser_chooses_the_province_of_a_new_dossier(client, tn, hcm):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="root")
    client_for(client, admin)
    page = text(client.get(reverse("applications:application_create"), {"province": HCM}))
    assert 'id="province-switch"' in page and hcm.local_programme.name in page
    assert tn.local_programme.name not in page
    assert client.get(reverse("applications:establishment_create")).status_code == 200


def test_council_tasks_take_a_fixed_number_of_queries(client, tn, django_assert_max_num_queries):
    apps = [make_application(tn) for _ in range(4)]
    for application in apps:
        to_under_appraisal(tn, application)
    score_all(apps[0], [tn.council[0]], CouncilLevel.PROVINCIAL)  # done: no task
    app_services.conflict_declare(user=tn.council[0], application_id=apps[1].pk, has_conflict=False)  # to score
    app_services.conflict_declare(user=tn.council[0], application_id=apps[2].pk, has_conflict=True,
                                  note="Họ hàng")  # excluded
    client_for(client, tn.council[0])
    client.get(reverse("applications:tasks"))
    with django_assert_max_num_queries(15):
        page = text(client.get(reverse("applications:tasks")))
    assert apps[0].code not in page and apps[2].code not in page
    assert apps[1].code in page and apps[3].code in page
    assert "Chấm điểm" in page and "Khai báo xung đột lợi ích" in page


def test_start_appraisal_disabled_without_a_council(client, tn):
    from applications.models import AppraisalCouncil

    application = make_application(tn)
    app_services.application_transition(user=tn.officer, application_id=application.pk, action="submit")
    AppraisalCouncil.objects.filter(call=tn.local_call).update(call=tn.national_call)
    client_for(client, tn.officer)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert "Chưa thành lập hội đồng thẩm định có thành viên cho đề án này." in page


def test_national_dossier_shows_both_score_sheets(client, world):
    tn = world.provinces[TN]
    application = make_application(tn, national=True)
    to_under_appraisal(tn, application)
    score_all(application, tn.council, CouncilLevel.PROVINCIAL)
    app_services.application_transition(user=tn.approver, application_id=application.pk, action="endorse")
    app_services.application_transition(user=world.agency_officer, application_id=application.pk,
                                        action="start_national_appraisal")
    client_for(client, world.agency_approver)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert 'data-level="national"' in page and 'data-level="provincial"' in page
    assert page.index('data-level="national"') < page.index('data-level="provincial"')
    assert "cuc_council1 chưa khai báo xung đột lợi ích" in page  # why approving is not possible yet


def test_a_service_error_on_a_cost_line_is_shown_on_its_row(client, tn):
    """A line whose amount passes the largest the portal takes is refused by the service; the
    page shows the message on that line of the formset (structured, not parsed from text)."""
    est = make_establishment(tn)
    client_for(client, tn.officer)
    before = Application.objects.count()
    lines = [("Máy sấy", "1", "bộ", "300000000"), ("Kho", "1000000", "m2", "1000000000000")]
    response = client.post(reverse("applications:application_create"), application_post(tn, [est], lines))
    assert response.status_code == 400
    form = response.context["formset"].forms[1]
    assert any("Thành tiền không được quá" in message for message in form.non_field_errors())
    assert not response.context["formset"].forms[0].errors
    assert Application.objects.count() == before


def test_a_version_that_is_not_a_number_counts_as_stale(client, tn):
    application = make_application(tn)
    client_for(client, tn.officer)
    data = application_post(tn, list(application.establishments.all()), [("Máy sấy", "1", "bộ", "320000000")],
                            version="abc")
    response = client.post(reverse("applications:application_update", args=[application.pk]), data)
    assert response.status_code == 400 and "đã được người khác thay đổi" in text(response)
    application.refresh_from_db()
    assert application.version == 1
