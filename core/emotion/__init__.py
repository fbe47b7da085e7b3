"""Emotion: from the user's controls to per-frame drive curves (``drive.EmotionDrive``)."""
