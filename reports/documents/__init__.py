"""Official documents (Decree 30/2020/NĐ-CP layout): the reports built from the selectors
(``report``), the parts and text rules of a document (``layout``), the register of outgoing
documents and the signers (``registry``, ``models``), issuing (``issue``), and their pages
and API (``views``, ``api``)."""

from .layout import (  # noqa: F401
    INT,
    MONEY,
    PCT,
    TEXT,
    Chart,
    Column,
    ReportDocument,
    Section,
    SignatureBlock,
    Table,
    in_text,
    number_line,
    vn_date_line,
)
from .report import IssueFacts, build, filters_for, issuer_of, measure_cells  # noqa: F401
