"""The spec stage: an agency's YAML description of what it buys, typed and located."""

from procuregen.spec.load import SpecFile, load_spec, read_spec, validate_spec
from procuregen.spec.model import Spec

__all__ = ["Spec", "SpecFile", "load_spec", "read_spec", "validate_spec"]
