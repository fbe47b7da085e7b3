"""talkrig core/io."""
