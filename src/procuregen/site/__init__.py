"""The static HTML review site of a clause library (`procuregen clauses site`)."""

from procuregen.site.build import build_site
from procuregen.site.conditions import describe_condition

__all__ = ["build_site", "describe_condition"]
