"""talkrig addon."""
