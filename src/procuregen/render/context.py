"""The one render context: what DOCX and HTML templates see, built from the Agreement alone.

Both templates print the same strings from here (dates, amounts, party lines), so the
DOCX and the PDF read the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from procuregen.agreement import Agreement
from procuregen.environment import format_country, format_date, format_money, format_number
from procuregen.spec.model import Address, Party

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


@dataclass(frozen=True)
class PriceRow:
    description: str
    quantity: str
    unit: str
    unit_price: str
    total: str


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
    )


def render_context(agreement: Agreement) -> dict[str, Any]:
    """Everything a template may print, as plain strings and the Agreement's sections."""
    spec = agreement.spec
    language = spec.language
    currency = spec.value.currency
    buyer_role = "Framework Authority" if agreement.document == "framework" else "Buyer"
    parties = [_party(buyer_role, spec.buyer, language)]
    if spec.supplier is not None:
        parties.append(_party("Supplier", spec.supplier, language))
    rows = [
        PriceRow(
            description=item.description,
            quantity=format_number(item.quantity, language),
            unit=item.unit,
            unit_price=format_money(item.unit_price, currency, language),
            total=format_money(item.total, currency, language),
        )
        for item in spec.value.items
    ]
    items_total = sum((item.total for item in spec.value.items), Decimal(0))
    return {
        "agreement": agreement,
        "sections": agreement.sections,
        "title": spec.agreement.title,
        "document_title": agreement.title,
        "reference": spec.agreement.reference,
        "framework_reference": spec.agreement.framework_reference or "",
        "date": format_date(spec.agreement.date, language),
        "iso_date": spec.agreement.date.isoformat(),
        "language": language,
        "parties": parties,
        "price_rows": rows,
        "price_total": format_money(items_total, currency, language) if rows else "",
        "price_note": f"All amounts in {currency}, excluding VAT.",
        "library": agreement.library,
    }
