"""The public verification of an issued document by its short code: a documented set of
published fields (number, date, issuer, signer, SHA-256), nothing else."""

from django.db import connection

from khuyencong import rls

from .models import OfficialDocument

CODE_LENGTH = 10


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).upper()[:32]


def published_facts(code: str) -> dict | None:
    """The published fields of the document with ``code``, or None. The lookup is by the
    exact code only; it reads in a brief ``all`` window of row-level security (anonymous
    requests see no province's rows), as ``rls.apply_for_user`` does for memberships."""
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        return None
    previous = rls.get_scope()
    if connection.vendor == "postgresql":
        rls.set_scope("all")
    try:
        doc = (OfficialDocument.objects.select_related("organisation", "replaces")
               .filter(verification_code=code).first())
        if doc is None:
            return None
        replaced_by = OfficialDocument.objects.filter(replaces=doc).values_list("symbol", "number").first()
        return {
            "code": doc.verification_code, "number": doc.number_text, "issued_on": doc.issued_on,
            "issuer": doc.organisation.name, "subject": doc.subject, "signer_name": doc.signer_name,
            "signer_lines": doc.signer_lines, "sha256": doc.sha256, "size": doc.size,
            "replaces": doc.replaces.number_text if doc.replaces else "",
            "replaced_by": f"{replaced_by[1]:02d}/{replaced_by[0]}" if replaced_by else "",
        }
    finally:
        if connection.vendor == "postgresql":
            rls.set_scope(previous)
