"""Builders of realistic data through the services, shared by the demo world (``applications.demo``,
``manage.py seed_demo``) and the test suite (``tests/factories.py``): the same paths users take,
written once. Each step is one user's action with the inputs a form or serializer would give."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from . import services
from .choices import REQUIRED_ATTACHMENT_KINDS
from .models import Application


def pdf_bytes(title: str = "Ho so") -> bytes:
    """A small valid one-page PDF showing ``title`` (ASCII), so dossiers carry real files."""
    text = title.encode("ascii", "ignore").decode()[:60] or "Ho so"
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_file(name: str = "tai-lieu.pdf", title: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(title or name.removesuffix(".pdf")), content_type="application/pdf")


def cost_lines(activity: str, total: int) -> list[dict]:
    """Believable cost lines adding up to ``total``: trainers and materials for training,
    the machine and its installation otherwise."""
    if activity == "DAO_TAO":
        return [{"item": "Thù lao giảng viên", "quantity": Decimal("1"), "unit": "khóa", "unit_cost": total * 4 // 10},
                {"item": "Nguyên vật liệu thực hành", "quantity": Decimal("1"), "unit": "gói",
                 "unit_cost": total - total * 4 // 10}]
    machine = total * 85 // 100
    return [{"item": "Máy móc, thiết bị chính", "quantity": Decimal("1"), "unit": "bộ", "unit_cost": machine},
            {"item": "Lắp đặt, chạy thử, chuyển giao", "quantity": Decimal("1"), "unit": "gói",
             "unit_cost": total - machine}]


def attach_required(application, user, title: str = "") -> None:
    """Upload the documents every submission needs."""
    for kind in REQUIRED_ATTACHMENT_KINDS:
        services.attachment_add(user=user, application_id=application.pk, kind=kind,
                                uploaded_file=pdf_file(f"{kind}.pdf", title or kind))


def act(user, application, action: str, **inputs):
    """One transition by ``user`` (reason, decision number and date, amount as needed)."""
    return services.application_transition(user=user, application_id=application.pk, action=action, **inputs)


def score_all(application, members, score=8, comment: str = "Đạt", *, vary: bool = False) -> None:
    """Each member declares no conflict and scores every criterion of the dossier's call
    (``vary``: scores between 7 and 9, different per member and criterion)."""
    criteria = list(Application.objects.get(pk=application.pk).call.criteria.all())
    for n, member in enumerate(members):
        services.conflict_declare(user=member, application_id=application.pk, has_conflict=False)
        services.scores_submit(user=member, application_id=application.pk, scores={
            c.pk: {"score": 7 + (n + c.position) % 3 if vary else score, "comment": comment} for c in criteria})


def to_under_appraisal(officer, application) -> Application:
    act(officer, application, "submit")
    act(officer, application, "start_appraisal")
    return Application.objects.get(pk=application.pk)


def approve(approver, application, *, decision_number: str, amount: int | None = None, on=None):
    application = Application.objects.get(pk=application.pk)
    return act(approver, application, "approve", decision_number=decision_number,
               decision_date=on or timezone.localdate(), approved_amount=amount or application.requested_support)


def start_implementation(officer, application, *, number: str, value: int | None = None, on=None):
    """A contract with the dossier's first beneficiary, which starts implementation."""
    application = Application.objects.get(pk=application.pk)
    beneficiary = application.establishments.order_by("pk").first()
    return services.implementation_start(user=officer, application_id=application.pk, contracts=[{
        "number": number, "signed_on": on or timezone.localdate(), "beneficiary": beneficiary,
        "value": value or application.approved_amount}])


def complete(officer, application, narrative: str = "Đã lắp đặt, chạy thử và bàn giao."):
    return services.application_complete(user=officer, application_id=application.pk, narrative=narrative,
                                         report_file=pdf_file("bao-cao-hoan-thanh.pdf",
                                                              f"Bao cao hoan thanh {application.code}"))


def accept(approver, application, *, result: str = "passed", achieved_jobs=12, achieved_trainees=None,
           machinery: str = "01 máy sấy", on=None):
    """A recorded acceptance with its minutes: the dossier becomes accepted."""
    return services.acceptance_record(
        user=approver, application_id=application.pk, accepted_on=on or timezone.localdate(),
        committee_members="Sở Công Thương; UBND xã; cơ sở thụ hưởng", result=result,
        conditions="Bổ sung nhật ký vận hành" if result == "passed_with_conditions" else "",
        achieved_jobs=achieved_jobs, achieved_trainees=achieved_trainees, machinery_installed=machinery,
        minutes_file=pdf_file("bien-ban-nghiem-thu.pdf", f"Bien ban nghiem thu {application.code}"))
