"""talkrig core/io: curve files (.json, Live Link Face .csv, .npz) and viseme tracks."""
from .curves_io import EXTENSIONS, read_curves, write_curves
from .visemes_io import VISEME_EXTENSIONS, read_visemes, write_visemes

__all__ = ["EXTENSIONS", "VISEME_EXTENSIONS", "read_curves", "read_visemes", "write_curves",
           "write_visemes"]
