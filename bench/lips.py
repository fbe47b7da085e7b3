"""Geometric lip measurement on the demo head (``rigs.demo_head``).

The bench never trusts blendshape weights to say whether the lips touch: it poses the
pure-numpy demo head with the 52 ARKit weights of every frame and measures the distance
between its inner-lip vertices (``rigs.demo_head.lip_aperture``), in millimetres.
"Closed" means below :data:`bench.metrics.CLOSED_MM` (1.5 mm).

Protrusion (for the rounding contrast) is geometric too: the mean forward displacement
(towards -Y, the way the demo head faces) of the upper inner-lip vertices, in millimetres.
The upper lip is used because it does not ride on the jaw: jawOpen alone moves it 0 mm
(pucker 1.0: about 8 mm, funnel 1.0: about 6 mm on the demo head).
"""
from __future__ import annotations

import numpy as np

from talkrig.rigs.arkit import ARKIT_NAMES


class LipGaugeUnavailable(RuntimeError):
    pass


def arkit_matrix(face) -> np.ndarray:
    """The 52 ARKit columns of a FaceCurves in Apple order, float32 [n_frames, 52]
    (channels a FaceCurves lacks are zero)."""
    out = np.zeros((face.n_frames, len(ARKIT_NAMES)), dtype=np.float32)
    names = list(face.names)
    for j, n in enumerate(ARKIT_NAMES):
        if n in names:
            out[:, j] = face.values[:, names.index(n)]
    return out


class LipGauge:
    """Inner-lip distance (mm) of the demo head posed by ARKit weights."""

    def __init__(self):
        try:
            from talkrig.rigs import demo_head as dh
        except ImportError as exc:
            raise LipGaugeUnavailable(f"rigs.demo_head not importable ({exc})") from exc
        if not hasattr(dh, "lip_aperture") or not hasattr(dh, "build_demo_head"):
            raise LipGaugeUnavailable("rigs.demo_head has no build_demo_head/lip_aperture yet")
        self._dh = dh
        self.head = dh.build_demo_head()
        self.to_mm = self._unit_scale()
        self.rest_mm = float(self.aperture(np.zeros((1, len(ARKIT_NAMES)), np.float32))[0])

    def _unit_scale(self) -> float:
        scale = getattr(self._dh, "LIP_APERTURE_TO_MM", None)
        if scale is not None:
            return float(scale)
        # a human head is ~0.25 m tall: infer the unit from the mesh extent
        v = np.asarray(self.head.vertices, dtype=np.float64)
        extent = float(np.max(v.max(0) - v.min(0)))
        return 1000.0 if extent < 2.0 else (10.0 if extent < 100.0 else 1.0)

    def aperture(self, weights: np.ndarray) -> np.ndarray:
        """weights float [n_frames, 52] (ARKit order) -> aperture mm [n_frames]."""
        w = np.asarray(weights, dtype=np.float32)
        try:
            ap = np.asarray(self._dh.lip_aperture(self.head, w), dtype=np.float64)
            if ap.shape != (w.shape[0],):
                raise ValueError(ap.shape)
        except (ValueError, TypeError, IndexError):
            ap = np.array([float(self._dh.lip_aperture(self.head, row)) for row in w])
        return ap * self.to_mm

    def protrusion(self, weights: np.ndarray) -> np.ndarray:
        """weights [n_frames, 52] -> mean forward (-Y) lip displacement, mm [n_frames]."""
        if not hasattr(self, "_dy"):
            up = np.asarray(self.head.inner_lip_upper)
            self._dy = np.stack([np.asarray(self.head.shape_keys[n], np.float64)[up, 1].mean()
                                 for n in ARKIT_NAMES])            # [52]
        return -(np.asarray(weights, np.float64) @ self._dy) * self.to_mm
