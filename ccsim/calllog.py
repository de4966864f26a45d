"""Call logs: an ACD's record of real calls, one row per call, read, checked and normalised into the one form
every estimator reads (:class:`CallLog`: times in seconds since an origin). Two formats: the generic one (CSV or
Parquet, ``docs/call-log.md``) and the public 1999 "Anonymous Bank" research log (Brown et al., JASA 2005).

Every problem is one :class:`ccsim.errors.CallLogError` naming the file, the data row (1-based, the header not
counted) and the column. The checks are vectorised; each rule reports its first bad row in file order.
"""
from __future__ import annotations

import csv
import errno
import os
import re
import stat
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from .errors import CallLogError, OptionError
from .limits import DAY, shown
from .tomlfile import path_text

#: the generic format's columns, in the order of the normalised frame (which adds ``day`` and ``weekday``)
COLUMNS = ("call_id", "customer_id", "call_type", "arrival", "queue_enter", "answer", "end", "agent", "outcome")
#: the columns a generic log must have (``customer_id`` and ``agent`` are optional)
REQUIRED = ("call_id", "call_type", "arrival", "queue_enter", "answer", "end", "outcome")
#: columns whose value no row may leave empty
NON_EMPTY = ("call_id", "call_type", "arrival", "end", "outcome")
TIMES, FORMATS = ("arrival", "queue_enter", "answer", "end"), ("generic", "anonymous-bank")
OUTCOMES = ("answered", "abandoned", "ivr_only", "blocked")   # the categories of the frame's outcome, in this order
FRAME_COLUMNS = COLUMNS + ("day", "weekday")
DEFAULT_ORIGIN = pd.Timestamp("1970-01-01")   # of times given as seconds, unless one is given ("day 0 at 00:00")
MAX_SECONDS = 1e10                            # after the origin, at most (about 317 years: Unix times fit)
MAX_ROW_BYTES = 16 * 2**20                    # a longer CSV row is refused (hostile, or a quote never closed)
HEAD_BYTES = 2**20                            # the header line must lie in the first MB
NULLS = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "None"]   # values read as empty

NUMBER = r"^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?i:inf|infinity))$"
ZONE = r"(?:Z|[+-]\d{2}(?::?\d{2})?)"
DATETIME = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?" + rf"\s*{ZONE}?)?$"
TIME_RULE = ("give ISO 8601 date-times (2024-03-04 08:15:30, no zone or all in one zone) or numbers of seconds "
             "from the origin in every time column")


@dataclass
class CallLog:
    """A call log normalised: one row per call, times in seconds since ``origin``, what every estimator reads."""

    frame: pd.DataFrame              # FRAME_COLUMNS, sorted by arrival then call_id (docs/call-log.md)
    origin: pd.Timestamp             # time 0 of the frame's times
    source: str                      # where it came from (a path, or "<frame>")
    format: str                      # one of FORMATS
    dropped: dict[str, int] = field(default_factory=dict)   # rows left out, by reason (e.g. {"phantom": 12})

    @property
    def n_calls(self) -> int:
        """Calls in the log (rows of the frame)."""
        return len(self.frame)


# --------------------------------------------------------------------------- where a row is, for messages
@dataclass
class _Where:
    """How the frame's rows and columns are named in the user's file, for error messages."""

    source: str
    rows: np.ndarray | None = None                   # the file's data row of each frame row (None: position + 1)
    name_of: Callable[[str, int], str] | None = None  # the file's name of a column (on a row), if not the generic one

    def row(self, i: int) -> int:
        return int(self.rows[i]) if self.rows is not None else i + 1

    def col(self, col: str, i: int) -> str:
        return self.name_of(col, i) if self.name_of else col

    def fail(self, i: int | None, col: str | None, problem: str, fix: str | None = None) -> None:
        at = ([] if i is None else [f"row {self.row(i)}"]) + ([] if col is None else [f"column {self.col(col, i or 0)}"])
        raise CallLogError(f"{self.source}: {', '.join(at)}" if at else self.source, problem, fix)


def _first(masks: dict[str, np.ndarray]) -> tuple[int, str] | None:
    """The first row (then column, in the order given) where a mask is true; None when none is."""
    hits = [(int(np.argmax(m)), col) for col, m in masks.items() if np.any(m)]
    return min(hits, key=lambda hit: hit[0]) if hits else None


# --------------------------------------------------------------------------- columns
def _strings(s: pd.Series) -> pa.Array:
    """A column of ids or names as Arrow strings, surrounding spaces removed, empty as null."""
    if s.dtype.kind == "f":  # ids read as floats (a column with gaps): 9664491, not 9664491.0
        v = s.to_numpy(dtype=float, na_value=np.nan)
        if ((np.abs(v) < 2**53) & (v == np.round(v)) | np.isnan(v)).all():
            s = s.astype("Int64")
    if not isinstance(s.dtype, pd.ArrowDtype):
        s = s.astype("string")
    arr = pa.array(s, from_pandas=True)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    arr = pc.utf8_trim_whitespace(pc.cast(arr, pa.string()))
    return pc.if_else(pc.equal(pc.utf8_length(arr), 0), pa.scalar(None, pa.string()), arr)


def _series(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    """Arrow strings as a pandas column, without copying."""
    return pd.Series(arr, dtype=pd.ArrowDtype(arr.type))


def _to_pandas(arr: pa.Array) -> pd.Series:
    """Arrow strings as a pandas "string" column (<NA> for null)."""
    return pd.Series(pd.StringDtype().__from_arrow__(arr))


def _value(arr: pa.Array, i: int) -> str:
    return shown(arr[i].as_py())


def _kind(s: pd.Series) -> str:
    """"num" (numbers), "dt" (date-times) or "str" (text to parse) for a time column."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return "dt"
    return "num" if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) else "str"


def _match(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False)


def _zone_of(dtype) -> str:
    """The zone of a date-time column as +hh:mm ("" for none)."""
    if (tz := getattr(dtype, "tz", None)) is None:
        return ""
    m = int(pd.Timestamp("2000-01-01", tz=tz).utcoffset().total_seconds() // 60)
    return f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"


def _zones(arr: pa.Array) -> pa.Array:
    """The zone each date-time string ends with, as +hh:mm ("" for none)."""
    z = pc.struct_field(pc.extract_regex(arr, r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?P<z>" + ZONE + ")$"), [0])
    z = pc.replace_substring_regex(pc.replace_substring(pc.fill_null(z, ""), "Z", "+00:00"), r"^([+-]\d{2})$", r"\1:00")
    return pc.replace_substring_regex(z, r"^([+-]\d{2})(\d{2})$", r"\1:\2")


def _times(raw: pd.DataFrame, where: _Where, origin) -> tuple[dict[str, np.ndarray], pd.Timestamp, Callable]:
    """The four time columns as float seconds since the origin, the origin, and how to show a time (errors).

    The first arrival says how times are given (numbers of seconds, or date-times in a zone or none); every
    other time must be given the same way."""
    given = None if origin is None else _origin(origin)
    cols = {c: (k, _strings(raw[c]) if k == "str" else raw[c]) for c, k in ((c, _kind(raw[c])) for c in TIMES)}
    k0, a0 = cols["arrival"]
    numeric = k0 == "num" or (k0 == "str" and bool(_match(a0.slice(0, 1), NUMBER)[0]))
    zone = "" if numeric else _zone_of(a0.dtype) if k0 == "dt" else _zones(a0.slice(0, 1))[0].as_py()
    kind = "a number" if numeric else "a date-time"
    mixed = f"{'a date-time' if numeric else 'a number'}, but row {where.row(0)}, column {where.col('arrival', 0)} is {kind}"
    full, bad, other, zones = {}, {}, {}, {}
    for c, (k, v) in cols.items():
        if k == "str":
            full[c] = pc.is_valid(v).to_numpy(zero_copy_only=False)
            num, dt = _match(v, NUMBER), _match(v, DATETIME)
            bad[c], other[c] = full[c] & ~(num if numeric else dt), dt if numeric else num
            zones[c] = None if numeric else pc.not_equal(_zones(v), zone).to_numpy(zero_copy_only=False)
        else:
            full[c] = v.notna().to_numpy()
            bad[c] = other[c] = full[c] & ((k == "num") != numeric)
            zones[c] = np.full(len(v), _zone_of(v.dtype) != zone)
    if (hit := _first(bad)) is not None:
        (i, c), v = hit, cols[hit[1]][1]
        value = _value(v, i) if cols[c][0] == "str" else shown(v.iloc[i])
        where.fail(i, c, f"{value} is " + (mixed if other[c][i] else "not a date-time or a number of seconds"),
                   TIME_RULE)
    if not numeric and (hit := _first({c: full[c] & zones[c] for c in TIMES})) is not None:
        (i, c), (k, v) = hit, cols[hit[1]]
        theirs = _zones(v.slice(i, 1))[0].as_py() if k == "str" else _zone_of(v.dtype)
        where.fail(i, c, f"is in the time zone {theirs or 'none'}, but row {where.row(0)}, column "
                         f"{where.col('arrival', 0)} is in {zone or 'none'}", "give every time in one zone, or none")
    empty = ("str", pa.nulls(len(raw), pa.string()))  # a column of the other kind holds no value (checked above)
    cols = {c: empty if k != "str" and (k == "num") != numeric else (k, v) for c, (k, v) in cols.items()}
    wall = {}
    for c, (k, v) in cols.items():
        if numeric:
            wall[c] = v.to_numpy(dtype=float, na_value=np.nan) if k == "num" else \
                pc.cast(v, pa.float64()).to_numpy(zero_copy_only=False)
        elif k == "dt":
            wall[c] = (v.dt.tz_localize(None) if zone else v).to_numpy(dtype="datetime64[ns]")
        else:
            text = pc.replace_substring_regex(v, r"\s*" + ZONE + "$", "") if zone else v
            wall[c] = pd.to_datetime(_series(text), format="ISO8601", errors="coerce").to_numpy(dtype="datetime64[ns]")
    if not numeric and (hit := _first({c: full[c] & np.isnat(wall[c]) for c in TIMES})) is not None:
        where.fail(*hit, f"{_value(cols[hit[1]][1], hit[0])} is not a valid date-time", TIME_RULE)
    t0 = given if given is not None else DEFAULT_ORIGIN if numeric else pd.Timestamp(np.nanmin(wall["arrival"])).normalize()
    sec = wall if numeric else {c: np.where(np.isnat(w), np.nan, (w - t0.to_datetime64()).astype(np.int64) / 1e9)
                                for c, w in wall.items()}

    def show(x: float) -> str:  # a time as the log gives it
        return f"{x:g}" if numeric or not np.isfinite(x) else str(t0 + pd.Timedelta(seconds=float(x)))
    limit = min(MAX_SECONDS, (pd.Timestamp.max - t0).total_seconds() - 2 * DAY)
    for test, what, fix in ((np.isinf, "not a finite time", TIME_RULE),
                            (lambda x: x < 0, "negative" if numeric else f"before the origin {t0}",
                             "give seconds from the origin, 0 or more" if numeric else "give an earlier origin"),
                            (lambda x: x > limit, f"more than {limit:.3g} s after the origin {t0}",
                             "give seconds (not milliseconds) from a later origin")):
        if (hit := _first({c: test(sec[c]) for c in TIMES})) is not None:
            where.fail(*hit, f"{show(sec[hit[1]][hit[0]])} is {what}", fix)
    return sec, t0, show


def _origin(origin) -> pd.Timestamp:
    """The origin given, as a time without zone on the log's clock."""
    try:
        t = pd.Timestamp(origin)
    except (ValueError, TypeError, OverflowError):
        t = None
    if t is None or t is pd.NaT or t.tz is not None:
        raise OptionError("origin", f"{shown(origin)} is not a date-time without a time zone",
                          "give one like 2024-03-04 or 2024-03-04 08:00, on the log's own clock")
    return t


# --------------------------------------------------------------------------- the rules
def _normalise(raw: pd.DataFrame, where: _Where, origin, fmt: str, dropped: dict[str, int] | None = None) -> CallLog:
    """Check a log's columns (generic names, file order) and return its normalised form."""
    if len(raw) == 0:
        where.fail(None, None, "has no calls (a header but no rows, or only dropped ones)", "give at least one call")
    text = {c: _strings(raw[c]) for c in ("call_id", "customer_id", "call_type", "agent", "outcome") if c in raw}
    empty = {c: pc.is_null(text[c]).to_numpy(zero_copy_only=False) if c in text else raw[c].isna().to_numpy()
             for c in NON_EMPTY}
    if (bad := _first(empty)) is not None:
        where.fail(*bad, "is empty", f"every call needs its {', '.join(NON_EMPTY)}")
    codes = _codes(pc.utf8_lower(text["outcome"]), OUTCOMES, where)
    s, t0, show = _times(raw, where, origin)
    (arr, qe, ans, end), has_qe = (s[c] for c in TIMES), ~np.isnan(s["queue_enter"])
    last = np.where(~np.isnan(ans), "answer", np.where(has_qe, "queue_enter", "arrival"))
    for col, ref, ref_col in (("queue_enter", arr, np.full(len(arr), "arrival")),
                              ("answer", np.where(has_qe, qe, arr), np.where(has_qe, "queue_enter", "arrival")),
                              ("end", np.fmax(np.fmax(arr, qe), ans), last)):
        if (bad := _first({col: s[col] < ref})) is not None:
            i = bad[0]
            where.fail(i, col, f"{show(s[col][i])} is before {where.col(ref_col[i], i)} {show(ref[i])}",
                       "times go arrival <= queue_enter <= answer <= end")
    for col, mask, problem, fix in (
            ("answer", (codes == 0) & np.isnan(ans), "is empty, but the outcome is answered",
             "give the answer time, or the right outcome"),
            ("queue_enter", (codes == 1) & ~has_qe, "is empty, but the outcome is abandoned (callers abandon a queue)",
             "give the time the caller joined the queue, or the outcome ivr_only"),
            ("answer", (codes >= 2) & ~np.isnan(ans), "is given, but the outcome is ivr_only or blocked",
             "an answered call has the outcome answered")):
        if (bad := _first({col: mask})) is not None:
            where.fail(*bad, problem, fix)
    ids = _to_pandas(text["call_id"])
    if (bad := _first({"call_id": ids.duplicated().to_numpy()})) is not None:
        i, j = bad[0], int((ids == ids.iloc[bad[0]]).to_numpy().argmax())
        where.fail(i, "call_id", f"{shown(ids.iloc[i])} is also on row {where.row(j)}", "give each call its own call_id")
    days = (t0.value + np.round(arr * 1e9).astype(np.int64)) // int(DAY * 1e9)
    none = pa.nulls(len(raw), pa.string())
    frame = pd.DataFrame({
        "call_id": ids, "customer_id": _to_pandas(text.get("customer_id", none)), "call_type": _to_pandas(text["call_type"]),
        "arrival": arr, "queue_enter": qe, "answer": ans, "end": end, "agent": _to_pandas(text.get("agent", none)),
        "outcome": pd.Categorical.from_codes(codes, categories=list(OUTCOMES)),
        "day": (days * int(DAY * 1e9)).astype("datetime64[ns]"),
        "weekday": ((days + 3) % 7).astype(np.int8),   # 1970-01-01 was a Thursday (Monday = 0)
    })
    frame = frame.sort_values(["arrival", "call_id"], kind="stable").reset_index(drop=True)
    return CallLog(frame=frame, origin=t0, source=where.source, format=fmt, dropped=dict(dropped or {}))


def _codes(outcome: pa.Array, allowed: tuple[str, ...], where: _Where) -> np.ndarray:
    """The index of each outcome in ``allowed``; an outcome not there is an error at its first row."""
    codes = pc.index_in(outcome, value_set=pa.array(allowed)).to_numpy(zero_copy_only=False)
    if (bad := _first({"outcome": np.isnan(codes.astype(float))})) is not None:
        where.fail(*bad, f"{_value(outcome, bad[0])} is not an outcome", "use " + ", ".join(allowed))
    return codes.astype(np.int8)


def _columns(names: list[str], required: tuple[str, ...], where: _Where, how: str) -> None:
    """Refuse a header missing required columns (listing them) or naming one twice."""
    seen = Counter(n.strip().lower() for n in names)
    if twice := sorted(n for n in set(required + COLUMNS) if seen[n] > 1):
        where.fail(None, None, f"the header names {shown(twice[0])} twice", "keep one column of each name")
    if missing := [c for c in required if c not in seen]:
        where.fail(None, None, f"the header lacks the column(s) {', '.join(missing)} (found: "
                               f"{shown(', '.join(names))})", f"give {how} with the columns {', '.join(required)}")


# --------------------------------------------------------------------------- public API
def call_log_from_frame(df: pd.DataFrame, origin: str | None = None, source: str = "<frame>") -> CallLog:
    """Check an in-memory log in the generic format (rows named by position, 1-based) and normalise it."""
    if not isinstance(df, pd.DataFrame):
        raise OptionError("df", f"must be a pandas DataFrame (got {type(df).__name__})",
                          "give a table with the columns of docs/call-log.md")
    where = _Where(source)
    _columns([str(c) for c in df.columns], REQUIRED, where, "a table")
    lower = {str(c).strip().lower(): c for c in df.columns}
    raw = pd.DataFrame({c: df[lower[c]].reset_index(drop=True) for c in COLUMNS if c in lower})
    return _normalise(raw, where, origin, "generic")


def read_call_log(path: str | Path, format: str = "generic", origin: str | None = None) -> CallLog:
    """Read, check and normalise a call log: generic CSV or Parquet, or the Anonymous Bank research log.

    ``origin`` is time 0 of the frame: by default midnight of the first arrival's day for date-times, and
    1970-01-01 00:00 for times given as seconds (give the day they count from, e.g. "2024-03-04").
    """
    if format not in FORMATS:
        raise OptionError("format", f"{shown(format)} is not a call-log format", "use " + " or ".join(FORMATS))
    where, path = _Where(path_text(path)), Path(path)
    head = _head(path, where)
    if format == "anonymous-bank":
        raw, bank, dropped = _read_bank(path, head, where)
        return _normalise(raw, bank, origin, format, dropped)
    raw = _read_parquet(path, where) if head.startswith(b"PAR1") else _read_csv(path, head, where)
    return _normalise(raw, where, origin, format)


# --------------------------------------------------------------------------- files
def _head(path: Path, where: _Where) -> bytes:
    """The first bytes of a regular, non-empty file; anything else is one error naming it."""
    fix = "check the path"
    try:
        st = os.stat(path)  # follows symlinks (a loop is ELOOP); never opens, so a pipe cannot block
        if st.st_size and stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                return f.read(HEAD_BYTES)
        problem = ("is empty" if stat.S_ISREG(st.st_mode) else "is a directory" if stat.S_ISDIR(st.st_mode) else
                   "is not a regular file (a device, pipe or socket)")
        fix = "give a call log file: a header, then one row per call"
    except FileNotFoundError:
        problem = "file not found"
    except OSError as e:
        problem = "cannot be read: " + ("a symlink loop" if e.errno == errno.ELOOP else str(e.strerror or e))
    except ValueError:  # a NUL byte in the path
        problem = "is not a valid path"
    where.fail(None, None, problem, fix)
    return b""  # not reached


NOT_TEXT = "save the log as UTF-8 CSV or as Parquet"


def _header(head: bytes, where: _Where, seps: str) -> tuple[str, str]:
    """The header line of a text log and its separator (the most frequent of ``seps``)."""
    if head.startswith(b"PK\x03\x04"):
        where.fail(None, None, "is a zip file (an Excel workbook?), not CSV or Parquet", NOT_TEXT)
    head = head.removeprefix(b"\xef\xbb\xbf")
    end = head.find(b"\n")
    if b"\x00" in head[: 2**16]:
        where.fail(None, None, "is not a text (CSV) or Parquet file: it holds NUL bytes", NOT_TEXT)
    if end < 0 and len(head) >= HEAD_BYTES - 3:
        where.fail(None, None, f"its header line is longer than {HEAD_BYTES // 2**20} MB", "give one header line")
    try:
        text = (head if end < 0 else head[:end]).rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        where.fail(None, None, "its header is not UTF-8 text", NOT_TEXT)
    return text, max(seps, key=text.count)


def _read_csv(path: Path, head: bytes, where: _Where) -> pd.DataFrame:
    """The generic columns of a CSV log as Arrow strings, in file order (other columns are not read)."""
    text, sep = _header(head, where, ",;\t|")
    names = next(csv.reader([text], delimiter=sep), [])
    _columns(names, REQUIRED, where, "a header line")
    keys = [n.strip().lower() for n in names]
    cols = [k if k in COLUMNS and keys.index(k) == i else f"_extra{i}" for i, k in enumerate(keys)]
    ours = [c for c in cols if c in COLUMNS]

    def read(threads: bool = True, types: pa.DataType | None = None, handler=None) -> pa.Table:
        return pa_csv.read_csv(
            path, read_options=pa_csv.ReadOptions(column_names=cols, skip_rows=1, use_threads=threads,
                                                  block_size=MAX_ROW_BYTES // 2),  # Arrow refuses rows over 2 blocks
            parse_options=pa_csv.ParseOptions(delimiter=sep, newlines_in_values=True, invalid_row_handler=handler),
            convert_options=pa_csv.ConvertOptions(include_columns=ours, column_types={c: types or pa.string() for c in ours},
                                                  null_values=NULLS, strings_can_be_null=True))
    try:
        table = read()
    except (pa.ArrowInvalid, OSError) as e:
        _csv_error(str(e), read, ours, len(cols), where)
    return pd.DataFrame({c: _series(table[c]) for c in ours})


def _csv_error(message: str, read, ours: list[str], n: int, where: _Where) -> None:
    """Say where a CSV log is broken: a row with the wrong number of fields, text not UTF-8, a huge row."""
    if "straddl" in message:
        where.fail(None, None, f"a row is longer than {MAX_ROW_BYTES // 2**20} MB, or a quote is never closed",
                   "close every quote; keep rows short")
    if "Expected" in message:
        found: list = []
        try:  # again, on one thread, to learn the row (the first bad one stops the reading)
            read(threads=False, handler=lambda row: found.append((row.number, row.actual_columns)) or "error")
        except (pa.ArrowInvalid, OSError):
            pass
        if found and found[0][0] is not None:
            # Arrow counts the header as row 1, and where.fail rows from 0
            where.fail(found[0][0] - 2, None, f"has {found[0][1]} field(s), the header has {n}",
                       "quote values holding the separator; give every row all the header's fields")
    if "UTF8" in message:
        table = read(types=pa.binary())
        bad = {c: _not_utf8(table[c].combine_chunks()) for c in ours}
        if (hit := _first(bad)) is not None:
            where.fail(*hit, "is not UTF-8 text", NOT_TEXT)
    where.fail(None, None, f"cannot be read as CSV: {shown(message)}", NOT_TEXT)


def _not_utf8(arr: pa.Array) -> np.ndarray:
    """Mask of the first value that is not UTF-8, found by halving (each step one vectorised check)."""
    def utf8(a: pa.Array) -> bool:
        try:
            return pc.cast(a, pa.string()) is not None
        except pa.ArrowInvalid:
            return False
    mask, lo, hi = np.zeros(len(arr), dtype=bool), 0, len(arr)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if utf8(arr.slice(lo, mid - lo)) else (lo, mid)
    mask[lo] = hi > lo and not utf8(arr.slice(lo, 1))
    return mask


def _read_parquet(path: Path, where: _Where) -> pd.DataFrame:
    """The generic columns of a Parquet log, in file order, with their own types."""
    try:
        names = list((pf := pq.ParquetFile(path)).schema_arrow.names)
        _columns(names, REQUIRED, where, "a Parquet file")
        ours = {n.strip().lower(): n for n in names if n.strip().lower() in COLUMNS}
        table = pf.read(columns=list(ours.values()))
    except (pa.ArrowException, OSError) as e:
        where.fail(None, None, f"is not a readable Parquet file: {shown(str(e))}", "write it again, or give a CSV")
    text = (pa.types.is_string, pa.types.is_large_string)
    return pd.DataFrame({k: _series(table[n]) if any(f(table[n].type) for f in text) else table[n].to_pandas()
                         for k, n in ours.items()})


# --------------------------------------------------------------------------- the Anonymous Bank log
#: the columns of the Anonymous Bank log that are read (vru+line, priority, vru_time and ser_time are not)
BANK_REQUIRED = ("call_id", "customer_id", "type", "date", "vru_entry", "vru_exit", "q_start", "q_exit",
                 "q_time", "outcome", "ser_start", "ser_exit", "server")
BANK_OUTCOMES = ("AGENT", "HANG", "PHANTOM")
BANK_NAMES = {"call_type": "type", "arrival": "vru_entry", "queue_enter": "q_start", "answer": "ser_start",
              "agent": "server"}


def _read_bank(path: Path, head: bytes, where: _Where):
    """The Anonymous Bank log (whitespace-separated, h:mm:ss within a yymmdd date) in the generic columns."""
    text, _ = _header(head, where, "\t ")
    _columns(text.split(), BANK_REQUIRED, where, "a header line")
    try:
        raw = pd.read_csv(path, sep=r"\s+", dtype=str, keep_default_na=False, engine="c",
                          usecols=lambda c: c.strip().lower() in BANK_REQUIRED)
    except (ValueError, OSError, UnicodeDecodeError) as e:
        line = re.search(r"line (\d+)", str(e))
        where.fail(int(line.group(1)) - 2 if line else None, None,  # pandas counts lines, the header's being 1
                   "has more fields than the header" if line else f"cannot be read: {shown(str(e))}",
                   "give the log as the Technion files are: one call a line, 17 fields")
    raw.columns = [c.strip().lower() for c in raw.columns]
    cols, rows = {c: _strings(raw[c]) for c in BANK_REQUIRED}, np.arange(1, len(raw) + 1)
    w = _Where(where.source, rows)
    if (bad := _first({c: pc.is_null(a).to_numpy(zero_copy_only=False) for c, a in cols.items()})) is not None:
        w.fail(*bad, "is empty", "give every row all 17 fields")
    code = _codes(pc.utf8_upper(cols["outcome"]), BANK_OUTCOMES, w)
    keep = code != 2
    cols = {c: a.filter(pa.array(keep)) for c, a in cols.items()}
    w, code = _Where(where.source, rows[keep]), code[keep].astype(int)
    date = pd.to_datetime(_series(cols["date"]), format="%y%m%d", errors="coerce")
    if (bad := _first({"date": date.isna().to_numpy()})) is not None:
        w.fail(*bad, f"{_value(cols['date'], bad[0])} is not a date yymmdd", "write dates as 990101")
    clock = {}
    for c in ("vru_entry", "vru_exit", "q_start", "q_exit", "ser_start", "ser_exit"):
        hms = pc.extract_regex(cols[c], r"^(?P<h>\d{1,2}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)$")
        if (bad := _first({c: pc.is_null(hms).to_numpy(zero_copy_only=False)})) is not None:
            w.fail(*bad, f"{_value(cols[c], bad[0])} is not a time h:mm:ss", "write times as 7:05:09")
        h, m, sec = (pc.cast(pc.struct_field(hms, [k]), pa.int64()).to_numpy(zero_copy_only=False) for k in range(3))
        clock[c] = (h * 3600 + m * 60 + sec).astype("timedelta64[s]").astype("timedelta64[ns]")
    if (bad := _first({"q_time": ~_match(cols["q_time"], r"^\d{1,9}$")})) is not None:
        w.fail(*bad, f"{_value(cols['q_time'], bad[0])} is not a number of seconds", "write whole seconds")
    q_time = pc.cast(cols["q_time"], pa.int64()).to_numpy(zero_copy_only=False)
    day, start, nat = date.to_numpy(), clock["vru_entry"], np.datetime64("NaT")

    def at(c: str) -> np.ndarray:  # a clock time of the call's day, or of the next when before vru_entry (midnight)
        return day + clock[c] + np.where(clock[c] < start, np.timedelta64(int(DAY), "s"), np.timedelta64(0, "s"))
    agent, abandoned = code == 0, (code == 1) & (q_time > 0)
    end_col = np.where(agent, "ser_exit", np.where(abandoned, "q_exit", "vru_exit"))
    null = pa.scalar(None, pa.string())
    frame = pd.DataFrame({
        "call_id": _series(cols["call_id"]), "call_type": _series(cols["type"]), "arrival": day + start,
        "customer_id": _series(pc.if_else(pc.equal(cols["customer_id"], "0"), null, cols["customer_id"])),
        "queue_enter": np.where(clock["q_start"] == np.timedelta64(0), nat, at("q_start")),
        "answer": np.where(agent, at("ser_start"), nat),
        "end": np.where(agent, at("ser_exit"), np.where(abandoned, at("q_exit"), at("vru_exit"))),
        "agent": _series(pc.if_else(pc.equal(cols["server"], "NO_SERVER"), null, cols["server"])),
        "outcome": np.where(agent, "answered", np.where(abandoned, "abandoned", "ivr_only")),
    })
    bank = _Where(where.source, rows[keep], lambda col, i: str(end_col[i]) if col == "end" else BANK_NAMES.get(col, col))
    return frame, bank, {"phantom": int((~keep).sum())}
