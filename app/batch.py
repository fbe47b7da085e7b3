"""Batch baking of many dialogue lines from a manifest.

A manifest (CSV with a header row, or JSON: a list of objects or ``{"rows": [...]}``) has one
row per line with the columns

``audio``   speech file (required)
``text``    transcript string, or a path to a ``.txt`` file (optional)
``emotion`` emotion mix as on the CLI, e.g. ``happiness=0.8,surprise=0.3`` (optional)
``output``  output file; its extension picks the format: .json .csv .npz (no Blender needed),
            .blend .fbx .glb (baked through the ``bpy`` module in the worker process)
``export``  optional extra outputs: extensions (``fbx,glb``) or paths, separated by ``,`` or ``;``
``target``  optional .blend with the rig to bake onto (default: the generated demo head)
``drive``   optional, for .blend/.fbx/.glb outputs: which shape keys the mouth drives,
            ``auto`` (default: viseme keys on viseme rigs without ARKit mouth keys, else
            ARKit), ``arkit`` (jawOpen ...) or ``visemes`` (VRChat ``vrc.v_aa``, Oculus
            ``viseme_aa`` ...; ``addon/viseme_keys.py``)
``preview`` optional flag (1/true/yes): also render ``<output>.mp4``, a preview video with
            the speech (through ``bpy``); ``--preview`` sets it for every row
``fps``, ``seed``  optional per-row overrides

Relative paths are resolved against the manifest's folder. Rows run in parallel in worker
processes (``jobs``) or on a Dask cluster (``scheduler``); a bad row is reported and the rest
continue. Each output is written to a temporary name and renamed when complete, so an
existing output always means a finished one: a rerun skips rows whose outputs all exist
unless ``force`` is set.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

from ..core.errors import TalkrigError, TranscriptError
from ..core.io.atomic import OutputTransaction, remove_stale_parts
from ..core.io.formats import BLENDER_EXTS, check_output_paths
from ..core.settings import OPTIONS, BakeSettings, option_key, settings_from_options

#: Columns about the row itself; every other column is a bake option named as on the
#: command line (``emotion``, ``emotion-regions``, ``describe``, ``articulation``, ``fps``...).
ROW_COLUMNS = ("audio", "text", "output", "export", "preview", "id")
TRUE_WORDS = ("1", "true", "yes", "y", "x", "on")


class ManifestError(TalkrigError):
    """The batch manifest cannot be read or lacks required columns."""


@dataclass(frozen=True)
class BatchRow:
    """One line of a manifest, paths already resolved."""

    index: int
    audio: str
    output: str
    text: str = ""
    exports: tuple = ()
    preview: bool = False
    settings: BakeSettings = field(default_factory=BakeSettings)
    error: str = ""             # why this row cannot run (reported; the other rows go on)

    @property
    def fps(self) -> float:
        return self.settings.fps

    @property
    def seed(self) -> int:
        return self.settings.seed

    @property
    def preview_path(self) -> str:
        """``<output>.mp4`` when the row renders a preview, else ''."""
        return str(Path(self.output).with_suffix(".mp4")) if self.preview else ""

    @property
    def outputs(self) -> tuple:
        """Every file this row writes: ``output`` first, the extra exports, the preview."""
        extra = (self.preview_path,) if self.preview and self.preview_path not in self.exports else ()
        return (self.output,) + tuple(self.exports) + extra


@dataclass
class RowResult:
    """What happened to one row."""

    index: int
    audio: str
    output: str
    status: str                 # "ok" | "skipped" | "failed"
    message: str = ""
    seconds: float = 0.0
    outputs: list = field(default_factory=list)
    warnings: list = field(default_factory=list)     # {"code", "message"} of the bake
    recognizer: str = ""


def _resolve(base: Path, value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    p = Path(os.path.expanduser(value))
    return str(p if p.is_absolute() else (base / p))


def _looks_like_text_file(value: str) -> bool:
    return value.lower().endswith((".txt", ".lab", ".text")) and "\n" not in value


def load_manifest(path, *, fps: float = 30.0, seed: int = 0, preview: bool = False,
                  base: BakeSettings | None = None) -> list:
    """Read a CSV or JSON manifest into :class:`BatchRow` objects.

    Every column other than the row's own (``ROW_COLUMNS``) is a bake option with its
    command-line name (``emotion``, ``emotion-regions``, ``describe``, ``articulation``,
    ``body``, ``flame-model``, ...), parsed by the same table as the CLI
    (:func:`core.settings.settings_from_options`), so values and errors match. A row with a
    bad value or without ``audio``/``output`` is kept with its ``error`` set, so it is
    reported while the other rows run; two rows writing the same file are both errors.

    Raises
    ------
    ManifestError
        The file is missing, unreadable, empty, or has an unknown column.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"manifest not found: {path}")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            records = data.get("rows") if isinstance(data, dict) else data
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise ManifestError(
                    f"{path}: a JSON manifest must be a list of objects or {{\"rows\": [...]}}")
        elif path.suffix.lower() == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as fh:
                records = list(csv.DictReader(fh))
        else:
            raise ManifestError(f"{path}: manifest must be .csv or .json, not '{path.suffix}'")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from None
    if not records:
        raise ManifestError(f"manifest {path} has no rows")
    columns = {option_key(str(k)) for rec in records for k in rec if k}
    unknown = sorted(c for c in columns if c not in ROW_COLUMNS and c not in OPTIONS)
    if unknown:
        raise ManifestError(f"{path}: unknown column(s) {', '.join(unknown)}; use audio, text, "
                            f"output, export, preview, id and the bake options of "
                            f"'talkrig bake --help' ({', '.join(k.replace('_', '-') for k in OPTIONS)})")
    folder = path.resolve().parent
    defaults = (base or BakeSettings()).replace(fps=fps, seed=seed)
    rows = [_row(i, rec, folder, defaults, preview) for i, rec in enumerate(records, start=1)]
    return _mark_duplicate_outputs(rows)


def _row(index: int, rec: dict, folder: Path, defaults: BakeSettings, preview: bool) -> BatchRow:
    """One manifest record -> BatchRow (``error`` set instead of raising for a bad value)."""
    rec = {option_key(str(k)): ("" if v is None else v) for k, v in rec.items() if k}
    cell = {k: (v if isinstance(v, (bool, int, float, dict, list)) else str(v)) for k, v in rec.items()}
    audio = str(cell.get("audio", "")).strip()
    output = _resolve(folder, str(cell.get("output", "")))
    exports = []
    for item in str(cell.get("export", "")).replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        if "/" not in item and "\\" not in item and not Path(item).suffix:
            exports.append(str(Path(output or "x").with_suffix("." + item.lstrip(".").lower())))
        else:
            exports.append(_resolve(folder, item))
    text = str(cell.get("text", "")).strip()
    if _looks_like_text_file(text):
        text = _resolve(folder, text)
    wants_preview = preview or str(cell.get("preview", "")).strip().lower() in TRUE_WORDS
    row = BatchRow(index=index, audio=_resolve(folder, audio), output=output, text=text,
                   exports=tuple(exports), preview=wants_preview, settings=defaults)
    missing = [c for c, v in (("audio", audio), ("output", output)) if not v]
    if missing:
        return replace(row, error=f"row {index} has no {' or '.join(missing)} "
                                  "(required columns: audio, output)")
    options = {k: v for k, v in cell.items() if k in OPTIONS}
    try:
        settings = settings_from_options(options, base=defaults,
                                         resolve_path=lambda p: _resolve(folder, p))
        check_output_paths(row.outputs, settings=settings, check_folders=False)
    except TalkrigError as exc:
        return replace(row, error=str(exc))
    return replace(row, settings=settings)


def _mark_duplicate_outputs(rows: list) -> list:
    """Rows that would write the same file are all errors (nothing of theirs runs)."""
    owners: dict = {}
    for row in rows:
        for out in row.outputs:
            owners.setdefault(os.path.normcase(os.path.abspath(out)), []).append(row.index)
    clash = {i: p for p, idx in owners.items() if len(idx) > 1 for i in idx}
    return [replace(r, error=f"rows {', '.join(map(str, owners[clash[r.index]]))} all write "
                             f"{clash[r.index]}; give each row its own output")
            if r.index in clash and not r.error else r for r in rows]


def _transcript(row: BatchRow):
    if not row.text:
        return None
    if _looks_like_text_file(row.text):
        if not os.path.isfile(row.text):
            raise TranscriptError(f"transcript file not found: {row.text} "
                                  f"(give the transcript text itself or an existing .txt file)")
        try:
            return Path(row.text).read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError) as exc:
            raise TranscriptError(f"cannot read transcript file {row.text}: {exc}") from None
    return row.text


def bake_row(row: BatchRow) -> RowResult:
    """Bake one manifest row; never raises, failures come back as a ``failed`` result.

    The row's outputs are written as temporary files beside them and moved into place
    together (``core.io.atomic.OutputTransaction``): a failed or killed row changes no file.
    """
    t0 = time.perf_counter()
    if row.error:
        return RowResult(row.index, row.audio, row.output, "failed", message=row.error)
    try:
        check_output_paths(row.outputs, settings=row.settings, create_folders=True)
        text = _transcript(row)
        blender = {Path(o).suffix.lower()[1:]: o for o in row.outputs
                   if Path(o).suffix.lower() in BLENDER_EXTS}
        if "mp4" in blender:
            blender["preview"] = blender.pop("mp4")
        headless = None
        if blender:
            _drop_inherited_blender_paths()
            from ..addon import headless   # needs the bpy module in this worker
            if row.settings.output.target:
                headless.check_target(row.settings.output.target)     # before the bake
        from ..core.pipeline import bake
        perf = bake(row.audio, row.settings, text=text)
        from ..core.io.outputs import write_output
        with OutputTransaction() as tx:
            for out in row.outputs:
                if Path(out).suffix.lower() not in BLENDER_EXTS:
                    write_output(tx.temp(out), perf)
            if headless is not None:
                headless.bake_to_files(perf, audio_path=row.audio, transaction=tx,
                                       **blender_options(row.settings), **blender)
        return RowResult(row.index, row.audio, row.output, "ok",
                         seconds=time.perf_counter() - t0, outputs=list(row.outputs),
                         warnings=[w.to_dict() for w in perf.report.warnings],
                         recognizer=perf.report.recognizer)
    except TalkrigError as exc:
        message = str(exc)
    except ImportError as exc:
        if getattr(exc, "name", None) in ("bpy", "mathutils", "bpy_extras"):
            message = f"this row needs the bpy module (pip install bpy): {exc}"
        else:
            message = f"unexpected ImportError: {exc}"
    except Exception as exc:  # a bad row must not stop the batch; report it precisely
        message = f"unexpected {type(exc).__name__}: {exc}"
    return RowResult(row.index, row.audio, row.output, "failed", message=message,
                     seconds=time.perf_counter() - t0)


def blender_options(settings: BakeSettings) -> dict:
    """Keyword arguments of ``addon.headless.bake_to_files`` from the output settings."""
    out = settings.output
    extra = {"target": out.target} if out.target else {}
    if out.body_target and settings.body.enabled:
        extra["body_target"] = out.body_target
    if out.drive != "auto":
        extra["drive"] = out.drive
    if out.fbx_preset != "default":
        extra["fbx_preset"] = out.fbx_preset
    if not out.pack_sound:
        extra["pack_sound"] = False
    return extra


def _skipped(row: BatchRow) -> RowResult:
    return RowResult(row.index, row.audio, row.output, "skipped",
                     message="outputs exist (use --force to bake again)",
                     outputs=list(row.outputs))


def _drop_inherited_blender_paths() -> None:
    """A worker spawned by a process that had imported ``bpy`` inherits Blender's script
    folders on ``sys.path``; their pure-Python ``bpy`` package (which needs Blender's
    built-in ``_bpy``) would then shadow the real ``bpy`` module. Drop those folders before
    the first ``import bpy`` in this process."""
    if "bpy" in sys.modules:
        return
    def shadows(folder: str) -> bool:
        pkg = os.path.join(folder, "bpy")
        return os.path.isfile(os.path.join(pkg, "__init__.py")) and not any(
            name.startswith("__init__.") and not name.endswith((".py", ".pyc"))
            for name in os.listdir(pkg))
    sys.path[:] = [p for p in sys.path if not (p and os.path.isdir(p) and shadows(p))]


def _single_threaded_worker(parent_pid: int | None = None) -> None:
    """Worker start-up: one compute thread per process, so N jobs use N cores, not N x cores
    (runs before numpy or the recognisers are imported in the fresh process); and the worker
    dies with its parent (:func:`exit_with_parent`), so a killed batch leaves no workers."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if parent_pid is not None:
        exit_with_parent(parent_pid)


def exit_with_parent(parent_pid: int, *, poll_s: float = 0.5) -> None:
    """End this process when ``parent_pid`` dies, even by ``kill -9``.

    Linux: the kernel sends SIGKILL on the parent's death (``prctl(PR_SET_PDEATHSIG)``);
    everywhere: a daemon thread that sees the parent gone (re-parented) exits the process.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)          # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:                           # died before we got here
        os._exit(1)

    def watch():
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="talkrig-parent-watch", daemon=True).start()


def _iter_local(rows, jobs):
    if jobs <= 1:
        for row in rows:
            yield bake_row(row)
        return
    # spawn: workers start clean (bpy must not be inherited half-initialised through fork)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                             initializer=_single_threaded_worker,
                             initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(bake_row, row) for row in rows]
        for fut in as_completed(futures):
            yield fut.result()


def _iter_dask(rows, scheduler):
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:
        raise TalkrigError("--scheduler needs Dask: pip install 'distributed'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise TalkrigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        futures = client.map(bake_row, rows, pure=False)
        for fut in dask_completed(futures):
            yield fut.result()
    finally:
        client.close()


def run_batch(rows, *, jobs: int = 1, force: bool = False, scheduler: str | None = None,
              show_progress: bool = True, on_result=None) -> list:
    """Bake every row; returns one :class:`RowResult` per row, in manifest order.

    Temporary files that a killed earlier run left beside these outputs are removed first.
    ``on_result(results)`` is called with the results so far (manifest order) each time a
    row finishes, e.g. to keep a report file current.
    """
    if jobs < 1:
        raise TalkrigError(f"--jobs must be at least 1, got {jobs}")
    remove_stale_parts([o for r in rows if not r.error for o in r.outputs])
    todo = [r for r in rows if force or r.error or not all(os.path.exists(o) for o in r.outputs)]
    results = {r.index: _skipped(r) for r in rows if r not in todo}
    from tqdm import tqdm
    bar = tqdm(total=len(rows), initial=len(results), unit="line", desc="baking",
               disable=not show_progress, file=sys.stderr)
    source = _iter_dask(todo, scheduler) if scheduler else _iter_local(todo, jobs)
    for res in source:
        results[res.index] = res
        bar.update(1)
        if res.status == "failed":
            bar.write(f"row {res.index}: error: {res.message}")
        for w in res.warnings:
            bar.write(f"row {res.index}: warning: {w.get('message', w)}")
        if on_result is not None:
            on_result([results[r.index] for r in rows if r.index in results])
    bar.close()
    return [results[r.index] for r in rows]


def summarize(results, *, seconds: float) -> dict:
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")}
    return {"rows": len(results), **counts, "seconds": round(seconds, 3)}


def rows_with_warnings(results) -> int:
    """How many rows baked with warnings (e.g. no speech found: a rest-pose take)."""
    return sum(bool(r.warnings) for r in results)


def format_table(results) -> str:
    """A plain-text summary table, one line per row; a row's warnings on lines of their own
    (``warning:``), apart from failures (``error:``)."""
    lines = [f"{'row':>4}  {'status':<8} {'seconds':>8}  output / message"]
    for r in results:
        detail = r.output if r.status != "failed" else f"error: {r.message}"
        lines.append(f"{r.index:>4}  {r.status:<8} {r.seconds:8.2f}  {detail}")
        lines += [f"{'':>4}  {'':<8} {'':>8}  warning: {w.get('message', w)}" for w in r.warnings]
    return "\n".join(lines)


def write_report(path, results, *, manifest: str, jobs: int, scheduler, seconds: float,
                 complete: bool = True, rows: int | None = None) -> None:
    """Machine-readable JSON report of the batch, replaced atomically (a run killed while
    writing it leaves the previous version). ``complete`` False marks a report written
    while rows still run (``rows``: how many the manifest has); each row lists its
    ``warnings`` apart from the ``message`` of a failure."""
    report = {"manifest": str(manifest), "jobs": jobs, "scheduler": scheduler,
              "complete": complete, "manifest_rows": len(results) if rows is None else rows,
              "summary": summarize(results, seconds=seconds),
              "rows_with_warnings": rows_with_warnings(results),
              "rows": [asdict(r) for r in results]}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with OutputTransaction() as tx:
        Path(tx.temp(path)).write_text(json.dumps(report, indent=2), encoding="utf-8")
