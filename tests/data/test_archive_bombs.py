"""Archive bombs (issue 12.4): nothing decompressed unless asked, and then bounded; so are xlsx and Parquet."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from povdsl.data import files
from povdsl.pipeline import run
from povdsl.tools.cli import main

CPU_CEILING = 20.0  # seconds of CPU for the child (user + system)
RSS_CEILING = 700 * 2**20  # bytes of peak resident memory for the child

LINES = b"1,2\n" * (2**20)  # 4 MiB of a plausible CSV body


def _spec(tmp_path, source: str, settings: str = "") -> object:
    spec = tmp_path / "s.pov"
    spec.write_text(f'data d = "{source}"{settings}\n\nmodel m: y ~ x | ols\n', encoding="utf-8")
    return spec


def _gzip_bomb(path, inflated: int) -> None:
    """Concatenated gzip members (valid gzip): ~1 KB per 4 MiB, built without compressing gigabytes."""
    member = gzip.compress(LINES, 9)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(b"y,x\n", 9))
        fh.writelines(member for _ in range(inflated // len(LINES) + 1))


def test_gzip_bomb_is_refused_within_cpu_and_memory_ceilings(tmp_path):
    bomb = tmp_path / "d.csv.gz"
    _gzip_bomb(bomb, files.MAX_INFLATED_BYTES + 16 * 2**20)
    assert bomb.stat().st_size < 400_000  # a small file ...
    spec = _spec(tmp_path, "d.csv.gz", ' compression="gzip"')
    code = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run([sys.executable, '-m', 'povdsl.tools.cli', 'run', sys.argv[1], '--out', sys.argv[2]], capture_output=True, text=True)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(done.returncode, u.ru_utime + u.ru_stime, u.ru_maxrss * 1024)\n"
        "sys.stderr.write(done.stderr)\n"
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code, str(spec), str(tmp_path / "out")], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300, check=False)
    status, cpu, rss = done.stdout.split()
    assert int(status) == 1, done.stderr
    assert done.stderr.startswith(f"{spec}:1:1: error: data set 'd': d.csv.gz expands to more than {files.MAX_INFLATED_BYTES:,} bytes")
    assert float(cpu) < CPU_CEILING, f"{cpu} s of CPU"
    assert int(rss) < RSS_CEILING, f"{int(rss) / 2**20:.0f} MiB peak"


def test_a_compressed_file_is_not_decompressed_unless_asked(tmp_path, capsys):
    (tmp_path / "d.csv.gz").write_bytes(gzip.compress(b"y,x\n1,2\n3,4\n"))
    spec = _spec(tmp_path, "d.csv.gz")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:1:10: error[E304]: d.csv.gz is compressed; povdsl decompresses only when the spec asks" in err
    assert 'hint: add compression="gzip" to the data declaration' in err


def test_compressed_content_under_a_plain_name_is_recognised(tmp_path, capsys):
    (tmp_path / "d.csv").write_bytes(gzip.compress(b"y,x\n1,2\n3,4\n"))
    spec = _spec(tmp_path, "d.csv")
    assert main(["check", str(spec)]) == 1
    assert f"{spec}:1:10: error[E304]: d.csv is gzip-compressed" in capsys.readouterr().err


def test_a_tar_file_is_refused(tmp_path, capsys):
    (tmp_path / "d.tar").write_bytes(b"\0" * 1024)
    spec = _spec(tmp_path, "d.tar")
    assert main(["check", str(spec)]) == 1
    assert "d.tar is an archive povdsl does not open" in capsys.readouterr().err


@pytest.mark.parametrize("kind, suffix, compress", [("gzip", ".gz", gzip.compress), ("bz2", ".bz2", bz2.compress), ("xz", ".xz", lzma.compress)])
def test_asked_compression_reads_the_data(tmp_path, kind, suffix, compress):
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=50)})
    df["y"] = 3 * df["x"] + rng.normal(size=50)
    (tmp_path / f"d.csv{suffix}").write_bytes(compress(df.to_csv(index=False).encode()))
    result = run(_spec(tmp_path, f"d.csv{suffix}", f' compression="{kind}"')).results["m"]
    assert result.nobs == 50
    slope = np.polyfit(df["x"], df["y"], 1)[0]
    np.testing.assert_allclose(result.params["x"], slope, rtol=1e-10)


@pytest.mark.parametrize("kind, suffix", [("bz2", ".bz2"), ("xz", ".xz"), ("zip", ".zip")])
def test_every_compression_is_bounded(tmp_path, monkeypatch, capsys, kind, suffix):
    monkeypatch.setattr(files, "MAX_INFLATED_BYTES", 2**20)
    body = b"y,x\n" + LINES[: 2 * 2**20]
    path = tmp_path / f"d.csv{suffix}"
    if kind == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("d.csv", body)
    else:
        path.write_bytes({"bz2": bz2.compress, "xz": lzma.compress}[kind](body))
    spec = _spec(tmp_path, path.name, f' compression="{kind}"')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    assert f"{path.name} expands to more than 1,048,576 bytes" in capsys.readouterr().err


def test_xlsx_inflation_is_bounded(tmp_path, monkeypatch, capsys):
    pd.DataFrame({"y": np.arange(40_000.0), "x": 1.0}).to_excel(tmp_path / "d.xlsx", index=False)
    monkeypatch.setattr(files, "MAX_INFLATED_BYTES", 2**20)
    spec = _spec(tmp_path, "d.xlsx")
    assert main(["check", str(spec)]) == 1
    assert f"{spec}:1:10: error[E304]: d.xlsx expands to more than 1,048,576 bytes" in capsys.readouterr().err


def test_parquet_inflation_and_cells_are_bounded(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    pd.DataFrame({"y": rng.normal(size=400_000), "x": 1.0}).to_parquet(tmp_path / "d.parquet")  # pages of 3.2 MB decoded
    spec = _spec(tmp_path, "d.parquet")
    monkeypatch.setattr(files, "MAX_INFLATED_BYTES", 2**20)
    assert main(["check", str(spec)]) == 1
    assert "d.parquet expands to" in capsys.readouterr().err
    monkeypatch.setattr(files, "MAX_INFLATED_BYTES", 2**30)
    monkeypatch.setattr(files, "MAX_CELLS", 100_000)
    assert main(["check", str(spec)]) == 1
    assert "d.parquet declares 400,000 rows x 2 columns, over the limit of 100,000 cells" in capsys.readouterr().err
