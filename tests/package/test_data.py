"""The data helpers saved from the chapter Data preprocessing (``d2l_prep.data``)."""

from __future__ import annotations

import errno
import math
import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from d2l_prep import data
from d2l_prep.data import HOUSE_COLUMNS, HOUSES, sample_houses, write_house_csv

TINY_CSV = (
    "NumRooms,Alley,Price\nNA,Pave,127500\n2,NA,106000\n4,NA,178100\nNA,NA,140000\n"
)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- HOUSES ---------------------------------------------------------------------


def test_houses_is_the_books_four_row_table() -> None:
    assert HOUSE_COLUMNS == ("NumRooms", "Alley", "Price")
    assert [tuple(row[c] for c in HOUSE_COLUMNS) for row in HOUSES] == [
        (None, "Pave", 127500),
        (2, None, 106000),
        (4, None, 178100),
        (None, None, 140000),
    ]


# -- write_house_csv: content -------------------------------------------------------


def test_writes_the_tiny_table_by_default(tmp_path: Path) -> None:
    path = tmp_path / "house_tiny.csv"
    assert write_house_csv(path) == path
    assert path.read_bytes() == TINY_CSV.encode()


def test_writes_given_rows_with_missing_entries_as_na(tmp_path: Path) -> None:
    rows = [
        {"NumRooms": 3, "Alley": "Pave", "Price": 1},
        {"NumRooms": None, "Alley": None, "Price": 2},
    ]
    path = write_house_csv(tmp_path / "h.csv", rows)
    assert path.read_text() == "NumRooms,Alley,Price\n3,Pave,1\nNA,NA,2\n"


def test_accepts_a_str_and_any_iterable_of_rows(tmp_path: Path) -> None:
    path = write_house_csv(str(tmp_path / "h.csv"), (row for row in HOUSES))
    assert isinstance(path, Path)
    assert path.read_text() == TINY_CSV


def test_relative_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert write_house_csv("data/house_tiny.csv") == Path("data/house_tiny.csv")
    assert (tmp_path / "data" / "house_tiny.csv").read_text() == TINY_CSV
    assert files_in(tmp_path) == ["data"]


def test_creates_missing_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c" / "house.csv"
    write_house_csv(path)
    assert path.read_text() == TINY_CSV


def test_pandas_reads_missing_entries_as_nan(tmp_path: Path) -> None:
    frame = pd.read_csv(write_house_csv(tmp_path / "h.csv"))
    assert frame.columns.tolist() == list(HOUSE_COLUMNS)
    assert frame.isna().to_numpy().tolist() == [
        [True, False, False],
        [False, True, False],
        [False, True, False],
        [True, True, False],
    ]
    assert frame["NumRooms"].dtype == "float64"
    assert frame["Price"].tolist() == [127500, 106000, 178100, 140000]
    assert frame["NumRooms"].mean() == 3.0


# -- write_house_csv: never replacing data silently ---------------------------------


def test_identical_rewrite_leaves_the_file_alone(tmp_path: Path) -> None:
    path = write_house_csv(tmp_path / "h.csv")
    os.utime(
        path, ns=(1_000_000_000, 1_000_000_000)
    )  # an old time a rewrite would change
    before = path.stat()
    for overwrite in (False, True):
        assert write_house_csv(path, overwrite=overwrite) == path
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert files_in(tmp_path) == ["h.csv"]


def test_different_content_raises_and_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = write_house_csv(tmp_path / "h.csv")
    with pytest.raises(FileExistsError, match="left untouched") as error:
        write_house_csv(path, HOUSES[:2])
    assert "overwrite=True" in str(error.value)
    assert str(path) in str(error.value)
    assert path.read_text() == TINY_CSV
    assert files_in(tmp_path) == ["h.csv"]


def test_a_foreign_file_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("someone's precious data\n")
    with pytest.raises(FileExistsError):
        write_house_csv(path)
    assert path.read_text() == "someone's precious data\n"


def test_overwrite_true_replaces_different_content(tmp_path: Path) -> None:
    path = write_house_csv(tmp_path / "h.csv")
    write_house_csv(path, HOUSES[:1], overwrite=True)
    assert path.read_text() == "NumRooms,Alley,Price\nNA,Pave,127500\n"
    assert files_in(tmp_path) == ["h.csv"]


def test_a_folder_is_not_a_destination(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="folder"):
        write_house_csv(tmp_path, overwrite=True)
    assert files_in(tmp_path) == []


# -- write_house_csv: atomicity -----------------------------------------------------


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    write_house_csv(tmp_path / "h.csv")
    write_house_csv(tmp_path / "h.csv", HOUSES[:2], overwrite=True)
    assert files_in(tmp_path) == ["h.csv"]


def _fail(*args: Any, **kwargs: Any) -> None:
    raise OSError("disk full")


def _interrupt(*args: Any, **kwargs: Any) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("step", ["fsync", "replace"])
@pytest.mark.parametrize("failure", [_fail, _interrupt])
def test_a_failed_replacement_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, failure: Any
) -> None:
    path = write_house_csv(tmp_path / "h.csv")
    monkeypatch.setattr(data.os, step, failure)
    with pytest.raises((OSError, KeyboardInterrupt)):
        write_house_csv(path, HOUSES[:2], overwrite=True)
    assert path.read_text() == TINY_CSV
    assert files_in(tmp_path) == ["h.csv"]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failed_first_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    monkeypatch.setattr(data.os, step, _fail)
    with pytest.raises(OSError, match="disk full"):
        write_house_csv(tmp_path / "h.csv")
    assert files_in(tmp_path) == []


def _refuse(path: Any, *args: Any, **kwargs: Any) -> None:
    raise PermissionError(errno.EACCES, "Permission denied", str(path))


def test_an_unwritable_folder_is_named_not_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The folder refuses the temporary file, as a read-only folder does (the
    # tests may run as root, whom file permissions do not stop).
    monkeypatch.setattr(data, "open", _refuse, raising=False)
    target = tmp_path / "ro" / "x.csv"
    with pytest.raises(PermissionError) as raised:
        write_house_csv(target)
    assert raised.value.filename == str(target)
    assert str(raised.value) == f"[Errno 13] Permission denied: {str(target)!r}"
    assert ".tmp" not in str(raised.value)
    assert files_in(tmp_path / "ro") == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="file permissions do not stop root",
)
def test_a_read_only_folder_raises_naming_the_target(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=r"ro/x\.csv'$"):
            write_house_csv(folder / "x.csv")
    finally:
        folder.chmod(0o755)


# -- write_house_csv: validation ----------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"path": 123}, TypeError, ["path", "123", "str or os.PathLike"]),
        ({"overwrite": "yes"}, TypeError, ["overwrite", "'yes'", "True or False"]),
        ({"overwrite": 1}, TypeError, ["overwrite", "1 (int)"]),
        ({"rows": HOUSES[0]}, TypeError, ["rows", "list of dicts"]),
        ({"rows": "NA,Pave,1"}, TypeError, ["rows", "list of dicts"]),
        ({"rows": [("NA", "Pave", 1)]}, TypeError, ["rows[0]", "dict", "tuple"]),
        (
            {"rows": [{"NumRooms": 1, "Price": 1}]},
            ValueError,
            ["rows[0]", "keys", "Alley"],
        ),
        (
            {"rows": [HOUSES[0], {**HOUSES[0], "Extra": 1}]},
            ValueError,
            ["rows[1]", "keys", "Extra"],
        ),
        (
            {"rows": [{**HOUSES[0], "NumRooms": 2.5}]},
            TypeError,
            ["['NumRooms']", "2.5 (float)"],
        ),
        (
            {"rows": [{**HOUSES[0], "NumRooms": True}]},
            TypeError,
            ["['NumRooms']", "True"],
        ),
        (
            {"rows": [{**HOUSES[0], "Alley": 7}]},
            TypeError,
            ["['Alley']", "7 (int)", "str"],
        ),
        (
            {"rows": [{**HOUSES[0], "Alley": "NA"}]},
            ValueError,
            ["['Alley']", "'NA'", "None"],
        ),
        (
            {"rows": [{**HOUSES[0], "Alley": ""}]},
            ValueError,
            ["['Alley']", "''", "None"],
        ),
        (
            {"rows": [{**HOUSES[0], "Price": None}]},
            TypeError,
            ["['Price']", "None", "int"],
        ),
        (
            {"rows": [{**HOUSES[0], "Price": "1"}]},
            TypeError,
            ["['Price']", "'1' (str)"],
        ),
    ],
)
def test_invalid_arguments_are_named_and_nothing_is_written(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception], words: list[str]
) -> None:
    arguments = {"path": tmp_path / "new" / "h.csv", **kwargs}
    with pytest.raises(error) as raised:
        write_house_csv(**arguments)
    for word in words:
        assert word in str(raised.value)
    assert files_in(tmp_path) == []


# -- sample_houses ------------------------------------------------------------------


def test_sample_is_seeded_and_matches_the_book() -> None:
    # The chapter prints this sample: changing the generator changes the book.
    assert sample_houses(5, seed=0) == [
        {"NumRooms": None, "Alley": None, "Price": 130700},
        {"NumRooms": 4, "Alley": "Pave", "Price": 155000},
        {"NumRooms": 3, "Alley": None, "Price": 105500},
        {"NumRooms": 1, "Alley": None, "Price": 66400},
        {"NumRooms": 6, "Alley": None, "Price": 163700},
    ]
    assert sample_houses(5, seed=0) == sample_houses(5, seed=0)
    assert sample_houses(20, seed=0) != sample_houses(20, seed=1)
    assert len(sample_houses()) == 4
    assert sample_houses(0) == []


def test_sample_leaves_the_global_random_state_alone() -> None:
    state = random.getstate()
    sample_houses(10, seed=3)
    assert random.getstate() == state


@given(
    num_rows=st.integers(0, 40),
    seed=st.integers(0, 2**64),
    missing=st.floats(0, 1),
)
def test_sample_rows_have_the_documented_form(
    num_rows: int, seed: int, missing: float
) -> None:
    rows = sample_houses(num_rows, seed=seed, missing=missing)
    assert len(rows) == num_rows
    for row in rows:
        assert tuple(row) == HOUSE_COLUMNS
        assert row["NumRooms"] is None or row["NumRooms"] in range(1, 7)
        assert row["Alley"] in ("Pave", None)
        price = row["Price"]
        assert isinstance(price, int) and price % 100 == 0
        assert 60_000 <= price <= 195_000


@given(seed=st.integers(0, 1000), low=st.floats(0, 1), high=st.floats(0, 1))
def test_more_missing_hides_more_entries_of_the_same_houses(
    seed: int, low: float, high: float
) -> None:
    low, high = min(low, high), max(low, high)
    few = sample_houses(30, seed=seed, missing=low)
    many = sample_houses(30, seed=seed, missing=high)
    for a, b in zip(few, many, strict=True):
        assert a["Price"] == b["Price"]
        for column in ("NumRooms", "Alley"):
            assert b[column] is None or b[column] == a[column]
    assert sample_houses(10, seed=seed, missing=low) == few[:10]


def test_missing_zero_hides_no_room_count_and_one_hides_everything() -> None:
    assert all(row["NumRooms"] is not None for row in sample_houses(100, missing=0))
    rows = sample_houses(100, missing=1.0)
    assert all(row["NumRooms"] is None and row["Alley"] is None for row in rows)
    assert all(row["Price"] is not None for row in rows)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"num_rows": -1}, ValueError, ["num_rows", "-1", "0 or more"]),
        ({"num_rows": 2.0}, TypeError, ["num_rows", "2.0 (float)", "int"]),
        ({"num_rows": True}, TypeError, ["num_rows", "True (bool)"]),
        ({"seed": -5}, ValueError, ["seed", "-5", "0 or more"]),
        ({"seed": "0"}, TypeError, ["seed", "'0' (str)", "int"]),
        ({"missing": 1.5}, ValueError, ["missing", "1.5", "from 0 to 1"]),
        ({"missing": -0.1}, ValueError, ["missing", "-0.1"]),
        ({"missing": math.nan}, ValueError, ["missing", "nan"]),
        ({"missing": "0.1"}, TypeError, ["missing", "'0.1' (str)", "real number"]),
        ({"missing": False}, TypeError, ["missing", "False (bool)"]),
    ],
)
def test_sample_rejects_invalid_arguments_by_name(
    kwargs: dict[str, Any], error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as raised:
        sample_houses(**kwargs)
    for word in words:
        assert word in str(raised.value)


# -- the two together -----------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    num_rows=st.integers(0, 30), seed=st.integers(0, 10_000), missing=st.floats(0, 1)
)
def test_a_written_sample_reads_back_with_nan_where_entries_are_missing(
    num_rows: int, seed: int, missing: float
) -> None:
    rows = sample_houses(num_rows, seed=seed, missing=missing)
    with tempfile.TemporaryDirectory() as folder:
        frame = pd.read_csv(write_house_csv(Path(folder) / "h.csv", rows))
    assert frame.columns.tolist() == list(HOUSE_COLUMNS)
    assert len(frame) == num_rows
    for column in HOUSE_COLUMNS:
        values = frame[column].tolist()
        for value, row in zip(values, rows, strict=True):
            if row[column] is None:
                assert pd.isna(value)
            else:
                assert value == row[column]


# One dialect (issue 17 §2): NumPy scalars wherever Python numbers go, and a
# bool is never a number.
@pytest.mark.parametrize(
    "num_rows, seed, missing",
    [
        (np.int64(3), 0, 0.25),
        (np.int32(3), 0, 0.25),
        (3, np.int64(0), 0.25),
        (3, 0, np.float32(0.25)),
        (3, 0, np.float64(0.25)),
        (3, 0, np.int64(0)),
    ],
    ids=repr,
)
def test_sample_houses_takes_numpy_scalars(
    num_rows: Any, seed: Any, missing: Any
) -> None:
    assert sample_houses(num_rows, seed=seed, missing=missing) == sample_houses(
        int(num_rows), seed=int(seed), missing=float(missing)
    )


@pytest.mark.parametrize("flag", [True, False, np.bool_(True)], ids=repr)
@pytest.mark.parametrize("argument", ["num_rows", "seed", "missing"])
def test_sample_houses_refuses_bools(argument: str, flag: object) -> None:
    arguments: dict[str, object] = {"num_rows": 3, "seed": 0, "missing": 0.25}
    arguments[argument] = flag
    with pytest.raises(TypeError, match=rf"{argument} must be .*, got .*bool"):
        sample_houses(**arguments)  # type: ignore[arg-type]


def test_write_house_csv_takes_numpy_integers(tmp_path: Path) -> None:
    rows = [{"NumRooms": np.int64(3), "Alley": None, "Price": np.int32(127500)}]
    path = write_house_csv(tmp_path / "h.csv", rows)  # type: ignore[arg-type]
    assert path.read_text().splitlines()[1] == "3,NA,127500"


@pytest.mark.parametrize("column", ["NumRooms", "Price"])
def test_write_house_csv_refuses_bools(tmp_path: Path, column: str) -> None:
    row: dict[str, object] = {"NumRooms": 3, "Alley": None, "Price": 127500}
    row[column] = True
    with pytest.raises(TypeError, match=rf"rows\[0\]\['{column}'\] must be an int"):
        write_house_csv(tmp_path / "h.csv", [row])  # type: ignore[list-item]
    assert not (tmp_path / "h.csv").exists()
