"""The render stage: the Agreement as DOCX (docxtpl) and as HTML, then PDF (WeasyPrint)."""
