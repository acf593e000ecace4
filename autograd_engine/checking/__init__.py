"""Checking tools: ``gradcheck``; the hypothesis strategies live at ``autograd_engine.testing``."""
