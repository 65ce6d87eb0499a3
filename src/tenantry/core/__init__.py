"""The platform core. It knows nothing of either vendor API; the faces translate."""
