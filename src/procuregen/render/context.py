"""The one render context: what DOCX and HTML templates see, built from the Agreement alone.

Both templates print the same strings from here (dates, amounts, party lines), so the
DOCX and the PDF read the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from procuregen.agreement import Agreement
from procuregen.messages import format_country, format_date, gettext
from procuregen.spec.model import Address, Party, Spec

ROLES = {"buyer": "the Buyer", "supplier": "the Supplier"}


@dataclass(frozen=True)
class PartyView:
    role: str  # "Buyer" / "Supplier" / "Framework Authority"
    name: str
    identifier: str
    address: str
    contact: str
    signatory_name: str
    signatory_title: str
    signatory_place: str  # "" when the spec leaves it to be written by hand


BLANK = "________________________________"  # a line to fill in by hand

# What the templates print of each party, whatever the clauses print.
PARTY_FIELDS = ("name", "identifier", "address", "contact", "signatory")


def printed_paths(spec: Spec) -> list[tuple[str | int, ...]]:
    """The spec paths the templates print (cover, parties, signature blocks)."""
    paths: list[tuple[str | int, ...]] = [
        ("agreement", field) for field in ("title", "reference", "framework_reference", "date")
    ]
    roles: list[tuple[str | int, ...]] = [("buyer",), ("supplier",)]
    roles += [("suppliers", index) for index in range(len(spec.suppliers))]
    paths += [(*role, field) for role in roles for field in PARTY_FIELDS]
    return paths


def _address(address: Address, language: str) -> str:
    return (
        f"{address.street}, {address.postal_code} {address.city}, "
        f"{format_country(address.country, language)}"
    )


def _party(role: str, party: Party, language: str) -> PartyView:
    contact = f"{party.contact.name}, {party.contact.email}"
    if party.contact.phone:
        contact += f", {party.contact.phone}"
    return PartyView(
        role=role,
        name=party.name,
        identifier=f"{party.identifier.scheme} {party.identifier.id}",
        address=_address(party.address, language),
        contact=contact,
        signatory_name=party.signatory.name,
        signatory_title=party.signatory.title,
        signatory_place=party.signatory.place or "",
    )


def render_context(agreement: Agreement) -> dict[str, Any]:
    """Everything a template may print, as plain strings and the Agreement's sections."""
    spec = agreement.spec
    language = agreement.language
    buyer_role = "Framework Authority" if agreement.document == "framework" else "Buyer"
    parties = [_party(buyer_role, spec.buyer, language)]
    parties += [_party("Supplier", supplier, language) for supplier in spec.supplier_list]
    signatories = list(parties)
    if not spec.supplier_list:
        # A framework drafted before award: its supplier signs on a block to be filled in.
        signatories.append(PartyView("Supplier", BLANK, BLANK, BLANK, BLANK, BLANK, BLANK, ""))

    def translate(message: str, **values: str) -> str:
        return gettext(language, message).format(**values)

    return {
        "_": translate,
        # The quotation marks around a defined term, by language (”Köparen”, “Buyer”).
        "quotes": {
            code: (gettext(code, "\u201c"), gettext(code, "\u201d"))
            for code in (agreement.language, *(p.language for p in [agreement.parallel] if p))
        },
        "agreement": agreement,
        "sections": agreement.sections,
        "title": spec.agreement.title,
        "document_title": agreement.title
        + (f" / {agreement.parallel.title}" if agreement.parallel else ""),
        "reference": spec.agreement.reference,
        "framework_reference": spec.agreement.framework_reference or "",
        "date": format_date(spec.agreement.date, language),
        "iso_date": spec.agreement.date.isoformat(),
        "language": language,
        "parties": parties,
        "signatories": signatories,
        "schedules": agreement.schedules,
        # Bilingual: the second language's sections and schedules, pair for pair.
        "parallel_sections": agreement.parallel.sections if agreement.parallel else (),
        "parallel_schedules": agreement.parallel.schedules if agreement.parallel else (),
        "parallel_language": agreement.parallel.language if agreement.parallel else "",
        "library": agreement.library,
    }
