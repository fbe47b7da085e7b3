"""talkrig core/io: curve files (.json, Live Link Face .csv, .npz) chosen by extension."""
from .curves_io import EXTENSIONS, read_curves, write_curves

__all__ = ["EXTENSIONS", "read_curves", "write_curves"]
