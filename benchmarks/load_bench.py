"""Loading a file into a careergraph workspace, side by side with pyoxigraph's own bulk load.

Usage::

    python benchmarks/load_bench.py                      # the L file (generated into benchmarks/data if missing)
    python benchmarks/load_bench.py /tmp/bench/M.nt --repeat 3
    python benchmarks/load_bench.py --data-dir /tmp/bench --repeat 1

Each round loads the same N-Triples file three ways into fresh folders on the
same disk, in a rotating order so that drift on a shared machine hits every
case alike:

* ``pyoxigraph bulk_load (default graph)``: ``Store(dir).bulk_load(path=...)``,
  the baseline of ``benchmarks/run.py``;
* ``pyoxigraph bulk_load (named graph)``: the same with ``to_graph=``, which is
  where a workspace keeps every source (Oxigraph keeps six indexes for named
  graphs against three for the default graph);
* ``careergraph workspace add``: ``init_workspace(dir, bundled=False)`` then
  ``Workspace.add(file)`` and ``close()`` (what ``careergraph init --no-bundled``
  and ``careergraph --store dir add file`` do: load, cycle checks, catalog).

Each load is timed in wall-clock seconds and in CPU seconds of the process
(every thread, RocksDB's background work included; rows ``cpu: ...``). A
plain ``bulk_load`` already keeps more than one core busy (one thread parses
while another sorts and writes the index files of the previous batch of a
million triples), so on an idle machine the wall time is below the CPU time;
on a busy shared machine the CPU time sets the wall time. The gap between the
two baselines is Oxigraph's layout: three index tables for the default graph,
six (with a graph term in every key) for named graphs.

Then it reopens the last stores: ``pyoxigraph.Store(dir)``,
:func:`~careergraph.graph.workspace.open_workspace`, and ``open_workspace``
plus ``knowledge_graph()``. It prints medians (min-max) and the ratios of the
medians. The functions ``bulk_default``, ``bulk_named``, ``workspace_add`` and
``reopen_workspace`` can be imported by other benchmark scripts.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def bulk_default(nt: Path, folder: Path) -> None:
    """pyoxigraph's bulk load of ``nt`` into the default graph of a new store in ``folder``."""
    import pyoxigraph as ox

    store = ox.Store(str(folder))
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    store.flush()


def bulk_named(nt: Path, folder: Path) -> None:
    """pyoxigraph's bulk load of ``nt`` into one named graph of a new store in ``folder``."""
    import pyoxigraph as ox

    store = ox.Store(str(folder))
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:bench:graph"))
    store.flush()


def workspace_add(nt: Path, folder: Path) -> int:
    """A new empty workspace in ``folder`` plus ``add(nt)``; returns the triples added."""
    from careergraph.graph.workspace import init_workspace

    with init_workspace(folder, bundled=False) as ws:
        return ws.add(nt).triples


def reopen_workspace(folder: Path, *, kg: bool = True) -> None:
    """Open the workspace in ``folder`` (and build its knowledge graph), then close it."""
    from careergraph.graph.workspace import open_workspace

    with open_workspace(folder) as ws:
        if kg:
            ws.knowledge_graph()


def _cpu() -> float:
    """CPU seconds of this process so far, every thread included (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def _timed_cpu(fn, *args) -> tuple[float, float]:
    """(wall, CPU) seconds of ``fn(*args)``."""
    cpu, start = _cpu(), time.perf_counter()
    fn(*args)
    return time.perf_counter() - start, _cpu() - cpu


def run(nt: Path, *, repeat: int = 3, work: Path | None = None) -> dict[str, list[float]]:
    """Time every case ``repeat`` times on ``nt``; returns seconds per case."""
    import pyoxigraph as ox

    work = Path(tempfile.mkdtemp(prefix="cg-load-bench-", dir=work))
    loads = {"pyoxigraph bulk_load (default graph)": bulk_default,
             "pyoxigraph bulk_load (named graph)": bulk_named,
             "careergraph workspace add": workspace_add}
    times: dict[str, list[float]] = {case: [] for case in loads}
    times.update({f"cpu: {case}": [] for case in loads})
    kept: dict[str, Path] = {}
    try:
        for i in range(repeat):
            order = list(loads)[i % len(loads):] + list(loads)[:i % len(loads)]
            for case in order:
                folder = work / f"{len(times[case])}-{abs(hash(case))}"
                wall, cpu = _timed_cpu(loads[case], nt, folder)
                times[case].append(wall)
                times[f"cpu: {case}"].append(cpu)
                print(f"  round {i + 1}: {case}: {wall:.2f} s ({cpu:.2f} s CPU, load average "
                      f"{os.getloadavg()[0]:.1f})", file=sys.stderr)
                if case in kept:
                    shutil.rmtree(kept[case], ignore_errors=True)
                kept[case] = folder
        for case, fn in (("reopen: pyoxigraph Store(dir)",
                          lambda: ox.Store(str(kept["pyoxigraph bulk_load (named graph)"]))),
                         ("reopen: open_workspace",
                          lambda: reopen_workspace(kept["careergraph workspace add"], kg=False)),
                         ("reopen: open_workspace + knowledge_graph()",
                          lambda: reopen_workspace(kept["careergraph workspace add"]))):
            times[case] = [_timed(fn) for _ in range(max(repeat, 5))]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return times


def render(nt: Path, times: dict[str, list[float]]) -> str:
    def cell(values):
        med = statistics.median(values)
        unit, scale = ("ms", 1000) if med < 1 else ("s", 1)
        return f"{med * scale:.3g} {unit}", f"{min(values) * scale:.3g}-{max(values) * scale:.3g} {unit}"

    rows = [(case, *cell(values), str(len(values))) for case, values in times.items()]
    med = {case: statistics.median(values) for case, values in times.items()}
    for kind in ("", "cpu: "):
        ws = med[f"{kind}careergraph workspace add"]
        for base in ("pyoxigraph bulk_load (default graph)", "pyoxigraph bulk_load (named graph)"):
            if med[kind + base] > 0:
                rows.append((f"ratio: {kind}workspace add / {base}", f"{ws / med[kind + base]:.2f}x", "", ""))
    headers = ("case", "median", "min-max", "runs")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(4)]
    lines = [f"{nt} ({nt.stat().st_size / 1e6:.0f} MB), {os.cpu_count()} cores",
             "  ".join(h.ljust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, help="an N-Triples file (default: DATA_DIR/L.nt)")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data",
                        help="where the generated L.nt is (made there if missing; default benchmarks/data)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--work", type=Path, help="folder for the stores (default: the system's temporary folder)")
    args = parser.parse_args(argv)
    nt = args.file
    if nt is None:
        nt = args.data_dir / "L.nt"
        if not nt.exists():
            sys.path.insert(0, str(HERE))
            import generate

            info = generate.generate("L", 42, args.data_dir)
            print(f"generated L: {info['triples']} triples", file=sys.stderr)
    print(render(nt, run(nt, repeat=args.repeat, work=args.work)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
