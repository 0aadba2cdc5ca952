"""Time one learning path at scale: median, min and max engine time per plan, and how many were exact.

Loads the generated M data (and L, when present) once, builds the skill
model, runs one warm-up plan, then times ``learning_path`` (the whole library
call: the search, the alternatives and the result) towards several targets:
roles (~40 skills) on M and L, postings (8-15 skills) on L. Engine time is
the wall time of the call in this process, the graph and model already
loaded (warm) and, as the command line does, frozen out of the garbage
collector's scans. The target of issue 4 is 50 ms per plan.

Usage::

    python benchmarks/generate.py --scale M --out /tmp/bench      # once (and --scale L for L)
    python benchmarks/path_bench.py --data-dir /tmp/bench          # M, and L if L.nt is there
    python benchmarks/path_bench.py --data-dir /tmp/bench --scales M --plans 20 --repeat 3

Each row: scale, target kind, plans timed, the median / min / max of the
per-plan medians (each plan timed ``--repeat`` times; wall time), the
median CPU time of the process (steadier on a shared machine), plans exact / all,
the worst gap ``(hours - lower bound) / hours`` over the approximate ones,
and the median ``solve`` time alone (the search without building the result).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path


def _time(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall time, median CPU time of this process, and the last result of ``repeat`` runs."""
    runs, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(runs), statistics.median(cpu), result


def time_plans(kg, *, scale: str = "", plans: int = 20, repeat: int = 3) -> list[dict]:
    """Time ``learning_path`` on ``kg`` (loaded, its skill model built) towards ``plans`` roles and,
    when there are postings, ``plans`` postings (spread over the list); one row per kind."""
    from careergraph.graph.convert import held_skills, requirements, skill_model
    from careergraph.graph.paths import learning_path, solve

    model = skill_model(kg)
    person = kg.entities("person")[0]
    known = held_skills(kg, person)
    kinds = [("role", kg.entities("role"))]
    if kg.entities("posting"):
        kinds.append(("posting", kg.entities("posting")))
    rows = []
    for kind, targets in kinds:
        step = max(1, len(targets) // plans)
        chosen = targets[::step][:plans]
        learning_path(kg, person, chosen[0])  # warm-up: the model's lazy caches
        times, cpus, solves, exact, gaps = [], [], [], 0, []
        for target in chosen:
            t, c, plan = _time(lambda: learning_path(kg, person, target), repeat)
            essential, _ = requirements(kg, target)
            s, _, _ = _time(lambda: solve(model, known, essential), repeat)
            times.append(t)
            cpus.append(c)
            solves.append(s)
            if plan.approximate:
                gaps.append((plan.total_hours - plan.lower_bound) / plan.total_hours)
            else:
                exact += 1
        rows.append({"scale": scale, "kind": kind, "plans": len(chosen),
                     "median_ms": 1000 * statistics.median(times), "min_ms": 1000 * min(times),
                     "max_ms": 1000 * max(times), "cpu_median_ms": 1000 * statistics.median(cpus),
                     "exact": exact, "worst_gap": max(gaps, default=0.0),
                     "solve_median_ms": 1000 * statistics.median(solves)})
    return rows


def bench(scale: str, data_dir: Path, plans: int, repeat: int) -> list[dict]:
    """Load ``{scale}.nt`` from ``data_dir``, build the skill model, then :func:`time_plans`."""
    from careergraph.graph import load
    from careergraph.graph.convert import skill_model

    path = data_dir / f"{scale}.nt"
    start = time.perf_counter()
    kg = load(path, bundled=False)
    loaded = time.perf_counter() - start
    gc.freeze()  # as the CLI does: the collector skips the loaded graph's millions of objects
    start = time.perf_counter()
    skill_model(kg)
    built = time.perf_counter() - start
    print(f"{scale}: loaded in {loaded:.1f} s, skill model built in {built:.2f} s", file=sys.stderr)
    return time_plans(kg, scale=scale, plans=plans, repeat=repeat)


def render(rows: list[dict]) -> str:
    lines = [f"{'scale':<5} {'target':<8} {'plans':>5} {'median':>9} {'min':>9} {'max':>9} {'cpu med':>9} "
             f"{'exact':>7} {'worst gap':>9} {'solve med':>9}", "-" * 90]
    for r in rows:
        lines.append(f"{r['scale']:<5} {r['kind']:<8} {r['plans']:>5} {r['median_ms']:>7.1f}ms "
                     f"{r['min_ms']:>7.1f}ms {r['max_ms']:>7.1f}ms {r['cpu_median_ms']:>7.1f}ms "
                     f"{r['exact']:>3}/{r['plans']:<3} "
                     f"{100 * r['worst_gap']:>8.2f}% {r['solve_median_ms']:>7.1f}ms")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/bench"),
                        help="folder with M.nt (and L.nt) from generate.py (default /tmp/bench)")
    parser.add_argument("--scales", default=None, help="comma-separated, from M, L (default: M, and L if present)")
    parser.add_argument("--plans", type=int, default=20, help="targets per kind (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per target (default 3)")
    args = parser.parse_args(argv)
    if args.scales:
        scales = [s.strip().upper() for s in args.scales.split(",") if s.strip()]
    else:
        scales = [s for s in ("M", "L") if (args.data_dir / f"{s}.nt").exists()]
    missing = [s for s in scales if not (args.data_dir / f"{s}.nt").exists()]
    if missing:
        parser.error(f"no {', '.join(s + '.nt' for s in missing)} in {args.data_dir}: "
                     f"run benchmarks/generate.py --scale {missing[0]} --out {args.data_dir}")
    rows = []
    for scale in scales:
        rows += bench(scale, args.data_dir, args.plans, args.repeat)
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
