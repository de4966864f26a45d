"""Call logs (ccsim.calllog): both formats parse to the documented frame, every rule names the row and the column
of its first bad value, hostile files end in one short error, and a simulated run exports a log that reads back.

Expected values are computed here from the fixture files with the standard library, never copied from the reader.
"""
from __future__ import annotations

import csv
import dataclasses
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ccsim
from ccsim import OptionError, ResultsError
from ccsim.calllog import COLUMNS, FRAME_COLUMNS, OUTCOMES, CallLog, call_log_from_frame, read_call_log
from ccsim.errors import CallLogError

DATA = Path(__file__).parent / "data"
GENERIC, BANK = DATA / "generic_sample.csv", DATA / "anonymous_bank_sample.txt"
MAX_MESSAGE = 300  # characters of an error message, at most (as tests/test_hostile.py)
HEADER = ",".join(COLUMNS)
GOOD = "C1,7,billing,2024-03-04 08:00:00,2024-03-04 08:00:20,2024-03-04 08:00:30,2024-03-04 08:05:00,anna,answered"
IVR = "C{n},8,tech,2024-03-04 09:00:00,,,2024-03-04 09:00:30,,ivr_only"


def check_frame(log: CallLog) -> None:
    """The frame's documented shape: columns, dtypes, order, day and weekday consistent with arrival."""
    f = log.frame
    assert list(f.columns) == list(FRAME_COLUMNS)
    for c in ("call_id", "customer_id", "call_type", "agent"):
        assert f[c].dtype == "string", c
    for c in ("arrival", "queue_enter", "answer", "end"):
        assert f[c].dtype == np.float64, c
    assert isinstance(f["outcome"].dtype, pd.CategoricalDtype)
    assert list(f["outcome"].cat.categories) == list(OUTCOMES)
    assert f["day"].dtype == "datetime64[ns]" and f["weekday"].dtype == np.int8
    assert list(f.index) == list(range(len(f)))
    assert (f.sort_values(["arrival", "call_id"]).index == f.index).all()
    moment = log.origin + pd.to_timedelta(f["arrival"], unit="s")
    assert (f["day"] == moment.dt.normalize()).all() and (f["weekday"] == moment.dt.weekday).all()
    assert log.n_calls == len(f)


def seconds(text: str, origin: datetime) -> float:
    return float("nan") if not text else (datetime.fromisoformat(text) - origin).total_seconds()


# --------------------------------------------------------------------------- the generic format
def test_generic_sample_parses_to_the_documented_frame():
    log = read_call_log(GENERIC)
    check_frame(log)
    with open(GENERIC, newline="") as f:
        rows = list(csv.DictReader(f))
    first = min(datetime.fromisoformat(r["arrival"]) for r in rows)
    origin = first.replace(hour=0, minute=0, second=0)
    assert log.origin == pd.Timestamp(origin) and log.format == "generic" and log.dropped == {}
    assert log.n_calls == len(rows)
    got = log.frame.set_index("call_id")
    for r in rows:
        g = got.loc[r["call_id"]]
        for c in ("arrival", "queue_enter", "answer", "end"):
            assert g[c] == pytest.approx(seconds(r[c], origin), nan_ok=True), (r["call_id"], c)
        assert g["outcome"] == r["outcome"] and g["call_type"] == r["call_type"]
        assert (pd.isna(g["customer_id"]) if not r["customer_id"] else g["customer_id"] == r["customer_id"])
        assert (pd.isna(g["agent"]) if not r["agent"] else g["agent"] == r["agent"])
    assert log.frame["day"].nunique() == len({r["arrival"][:10] for r in rows}) == 2
    assert log.frame["call_type"].nunique() == 2
    assert log.frame["customer_id"].dropna().duplicated().any()   # a redial: one customer, several calls


def test_a_frame_validates_like_a_file():
    df = pd.read_csv(GENERIC, dtype={"customer_id": str})
    pd.testing.assert_frame_equal(call_log_from_frame(df).frame, read_call_log(GENERIC).frame)
    bad = df.iloc[::-1].copy()  # rows are named by position (1-based), whatever the index
    bad.iloc[3, bad.columns.get_loc("outcome")] = "lost"
    with pytest.raises(CallLogError, match=r"^<frame>: row 4, column outcome: 'lost'"):
        call_log_from_frame(bad)


def test_parquet_gives_the_same_frame_as_csv(tmp_path):
    want = read_call_log(GENERIC).frame
    df = pd.read_csv(GENERIC)   # strings for times, customer ids as floats (the column has gaps)
    df.to_parquet(tmp_path / "text.parquet")
    pd.testing.assert_frame_equal(read_call_log(tmp_path / "text.parquet").frame, want)
    for c in ("arrival", "queue_enter", "answer", "end"):   # typed date-times, in one zone
        df[c] = pd.to_datetime(df[c]).dt.tz_localize("Asia/Jerusalem")
    df.to_parquet(tmp_path / "typed.parquet")
    pd.testing.assert_frame_equal(read_call_log(tmp_path / "typed.parquet").frame, want)


def test_numeric_seconds_count_from_the_origin_given(tmp_path):
    dated = read_call_log(GENERIC)
    df = dated.frame[list(COLUMNS)].astype({"outcome": str})
    shifted = df.assign(**{c: df[c] - 8 * 3600.0 for c in ("arrival", "queue_enter", "answer", "end")})
    shifted.to_csv(tmp_path / "seconds.csv", index=False)
    log = read_call_log(tmp_path / "seconds.csv", origin="2024-03-04 08:00")
    assert log.origin == pd.Timestamp("2024-03-04 08:00")
    pd.testing.assert_frame_equal(log.frame.drop(columns=list(COLUMNS[3:7])), dated.frame.drop(columns=list(COLUMNS[3:7])))
    np.testing.assert_allclose(log.frame["arrival"] + 8 * 3600.0, dated.frame["arrival"])
    plain = read_call_log(tmp_path / "seconds.csv")   # no origin: day 0 is 1970-01-01
    assert plain.origin == pd.Timestamp("1970-01-01") and plain.frame["day"].min() == pd.Timestamp("1970-01-01")
    check_frame(plain)
    for bad in ("yesterday", "2024-03-04 08:00+02:00"):
        with pytest.raises(OptionError, match="^origin: "):
            read_call_log(tmp_path / "seconds.csv", origin=bad)


def test_one_time_zone_is_kept_on_its_own_clock(tmp_path):
    rows = [("C1,7,b,2024-03-04T08:00:00+02:00,2024-03-04 08:00:20+02,2024-03-04 08:00:30+0200,"
             "2024-03-04 08:05:00+02:00,anna,answered"),
            "C2,7,b,2024-03-04 09:00:00+02:00,,,2024-03-04 09:00:30+02:00,,ivr_only"]
    path = write(tmp_path, rows)
    log = read_call_log(path)
    assert log.frame["arrival"].tolist() == [8 * 3600.0, 9 * 3600.0]
    assert log.frame["end"].tolist() == [8 * 3600.0 + 300, 9 * 3600.0 + 30]


# --------------------------------------------------------------------------- the Anonymous Bank log
def bank_rows() -> list[dict]:
    with open(BANK) as f:
        names = f.readline().split()
        return [dict(zip(names, line.split())) for line in f if line.strip()]


def clock(date: str, t: str, after: datetime | None = None) -> datetime:
    day = datetime.strptime(date, "%y%m%d")
    h, m, s = map(int, t.split(":"))
    at = day + timedelta(hours=h, minutes=m, seconds=s)
    return at + timedelta(days=1) if after is not None and at < after else at


def test_anonymous_bank_maps_outcomes_times_and_drops_phantoms():
    log = read_call_log(BANK, format="anonymous-bank")
    check_frame(log)
    rows = bank_rows()
    phantoms = [r for r in rows if r["outcome"] == "PHANTOM"]
    kept = [r for r in rows if r["outcome"] != "PHANTOM"]
    assert phantoms and log.dropped == {"phantom": len(phantoms)} and log.n_calls == len(kept)
    assert log.format == "anonymous-bank"
    origin = min(clock(r["date"], r["vru_entry"]) for r in kept).replace(hour=0, minute=0, second=0)
    assert log.origin == pd.Timestamp(origin)
    got = log.frame.set_index("call_id")
    kinds = set()
    for r in kept:
        g = got.loc[r["call_id"]]

        def at(col: str, r: dict = r) -> float:  # seconds since the origin of a time of this row
            return (clock(r["date"], r[col], clock(r["date"], r["vru_entry"])) - origin).total_seconds()
        want = ("answered" if r["outcome"] == "AGENT" else "abandoned" if int(r["q_time"]) > 0 else "ivr_only")
        kinds.add(want)
        assert g["outcome"] == want, r["call_id"]
        assert g["arrival"] == at("vru_entry") and g["call_type"] == r["type"]
        assert g["end"] == at({"answered": "ser_exit", "abandoned": "q_exit", "ivr_only": "vru_exit"}[want])
        assert (np.isnan(g["queue_enter"]) if r["q_start"] == "0:00:00" else g["queue_enter"] == at("q_start"))
        assert (g["answer"] == at("ser_start") if want == "answered" else np.isnan(g["answer"]))
        assert (pd.isna(g["customer_id"]) if r["customer_id"] == "0" else g["customer_id"] == r["customer_id"])
        assert (pd.isna(g["agent"]) if r["server"] == "NO_SERVER" else g["agent"] == r["server"])
    assert kinds == {"answered", "abandoned", "ivr_only"}
    assert got["customer_id"].isna().any() and log.frame["day"].nunique() >= 2
    assert (got["end"] - got["arrival"] > 0).all()
    late = [r for r in kept if clock(r["date"], r["ser_exit"]) < clock(r["date"], r["vru_entry"])
            and r["outcome"] == "AGENT"]
    assert late, "the fixture has a call served across midnight"
    assert got.loc[late[0]["call_id"], "end"] > 86400.0 * (clock(late[0]["date"], "0:00:00") - origin).days + 86400


def test_anonymous_bank_errors_name_the_row_and_its_own_column(tmp_path):
    lines, path = BANK.read_text().splitlines(), tmp_path / "bank.txt"
    n = next(i for i, r in enumerate(bank_rows(), 1) if r["outcome"] == "AGENT" and int(r["q_time"]) > 0)

    def with_row_n(**fields: str) -> Path:  # the fixture with fields of data row n changed
        names, row = lines[0].split("\t"), lines[n].split("\t")
        row = [fields.get(k, v) for k, v in zip(names, row)]
        path.write_text("\n".join(lines[:n] + ["\t".join(row)] + lines[n + 1:]) + "\n")
        return path
    with pytest.raises(CallLogError, match=rf"bank.txt: row {n}, column ser_start: '7:61:00' is not a time"):
        read_call_log(with_row_n(ser_start="7:61:00"), format="anonymous-bank")
    vru_exit = lines[n].split("\t")[7]   # served before queueing: the rule names the file's own column
    with pytest.raises(CallLogError, match=rf"bank.txt: row {n}, column ser_exit: .* is before ser_start"):
        read_call_log(with_row_n(ser_exit=vru_exit), format="anonymous-bank")
    with pytest.raises(CallLogError, match=rf"bank.txt: row {n}, column outcome: 'LOST' is not an outcome"):
        read_call_log(with_row_n(outcome="LOST"), format="anonymous-bank")
    with pytest.raises(CallLogError, match=rf"bank.txt: row {n}, column date: '991345' is not a date"):
        read_call_log(with_row_n(date="991345"), format="anonymous-bank")
    with pytest.raises(CallLogError, match=r"lacks the column\(s\) q_time"):
        read_call_log(write(tmp_path, [lines[1]], lines[0].replace("q_time", "q_secs")), format="anonymous-bank")
    with pytest.raises(OptionError, match="^format: "):
        read_call_log(BANK, format="bank")


# --------------------------------------------------------------------------- rules: the first bad row, named
def write(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "calls.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def ok(n: int) -> str:
    """A valid ivr_only call, C<n>, at 09:00 + n minutes."""
    return f"C{n},8,tech,2024-03-04 09:{n:02d}:00,,,2024-03-04 09:{n:02d}:30,,ivr_only"


T = "2024-03-04 10:00:{:02d}"
RULES = [  # (bad rows, given as row 3 and again as row 5), column, words of the problem
    (f"X,1,b,{T.format(0)},yesterday,,{T.format(9)},,abandoned", "queue_enter", "'yesterday' is not a date-time"),
    (f"X,1,b,{T.format(0)},120.5,,{T.format(9)},,abandoned", "queue_enter", "is a number, but row 1, column arrival"),
    (f"X,1,b,{T.format(0)},{T.format(5)},,{T.format(9)}+01:00,,abandoned", "end", "time zone +01:00"),
    (f"X,1,b,2024-02-30 10:00:00,,,{T.format(9)},,ivr_only", "arrival", "not a valid date-time"),
    (f"X,1,b,{T.format(0)},{T.format(5)},{T.format(3)},{T.format(9)},,answered", "answer", "is before queue_enter"),
    (f"X,1,b,{T.format(0)},,{T.format(0)[:-2]}-1,{T.format(9)},,answered", "answer", "not a date-time"),
    (f"X,1,b,{T.format(8)},,{T.format(3)},{T.format(9)},,answered", "answer", "is before arrival"),
    (f"X,1,b,{T.format(5)},{T.format(3)},,{T.format(9)},,abandoned", "queue_enter", "is before arrival"),
    (f"X,1,b,{T.format(0)},{T.format(1)},{T.format(5)},{T.format(4)},,answered", "end", "is before answer"),
    (f"X,1,b,{T.format(5)},,,{T.format(4)},,ivr_only", "end", "is before arrival"),
    (f"X,1,b,{T.format(0)},,,{T.format(4)},,hung_up", "outcome", "'hung_up' is not an outcome"),
    (f"X,1,b,{T.format(0)},{T.format(1)},,{T.format(4)},,answered", "answer", "is empty, but the outcome is answered"),
    (f"X,1,b,{T.format(0)},,,{T.format(4)},,abandoned", "queue_enter", "is empty, but the outcome is abandoned"),
    (f"X,1,b,{T.format(0)},,{T.format(1)},{T.format(4)},,blocked", "answer", "is given, but the outcome is"),
    (f"X,1,,{T.format(0)},,,{T.format(4)},,ivr_only", "call_type", "is empty"),
    (f"X,1,b,{T.format(0)},,,,,ivr_only", "end", "is empty"),
]


@pytest.mark.parametrize("bad, column, words", RULES, ids=[f"{c}: {w}" for _, c, w in RULES])
def test_each_rule_names_its_first_bad_row_and_column(tmp_path, bad, column, words):
    rows = [ok(1), ok(2), bad.replace("X", "C3", 1), ok(4), bad.replace("X", "C5", 1), ok(6)]
    with pytest.raises(CallLogError) as e:
        read_call_log(write(tmp_path, rows))
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / 'calls.csv'}: row 3, column {column}: "), msg
    assert words in msg and "\n" not in msg and len(msg) <= MAX_MESSAGE + len(str(tmp_path)), msg


def test_numbers_must_be_finite_non_negative_seconds(tmp_path):
    header = "call_id,call_type,arrival,queue_enter,answer,end,outcome"
    for bad, words in (("C2,b,-5,,,9,ivr_only", "row 2, column arrival: -5 is negative"),
                       ("C2,b,5,,,inf,ivr_only", "row 2, column end: inf is not a finite time"),
                       ("C2,b,5,,,1e12,ivr_only", "row 2, column end: 1e+12 is more than"),
                       ("C2,b,5,2024-03-04,,9,abandoned", "row 2, column queue_enter: '2024-03-04' is a date-time")):
        with pytest.raises(CallLogError, match=re.escape(words)):
            read_call_log(write(tmp_path, ["C1,b,0,1,2,3,answered", bad], header))


def test_the_first_bad_row_wins_across_columns_and_duplicates_name_both_rows(tmp_path):
    rows = [ok(1), ok(2).replace(",2024-03-04 09:02:30,", ",later,"), ok(3).replace("2024-03-04 09:03:00", "soon")]
    with pytest.raises(CallLogError, match=r"row 2, column end: 'later'"):
        read_call_log(write(tmp_path, rows))
    with pytest.raises(CallLogError, match=r"row 4, column call_id: 'C2' is also on row 2"):
        read_call_log(write(tmp_path, [ok(1), ok(2), ok(3), ok(2).replace("09:02", "09:04")]))


# --------------------------------------------------------------------------- files and hostile content
def test_files_that_are_not_logs(tmp_path):
    cases = {
        "missing.csv": (None, "file not found"),
        "empty.csv": (b"", "is empty"),
        "header.csv": (HEADER.encode() + b"\n", "has no calls"),
        "columns.csv": (b"call_id,arrival,end,notes\n1,2,3,x\n",
                        "lacks the column(s) call_type, queue_enter, answer, outcome"),
        "twice.csv": (f"{HEADER},answer\n".encode(), "names 'answer' twice"),
        "image.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "holds NUL bytes"),
        "book.xlsx": (b"PK\x03\x04\x14\x00\x06\x00", "an Excel workbook"),
        "broken.parquet": (b"PAR1\x00\x00garbage", "not a readable Parquet file"),
        "latin1.csv": (f"{HEADER}\n{GOOD}\nC2,1,caf\xe9,{T.format(0)},,,{T.format(4)},,ivr_only\n".encode("latin-1"),
                       "row 2, column call_type: is not UTF-8 text"),
        "fields.csv": (f"{HEADER}\n{GOOD}\n{ok(2)}\nC3,1,b\n".encode(), "row 3: has 3 field(s), the header has 9"),
    }
    for name, (content, words) in cases.items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
        with pytest.raises(CallLogError, match=re.escape(words)) as e:
            read_call_log(tmp_path / name)
        assert str(e.value).startswith(str(tmp_path / name)), str(e.value)
    with pytest.raises(CallLogError, match="is a directory"):
        read_call_log(tmp_path)


def test_hostile_content_is_capped_in_messages(tmp_path):
    huge = "9" * 5_000_000 + "x"   # a 5 MB time: refused, and shown cut short
    with pytest.raises(CallLogError, match=r"row 2, column arrival: '9{20,}\.\.\.") as e:
        read_call_log(write(tmp_path, [ok(1), f"C2,1,b,{huge},,,{T.format(4)},,ivr_only"]))
    assert len(str(e.value)) <= MAX_MESSAGE + len(str(tmp_path))
    path = tmp_path / "row.csv"   # a 40 MB row (a quote never closed, or a hostile file): refused at once
    with open(path, "w") as f:
        f.write(f"{HEADER}\n{GOOD}\n\"C2,")
        f.writelines("x" * 2**20 for _ in range(40))
    with pytest.raises(CallLogError, match="a row is longer than 16 MB, or a quote is never closed") as e:
        read_call_log(path)
    assert len(str(e.value)) <= MAX_MESSAGE + len(str(tmp_path))


def test_extra_columns_spaces_case_and_other_separators_are_fine(tmp_path):
    header = "Notes;" + ";".join(c.upper() if c == "agent" else c for c in COLUMNS)
    rows = ["free text, with commas;" + GOOD.replace(",", ";").replace("anna", " anna "), "x;" + ok(2).replace(",", ";")]
    log = read_call_log(write(tmp_path, rows, header))
    assert log.frame["agent"].tolist()[0] == "anna" and log.n_calls == 2


# --------------------------------------------------------------------------- a simulated center, as a log
@pytest.fixture(scope="module")
def run() -> ccsim.Results:
    sc = ccsim.erlang_a(arrival_rate=0.05, mean_handle_time=200, agents=3, mean_patience=60, horizon=3600.0,
                        warmup=0.0)
    return ccsim.simulate(sc, reps=2, seed=1)


def test_a_run_exports_a_log_that_reads_back(run):
    df = run.to_call_log()
    assert list(df.columns) == list(COLUMNS)
    log = call_log_from_frame(df)
    check_frame(log)
    calls = run.calls
    span = np.ceil((run.scenario.horizon + run.scenario.max_drain) / 86400) * 86400
    assert span >= run.scenario.horizon + run.scenario.max_drain and span % 86400 == 0
    f = log.frame.assign(rep=log.frame["call_id"].str.split("-").str[0].astype(int))
    f["t"] = f["arrival"] - f["rep"] * span            # replication i is day i
    assert (f["day"] == pd.Timestamp("1970-01-01") + pd.to_timedelta(f["rep"], unit="D")).all()
    sc = run.scenario
    for rep, k in run.kpis.iterrows():
        mine = f[(f["rep"] == rep) & (f["t"] >= sc.warmup) & (f["t"] < sc.horizon)]
        assert (mine["outcome"] == "answered").sum() == k["answered"] > 0
        assert (mine["outcome"] == "abandoned").sum() == k["abandoned"] > 0
    assert log.n_calls == (calls["outcome"] != "in_system").sum()
    ended = calls[calls["outcome"] != "in_system"]
    got = f.set_index("call_id").loc[ended["rep"].astype(str) + "-" + ended["caller"].astype(str) + "-" +
                                     ended["attempt"].astype(str)]
    np.testing.assert_array_equal(np.isnan(got["answer"].to_numpy()), ended["first_wait"].isna().to_numpy())
    np.testing.assert_allclose(got["t"], ended["arrival"])
    np.testing.assert_allclose(got["end"] - got["rep"] * span, ended["end"])
    waited = got["answer"] - got["queue_enter"]
    np.testing.assert_allclose(waited.dropna(), ended["first_wait"].dropna(), atol=1e-6)
    assert got["agent"].notna().to_numpy().tolist() == ended["first_group"].notna().tolist()
    assert got["agent"].dropna().str.startswith("agents-").all()


def test_a_run_exports_one_replication_and_leaves_out_contacts_still_in_the_system(run):
    one = run.to_call_log(rep=1)
    assert one["call_id"].str.startswith("1-").all()
    assert len(one) == (run.calls["rep"] == 1).sum()
    assert one["arrival"].min() < run.scenario.horizon   # not shifted
    calls = run.calls.copy()
    calls["outcome"] = calls["outcome"].cat.set_categories(["answered", "abandoned", "in_system"])
    calls.loc[calls.index[-1], ["outcome", "end"]] = ["in_system", np.nan]
    cut = dataclasses.replace(run, calls=calls).to_call_log()
    assert len(cut) == len(run.to_call_log()) - 1
    call_log_from_frame(cut)
    with pytest.raises(OptionError, match="^rep: 7 is not a replication"):
        run.to_call_log(rep=7)


def test_a_run_without_records_says_how_to_keep_them(run):
    with pytest.raises(ResultsError, match=r"^calls: .* \(fix: run with keep_calls=True\)"):
        dataclasses.replace(run, calls=None, legs=None).to_call_log()


def test_the_docs_example_is_the_sample_and_the_docs_name_every_column():
    doc = (Path(__file__).parent.parent / "docs" / "call-log.md").read_text()
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(example) == 5 and set(example) <= set(GENERIC.read_text().splitlines())
    for c in FRAME_COLUMNS:
        assert f"`{c}`" in doc, c
