"""d2l-prep."""
