"""Reading TOML safely: scenario, include and sweep files (regular UTF-8 files of bounded size, never a device,
pipe or symlink loop), ``--set PATH=VALUE`` overrides (their values, and setting them into a scenario's tables)
and times with units given on the command line; every problem is one error naming the file, field or option.
"""
from __future__ import annotations

import errno
import math
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from .errors import OptionError, ScenarioError
from .limits import MAX_FILE_BYTES, MAX_SHOWN, clip, shown

def parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except RecursionError:
        raise OptionError("--set", f"value {shown(text)} is nested too deeply", "write a plain value or list") from None
    except ValueError:  # not TOML (a bare word), or an integer too long to read
        return text


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Parse CLI ``PATH=VALUE`` strings; values are read as TOML (numbers, lists, strings)."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise OptionError("--set", f"{shown(item)} has no '='", "write PATH=VALUE, e.g. design.groups.tech.staffing=12")
        k, v = item.split("=", 1)
        out[k.strip()] = parse_value(v.strip())
    return out


def path_text(path: Path | str) -> str:
    """A path for a message: a long one keeps its start and its file name."""
    text = str(path)
    return text if len(text) <= 2 * MAX_SHOWN else text[:50] + "..." + text[-(2 * MAX_SHOWN - 53):]


def read_toml(path: Path, field: str) -> dict:
    """A TOML file as a dict; missing, unreadable, oversized, non-regular or malformed files are one-line
    errors naming it. Only regular files of at most :data:`MAX_FILE_BYTES` are read (never a device or a pipe)."""
    shown_path = path_text(path)
    too_big = f"more than the {MAX_FILE_BYTES // 2**20} MB a scenario file may have"
    problem = fix = None
    try:
        st = os.stat(path)  # follows symlinks (a loop is ELOOP); never opens, so a pipe cannot block
        if not stat.S_ISREG(st.st_mode):
            problem = f"{shown_path} is " + ("a directory" if stat.S_ISDIR(st.st_mode) else
                                             "not a regular file (a device, pipe or socket)")
            fix = "give the path of a TOML file"
        elif st.st_size > MAX_FILE_BYTES:
            problem, fix = f"{shown_path} is {st.st_size / 2**20:.1f} MB, {too_big}", "give a smaller TOML file"
        else:
            with open(path, "rb") as f:
                raw = f.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:  # it grew while we looked
                problem, fix = f"{shown_path} is {too_big}", "give a smaller TOML file"
    except FileNotFoundError:
        problem, fix = f"file not found: {shown_path}", "check the path"
    except OSError as e:
        if e.errno == errno.ELOOP:
            problem, fix = f"cannot read {shown_path}: a symlink loop", "point it at a TOML file"
        else:
            problem, fix = f"cannot read {shown_path}: {e.strerror or e}", "check the path and its permissions"
    except ValueError:  # a NUL byte in the path
        problem, fix = f"{shown(str(path))} is not a valid path", "check the path"
    if problem:
        raise ScenarioError(field, problem, fix)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(field, f"{shown_path} is not a UTF-8 text file", "save the scenario as UTF-8 TOML") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(shown_path, f"not valid TOML: {clip(str(e), 2 * MAX_SHOWN)}", "fix the syntax at that line") from None
    except RecursionError:
        raise ScenarioError(shown_path, "not valid TOML: arrays or inline tables nested too deeply",
                            "write plain tables, lists and values") from None
    except ValueError as e:  # e.g. an integer of thousands of digits
        raise ScenarioError(shown_path, f"not valid TOML: {clip(str(e), 2 * MAX_SHOWN)}", "fix the value") from None


def include_path(path: Path, ref: str, part: str) -> Path:
    """The file a ``demand``/``design`` string names (relative to the scenario), resolved; loops are errors."""
    try:
        return (path.parent / ref).resolve(strict=True)
    except FileNotFoundError:
        raise ScenarioError(part, f"file not found: {path_text(path.parent / ref)}", "check the path") from None
    except (OSError, RuntimeError) as e:  # RuntimeError: a symlink loop (Python < 3.13)
        problem = "a symlink loop" if isinstance(e, RuntimeError) or getattr(e, "errno", None) == errno.ELOOP else (e.strerror or str(e))
        raise ScenarioError(part, f"cannot read {path_text(path.parent / ref)}: {problem}",
                            "point it at a TOML file") from None
    except ValueError:  # a NUL byte
        raise ScenarioError(part, f"{shown(ref)} is not a valid path", "point it at a TOML file") from None


#: tables of named entries a dotted path can reach into: (parent, table) -> what an entry is called
NAMED_TABLES = {("design", "groups"): "group", ("design", "queues"): "queue", ("design", "routes"): "route",
                ("demand", "call_types"): "call type", ("demand", "work"): "skill"}


def _names(names: list[str], n: int = 8) -> str:
    """Names for a message: at most ``n`` of them, then how many in all."""
    shown_names = [clip(str(k), 40) for k in names[:n]]
    more = f", ... ({len(names)} in all)" if len(names) > n else ""
    return (", ".join(shown_names) + more) if names else "none"


def set_path(data: dict, path: str, value: Any) -> None:
    """Set ``data[a][b][c] = value`` for the path "a.b.c", creating missing tables.

    A path into an entry of a named table (``design.groups.<group>.staffing``) must name an existing entry: a
    misspelled one is an error listing the known names, not a new entry missing its required fields. A new
    entry is added by setting its whole table (``design.queues.new = {}``). A route given as a bare queue name
    (``tech = "tech"``) is read as ``{queue = "tech"}`` so that its other fields can be set."""
    if not isinstance(path, str):
        raise OptionError("overrides", f"a field path must be a dotted string (got {shown(path)})",
                          "write e.g. 'design.groups.tech.staffing'")
    keys = [k for k in path.split(".") if k]
    if not keys:
        raise OptionError("--set", f"empty field path in {shown(path)}", "write PATH=VALUE, e.g. design.groups.tech.staffing=12")
    node = data
    for i, k in enumerate(keys[:-1]):
        nxt = node.get(k) if isinstance(node, dict) else None
        # the path goes into an entry (keys[2]) of a named table that exists
        kind = NAMED_TABLES.get((keys[0], k)) if i == 1 and len(keys) > 3 and isinstance(nxt, dict) else None
        if kind is not None and keys[i + 1] not in nxt:
            where = ".".join(keys[: i + 1])
            entry = keys[i + 1]
            raise ScenarioError(where, f"unknown {kind} {clip(shown(entry), 40)} (known: {_names(list(nxt))})",
                                f"check the spelling; to add a {kind}, set its whole table: "
                                f"{where}.{clip(entry, 40)}={{...}}")
        if kind == "route" and isinstance(nxt[keys[i + 1]], str):
            nxt[keys[i + 1]] = {"queue": nxt[keys[i + 1]]}
        if nxt is None:
            nxt = node[k] = {}
        if not isinstance(nxt, dict):
            where = clip(".".join(keys[: i + 1]))
            raise ScenarioError(where, "is a value, not a table", f"set {where} itself")
        node = nxt
    node[keys[-1]] = value


#: units a time option may carry (a bare number is seconds)
_TIME_UNITS = {**dict.fromkeys(("", "s", "sec", "secs", "second", "seconds"), 1.0),
               **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
               **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0)}
_TIME = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([-+]?[0-9]{1,3}))?\s*([A-Za-z]*)\s*")
TIME_HELP = "300, 300s, 5min or 0.5h; a bare number is seconds"


def parse_seconds(text: str, option: str, zero_ok: bool = False) -> float:
    """Seconds from a time given on the command line with an optional unit: ``300``, ``300s``, ``5min``,
    ``1.5 h``; a bad one is an OptionError naming ``option``."""
    m = _TIME.fullmatch(text)
    unit = m.group(3).lower() if m else ""
    if not m or unit not in _TIME_UNITS:
        raise OptionError(option, f"cannot read {shown(text)} as a time", f"write {TIME_HELP}")
    value = float(m.group(1) + (f"e{m.group(2)}" if m.group(2) else "")) * _TIME_UNITS[unit]
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        raise OptionError(option, f"must be {'at least 0' if zero_ok else 'more than 0'} seconds (got {shown(text)})",
                          f"write {TIME_HELP}")
    return value
