"""Forms and dead ends as a user meets them: money typed with dots (and said in words),
a step opened without the right role refused up front with the reason, a 403 that says
what is missing, task chips that open their step, the establishment form's labels, address
and founding year, and Django's "- Select an option -" in the portal's words."""

import re

import pytest
from django.urls import reverse

from applications.models import Application, Establishment
from khuyencong.money import MoneyField, parse_amount
from provinces.choices import Role
from tests.conftest import TAY_NINH
from tests.factories import build_world, make_application, make_establishment

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world(province_codes=(TAY_NINH,))


@pytest.fixture
def tn(world):
    return world.provinces[TAY_NINH]


@pytest.mark.parametrize("typed, amount", [("300.000.000", 300_000_000), ("300 000 000", 300_000_000),
                                           ("300000000", 300_000_000), ("1.250.000.000 ₫", 1_250_000_000),
                                           ("12,500,000", 12_500_000), ("", None)])
def test_money_is_accepted_as_people_write_it(typed, amount):
    assert parse_amount(typed) == amount
    field = MoneyField(required=False)
    assert field.clean(typed) == amount


@pytest.mark.parametrize("typed", ["3O0.000", "1.5e9", "abc", "300.000.000,50"])
def test_money_field_refuses_what_is_not_an_amount(typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="300.000.000"):
        MoneyField().clean(typed)


def test_money_field_shows_the_amount_grouped_and_asks_for_words():
    html = str(MoneyField().widget.render("amount", 300000000))
    assert 'value="300.000.000"' in html and 'inputmode="numeric"' in html
    assert f'data-words-url="{reverse("money_words")}"' in html and 'type="number"' not in html


def test_amount_in_words_endpoint(client, tn):
    client.force_login(tn.officer)
    response = client.get(reverse("money_words"), {"amount": "300.000.000"})
    assert response.status_code == 200 and response.content.decode() == "Bằng chữ: Ba trăm triệu đồng"
    assert client.get(reverse("money_words"), {"amount": "<script>"}).content == b""
    client.logout()
    assert client.get(reverse("money_words"), {"amount": "1"}).status_code == 302


def test_application_form_takes_grouped_amounts(client, tn):
    application = make_application(tn, requested=200_000_000, total=500_000_000)
    client.force_login(tn.officer)
    url = reverse("applications:application_update", args=[application.pk])
    page = client.get(url).content.decode()
    assert 'value="200.000.000"' in page  # shown grouped
    form = re.search(r'<form method="post" novalidate id="application-form">(.*?)</form>', page, re.S).group(1)
    data = {name: value for name, value in re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form)}
    data.update({"requested_support": "250.000.000", "counterpart_funds": "250.000.000",
                 "lines-0-unit_cost": "500.000.000"})
    for name, value in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>.*?<option value="([^"]*)"[^>]*selected',
                                  form, re.S):
        data[name] = value
    data["establishments"] = [str(e.pk) for e in application.establishments.all()]
    data["title"] = application.title
    data["objectives"] = application.objectives
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    application.refresh_from_db()
    assert application.requested_support == 250_000_000 and application.total_cost == 500_000_000


def test_a_step_without_the_role_is_refused_before_the_form_with_the_reason(client, tn):
    application = make_application(tn)
    client.force_login(tn.approver)
    response = client.get(reverse("applications:transition", args=[application.pk, "submit"]))
    text = response.content.decode()
    assert response.status_code == 403
    assert "Nộp đề án" in text and application.code in text and 'name="reason"' not in text
    assert "Vai trò của bạn" in text and "chưa được phân công" not in text  # says which roles they have
    # A step that does not apply in this state says so.
    client.force_login(tn.officer)
    response = client.get(reverse("applications:transition", args=[application.pk, "approve"]))
    assert response.status_code == 403 and "không áp dụng" in response.content.decode()


def test_403_for_someone_without_a_role_says_so(client, no_role_user):
    client.force_login(no_role_user)
    response = client.get(reverse("applications:tasks"))
    assert response.status_code == 403 and "chưa được phân công vai trò nào" in response.content.decode()


def test_task_chips_open_their_step(client, tn):
    application = make_application(tn)
    client.force_login(tn.officer)
    page = client.get(reverse("applications:tasks")).content.decode()
    submit = reverse("applications:transition", args=[application.pk, "submit"])
    assert f'href="{submit}"' in page
    assert client.get(submit).status_code == 200


def test_establishment_form_labels_address_and_future_year(client, tn):
    client.force_login(tn.officer)
    page = client.get(reverse("applications:establishment_create")).content.decode()
    assert "Tên cơ sở" in page and "- Select an option -" not in page and "---------" not in page
    assert "— Chọn —" in page
    commune = tn.province.communes.filter(kind="phuong").order_by("code").first()
    establishment = make_establishment(tn, commune=commune, address=f"Số 5 đường 30/4, {commune.name.lower()}")
    detail = client.get(reverse("applications:establishment_detail", args=[establishment.pk])).content.decode()
    assert detail.lower().count(commune.name.lower()) == 1 or commune.name not in detail.split("Địa chỉ")[1][:300]
    text = re.sub(r"\s+", " ", detail)
    assert f"{commune.name}, {tn.province.name}".lower() in text.lower()
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    with pytest.raises(ValidationError, match="Năm thành lập không thể sau năm nay"):
        make_establishment(tn, founded_year=timezone.localdate().year + 1)
    assert not Establishment.objects.filter(founded_year__gt=timezone.localdate().year).exists()


def test_settled_application_has_nothing_left_to_pay(client, tn):
    from django.utils import timezone

    from applications import services
    from tests.factories import accept_implementation, approve_local, complete_implementation, implement

    application = make_application(tn)  # 200.000.000 requested and approved
    approve_local(tn, application)
    implement(tn, application)
    services.disbursement_add(user=tn.officer, application_id=application.pk, kind="advance", amount=50_000_000,
                              paid_on=timezone.localdate(), reference="UNC-1")
    complete_implementation(tn, application)
    accept_implementation(tn, application)
    services.application_settle(user=tn.approver, application_id=application.pk, settled_amount=190_000_000,
                                final_payment_amount=140_000_000, final_payment_reference="UNC-QT",
                                decision_number="9/QĐ-QT", decision_date=timezone.localdate())
    assert Application.objects.get(pk=application.pk).status == "settled"
    client.force_login(tn.officer)
    page = client.get(reverse("applications:application_detail", args=[application.pk])).content.decode()
    assert "Còn được chi" not in page and "không còn khoản nào được chi" in page
    assert "10.000.000 ₫" in page  # what went back to the budget


def test_return_action_reads_differently_from_the_returned_state():
    from applications.choices import Status
    from applications.workflow import TRANSITIONS

    assert str(TRANSITIONS["return"].label) != str(Status.RETURNED.label)


def test_auditor_role_listed_on_403(client, make_member):
    auditor = make_member(Role.AUDITOR, TAY_NINH, username="kt_403")
    client.force_login(auditor)
    response = client.get(reverse("applications:establishment_create"))
    assert response.status_code == 403 and "Kiểm toán" in response.content.decode()
