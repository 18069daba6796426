"""Spec format version 1: what an agency buys, as frozen pydantic models.

Every field carries a description: `procuregen schema` publishes them for editors.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from procuregen.spec.types import (
    Amount,
    CountryCode,
    CpvCode,
    CurrencyCode,
    Days,
    Email,
    FileName,
    Hours,
    Line,
    Paragraph,
    Percent,
    Slug,
    SpdxExpression,
)

DocumentKind = Literal["framework", "call-off"]
Language = Literal["en", "sv"]
Service = Literal["development", "maintenance", "support", "hosting", "training"]
SERVICES_NEEDING_LEVELS = ("support", "hosting")
BUNDLED_LIBRARY = "oss-framework"
Months = Annotated[int, Field(ge=1, le=240)]
SPEC_FORMAT = 1


def _format_version(value: int) -> int:
    if value != SPEC_FORMAT:
        raise PydanticCustomError(
            "format", f"spec format version {value} is not supported (this procuregen reads 1)"
        )
    return value


FormatVersion = Annotated[int, AfterValidator(_format_version)]


class Model(BaseModel):
    """Base of every spec model: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AgreementDetails(Model):
    title: Line = Field(description="Title of the agreement as printed on the cover page.")
    reference: Line = Field(description="The buyer's reference number for this agreement.")
    framework_reference: Line | None = Field(
        None,
        description="Reference of the framework agreement called off (required for a call-off).",
    )
    date: dt.date = Field(
        default_factory=dt.date.today,
        description="Date of the agreement (ISO 8601); default: the day it is drafted.",
    )
    description: Paragraph | None = Field(None, description="One paragraph on what is bought.")
    cpv: tuple[CpvCode, ...] = Field(
        (), description="Common Procurement Vocabulary codes: 8 digits, optional check digit."
    )


class Identifier(Model):
    scheme: Line = Field(description="Identifier scheme, for example SE-ORG (org-id.guide).")
    id: Line = Field(description="The organisation's identifier within the scheme.")


class Address(Model):
    street: Line = Field(description="Street address.")
    postal_code: Line = Field(description="Postal code, as written locally.")
    city: Line = Field(description="City or town.")
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 country code, for example SE.")


class Contact(Model):
    name: Line = Field(description="Contact person for this agreement.")
    email: Email = Field(description="Contact e-mail address.")
    phone: Line | None = Field(None, description="Contact telephone number.")


class Signatory(Model):
    name: Line = Field(description="Person who signs for the party.")
    title: Line = Field(description="The signatory's position.")
    place: Line | None = Field(
        None, description="Place of signature printed on the signature page, for example Stockholm."
    )


class Party(Model):
    name: Line = Field(description="Legal name of the party.")
    identifier: Identifier = Field(description="Registered identifier of the party.")
    address: Address = Field(description="Registered address.")
    contact: Contact = Field(description="Contact person for notices under the agreement.")
    signatory: Signatory = Field(description="Person who signs the agreement for the party.")
    invoice_address: Address | None = Field(
        None, description="Address for invoices; default: the address."
    )

    @model_validator(mode="after")
    def _invoice_address_defaults_to_address(self) -> Party:
        if self.invoice_address is None:
            # Frozen model: the default is resolved once, during validation.
            object.__setattr__(self, "invoice_address", self.address)
        return self


class Term(Model):
    start: dt.date = Field(description="First day of the agreement's term (ISO 8601).")
    months: int = Field(ge=1, le=240, description="Length of the initial term in months.")
    extensions: tuple[Months, ...] = Field(
        (), description="Optional extension periods the buyer may take up, in months each."
    )
    termination_notice_days: Days = Field(
        90, description="Days of written notice for termination for convenience."
    )

    @property
    def end(self) -> dt.date:
        """Last day of the initial term."""
        return add_months(self.start, self.months) - dt.timedelta(days=1)

    @property
    def total_months(self) -> int:
        """Initial term plus every extension."""
        return self.months + sum(self.extensions)


Pricing = Literal["fixed", "time_and_materials", "capped_time_and_materials", "subscription"]
TIME_AND_MATERIALS: tuple[Pricing, ...] = ("time_and_materials", "capped_time_and_materials")
Recurrence = Literal["once", "monthly", "quarterly", "yearly"]


class PriceItem(Model):
    description: Line = Field(description="What is priced.")
    quantity: Decimal = Field(gt=0, description="Number of units.")
    unit: Line = Field(description="Unit of quantity, for example lot, hour or month.")
    unit_price: Decimal = Field(ge=0, description="Price per unit, excluding VAT.")
    recurrence: Recurrence = Field(
        "once",
        description="How often the item is charged: once, monthly, quarterly or yearly; "
        "quantity times unit_price is still the item's total.",
    )

    @property
    def total(self) -> Decimal:
        return self.quantity * self.unit_price


class Rate(Model):
    role: Line = Field(description="Role or competence charged, for example Senior developer.")
    unit: Literal["hour", "day"] = Field(description="What the rate is per: hour or day.")
    rate: Amount = Field(description="Price per hour or day, excluding VAT.")


class Value(Model):
    currency: CurrencyCode = Field(description="ISO 4217 currency code, for example EUR.")
    pricing: Pricing = Field(description="Pricing model.")
    amount: Amount = Field(description="Total price, or the cap, excluding VAT.")
    items: tuple[PriceItem, ...] = Field((), description="The price schedule.")
    rates: tuple[Rate, ...] = Field(
        (),
        description="Rate card: roles and their hourly or daily rates; required for "
        "time_and_materials and capped_time_and_materials pricing.",
    )
    extension_amounts: tuple[Amount, ...] = Field(
        (),
        description="Price (or cap) of each extension period, excluding VAT: one per "
        "term.extensions entry, in the same order.",
    )
    payment_days: Days = Field(30, description="Days from a correct invoice to payment.")

    @property
    def items_total(self) -> Decimal:
        """Sum of every item's quantity times unit price."""
        return sum((item.total for item in self.items), Decimal(0))

    @property
    def recurring_items(self) -> tuple[PriceItem, ...]:
        """The items charged monthly, quarterly or yearly, in their order."""
        return tuple(item for item in self.items if item.recurrence != "once")

    @property
    def once_items(self) -> tuple[PriceItem, ...]:
        """The items charged once, in their order."""
        return tuple(item for item in self.items if item.recurrence == "once")


class Software(Model):
    name: Line | None = Field(
        None, description="Name of the software (or from software.publiccode)."
    )
    description: Paragraph | None = Field(None, description="What the software does.")
    repository: Line | None = Field(None, description="URL of the public source repository.")
    license: SpdxExpression | None = Field(
        None,
        description="SPDX licence expression of the software and deliverables; must be "
        "OSI-approved unless allow_non_osi is true (or from software.publiccode).",
    )
    allow_non_osi: bool = Field(False, description="Accept a licence the OSI has not approved.")
    publiccode: Line | None = Field(
        None, description="publiccode.yml whose fields fill gaps; relative to the spec's folder."
    )
    sbom: Literal["spdx", "cyclonedx", "none"] = Field(
        "spdx", description="Format of the software bill of materials the supplier delivers."
    )


class OpenSource(Model):
    publish: bool = Field(True, description="Deliverables are published under software.license.")
    publish_within_days: Days = Field(30, description="Days from acceptance to publication.")
    upstream_contribution: Literal["required", "encouraged", "none"] = Field(
        "encouraged", description="Whether the supplier contributes changes to upstream projects."
    )
    ipr: Literal["buyer", "supplier_licensed"] = Field(
        "buyer", description="Who owns new work: the buyer, or the supplier with a licence."
    )


class SubProcessor(Model):
    name: Line = Field(description="Legal name of the sub-processor.")
    country: CountryCode = Field(
        description="ISO 3166-1 alpha-2 code of the country where it processes the data."
    )
    activity: Line = Field(description="What it does with the data, for example hosting.")


class Data(Model):
    personal_data: bool = Field(
        False, description="The supplier processes personal data: pulls in the GDPR terms."
    )
    categories: tuple[Line, ...] = Field(
        (), description="Categories of personal data processed (required with personal data)."
    )
    storage_locations: tuple[Literal["national", "eea", "any"], ...] = Field(
        ("eea",), min_length=1, description="Where data may be stored: national, eea or any."
    )
    special_categories: bool = Field(
        False, description="Special categories of personal data (GDPR Article 9) are processed."
    )
    subjects: tuple[Line, ...] = Field(
        (), description="Categories of data subjects, for example applicants or case officers."
    )
    purposes: tuple[Line, ...] = Field(
        (), description="Nature and purposes of the processing done for the buyer."
    )
    retention_days: Days = Field(
        30,
        description="Days after the end of the agreement within which the supplier returns "
        "and then deletes Buyer Data.",
    )
    sub_processors: tuple[SubProcessor, ...] = Field(
        (), description="Sub-processors the buyer approves when the agreement is signed."
    )


class FixDays(Model):
    critical: Days = Field(2, description="Days to fix a critical vulnerability.")
    high: Days = Field(7, description="Days to fix a high-severity vulnerability.")
    other: Days = Field(30, description="Days to fix any other vulnerability.")


class Security(Model):
    vulnerability_fix_days: FixDays = Field(
        default_factory=FixDays, description="Maximum days to fix a vulnerability, by severity."
    )
    incident_notice_hours: Hours = Field(
        24, description="Hours within which the supplier notifies a security incident."
    )


class ResponseHours(Model):
    critical: Hours = Field(description="Response time for a critical fault, in hours.")
    high: Hours = Field(description="Response time for a high-priority fault, in hours.")
    normal: Hours = Field(description="Response time for any other fault, in hours.")


class ResolutionHours(Model):
    critical: Hours = Field(8, description="Hours to restore service after a critical fault.")
    high: Hours = Field(24, description="Hours to restore service after a high-priority fault.")
    normal: Hours = Field(72, description="Hours to restore service after any other fault.")


class ServiceFixDays(Model):
    critical: Days = Field(5, description="Days to correct a critical Defect permanently.")
    high: Days = Field(15, description="Days to correct a high-priority Defect permanently.")
    normal: Days = Field(60, description="Days to correct any other Defect permanently.")


class ServiceCredit(Model):
    availability_below: Percent = Field(
        description="The credit applies when monthly availability is below this percentage."
    )
    credit_percent: Percent = Field(
        description="Credit as a percentage of the month's charges for the affected service."
    )


class ServiceLevels(Model):
    availability_percent: Decimal | None = Field(
        None,
        gt=0,
        le=100,
        description="Monthly availability of hosted services, in percent (required when "
        "hosting is bought).",
    )
    support_hours: Literal["business", "extended", "24x7"] = Field(
        description="When support is staffed."
    )
    response_hours: ResponseHours = Field(description="Response times by priority.")
    resolution_hours: ResolutionHours = Field(
        default_factory=ResolutionHours,
        description="Hours to restore service (a workaround will do), by priority.",
    )
    fix_days: ServiceFixDays = Field(
        default_factory=ServiceFixDays,
        description="Days to correct a Defect permanently, by priority.",
    )
    recovery_time_hours: Hours = Field(
        8, description="Recovery time objective: hours to restore service after a disaster."
    )
    recovery_point_hours: Hours = Field(
        24, description="Recovery point objective: at most this many hours of data may be lost."
    )
    service_credits: tuple[ServiceCredit, ...] = Field(
        (),
        description="Service credits by availability; default: 5 per cent below the target, "
        "10 below target minus 1, 15 below target minus 2.",
    )
    service_credit_cap_percent: Percent = Field(
        Decimal(15),
        description="Cap on service credits, as a percentage of the month's charges for the "
        "affected service.",
    )

    @property
    def credits(self) -> tuple[ServiceCredit, ...]:
        """The service credit rows in force: those given, else the defaults from the target."""
        if self.service_credits:
            return self.service_credits
        target = self.availability_percent
        if target is None:
            return ()
        rows = ((target, 5), (target - 1, 10), (target - 2, 15))
        return tuple(
            ServiceCredit(availability_below=below, credit_percent=Decimal(credit))
            for below, credit in rows
            if below > 0
        )


class Liability(Model):
    cap_percent_of_value: Decimal = Field(
        Decimal(100), gt=0, le=1000, description="Liability cap as a percentage of value.amount."
    )
    data_cap_amount: Amount | None = Field(
        None, description="Separate cap for breaches of data protection obligations."
    )


class Insurance(Model):
    professional_indemnity: Amount | None = Field(
        None, description="Professional indemnity cover, per claim."
    )
    public_liability: Amount | None = Field(None, description="Public liability cover, per claim.")


class Law(Model):
    governing_law: CountryCode = Field(description="Country whose law governs the agreement.")
    disputes: Literal["courts", "arbitration"] = Field(
        description="How disputes are finally resolved."
    )
    venue: Line = Field(description="The court, or the arbitration institute and seat.")


class ClauseChoices(Model):
    include: tuple[Slug, ...] = Field((), description="Optional or draft clauses to add, by id.")
    exclude: tuple[Slug, ...] = Field((), description="Clauses to drop, by id; not mandatory ones.")
    choose: Mapping[Slug, Slug] = Field(
        default_factory=dict, description="Slot id to the chosen position's clause id."
    )
    allow: Mapping[Slug, tuple[Slug, ...]] = Field(
        default_factory=dict,
        description="Framework only: slot id to the positions a call-off under it may take; "
        "a slot not named allows every position.",
    )


class Deviation(Model):
    """One way a call-off departs from its framework: filled in by procuregen, never written."""

    kind: Literal["position", "added", "dropped", "value"] = Field(
        description="position: another position of a slot; added or dropped: a clause the "
        "call-off includes or excludes and the framework does not; value: a different value."
    )
    subject: Line = Field(description="The slot id, clause id or field path concerned.")
    framework_value: Line | None = Field(None, description="The framework's value, as text.")
    call_off_value: Line | None = Field(None, description="The call-off's value, as text.")


class ContractDocument(Model):
    kind: Literal["specification", "tender", "other"] = Field(
        description="What the document is: the buyer's specification, the supplier's tender, "
        "or other; documents take precedence in that order."
    )
    title: Line = Field(description="Title of the document.")
    reference: Line | None = Field(None, description="The document's reference or version.")
    date: dt.date = Field(description="Date of the document (ISO 8601).")


class Milestone(Model):
    description: Line = Field(description="What is delivered or achieved by the date.")
    date: dt.date = Field(description="Date of the milestone, within the initial term (ISO 8601).")
    payment: Amount | None = Field(
        None, description="Amount payable when the milestone is met, excluding VAT."
    )


class LiquidatedDamages(Model):
    percent_per_week: Percent = Field(
        description="Percentage of the Contract Value due per started week of delay of a milestone."
    )
    cap_percent: Percent = Field(
        description="Cap on liquidated damages in aggregate, as a percentage of the Contract Value."
    )


class KeyStaff(Model):
    name: Line = Field(description="Name of the person.")
    role: Line = Field(description="The person's role in delivering the agreement.")


class Output(Model):
    name: FileName | None = Field(
        None, description="Output file name without extension; default: the spec file's stem."
    )
    formats: tuple[Literal["docx", "pdf"], ...] = Field(
        ("docx", "pdf"), min_length=1, description="Which documents to draft."
    )
    template: Slug = Field("default", description="Template set under templates/.")


class Spec(Model):
    """An agency's description of what it buys: spec format version 1."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="procuregen spec",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    procuregen: FormatVersion = Field(
        description="Spec format version; must be 1.", json_schema_extra={"const": 1}
    )
    library: Slug | None = Field(
        None,
        description="Clause library id; default: the --library folder's, else the bundled "
        + BUNDLED_LIBRARY,
    )
    document: DocumentKind = Field(description="Which document to draft: framework or call-off.")
    language: Language = Field(
        "en",
        description="Language of the agreement: en or sv (with `languages`, the first of them).",
    )
    languages: tuple[Language, ...] = Field(
        (),
        description="Two languages for a bilingual agreement, side by side, e.g. [sv, en].",
    )
    prevailing_language: Language | None = Field(
        None, description="With `languages`: the language whose version prevails."
    )
    agreement: AgreementDetails = Field(description="Title, reference and date of the agreement.")
    buyer: Party = Field(description="The buying public body.")
    supplier: Party | None = Field(
        None, description="The supplier; required for a call-off. A framework may name one here."
    )
    suppliers: tuple[Party, ...] = Field(
        (),
        description="The suppliers of a framework agreement with several; never together "
        "with supplier.",
    )
    contract_documents: tuple[ContractDocument, ...] = Field(
        (),
        description="Documents forming part of the agreement, listed in the Contract Documents "
        "schedule.",
    )
    term: Term = Field(description="Duration of the agreement.")
    value: Value = Field(description="Price, pricing model and payment terms.")
    software: Software = Field(description="The open source software bought or built.")
    services: tuple[Service, ...] = Field(min_length=1, description="Services bought.")
    open_source: OpenSource = Field(
        default_factory=OpenSource, description="Publication, contribution and ownership."
    )
    data: Data = Field(default_factory=Data, description="Data the supplier handles.")
    security: Security = Field(default_factory=Security, description="Security obligations.")
    service_levels: ServiceLevels | None = Field(
        None, description="Service levels; required when support or hosting is bought."
    )
    milestones: tuple[Milestone, ...] = Field(
        (), description="Dated milestones within the initial term, with optional payments."
    )
    liquidated_damages: LiquidatedDamages | None = Field(
        None, description="Liquidated damages for delay of a milestone; needs milestones."
    )
    key_staff: tuple[KeyStaff, ...] = Field(
        (), description="Named people the supplier commits to the agreement, with their roles."
    )
    accessibility: Literal["EN-301-549", "WCAG-2.1-AA", "WCAG-2.2-AA", "none"] = Field(
        "EN-301-549", description="Accessibility standard deliverables must meet."
    )
    liability: Liability = Field(default_factory=Liability, description="Liability caps.")
    insurance: Insurance | None = Field(None, description="Insurance the supplier must hold.")
    law: Law = Field(description="Governing law and dispute resolution.")
    clauses: ClauseChoices = Field(
        default_factory=ClauseChoices, description="The legal team's levers over clause selection."
    )
    framework: Line | None = Field(
        None,
        description="Call-off only: path of the framework agreement's spec, relative to this "
        "spec and inside its project; the call-off is checked against it.",
    )
    framework_deviations: tuple[Deviation, ...] = Field(
        (),
        description="Filled in by procuregen from the framework spec (never written in a "
        "spec): how the call-off departs from its framework, for the deviation schedule.",
        json_schema_extra={"readOnly": True},
    )
    output: Output = Field(default_factory=Output, description="What to write and how.")

    @property
    def supplier_list(self) -> tuple[Party, ...]:
        """The supplier, or the suppliers, or () when none is named."""
        return (self.supplier,) if self.supplier is not None else self.suppliers


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day where it has fewer days."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )
