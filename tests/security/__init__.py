"""Tests for the guarantees in docs/security.md, one module per threat class."""
