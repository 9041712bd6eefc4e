"""The facecli HDF5 container: batches of samples with provenance.

Layout of a file (schema ``facecli/1``):

* root attributes ``facecli_schema``, ``kind``, ``producer``, ``argv`` (JSON list),
  ``params`` (JSON object), ``created`` (ISO 8601, UTC);
* ``ids``: one UTF-8 string per sample;
* ``complete``: one ``uint8`` completion marker per sample, set to 1 only after all of
  the sample's arrays are written and flushed;
* one dataset per array key, first axis = sample axis, chunked per sample and
  gzip-compressed, with optional attributes ``units``, ``layout``, ``scheme``;
  arrays whose shape varies between samples are stored *ragged* (flattened,
  variable length, with their shapes in ``<key>__shape``);
* ``failures``: JSON lines ``{"id": ..., "error": ...}`` of samples a batch skipped.

A file is written as ``<path>.part`` under a lock and renamed onto ``<path>`` when the
run finishes (:class:`ContainerWriter`); a run killed part-way leaves the ``.part``,
whose incomplete rows :class:`ContainerReader` ignores and which
:class:`ContainerWriter` with ``resume=True`` continues (its complete samples copied
into a fresh work file).

Example:
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.h5")
    >>> with ContainerWriter(path, "features", producer="doc") as w:
    ...     w.write("a", {"v": np.arange(3.0)})
    >>> ContainerReader(path).read("v").shape
    (1, 3)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facecli._version import __version__
from facecli.errors import FormatError, InputError, OutputError, SchemaError, ValidationError
from facecli.io.atomic import describe_os_error
from facecli.typing import PathLike

__all__ = [
    "produced_by_synth",
    "SCHEMA",
    "SCHEMA_VERSION",
    "RESERVED_KEYS",
    "ContainerWriter",
    "ContainerReader",
    "is_container",
    "COMPRESSIONS",
    "compression_options",
]

SCHEMA_VERSION = 1
SCHEMA = f"facecli/{SCHEMA_VERSION}"
RESERVED_KEYS = frozenset({"ids", "complete", "failures"})
_SHAPE_SUFFIX = "__shape"
_ARRAY_ATTRS = ("units", "layout", "scheme", "description")


def _h5py():
    import h5py

    return h5py


def _parse_schema(value: object, path: str) -> int:
    text = value.decode() if isinstance(value, bytes) else str(value)
    prefix, _, version = text.partition("/")
    if prefix != "facecli" or not version.isdigit():
        raise SchemaError(f"{path}: unrecognised facecli_schema {text!r}")
    number = int(version)
    if number > SCHEMA_VERSION:
        raise SchemaError(
            f"{path} was written with schema {text}; this facecli {__version__} reads "
            f"up to {SCHEMA} (upgrade facecli to read it)"
        )
    return number


#: Named compressions of :class:`ContainerWriter` (and ``normals --compression``).
COMPRESSIONS = ("lzf", "gzip", "none")


def compression_options(compression: int | str) -> dict[str, Any]:
    """h5py dataset options for a compression: a gzip level (0: none) or a name of
    :data:`COMPRESSIONS`.

    Example:
        >>> compression_options("lzf")
        {'compression': 'lzf', 'shuffle': True}
        >>> compression_options(0)
        {}
    """
    from facecli.errors import InputError

    if isinstance(compression, str):
        if compression not in COMPRESSIONS:
            raise InputError(f"expected compression {'|'.join(COMPRESSIONS)} or a gzip level, got {compression!r}")
        compression = {"lzf": -1, "gzip": 4, "none": 0}[compression]
    if compression == -1:
        return {"compression": "lzf", "shuffle": True}
    if not 0 <= compression <= 9:
        raise InputError(f"expected a gzip level 0-9, got {compression}")
    return {"compression": "gzip", "compression_opts": compression} if compression else {}


def produced_by_synth(path: PathLike) -> bool:
    """True when the container's ``producer`` attribute says ``facecli synth`` wrote it
    (how trained models label themselves as trained on synthetic data)."""
    h5py = _h5py()
    with h5py.File(path, "r") as f:
        return str(f.attrs.get("producer", "")).startswith("facecli synth")


def is_container(path: PathLike) -> bool:
    """True if ``path`` is an HDF5 file carrying a ``facecli_schema`` attribute."""
    h5py = _h5py()
    try:
        with h5py.File(path, "r") as f:
            return "facecli_schema" in f.attrs
    except (OSError, ValueError):
        return False


class ContainerWriter:
    """Append samples to a facecli HDF5 file, one complete sample at a time.

    The file is built as ``<path>.part`` beside the target, under an exclusive lock
    (``.<name>.lock``) taken before anything is created or truncated; :meth:`close`
    flushes it to disk and renames it onto ``path``, so ``path`` only ever holds a
    finished file. :meth:`abort` (also what leaving a ``with`` block by an exception
    does) keeps ``<path>.part``, a valid file of the complete samples, for ``--resume``.

    Args:
        path: the ``.h5`` file to write.
        kind: what the file holds (``normals``, ``landmarks3d``, ``registration``...).
        producer: the command and version that writes it, e.g. ``"facecli synth 0.1.0"``.
        argv: the command line, stored as JSON.
        params: the effective parameters, stored as JSON.
        resume: continue ``<path>.part`` (or a finished ``path``): its schema, kind,
            parameters and root attributes must equal this run's (a mismatch is
            refused, naming the parameter); its complete samples are copied into a
            fresh work file, its incomplete ones and its ``failures`` dropped (they
            are tried again). Without ``resume`` the output is started anew.
        ragged: keys whose per-sample shape may vary between samples.
        array_attrs: per key, attributes such as ``{"units": "mm"}``.
        compression: how new datasets are compressed: a gzip level (0: none), or one of
            :data:`COMPRESSIONS` (``"lzf"``: byte-shuffled LZF, 2-3x faster to write than
            gzip and about as small on normal maps, but readable only where the LZF filter
            is available (h5py, or the LZF plugin of other HDF5 tools); ``"gzip"``: level 4,
            every HDF5 tool reads it; ``"none"``).
        root_attrs: extra root attributes (e.g. ``{"scales": "256,128"}``), written
            once, when the file is created.

    Raises:
        OutputError: another process is writing ``path``, or it cannot be written.
        SchemaError: ``resume`` on a file of another kind, schema or parameters.
        FormatError: ``resume`` on a damaged file.
    """

    def __init__(
        self,
        path: PathLike,
        kind: str,
        *,
        producer: str = f"facecli {__version__}",
        argv: Sequence[str] | None = None,
        params: Mapping[str, Any] | None = None,
        resume: bool = False,
        ragged: Iterable[str] = (),
        array_attrs: Mapping[str, Mapping[str, str]] | None = None,
        compression: int | str = 4,
        root_attrs: Mapping[str, str] | None = None,
    ) -> None:
        from facecli.io.atomic import OutputLock, partial_path

        self.path = Path(path)
        self.part = partial_path(self.path)
        self.kind = kind
        self._ragged = set(ragged)
        self._attrs = {k: dict(v) for k, v in (array_attrs or {}).items()}
        self._compression = compression_options(compression)
        self._broken = False
        self._f: Any = None
        self.resumed_from: Path | None = None
        if self.path.is_dir():
            raise OutputError(f"{self.path} is a directory; expected an output file name")
        self._lock = OutputLock(self.path)
        params_json = json.dumps(dict(params or {}), default=str, sort_keys=True)
        root = {
            "facecli_schema": SCHEMA,
            "kind": kind,
            "producer": producer,
            "argv": json.dumps(list(argv or [])),
            "params": params_json,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        root.update({k: str(v) for k, v in (root_attrs or {}).items()})
        try:
            source = self.part if self.part.exists() else self.path if self.path.exists() else None
            if resume and source is not None:
                self._rebuild(source, kind, params_json, {k: str(v) for k, v in (root_attrs or {}).items()})
            else:
                self._create_file(root)
        except BaseException:
            self._close_quietly()
            self._lock.release()
            raise

    def _open(self, mode: str) -> Any:
        h5py = _h5py()
        try:
            return h5py.File(self.part, mode)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {describe_os_error(exc)}") from exc

    def _create_file(self, root: Mapping[str, str]) -> None:
        h5py = _h5py()
        with contextlib.suppress(FileNotFoundError):
            self.part.unlink()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = self._open("w")
        try:
            for name, value in root.items():  # root attributes: written once, here
                self._f.attrs[name] = value
            str_dt = h5py.string_dtype("utf-8")
            self._f.create_dataset("ids", shape=(0,), maxshape=(None,), dtype=str_dt, chunks=(256,))
            self._f.create_dataset("complete", shape=(0,), maxshape=(None,), dtype="u1", chunks=(256,))
            self._f.create_dataset("failures", shape=(0,), maxshape=(None,), dtype=str_dt, chunks=(64,))
            self._f.flush()
        except (OSError, RuntimeError) as exc:
            self._fail(exc)

    def _rebuild(self, source: Path, kind: str, params_json: str, root_attrs: Mapping[str, str]) -> None:
        """Check ``source`` against this run, then copy its complete samples into a fresh work file."""
        h5py = _h5py()
        try:
            old = h5py.File(source, "r")
        except OSError as exc:
            raise FormatError(
                f"cannot resume {self.path}: {source} is damaged ({exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0]}); delete it or run without --resume"
            ) from exc
        try:
            if "facecli_schema" not in old.attrs:
                raise SchemaError(f"{source} is not a facecli file; cannot resume it")
            _parse_schema(old.attrs["facecli_schema"], str(source))
            found = _text(old.attrs.get("kind", ""))
            if found != kind:
                raise SchemaError(f"{source} holds kind {found!r}; cannot resume it as {kind!r}")
            _check_same_params(source, _text(old.attrs.get("params", "{}")), params_json)
            for name, value in root_attrs.items():
                if name in old.attrs and _text(old.attrs[name]) != value:
                    raise SchemaError(
                        f"cannot resume {source}: it was written with {name}={_text(old.attrs[name])}, "
                        f"this run has {name}={value}; use the same settings or a new -o"
                    )
            for key in ("ids", "complete"):
                if key not in old:
                    raise FormatError(f"cannot resume {self.path}: {source} has no {key!r} dataset (damaged)")
            n_ids = old["ids"].shape[0]
            complete = old["complete"][:n_ids].astype(bool)
            rows = np.flatnonzero(complete)
            tmp = self.part.with_name(self.part.name + ".new")
            new = h5py.File(tmp, "w")
            try:
                for name, value in old.attrs.items():
                    new.attrs[name] = value
                for name, value in root_attrs.items():
                    if name not in old.attrs:
                        new.attrs[name] = value
                for key in old.keys():
                    if key == "failures":  # failed samples are tried again
                        ds = old[key]
                        new.create_dataset(key, shape=(0,), maxshape=(None,), dtype=ds.dtype, chunks=ds.chunks)
                        continue
                    _copy_rows(old[key], new, key, rows, all_rows=rows.size == n_ids == old[key].shape[0])
                new.flush()
            finally:
                new.close()
        except (OSError, RuntimeError, KeyError) as exc:
            raise FormatError(
                f"cannot resume {self.path}: {source} is damaged ({exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); delete it or run without "
                f"--resume"
            ) from exc
        finally:
            old.close()
        os.replace(tmp, self.part)
        self.resumed_from = source
        self._f = self._open("a")
        for key in self._array_keys():
            if self._f[key].attrs.get("ragged", False):
                self._ragged.add(key)

    # -- state ---------------------------------------------------------------------
    def _array_keys(self) -> list[str]:
        return [k for k in self._f.keys() if k not in RESERVED_KEYS and not k.endswith(_SHAPE_SUFFIX)]

    @property
    def n_samples(self) -> int:
        """Number of complete samples in the file."""
        return int(self._f["complete"].shape[0])

    @property
    def completed_ids(self) -> set[str]:
        """Ids of the samples already complete (what ``--resume`` skips)."""
        return {s.decode() if isinstance(s, bytes) else s for s in self._f["ids"][:]}

    # -- writing -------------------------------------------------------------------
    def set_attrs(self, key: str, **attrs: str) -> None:
        """Attach ``units``/``layout``/``scheme`` attributes to array ``key``."""
        self._attrs.setdefault(key, {}).update(attrs)
        if key in self._f:
            for name, value in attrs.items():
                self._f[key].attrs[name] = value

    def set_root_attr(self, name: str, value: str) -> None:
        """Set an extra root attribute (e.g. a scheme shared by all arrays) before the
        first sample; prefer ``root_attrs=`` of the constructor. Root attributes are
        written once: on a file that already holds samples, or a resumed one, a
        different value is refused.

        Raises:
            SchemaError: the file already has another value for ``name``.
        """
        if name in self._f.attrs:
            if _text(self._f.attrs[name]) == str(value):
                return
            if self._f["ids"].shape[0] > 0 or self.resumed_from is not None:
                raise SchemaError(
                    f"{self.path} was written with {name}={_text(self._f.attrs[name])}; "
                    f"cannot change it to {value} (use a new -o)"
                )
        self._guarded(lambda: self._f.attrs.__setitem__(name, value))

    def _create(self, key: str, arr: np.ndarray) -> None:
        h5py = _h5py()
        opts = dict(self._compression)
        if key in self._ragged:
            base = arr.dtype if arr.dtype.kind != "U" else np.dtype("O")
            ds = self._f.create_dataset(
                key, shape=(0,), maxshape=(None,), dtype=h5py.vlen_dtype(base), chunks=(64,), **opts
            )
            ds.attrs["ragged"] = True
            self._f.create_dataset(
                key + _SHAPE_SUFFIX,
                shape=(0, arr.ndim),
                maxshape=(None, arr.ndim),
                dtype="i8",
                chunks=(64, max(arr.ndim, 1)),
            )
        else:
            if arr.dtype.kind == "U":
                dtype: Any = h5py.string_dtype("utf-8")
            else:
                dtype = arr.dtype
            ds = self._f.create_dataset(
                key,
                shape=(0, *arr.shape),
                maxshape=(None, *arr.shape),
                dtype=dtype,
                chunks=(1, *arr.shape) if arr.ndim else (256,),
                **opts,
            )
        for name, value in self._attrs.get(key, {}).items():
            ds.attrs[name] = value

    def write(self, sample_id: str, arrays: Mapping[str, Any]) -> None:
        """Append one sample; it becomes visible to readers only once complete.

        Args:
            sample_id: the sample's id (source path relative to the input root, or a
                dataset id). Must be unique in the file.
            arrays: key → array (any shape; the first write fixes the shape of a
                non-ragged key). Every sample must carry the same keys.

        Raises:
            ValidationError: a reserved key, a missing or extra key, or a shape that
                differs from earlier samples for a non-ragged key.
        """
        arrays = {k: np.asarray(v) for k, v in arrays.items()}
        bad = RESERVED_KEYS.intersection(arrays) | {k for k in arrays if k.endswith(_SHAPE_SUFFIX)}
        if bad:
            raise ValidationError(f"reserved array name(s) {sorted(bad)} in sample {sample_id!r}")
        self._check_writable()
        existing = self._array_keys()
        n = self._f["ids"].shape[0]
        if n > 0 and set(existing) != set(arrays):
            raise ValidationError(
                f"sample {sample_id!r} has arrays {', '.join(sorted(arrays))}, but the earlier samples of "
                f"{self.path} have {', '.join(sorted(existing))} (inputs of different kinds cannot share one "
                f"output file: run them separately)"
            )
        for key, arr in arrays.items():
            if key not in self._f:
                continue  # created with the sample
            ds = self._f[key]
            if key not in self._ragged and tuple(ds.shape[1:]) != arr.shape:
                raise ValidationError(
                    f"expected {key} of shape {tuple(ds.shape[1:])} (as in earlier samples), "
                    f"got {arr.shape} for sample {sample_id!r} in {self.path}"
                )
        self._check_writable()
        self._check_room(sum(a.nbytes for a in arrays.values()))
        self._guarded(lambda: self._append_one(n, sample_id, arrays))

    def _dataset(self, key: str) -> Any:
        """The open dataset ``key`` (h5py's lookup by name costs ~0.2 ms; a sample touches
        every dataset three times)."""
        cache = self.__dict__.setdefault("_handles", {})
        if cache.get("_file") is not self._f:
            cache.clear()
            cache["_file"] = self._f
        ds = cache.get(key)
        if ds is None:
            ds = cache[key] = self._f[key]
        return ds

    def _append_one(self, n: int, sample_id: str, arrays: Mapping[str, np.ndarray]) -> None:
        for key, arr in arrays.items():
            if key not in self._f:
                self._create(key, arr)
        complete = self._dataset("complete")
        for key in ["ids", "complete", *arrays]:
            self._dataset(key).resize(n + 1, axis=0)
        complete[n] = 0
        self._dataset("ids")[n] = sample_id
        for key, arr in arrays.items():
            if key in self._ragged:
                shp = self._dataset(key + _SHAPE_SUFFIX)
                shp.resize(n + 1, axis=0)
                shp[n] = np.asarray(arr.shape, dtype=np.int64)
                self._dataset(key)[n] = arr.reshape(-1)
            else:
                self._dataset(key)[n] = arr
        self._f.flush()  # the sample's data reach the file before its completion marker
        complete[n] = 1
        self._f.flush()

    def write_many(self, sample_ids: Sequence[str], arrays: Mapping[str, Any]) -> None:
        """Append many samples at once (one flush): ``arrays`` maps key → (N, ...) with
        one row per id. Same rules as :meth:`write`; ragged keys are not allowed here.

        Raises:
            ValidationError: as :meth:`write`, or rows that do not match the ids.
        """
        ids = list(sample_ids)
        arrays = {k: np.asarray(v) for k, v in arrays.items()}
        if not ids:
            return
        wrong = {k: a.shape[:1] for k, a in arrays.items() if a.ndim == 0 or a.shape[0] != len(ids)}
        if wrong:
            raise ValidationError(f"expected {len(ids)} rows per array (one per id), got {wrong} in {self.path}")
        if self._ragged.intersection(arrays):
            raise ValidationError(f"write_many cannot write ragged arrays {sorted(self._ragged.intersection(arrays))}")
        n = self._f["ids"].shape[0]
        if n == 0:  # the first row fixes keys, dtypes and shapes
            self.write(ids[0], {k: a[0] for k, a in arrays.items()})
            ids, arrays, n = ids[1:], {k: a[1:] for k, a in arrays.items()}, 1
            if not ids:
                return
        existing = self._array_keys()
        if set(existing) != set(arrays):
            raise ValidationError(f"samples have arrays {sorted(arrays)}, expected {sorted(existing)} in {self.path}")
        bad = {k: a.shape[1:] for k, a in arrays.items() if tuple(self._f[k].shape[1:]) != a.shape[1:]}
        if bad:
            raise ValidationError(f"array shapes {bad} differ from earlier samples in {self.path}")
        m = n + len(ids)
        self._check_room(sum(a.nbytes for a in arrays.values()))

        def append() -> None:
            for key in ["ids", "complete", *arrays]:
                self._f[key].resize(m, axis=0)
            self._f["complete"][n:m] = 0
            self._f["ids"][n:m] = np.asarray(ids, dtype=object)
            for key, arr in arrays.items():
                self._f[key][n:m] = arr.astype(object) if arr.dtype.kind == "U" else arr
            self._f.flush()
            self._f["complete"][n:m] = 1
            self._f.flush()

        self._guarded(append)

    def add_failure(self, sample_id: str, error: str) -> None:
        """Record a sample that a ``--on-error skip`` batch could not process."""
        self._check_writable()

        def append() -> None:
            ds = self._f["failures"]
            n = ds.shape[0]
            ds.resize(n + 1, axis=0)
            ds[n] = json.dumps({"id": sample_id, "error": error})
            self._f.flush()

        self._guarded(append)

    # -- storage errors ------------------------------------------------------------
    def _check_writable(self) -> None:
        if self._broken:
            raise OutputError(f"cannot write {self.path}: an earlier write failed")
        if self._f is None or not self._f.id.valid:
            raise OutputError(f"cannot write {self.path}: the writer is closed")

    def _check_room(self, nbytes: int) -> None:
        """Refuse a write that cannot fit (a full disk, a file-size limit) *before* HDF5
        starts it: HDF5 fails badly part-way through a write (and can crash the process
        on the next one). The margin covers metadata; compression only makes data smaller."""
        need = 2 * int(nbytes) + (256 << 10)
        try:
            st = os.statvfs(self.part.parent)
            free = st.f_bavail * st.f_frsize
        except (OSError, AttributeError):
            free = None
        if free is not None and free < need:
            self._broken = True
            raise OutputError(
                f"cannot write {self.path}: disk full (no space left on device: {free >> 10} KiB free "
                f"on {self.part.parent}, a sample needs about {need >> 10} KiB)"
            )
        try:
            import resource

            soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        except (ImportError, OSError, ValueError):
            return
        if soft != resource.RLIM_INFINITY:
            try:
                size = self.part.stat().st_size
            except OSError:
                return
            if size + need > soft:
                self._broken = True
                raise OutputError(
                    f"cannot write {self.path}: file too large (the file-size limit of {soft} bytes "
                    f"would be exceeded; ulimit -f)"
                )

    def _guarded(self, step: Any) -> None:
        try:
            step()
        except (OSError, RuntimeError, ValueError) as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        """A storage error: nothing more is written, and the partial file is not renamed
        into place (its complete samples stay usable with ``--resume``)."""
        global STORAGE_FAILED
        self._broken = True
        STORAGE_FAILED = True
        _silence_h5py_teardown()
        raise OutputError(f"cannot write {self.path}: {describe_os_error(exc)}") from exc

    def _close_quietly(self) -> None:
        f, self._f = self._f, None
        if f is None:
            return
        if self._broken:
            _silence_h5py_teardown()
        with contextlib.suppress(Exception):
            if f.id.valid:
                f.close()

    # -- finishing -----------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True once :meth:`close` or :meth:`abort` has run."""
        return self._f is None

    def close(self) -> None:
        """Finish: flush, sync to disk and rename ``<path>.part`` onto ``path``.

        Safe to call twice. After a failed write it acts as :meth:`abort`.

        Raises:
            OutputError: the final flush failed (disk full...): ``path`` is left as it
                was and ``<path>.part`` keeps the complete samples.
        """
        from facecli.io.atomic import fsync_path

        if self._f is None:
            return
        if self._broken:
            self.abort()
            return
        try:
            try:
                self._f.flush()
                self._f.close()
            except (OSError, RuntimeError, ValueError) as exc:
                self._broken = True
                self._close_quietly()
                raise OutputError(f"cannot write {self.path}: {describe_os_error(exc)}") from exc
            self._f = None
            fsync_path(self.part)
            os.replace(self.part, self.path)
        finally:
            self._f = None
            self._lock.release()

    def abort(self) -> None:
        """Stop without finishing: close the work file and keep it as ``<path>.part``
        (the complete samples, for ``--resume``); ``path`` is left as it was."""
        self._close_quietly()
        self._lock.release()

    def __enter__(self) -> ContainerWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:  # a writer dropped without close(): release the lock, keep the .part
        with contextlib.suppress(Exception):
            if getattr(self, "_lock", None) is not None and getattr(self, "_f", None) is not None:
                self.abort()


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _check_same_params(source: Path, old_json: str, new_json: str) -> None:
    """Refuse to resume a file written with other effective parameters, naming the first that differs."""
    if old_json == new_json:
        return
    try:
        old, new = json.loads(old_json), json.loads(new_json)
    except json.JSONDecodeError:
        raise SchemaError(f"cannot resume {source}: its parameters are unreadable; use a new -o") from None
    diffs = _diff_params(old, new, "")
    if not diffs:
        return
    name, was, now = diffs[0]
    more = f" (and {len(diffs) - 1} more)" if len(diffs) > 1 else ""
    raise SchemaError(
        f"cannot resume {source}: it was written with {name}={json.dumps(was)}, this run has "
        f"{name}={json.dumps(now)}{more}; use the same settings, or a new -o"
    )


def _diff_params(old: Any, new: Any, prefix: str) -> list[tuple[str, Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new)):
            out += _diff_params(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else str(key))
        return out
    return [] if old == new else [(prefix or "params", old, new)]


def _copy_rows(ds: Any, dest: Any, key: str, rows: np.ndarray, *, all_rows: bool) -> None:
    """Copy rows ``rows`` of dataset ``ds`` into a new dataset ``key`` of ``dest``
    (same dtype, chunks, compression and attributes; extendible along axis 0)."""
    if all_rows:
        data = ds[()]
    elif rows.size:
        data = ds[rows.tolist()]
    else:
        data = None
    opts: dict[str, Any] = {}
    if ds.compression:
        opts = {"compression": ds.compression, "compression_opts": ds.compression_opts}
    if ds.shuffle:
        opts["shuffle"] = True
    out = dest.create_dataset(
        key, shape=(rows.size, *ds.shape[1:]), maxshape=(None, *ds.shape[1:]), dtype=ds.dtype, chunks=ds.chunks, **opts
    )
    if data is not None and rows.size:
        out[...] = data
    for name, value in ds.attrs.items():
        out.attrs[name] = value


_SILENCED = False

#: Set once HDF5 itself failed a write in this process. HDF5 cannot always recover from
#: that: freeing its objects at interpreter exit may crash (a segfault after the error
#: was reported), so the command line ends such a process without that teardown.
STORAGE_FAILED = False


def _silence_h5py_teardown() -> None:
    """After a failed write, h5py reports the same error again as it frees each object
    ("Exception ignored in ... __dealloc__"); the one-line error has said it already."""
    global _SILENCED
    if _SILENCED:
        return
    _SILENCED = True
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if "h5py" in repr(getattr(unraisable, "object", "")) or "h5py" in str(getattr(unraisable, "err_msg", "")):
            return
        previous(unraisable)

    sys.unraisablehook = hook


class ContainerReader:
    """Read a facecli HDF5 file; only complete samples are visible.

    Args:
        path: the ``.h5`` file.
        kind: if given, the kind the caller expects (a clear error otherwise).

    Raises:
        InputError: the file does not exist.
        FormatError: it is not HDF5 or not written by facecli.
        SchemaError: its schema version is newer than this facecli reads, or its
            kind is not ``kind``.
    """

    def __init__(self, path: PathLike, kind: str | None = None) -> None:
        h5py = _h5py()
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"no such file: {self.path}")
        try:
            self._f = h5py.File(self.path, "r")
        except OSError as exc:
            if "unable to lock" in str(exc).lower():
                raise InputError(
                    f"{self.path} is being written by another process (its HDF5 lock is held); wait for "
                    f"that run to finish"
                ) from exc
            if "truncated file" in str(exc):
                raise FormatError(
                    f"{self.path} is damaged: the HDF5 file is truncated (a write that failed or was cut short)"
                ) from exc
            raise FormatError(f"{self.path} is not an HDF5 file ({exc.__class__.__name__})") from exc
        if "facecli_schema" not in self._f.attrs:
            self._f.close()
            raise FormatError(f"{self.path} is an HDF5 file but not a facecli file (no facecli_schema attribute)")
        self.schema_version = _parse_schema(self._f.attrs["facecli_schema"], str(self.path))
        self.kind = str(self._f.attrs.get("kind", ""))
        if kind is not None and self.kind != kind:
            self._f.close()
            raise SchemaError(f"expected a {kind!r} file, got kind {self.kind!r} in {self.path}")
        complete = self._f["complete"][:].astype(bool)
        n_ids = self._f["ids"].shape[0]
        self._rows = np.flatnonzero(complete[:n_ids])
        self.n_incomplete = int(n_ids - self._rows.size)

    # -- metadata ------------------------------------------------------------------
    @property
    def attrs(self) -> dict[str, Any]:
        """Root attributes, with ``argv`` and ``params`` decoded from JSON."""
        out: dict[str, Any] = {}
        for k, v in self._f.attrs.items():
            v = v.decode() if isinstance(v, bytes) else v
            if k in ("argv", "params") and isinstance(v, str):
                try:
                    v = json.loads(v)
                except json.JSONDecodeError:
                    pass
            out[k] = v.item() if isinstance(v, np.generic) else v
        return out

    @property
    def params(self) -> dict[str, Any]:
        """The producing run's effective parameters."""
        p = self.attrs.get("params", {})
        return p if isinstance(p, dict) else {}

    @property
    def ids(self) -> list[str]:
        """Ids of the complete samples, in file order."""
        raw = self._f["ids"][:]
        return [raw[i].decode() if isinstance(raw[i], bytes) else str(raw[i]) for i in self._rows]

    def __len__(self) -> int:
        return int(self._rows.size)

    def keys(self) -> list[str]:
        """Names of the per-sample arrays."""
        return sorted(k for k in self._f.keys() if k not in RESERVED_KEYS and not k.endswith(_SHAPE_SUFFIX))

    def __contains__(self, key: str) -> bool:
        return key in self.keys()

    def array_info(self, key: str) -> dict[str, Any]:
        """Shape per sample, dtype, ragged flag and attributes of one array."""
        h5py = _h5py()
        ds = self._f[self._check_key(key)]
        ragged = bool(ds.attrs.get("ragged", False))
        if ragged:
            dtype = str(h5py.check_vlen_dtype(ds.dtype))
        elif h5py.check_string_dtype(ds.dtype) is not None:
            dtype = "str"
        else:
            dtype = str(ds.dtype)
        info: dict[str, Any] = {
            "dtype": dtype,
            "ragged": ragged,
            "sample_shape": None if ragged else list(ds.shape[1:]),
        }
        for name in _ARRAY_ATTRS:
            if name in ds.attrs:
                v = ds.attrs[name]
                info[name] = v.decode() if isinstance(v, bytes) else str(v)
        return info

    def failures(self) -> list[dict[str, str]]:
        """Samples a ``--on-error skip`` batch could not process."""
        if "failures" not in self._f:
            return []
        return [json.loads(s.decode() if isinstance(s, bytes) else s) for s in self._f["failures"][:]]

    # -- data ----------------------------------------------------------------------
    def _check_key(self, key: str) -> str:
        if key not in self.keys():
            raise FormatError(f"{self.path} has no array {key!r} (it has: {', '.join(self.keys()) or 'none'})")
        return key

    def _decode(self, value: Any) -> Any:
        if isinstance(value, bytes):
            return value.decode()
        return value

    def sample(self, index: int, keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """Arrays of the ``index``-th complete sample."""
        row = int(self._rows[index])
        out: dict[str, np.ndarray] = {}
        for key in keys or self.keys():
            ds = self._f[self._check_key(key)]
            if ds.attrs.get("ragged", False):
                shape = tuple(int(s) for s in self._f[key + _SHAPE_SUFFIX][row])
                out[key] = np.asarray(ds[row]).reshape(shape)
            else:
                value = ds[row]
                out[key] = np.asarray(self._decode(value) if ds.dtype.kind == "O" else value)
        return out

    def read(self, key: str) -> np.ndarray | list[np.ndarray]:
        """All complete samples of one array: stacked, or a list if ragged."""
        ds = self._f[self._check_key(key)]
        if ds.attrs.get("ragged", False):
            return [self.sample(i, [key])[key] for i in range(len(self))]
        data = ds[:] if self._rows.size == ds.shape[0] else ds[self._rows.tolist()] if self._rows.size else ds[:0]
        if ds.dtype.kind == "O":
            return np.asarray([self._decode(v) for v in data], dtype=object)
        return data

    def close(self) -> None:
        """Close the file."""
        if self._f.id.valid:
            self._f.close()

    def __enter__(self) -> ContainerReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
