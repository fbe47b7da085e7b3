"""talkrig core/speech."""
