"""The spec stage: an agency's YAML description of what it buys, typed and located."""

from procuregen.spec.load import load_spec, validate_spec
from procuregen.spec.model import Spec

__all__ = ["Spec", "load_spec", "validate_spec"]
