"""dtc package."""
