"""procuregen: reviewed clause libraries assembled into procurement agreements."""

__version__ = "0.1.0"
