"""minidl.save / minidl.load: round trips, bad files, and atomic replacement under SIGKILL."""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl as mdl
from minidl import nn


def model():
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def assert_same_structure(loaded, saved):
    assert type(loaded) is type(saved)
    if isinstance(saved, dict):
        assert list(loaded) == list(saved)
        for key in saved:
            assert_same_structure(loaded[key], saved[key])
    elif isinstance(saved, (list, tuple)):
        assert len(loaded) == len(saved)
        for a, b in zip(loaded, saved):
            assert_same_structure(a, b)
    elif isinstance(saved, np.ndarray):
        assert loaded.dtype == saved.dtype
        np.testing.assert_array_equal(loaded, saved)
    else:
        assert loaded == saved


# ---------------------------------------------------------------------------- round trips


def test_state_dict_round_trip(tmp_path):
    net = model()
    path = tmp_path / "model.npz"
    mdl.save(net.state_dict(), path)
    loaded = mdl.load(path)
    assert_same_structure(loaded, net.state_dict())
    fresh = model()
    fresh.load_state_dict(loaded)
    for a, b in zip(fresh.parameters(), net.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_nested_checkpoint_round_trip(tmp_path):
    checkpoint = {
        "model": model().state_dict(),
        "optimizer": {"state": {0: {"m": np.ones(3)}}, "betas": (0.9, 0.999), "lr": 1e-3},
        "epoch": 3,
        "name": "mlp",
        "done": False,
        "best": None,
        "history": [0.5, 0.25, float("inf")],
        "step": np.int64(12),
        "rng": mdl.random.get_state(),
        "file": np.arange(4, dtype=np.int32),  # a key np.savez itself could not store
        "a/b": np.zeros(1),
        "a": {"b": np.ones(1)},  # the same "a/b" entry path: kept apart
    }
    path = tmp_path / "checkpoint.npz"
    mdl.save(checkpoint, path)
    loaded = mdl.load(path)
    assert_same_structure(loaded, checkpoint)
    assert type(loaded["step"]) is np.int64


def test_tensors_and_device_arrays_are_saved_as_host_arrays(tmp_path, backend):
    weight = mdl.tensor([[1.0, 2.0]])
    mdl.save({"w": weight, "raw": weight.data}, tmp_path / "t.npz")
    loaded = mdl.load(tmp_path / "t.npz")
    assert type(loaded["w"]) is np.ndarray and type(loaded["raw"]) is np.ndarray
    np.testing.assert_array_equal(loaded["w"], [[1.0, 2.0]])


def test_the_file_is_a_plain_npz(tmp_path):
    mdl.save({"model": {"0.weight": np.eye(2)}}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["model/0.weight"], np.eye(2))


def test_a_numpy_savez_file_loads_as_a_flat_dict(tmp_path):
    np.savez(tmp_path / "plain.npz", weight=np.eye(2), bias=np.zeros(2))
    loaded = mdl.load(tmp_path / "plain.npz")
    assert sorted(loaded) == ["bias", "weight"]


def test_save_replaces_an_existing_file_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "c.npz"
    mdl.save({"v": np.zeros(3)}, path)
    mdl.save({"v": np.ones(3)}, str(path))
    np.testing.assert_array_equal(mdl.load(path)["v"], np.ones(3))
    assert os.listdir(tmp_path) == ["c.npz"]


def test_save_refuses_what_it_cannot_store_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match=r"state_dict\(\)"):
        mdl.save(model(), tmp_path / "m.npz")
    with pytest.raises(TypeError, match=r"\['model'\]\['f'\]"):
        mdl.save({"model": {"f": object()}}, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="keys must be str or int"):
        mdl.save({(1, 2): np.zeros(1)}, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------- bad files


@pytest.fixture
def saved_file(tmp_path):
    path = tmp_path / "good.npz"
    mdl.save({"model": model().state_dict(), "epoch": 1}, path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(mdl.CheckpointError, match="no such file") as error:
        mdl.load(tmp_path / "nope.npz")
    assert "nope.npz" in str(error.value)


def test_truncated_file(saved_file):
    data = saved_file.read_bytes()
    for keep in (len(data) - 10, len(data) // 2, 10):
        saved_file.write_bytes(data[:keep])
        with pytest.raises(mdl.CheckpointError, match="truncated or corrupt") as error:
            mdl.load(saved_file)
        assert "good.npz" in str(error.value)


def test_corrupt_bytes_inside_an_array(saved_file):
    data = bytearray(saved_file.read_bytes())
    data[200] ^= 0xFF  # inside the first array's values: only its CRC-32 can tell
    saved_file.write_bytes(bytes(data))
    with pytest.raises(mdl.CheckpointError, match="CRC"):
        mdl.load(saved_file)


def test_text_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("these are not weights\n")
    with pytest.raises(mdl.CheckpointError, match="not an .npz file"):
        mdl.load(path)


def test_empty_file_and_directory(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(mdl.CheckpointError, match="empty"):
        mdl.load(tmp_path / "empty.npz")
    with pytest.raises(mdl.CheckpointError, match="directory"):
        mdl.load(tmp_path)


def test_damaged_description_entry(tmp_path):
    np.savez(tmp_path / "odd.npz", __minidl__=np.array("{not json"))
    with pytest.raises(mdl.CheckpointError, match="__minidl__"):
        mdl.load(tmp_path / "odd.npz")


def test_pickled_entries_are_refused(tmp_path):
    np.savez(tmp_path / "pickle.npz", evil=np.array([object()], dtype=object))
    with pytest.raises(mdl.CheckpointError, match="holds Python objects .* never loads"):
        mdl.load(tmp_path / "pickle.npz")


# ---------------------------------------------------------------------------- atomicity

SAVE_FOREVER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import minidl as mdl

    path, size = sys.argv[1], int(sys.argv[2])
    step = 1
    while True:
        mdl.save({"weights": np.full(size, float(step)), "step": step}, path)
        print(step, flush=True)
        step += 1
    """
)


def test_a_killed_save_leaves_the_old_or_the_new_checkpoint(tmp_path):
    """SIGKILL a process that keeps overwriting a large checkpoint; the file is never broken."""
    path = tmp_path / "big.npz"
    size = 2_000_000  # 16 MB of float64 per save
    mdl.save({"weights": np.full(size, 0.0), "step": 0}, path)
    rng = np.random.default_rng(0)
    for _ in range(3):
        writer = subprocess.Popen(
            [sys.executable, "-c", SAVE_FOREVER, str(path), str(size)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout.readline().strip()  # at least one save finished
            time.sleep(rng.uniform(0.0, 0.15))  # then kill it somewhere inside a later one
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            writer.stdout.close()
        checkpoint = mdl.load(path)
        step = checkpoint["step"]
        assert checkpoint["weights"].shape == (size,)
        assert np.all(checkpoint["weights"] == float(step))


# ---------------------------------------------------------------------------- any structure

array_leaves = hnp.arrays(
    st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
    hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
)
plain_leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
checkpoints = st.dictionaries(
    st.text() | st.integers(),
    st.recursive(
        array_leaves | plain_leaves,
        lambda children: (
            st.lists(children, max_size=3)
            | st.tuples(children, children)
            | st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=3)
        ),
        max_leaves=8,
    ),
    max_size=4,
)


@settings(max_examples=40)
@given(checkpoint=checkpoints)
def test_any_nested_checkpoint_round_trips(tmp_path_factory, checkpoint):
    path = tmp_path_factory.mktemp("roundtrip") / "c.npz"
    mdl.save(checkpoint, path)
    assert_same_structure(mdl.load(path), checkpoint)


def test_saved_file_gets_the_usual_permissions(tmp_path):
    path = tmp_path / "perm.npz"
    mdl.save({"w": np.zeros(2)}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask


# ---------------------------------------------------------------------------- the file itself


def test_resave_keeps_the_mode_of_the_existing_file(tmp_path):
    path = tmp_path / "private.npz"
    mdl.save({"w": np.zeros(2)}, path)
    os.chmod(path, 0o600)
    mdl.save({"w": np.ones(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    np.testing.assert_array_equal(mdl.load(path)["w"], np.ones(2))


def test_saving_through_a_symlink_writes_the_file_it_points_to(tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "real.npz"
    mdl.save({"w": np.zeros(2)}, target)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    mdl.save({"w": np.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(mdl.load(target)["w"], np.ones(2))
    dangling = tmp_path / "next.npz"
    dangling.symlink_to(tmp_path / "runs" / "not_yet.npz")
    mdl.save({"w": np.ones(3)}, dangling)
    assert dangling.is_symlink()
    assert mdl.load(tmp_path / "runs" / "not_yet.npz")["w"].shape == (3,)


def dead_process_id() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    return int(finished.stdout)


def test_the_next_save_removes_temporary_files_of_killed_writers(tmp_path):
    path = tmp_path / "model.npz"
    dead = tmp_path / f".model.npz.minidl-{dead_process_id()}-0badc0de.tmp"
    alive = tmp_path / f".model.npz.minidl-{os.getppid()}-0badc0de.tmp"  # a live process
    other_file = tmp_path / f".other.npz.minidl-{dead_process_id()}-0badc0de.tmp"
    for leftover in (dead, alive, other_file):
        leftover.write_bytes(b"half a checkpoint")
    mdl.save({"w": np.zeros(2)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["model.npz", alive.name, other_file.name])


def test_killed_saves_leave_no_temporary_files_after_the_next_save(tmp_path):
    """SIGKILL a writer mid-save several times; one more save leaves only the checkpoint."""
    path = tmp_path / "big.npz"
    for _ in range(3):
        writer = subprocess.Popen(
            [sys.executable, "-c", SAVE_FOREVER, str(path), "2000000"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            writer.stdout.readline()
            time.sleep(0.05)
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            writer.stdout.close()
    mdl.save({"w": np.zeros(2)}, path)
    assert os.listdir(tmp_path) == ["big.npz"]


SAVE_ON_CUE = textwrap.dedent(
    """
    import sys
    import numpy as np
    import minidl as mdl
    from minidl import serialization

    write_npz = serialization._write_npz

    def announce_then_write(file, arrays):  # the cue comes from inside the write
        print("writing", flush=True)
        write_npz(file, arrays)

    serialization._write_npz = announce_then_write
    weights = np.full(8_000_000, 1.0)  # 64 MB: the write takes a while
    mdl.save({"weights": weights}, sys.argv[1])
    print("saved", flush=True)
    """
)


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_a_signal_during_a_save_waits_until_the_file_is_complete(signal_name, tmp_path):
    path = tmp_path / "big.npz"
    writer = subprocess.Popen(
        [sys.executable, "-c", SAVE_ON_CUE, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        writer.send_signal(getattr(signal, signal_name))
        writer.wait(timeout=60)
    finally:
        writer.kill()
        writer.stdout.close()
    assert writer.returncode != 0  # the signal still ends the process, after the save
    assert os.listdir(tmp_path) == ["big.npz"]
    assert np.all(mdl.load(path)["weights"] == 1.0)


@pytest.mark.parametrize(
    "where, why",
    [
        ("missing/m.npz", "the directory .* does not exist"),
        ("", "the path is empty"),
        (".", "it is a directory"),
    ],
)
def test_save_errors_name_the_users_path_not_the_temporary_file(tmp_path, where, why):
    path = str(tmp_path / where) if where else ""
    with pytest.raises((OSError, ValueError), match=why) as error:
        mdl.save({"w": np.zeros(2)}, path)
    assert repr(path) in str(error.value) and ".tmp" not in str(error.value)


# ---------------------------------------------------------------------------- crafted files


def write_zip(path, entries: dict[str, bytes]) -> None:
    """A zip of the given entries, exactly as given (a crafted .npz)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def metadata_entry(description: str) -> bytes:
    return npy_bytes(np.array(description))


def test_metadata_nested_200000_deep_is_a_checkpoint_error(tmp_path):
    depth = 200_000
    tree = '{"list": [' * depth + '{"value": 1}' + "]}" * depth
    description = (
        f'{{"format": "minidl-checkpoint", "version": 2, "tree": {tree}, "manifest": {{}}}}'
    )
    write_zip(tmp_path / "deep.npz", {"__minidl__.npy": metadata_entry(description)})
    with pytest.raises(mdl.CheckpointError, match="nested too deeply|nested more than"):
        mdl.load(tmp_path / "deep.npz")
    shallow_enough = '{"list": [' * 150 + '{"value": 1}' + "]}" * 150  # JSON fine, too deep
    description = description.replace(tree, shallow_enough)
    write_zip(tmp_path / "deep.npz", {"__minidl__.npy": metadata_entry(description)})
    with pytest.raises(mdl.CheckpointError, match="nested more than 100 levels"):
        mdl.load(tmp_path / "deep.npz")


def test_save_refuses_nesting_deeper_than_load_accepts(tmp_path):
    nested: list = []
    for _ in range(150):
        nested = [nested]
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        mdl.save({"a": nested}, tmp_path / "deep.npz")
    itself: list = []
    itself.append(itself)
    with pytest.raises(ValueError, match="inside itself"):
        mdl.save({"a": itself}, tmp_path / "deep.npz")
    assert not os.listdir(tmp_path)


def test_an_npy_header_claiming_a_trillion_elements_is_a_checkpoint_error(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    write_zip(tmp_path / "huge.npz", {"w.npy": header.getvalue() + bytes(80)})
    with pytest.raises(mdl.CheckpointError, match=r"declares an array of shape \(1000000000000,\)"):
        mdl.load(tmp_path / "huge.npz")


def rewrite_without(source, target, left_out: str) -> None:
    """Copy a .npz entry by entry, leaving one entry out."""
    with zipfile.ZipFile(source) as archive:
        entries = {name: archive.read(name) for name in archive.namelist() if name != left_out}
    write_zip(target, entries)


def test_entries_missing_from_a_checkpoint_are_found_by_its_manifest(tmp_path):
    path = tmp_path / "full.npz"
    mdl.save({"model": model().state_dict(), "step": 3}, path)
    rewrite_without(path, tmp_path / "cut.npz", "model/2.bias.npy")
    with pytest.raises(
        mdl.CheckpointError, match="does not match its own manifest.*missing: model/2.bias"
    ):
        mdl.load(tmp_path / "cut.npz")


def test_swapped_array_data_is_found_by_the_manifests_checksums(tmp_path):
    path = tmp_path / "two.npz"
    mdl.save({"a": np.zeros(3), "b": np.ones(3)}, path)
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["a.npy"], entries["b.npy"] = entries["b.npy"], entries["a.npy"]
    write_zip(tmp_path / "swapped.npz", entries)  # each entry's zip CRC is still right
    with pytest.raises(mdl.CheckpointError, match="a: its data does not match the manifest"):
        mdl.load(tmp_path / "swapped.npz")


def test_a_directory_that_lost_the_description_entry_is_an_error(tmp_path):
    path = tmp_path / "m.npz"
    mdl.save({"w": np.zeros(3)}, path)
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(tmp_path / "lost.npz", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        archive.filelist = [info for info in archive.filelist if info.filename != "__minidl__.npy"]
    assert zipfile.ZipFile(tmp_path / "lost.npz").namelist() == ["w.npy"]
    with pytest.raises(mdl.CheckpointError, match="does not list its first entry"):
        mdl.load(tmp_path / "lost.npz")


def central_directory_span(data: bytes) -> tuple[int, int]:
    end = data.rindex(b"PK\x05\x06")
    directory_offset = int.from_bytes(data[end + 16 : end + 20], "little")
    if directory_offset == 0xFFFFFFFF:  # zip64: the real offset is in the zip64 record
        zip64_end = data.rindex(b"PK\x06\x06")
        directory_offset = int.from_bytes(data[zip64_end + 48 : zip64_end + 56], "little")
    return directory_offset, len(data)  # the directory and the end records after it


def test_bit_flips_in_the_zip_directory_never_load_with_entries_missing(tmp_path):
    saved = {"model": model().state_dict(), "optimizer": {"step": np.arange(5)}, "epoch": 2}
    path = tmp_path / "c.npz"
    mdl.save(saved, path)
    data = path.read_bytes()
    start, end = central_directory_span(data)
    rng = np.random.default_rng(0)
    outcomes = {"error": 0, "identical": 0}
    for bit in rng.choice((end - start) * 8, size=400, replace=False):
        flipped = bytearray(data)
        flipped[start + bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(flipped))
        try:
            loaded = mdl.load(path)
        except mdl.CheckpointError:
            outcomes["error"] += 1
            continue
        assert_same_structure(loaded, saved)  # loaded means: everything, unchanged
        outcomes["identical"] += 1
    assert sum(outcomes.values()) == 400


def test_a_version_1_checkpoint_without_manifest_loads_with_a_warning(tmp_path):
    import json

    path = tmp_path / "v2.npz"
    mdl.save({"w": np.arange(3.0), "step": 4}, path)
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    description = json.loads(np.lib.format.read_array(
        io.BytesIO(entries["__minidl__.npy"])).item())  # fmt: skip
    description["version"] = 1
    del description["manifest"]
    entries["__minidl__.npy"] = metadata_entry(json.dumps(description))
    write_zip(tmp_path / "v1.npz", entries)
    with pytest.warns(UserWarning, match="format version 1.*without a manifest"):
        loaded = mdl.load(tmp_path / "v1.npz")
    np.testing.assert_array_equal(loaded["w"], np.arange(3.0))
    assert loaded["step"] == 4


LOAD_AND_MEASURE = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    import minidl as mdl
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.argv[2] == "minidl":
        loaded = mdl.load(sys.argv[1])
    else:
        with np.load(sys.argv[1]) as archive:
            loaded = {name: archive[name] for name in archive.files}
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)  # KiB
    """
)


def test_load_reads_each_array_once_into_its_final_memory(tmp_path):
    """Peak memory of a load grows by about the file's size, not twice that."""
    path = tmp_path / "big.npz"
    size_bytes = 48 * 2**20
    mdl.save({"a": np.ones(size_bytes // 8)}, path)
    measured = subprocess.run(
        [sys.executable, "-c", LOAD_AND_MEASURE, str(path), "minidl"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    growth = int(measured.stdout) * 1024
    assert growth < 1.3 * size_bytes, f"load grew the peak memory by {growth / size_bytes:.2f}x"


SAVE_AS_WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import minidl as mdl

    path, writer = sys.argv[1], int(sys.argv[2])
    step = 0
    while True:
        value = writer * 1000 + step
        mdl.save({"weights": np.full(500_000, float(value)), "value": value}, path)
        print(step, flush=True)
        step += 1
    """
)


def test_concurrent_saves_from_two_processes_never_tear_the_file(tmp_path):
    path = tmp_path / "shared.npz"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", SAVE_AS_WRITER, str(path), str(writer)],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for writer in (1, 2)
    ]
    try:
        for writer in writers:
            assert writer.stdout.readline().strip() == "0"
        loads = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            checkpoint = mdl.load(path)  # always one whole save of one writer
            assert np.all(checkpoint["weights"] == float(checkpoint["value"]))
            loads += 1
    finally:
        for writer in writers:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            writer.stdout.close()
    assert loads > 0
    mdl.save({"w": np.zeros(1)}, path)  # and cleans up what the killed writers left
    assert os.listdir(tmp_path) == ["shared.npz"]
