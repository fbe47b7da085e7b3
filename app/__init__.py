"""The command line and the batch runner: user options and manifest rows -> ``BakeSettings``
-> ``core.pipeline.bake`` -> output files (Blender outputs through ``addon``, imported lazily)."""
