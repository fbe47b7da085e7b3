"""talkrig rigs: data about rigs (names, aliases, maps) with small pure loaders."""
