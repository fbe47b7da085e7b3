"""talkrig core: pure-Python computation (no Blender imports anywhere below here)."""
