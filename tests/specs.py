"""A valid call-off spec with known line numbers, for tests that break one thing at a time."""

VALID = """\
procuregen: 1
document: call-off
agreement:
  title: Case management
  reference: KS-1
  framework_reference: OSS-FA-2026
  date: 2026-12-01
buyer:
  name: Exampleby Municipality
  identifier: {scheme: SE-ORG, id: "212000-0001"}
  address: {street: Storgatan 1, postal_code: "111 22", city: Exampleby, country: SE}
  contact: {name: Anna Berg, email: anna.berg@exampleby.se}
  signatory: {name: Lars Holm, title: Head of IT}
supplier:
  name: Supplier AB
  identifier: {scheme: SE-ORG, id: "556677-8899"}
  address: {street: Kungsgatan 12, postal_code: "411 19", city: Göteborg, country: SE}
  contact: {name: Sara Lind, email: sara.lind@supplier.se}
  signatory: {name: Erik Nyström, title: Managing Director}
term:
  start: 2027-01-01
  months: 24
value:
  currency: EUR
  pricing: fixed
  amount: 480000
software:
  name: CaseFlow
  license: EUPL-1.2
services: [development, maintenance]
law:
  governing_law: SE
  disputes: courts
  venue: Stockholm District Court
"""


def edit(old: str, new: str, text: str = VALID) -> str:
    """VALID with exactly one occurrence of `old` replaced by `new`."""
    assert text.count(old) == 1, old
    return text.replace(old, new)
