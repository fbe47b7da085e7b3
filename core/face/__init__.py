"""talkrig core/face."""
