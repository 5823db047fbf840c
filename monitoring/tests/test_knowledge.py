"""The resolution knowledge base: every real CDS error code resolves to a suggestion (issue 3)."""

import pytest

from monitoring.knowledge import KnowledgeBook, suggestion_text
from monitoring.models import AlertKind, KnowledgeEntry
from monitoring.reference import load_cds_error_codes

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def book():
    return KnowledgeBook.load()


def test_every_cds_error_code_resolves_to_its_own_suggestion(book):
    codes = load_cds_error_codes()
    assert len(codes) == 178
    for code, official_text in codes.items():
        entry = book.lookup(code=code, source="Customs", category="customs_error", customs_system="CDS")
        assert entry is not None, code
        assert (entry.level, entry.key, entry.official_text) == ("code", code, official_text)
        assert entry.family in book.families, code
        assert entry.explanation and entry.likely_cause, code
        assert 1 <= len(entry.resolution_steps) <= 5, code
        text = suggestion_text(entry, field_name="AcceptanceDateTime", field_path="42A.23A")
        assert code in text and "Suggested resolution:" in text and "AcceptanceDateTime (42A.23A)" in text


def test_codes_with_the_same_answer_share_a_family(book):
    amendment_refused = {book.family_of(code) for code in ("CDS12026", "CDS12034", "CDS11007", "CDS11012")}
    assert len(amendment_refused) == 1
    assert book.lookup(code="CDS40066").customer_decides  # tariff condition: the customer decides


def test_an_unknown_code_falls_back_to_its_family_then_to_the_category(book):
    neighbour = book.family_of("CDS12016")
    unknown_cds = book.lookup(code="CDS12999", source="Customs", category="customs_error")
    assert (unknown_cds.level, unknown_cds.key) == ("family", book.prefix_family["CDS12"])
    assert neighbour  # the prefix vote places CDS12999 among the CDS12xxx families

    cas_code = book.lookup(code="V0010", source="Validation", category="validation_violation")
    assert (cas_code.level, cas_code.key) == ("family", "cas-validation")

    nothing_known = book.lookup(code="", category="release_not_received")
    assert (nothing_known.level, nothing_known.key) == ("category", "release_not_received")


def test_every_alert_kind_has_a_fallback(book):
    assert set(book.categories) == set(AlertKind.values)


def test_a_more_specific_entry_wins_and_admins_edits_are_used(book):
    KnowledgeEntry.objects.create(
        level="code",
        key="CDS12016",
        customs_system="CDS",
        procedure_code="4000",
        title="CDS12016 on 4000 imports",
        resolution_steps=["Check the acceptance date of the original entry"],
    )
    book = KnowledgeBook.load()
    specific = book.lookup(code="CDS12016", customs_system="CDS", procedure_code="4000")
    assert specific.title == "CDS12016 on 4000 imports"
    assert book.lookup(code="CDS12016", customs_system="CDS", procedure_code="1040").title.startswith("CDS12016:")
