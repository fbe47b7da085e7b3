"""Shipped model weights and their model cards."""
