"""Speed and memory benchmark: end-to-end ``imsrecon reconcile`` against a plain-join floor.

    python benchmarks/speed.py [--sizes 10000 100000 1000000] [--repeat 1] [--workdir DIR] [--keep]
                               [--cores 2]

For each size N: generate N IMS documents and a register of about the same size (seed 1, Tally
layout, register as CSV; cached in ``<workdir>/d10k``, ``d100k``, ``d1m``, … so reruns skip it), then
run, each as a separate process measured with ``/usr/bin/time -v`` (wall clock, peak RSS, CPU):

  imsrecon   imsrecon reconcile --ims ims.json --pr purchase_register.csv --gstin … --db :memory: --out result.csv
  polars     python benchmarks/floor_polars.py ims.json purchase_register.csv out.csv
  duckdb     python benchmarks/floor_duckdb.py ims.json purchase_register.csv out.csv

Each command runs --repeat times; the best wall time (with that run's peak memory) is kept.
The floor is the faster of the two plain joins; its peak memory is the memory floor.

Targets (issue): at 1M x 1M, imsrecon wall time <= 1.5x the floor's and peak memory <= 1.5x the
floor's; time grows linearly (10x the documents -> at most 11x the time). The exit status is 1 when
1M was run and a target failed, 2 when a command failed, else 0.

The table is also written as JSON to benchmarks/out/speed-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECIPIENT = "27AAPFU0939F1ZV"
SEED = 1
LAYOUT = "tally"
TARGET_SIZE = 1_000_000
TARGET_TIME_RATIO = 1.5
TARGET_MEMORY_RATIO = 1.5
TARGET_GROWTH_SLACK = 1.1  # 10x the documents -> at most 11x the time
GNU_TIME = "/usr/bin/time"

GENERATE = """
import sys
from pathlib import Path
from imsrecon.demo.generator import generate
n, out, recipient, seed, layout = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
generate(n_ims=n, seed=seed, recipient_gstin=recipient, layout=layout).write(out, pr_format="csv")
"""

# Fallback when /usr/bin/time is missing: a fresh wrapper process per command, so that
# RUSAGE_CHILDREN covers exactly that command (ru_maxrss is the largest child's peak, in KiB on Linux).
RUSAGE_WRAPPER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    json.dump({"rc": rc, "wall": wall, "maxrss_kb": ru.ru_maxrss, "user": ru.ru_utime, "sys": ru.ru_stime}, fh)
sys.exit(rc)
"""


@dataclass
class Measure:
    wall_s: float
    peak_mb: float
    cpu_s: float
    rc: int
    out_rows: int | None = None
    out_mb: float | None = None


@dataclass
class Best:
    name: str
    wall_s: float | None = None
    peak_mb: float | None = None
    cpu_s: float | None = None
    out_rows: int | None = None
    ok: bool = True
    runs: list[Measure] = field(default_factory=list)


def label(n: int) -> str:
    for div, suffix in ((1_000_000, "m"), (1_000, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{suffix}"
    return str(n)


def gnu_time_available() -> bool:
    if not Path(GNU_TIME).exists():
        return False
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as fh:
        try:
            subprocess.run([GNU_TIME, "-v", "-o", fh.name, "true"], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            return False
        return "Maximum resident set size" in Path(fh.name).read_text()


def count_bytes(path: Path, needle: bytes) -> int:
    """Occurrences of ``needle`` in a file, read in chunks."""
    n, tail, keep = 0, b"", len(needle) - 1
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            buf = tail + chunk  # tail is shorter than needle, so holds no match of its own
            n += buf.count(needle)
            tail = buf[-keep:] if keep else b""
    return n


def ensure_data(workdir: Path, n: int) -> tuple[Path, dict]:
    d = workdir / f"d{label(n)}"
    ims, pr = d / "ims.json", d / "purchase_register.csv"
    if not (ims.exists() and pr.exists()):
        print(f"[{label(n)}] generating {n} IMS documents into {d} …", flush=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", GENERATE, str(n), str(d), RECIPIENT, str(SEED), LAYOUT], check=True)
        print(f"[{label(n)}] generated in {time.perf_counter() - t:.1f} s", flush=True)
    else:
        print(f"[{label(n)}] using cached data in {d}", flush=True)
    info = {
        "dir": str(d),
        "ims_documents": count_bytes(ims, b'"stin"'),
        "register_rows": count_bytes(pr, b"\n") - 5,  # 4 title rows + header
        "ims_mb": round(ims.stat().st_size / 1e6, 1),
        "register_mb": round(pr.stat().st_size / 1e6, 1),
    }
    return d, info


def imsrecon_cmd() -> list[str]:
    script = Path(sys.executable).parent / "imsrecon"
    base = [str(script)] if script.exists() else [sys.executable, "-m", "imsrecon"]
    return base


def commands(d: Path, out: Path) -> dict[str, tuple[list[str], Path]]:
    ims, pr = str(d / "ims.json"), str(d / "purchase_register.csv")
    return {
        "imsrecon": (imsrecon_cmd() + ["reconcile", "--ims", ims, "--pr", pr, "--gstin", RECIPIENT,
                                      "--db", ":memory:", "--out", str(out / "result.csv")], out / "result.csv"),
        "polars": ([sys.executable, str(HERE / "floor_polars.py"), ims, pr, str(out / "floor_polars.csv")],
                   out / "floor_polars.csv"),
        "duckdb": ([sys.executable, str(HERE / "floor_duckdb.py"), ims, pr, str(out / "floor_duckdb.csv")],
                   out / "floor_duckdb.csv"),
    }


def parse_gnu_time(text: str) -> tuple[float, float, float, int]:
    def num(key: str) -> float:
        m = re.search(rf"^\s*{re.escape(key)}:\s*([0-9.]+)\s*$", text, re.M)
        return float(m.group(1)) if m else float("nan")

    m = re.search(r"Elapsed \(wall clock\) time.*?:\s*(?:(\d+):)?(\d+):([0-9.]+)\s*$", text, re.M)
    wall = (int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))) if m else float("nan")
    rc = num("Exit status")
    return wall, num("Maximum resident set size (kbytes)"), num("User time (seconds)") + num("System time (seconds)"), \
        int(rc) if rc == rc else -1


def measure(cmd: list[str], out_file: Path, cwd: Path, use_gnu_time: bool, cores: list[int] | None) -> Measure:
    if out_file.exists():
        out_file.unlink()
    preexec = (lambda: os.sched_setaffinity(0, cores)) if cores else None
    with tempfile.NamedTemporaryFile("r", suffix=".txt", dir=cwd, delete=False) as fh:
        stats = Path(fh.name)
    try:
        wrapped = [GNU_TIME, "-v", "-o", str(stats)] + cmd if use_gnu_time else \
            [sys.executable, "-c", RUSAGE_WRAPPER, str(stats)] + cmd
        t = time.perf_counter()
        proc = subprocess.run(wrapped, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              preexec_fn=preexec)
        wall = time.perf_counter() - t
        if use_gnu_time:
            # wall: our clock (/usr/bin/time's has 10 ms resolution); it adds under a millisecond
            _, rss_kb, cpu, rc = parse_gnu_time(stats.read_text())
        else:
            r = json.loads(stats.read_text())
            wall, rss_kb, cpu, rc = r["wall"], r["maxrss_kb"], r["user"] + r["sys"], r["rc"]
    finally:
        stats.unlink(missing_ok=True)
    if proc.returncode != 0 or rc != 0:
        sys.stderr.write(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}\n")
    m = Measure(wall_s=round(wall, 3), peak_mb=round(rss_kb * 1024 / 1e6, 1), cpu_s=round(cpu, 2),
                rc=proc.returncode or rc)
    if out_file.exists():
        m.out_mb = round(out_file.stat().st_size / 1e6, 1)
        m.out_rows = count_bytes(out_file, b"\n") - 1
    return m


def pick_best(name: str, runs: list[Measure]) -> Best:
    ok = [r for r in runs if r.rc == 0]
    if not ok:
        return Best(name, ok=False, runs=runs)
    b = min(ok, key=lambda r: r.wall_s)
    return Best(name, b.wall_s, b.peak_mb, b.cpu_s, b.out_rows, True, runs)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def fmt(x: float | None, spec: str) -> str:
    return format(x, spec) if x is not None else "-"


def machine_info(cores: list[int] | None) -> dict:
    def version(mod: str) -> str | None:
        try:
            return __import__(mod).__version__
        except Exception:  # noqa: BLE001 - informational only
            return None

    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    return {
        "cpu_count": os.cpu_count(),
        "cpus_used": cores or sorted(os.sched_getaffinity(0)),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "imsrecon": version("imsrecon"),
        "polars": version("polars"),
        "duckdb": version("duckdb"),
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def print_table(rows: list[dict]) -> None:
    head = (f"{'size':>6} {'ims docs':>9} {'pr rows':>9} | {'imsrecon s':>10} {'MB':>6} | {'polars s':>8} {'MB':>6} | "
            f"{'duckdb s':>8} {'MB':>6} | {'floor':>6} {'s':>6} {'MB':>6} | {'x time':>6} {'x mem':>6} | {'growth':>13}")
    print(head)
    print("-" * len(head))
    for r in rows:
        i, p, d = r["imsrecon"], r["polars"], r["duckdb"]
        growth = f"{r['docs_factor']:.0f}x -> {r['growth']:.2f}x" if r.get("growth") else "-"
        print(f"{label(r['size']):>6} {r['data']['ims_documents']:>9} {r['data']['register_rows']:>9} | "
              f"{fmt(i['wall_s'], '10.2f')} {fmt(i['peak_mb'], '6.0f')} | "
              f"{fmt(p['wall_s'], '8.2f')} {fmt(p['peak_mb'], '6.0f')} | "
              f"{fmt(d['wall_s'], '8.2f')} {fmt(d['peak_mb'], '6.0f')} | "
              f"{r['floor'] or '-':>6} {fmt(r['floor_wall_s'], '6.2f')} {fmt(r['floor_peak_mb'], '6.0f')} | "
              f"{fmt(r['ratio_time'], '6.2f')} {fmt(r['ratio_memory'], '6.2f')} | {growth:>13}")


def out_path() -> Path:
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    stem = f"speed-{dt.date.today().isoformat()}"
    p, k = out_dir / f"{stem}.json", 2
    while p.exists():
        p, k = out_dir / f"{stem}-{k}.json", k + 1
    return p


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "imsrecon-bench",
                    help="where generated data is cached (d10k, d100k, d1m, …) and outputs are written")
    ap.add_argument("--keep", action="store_true", help="keep the result and floor CSVs (default: deleted)")
    ap.add_argument("--cores", type=int, default=2,
                    help="pin the measured commands to this many CPUs (0: no pinning); the issue says 2")
    args = ap.parse_args(argv)

    available = sorted(os.sched_getaffinity(0))
    cores = available[: args.cores] if 0 < args.cores < len(available) else None
    use_gnu_time = gnu_time_available()
    info = machine_info(cores)
    info["measured_with"] = GNU_TIME + " -v" if use_gnu_time else "getrusage(RUSAGE_CHILDREN) wrapper"
    print(f"cpus {info['cpus_used']} of {info['cpu_count']}, load average {info['load_average_at_start']}, "
          f"measured with {info['measured_with']}, repeat {args.repeat}", flush=True)
    if info["load_average_at_start"][0] > 0.5:
        print("note: the machine is not idle (load average above); timings will be noisy", flush=True)

    args.workdir.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    failed = False
    for n in sorted(args.sizes):
        d, data = ensure_data(args.workdir, n)
        out = Path(tempfile.mkdtemp(prefix=f"run-{label(n)}-", dir=args.workdir))
        cmds = commands(d, out)
        runs: dict[str, list[Measure]] = {name: [] for name in cmds}
        for rep in range(args.repeat):
            for name, (cmd, out_file) in cmds.items():
                m = measure(cmd, out_file, out, use_gnu_time, cores)
                runs[name].append(m)
                print(f"[{label(n)}] {name:<8} run {rep + 1}: {m.wall_s:7.2f} s  {m.peak_mb:7.0f} MB  "
                      f"cpu {m.cpu_s:7.2f} s  rows out {m.out_rows}{'' if m.rc == 0 else '  FAILED'}", flush=True)
        if args.keep:
            print(f"[{label(n)}] outputs kept in {out}", flush=True)
        else:
            shutil.rmtree(out, ignore_errors=True)
        best = {name: pick_best(name, r) for name, r in runs.items()}
        failed |= not all(b.ok for b in best.values())
        floors = [b for b in (best["polars"], best["duckdb"]) if b.ok]
        floor = min(floors, key=lambda b: b.wall_s) if floors else None
        row = {
            "size": n,
            "data": data,
            **{name: {k: v for k, v in asdict(b).items() if k != "name"} for name, b in best.items()},
            "floor": floor.name if floor else None,
            "floor_wall_s": floor.wall_s if floor else None,
            "floor_peak_mb": floor.peak_mb if floor else None,
            "ratio_time": ratio(best["imsrecon"].wall_s, floor.wall_s if floor else None),
            "ratio_memory": ratio(best["imsrecon"].peak_mb, floor.peak_mb if floor else None),
        }
        if rows and rows[-1]["imsrecon"]["wall_s"] and best["imsrecon"].wall_s:
            row["docs_factor"] = round(n / rows[-1]["size"], 2)
            row["growth"] = ratio(best["imsrecon"].wall_s, rows[-1]["imsrecon"]["wall_s"])
        rows.append(row)

    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print_table(rows)

    targets: dict[str, dict] = {}
    big = next((r for r in rows if r["size"] == TARGET_SIZE), None)
    if big is not None:
        targets["time_ratio"] = {"value": big["ratio_time"], "limit": TARGET_TIME_RATIO}
        targets["memory_ratio"] = {"value": big["ratio_memory"], "limit": TARGET_MEMORY_RATIO}
        if big.get("growth"):
            targets["growth"] = {"value": big["growth"], "limit": round(big["docs_factor"] * TARGET_GROWTH_SLACK, 2),
                                 "from_size": rows[rows.index(big) - 1]["size"]}
        for t in targets.values():
            t["ok"] = t["value"] is not None and t["value"] <= t["limit"]
        print()
        for name, t in targets.items():
            print(f"target {name:<13} {fmt(t['value'], '.2f'):>6} <= {t['limit']:<5} {'ok' if t['ok'] else 'FAILED'}")
    print(f"\nload average at start {info['load_average_at_start']}, at end {info['load_average_at_end']}")

    report = {"created": dt.datetime.now().isoformat(timespec="seconds"), "machine": info,
              "settings": {"repeat": args.repeat, "seed": SEED, "layout": LAYOUT, "recipient": RECIPIENT},
              "rows": rows, "targets": targets}
    p = out_path()
    p.write_text(json.dumps(report, indent=2))
    print(f"wrote {p}")
    if failed:
        return 2
    return 1 if targets and not all(t["ok"] for t in targets.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
