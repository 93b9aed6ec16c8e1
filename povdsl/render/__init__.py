"""The render stage: results -> table model -> text through Jinja templates, and PDF."""
