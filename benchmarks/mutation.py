"""Mutation testing of the rule-carrying modules with mutmut: how many deliberate small bugs
(a flipped comparison, a changed number, a dropped condition) the test suite catches.

    python benchmarks/mutation.py                 # all rule modules, SQLite tests, 2 workers
    python benchmarks/mutation.py --module workflow --module access
    python benchmarks/mutation.py --report-only   # re-read the last run's results
    python benchmarks/mutation.py --resume            # an interrupted run: sync code and tests, go on
    python benchmarks/mutation.py --rerun-survivors   # after adding tests: only the survivors again

Not part of CI (a full run takes long). It copies the tracked files of this checkout to a
work folder (default /tmp/ccr-mutation), writes mutmut's configuration there, runs
`mutmut run`, and prints per module: mutants, killed, survived, timeouts, and the score
(killed + timeout over all tested mutants). The surviving mutants are listed by name; see one
with `cd WORKDIR && mutmut show NAME`. The README lists each survivor that is equivalent
(no test can tell it apart) with its reason.

The tests run on SQLite only (PostgreSQL-parametrized cases deselected), without the import
contracts (mutmut's trampolines change the import graph they check) and without the browser
tests (PostgreSQL and the browser test the same rules a second time through slower parts).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Survivors no test can tell apart from the real code, one per line: `name | function | reason`.
EQUIVALENTS_FILE = Path(__file__).resolve().parent / "mutation_equivalents.txt"

# The modules that carry the rules: the workflow, the ticket kernel, assignment, SLA,
# accounts and the sign-in throttle, the outbox and the sender, access.
RULE_MODULES: dict[str, list[str]] = {
    "workflow": ["helpdesk/tickets/workflow.py"],
    "tickets kernel": ["helpdesk/tickets/lifecycle.py", "helpdesk/tickets/messages.py",
                       "helpdesk/tickets/changes.py", "helpdesk/tickets/customer.py"],
    "assignment": ["helpdesk/tickets/assignment.py"],
    "sla": ["helpdesk/sla/clock.py", "helpdesk/sla/alerts.py"],
    "accounts": ["helpdesk/accounts/users.py", "helpdesk/accounts/throttle.py", "helpdesk/accounts/passwords.py"],
    "outbox and sender": ["helpdesk/notifications/outbox.py", "helpdesk/notifications/sender.py"],
    "access": ["helpdesk/access.py"],
}

# mutmut's result names, grouped the way the score counts them.
KILLED = {"killed", "timeout", "caught by type check"}
SURVIVED = {"survived"}
NOT_TESTED = {"no tests", "skipped", "suspicious", "not checked", "segfault", "check was interrupted by user"}


def tracked_files() -> list[str]:
    """The checkout's files as they are now, new ones included (git's ignore rules apply)."""
    output = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT_ROOT, check=True, capture_output=True).stdout
    return [name for name in output.decode().split("\0") if name]


def prepare(workdir: Path, modules: list[str]) -> None:
    """A fresh copy of the checkout with mutmut's configuration for `modules`."""
    if workdir.exists():
        shutil.rmtree(workdir)
    for name in tracked_files():
        source = PROJECT_ROOT / name
        if source.is_file():
            target = workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    paths = [path for module in modules for path in RULE_MODULES[module]]
    lines = [
        "[mutmut]",
        "source_paths = helpdesk/",
        "only_mutate =", *[f"    {path}" for path in paths],
        "also_copy =", "    pages/", "    streamlit_app.py", "    pytest.ini", "    .streamlit/",
        "pytest_add_cli_args_test_selection =", "    tests/", "    --ignore=tests/e2e",
        "    -k", "    not postgresql and not test_ci_guard and not test_architecture",
        "pytest_add_cli_args =", "    -p", "    no:randomly", "    -q",
        # argon2 and migrations make single tests slow: a generous floor before "timeout".
        "timeout_constant = 30",
        "use_git_change_detection = false",
    ]
    (workdir / "setup.cfg").write_text("\n".join(lines) + "\n")


def run_mutmut(workdir: Path, workers: int, mutants: list[str] = ()) -> None:
    env = {key: value for key, value in os.environ.items()
           if key not in {"CI", "HELPDESK_TEST_POSTGRES_URL", "PYTEST_ADDOPTS"}}
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(workers), *mutants], cwd=workdir,
                   env=env, check=False)


def sync_sources(workdir: Path) -> list[str]:
    """Copy the checkout's changed helpdesk/ files into the work folder and drop mutmut's copy
    of each (with its results), so mutmut mutates and tests the new code. Returns the files."""
    changed = []
    for name in tracked_files():
        if not name.startswith("helpdesk/") or not (PROJECT_ROOT / name).is_file():
            continue
        source, copy = PROJECT_ROOT / name, workdir / name
        if copy.exists() and copy.read_bytes() == source.read_bytes():
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy)
        for stale in (workdir / "mutants" / name, workdir / "mutants" / (name + ".meta")):
            stale.unlink(missing_ok=True)
        changed.append(name)
    return changed


def sync_tests(workdir: Path) -> None:
    """The checkout's tests as they are now, into the work folder and mutmut's copy of it
    (mutmut finds the new tests and collects their coverage before it runs the mutants)."""
    for target in (workdir / "tests", workdir / "mutants" / "tests"):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(PROJECT_ROOT / "tests", target, ignore=shutil.ignore_patterns("__pycache__"))


def read_results(workdir: Path) -> dict[str, str]:
    """mutant name -> result, from mutmut's per-file .meta files."""
    from mutmut.stats import status_by_exit_code  # imported late: mutmut reads its config on import
    results: dict[str, str] = {}
    for meta in (workdir / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text())
        for name, exit_code in data.get("exit_code_by_key", {}).items():
            results[name] = status_by_exit_code[exit_code]
    return results


def module_of(mutant: str, modules: list[str]) -> str:
    # Mutant names look like "helpdesk.sla.clock.x_add_working_time__mutmut_3".
    dotted = mutant.split(".x")[0].split(".xǁ")[0]
    for module in modules:
        for path in RULE_MODULES[module]:
            if dotted.startswith(path.removesuffix(".py").replace("/", ".")):
                return module
    return "other"


def listed_equivalents() -> dict[str, str]:
    """mutant name -> why it is equivalent, from EQUIVALENTS_FILE."""
    if not EQUIVALENTS_FILE.exists():
        return {}
    listed = {}
    for line in EQUIVALENTS_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, rest = line.partition("|")
            listed[name.strip()] = rest.strip()
    return listed


def report(results: dict[str, str], modules: list[str]) -> int:
    equivalents = listed_equivalents()
    by_module: dict[str, Counter] = {module: Counter() for module in modules}
    survivors: dict[str, list[str]] = {module: [] for module in modules}
    for name, result in sorted(results.items()):
        module = module_of(name, modules)
        if result in SURVIVED and name in equivalents:
            result = "equivalent"
        by_module.setdefault(module, Counter())[result] += 1
        if result in SURVIVED:
            survivors.setdefault(module, []).append(name)
    total = Counter()
    print("score: killed (and timed out) over the mutants tested; equivalent survivors (listed in")
    print(f"{EQUIVALENTS_FILE.name} with the reason) are left out of the score but shown.")
    print(f"\n{'module':<20} {'mutants':>8} {'killed':>7} {'timeout':>8} {'survived':>9} {'equivalent':>11} "
          f"{'untested':>9} {'score':>7}")
    for module, counts in by_module.items():
        total.update(counts)
        print(row(module, counts))
    print(row("all", total))
    for module, names in survivors.items():
        if names:
            print(f"\nsurvived in {module} (not killed, not listed as equivalent):")
            for name in names:
                print(f"  {name}")
    return sum(total[s] for s in SURVIVED)


def row(label: str, counts: Counter) -> str:
    killed = sum(counts[s] for s in KILLED if s != "timeout")
    timeout = counts["timeout"]
    survived = sum(counts[s] for s in SURVIVED)
    equivalent = counts["equivalent"]
    untested = sum(counts[s] for s in NOT_TESTED)
    tested = killed + timeout + survived
    score = f"{100 * (killed + timeout) / tested:.1f}%" if tested else "-"
    return (f"{label:<20} {sum(counts.values()):>8} {killed:>7} {timeout:>8} {survived:>9} {equivalent:>11} "
            f"{untested:>9} {score:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", choices=sorted(RULE_MODULES),
                        help="a rule module to mutate (repeatable; default: all)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ccr-mutation"))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--report-only", action="store_true", help="print the results of the last run")
    parser.add_argument("--resume", action="store_true",
                        help="go on with an interrupted run, with the checkout's current code and tests")
    parser.add_argument("--rerun-survivors", action="store_true",
                        help="copy the current tests over and run only the last run's survivors again")
    args = parser.parse_args()
    modules = args.module or list(RULE_MODULES)
    if args.resume:
        print("changed since the run started:", ", ".join(sync_sources(args.workdir)) or "nothing")
        sync_tests(args.workdir)
        run_mutmut(args.workdir, args.workers)
    elif args.rerun_survivors:
        survivors = [name for name, result in read_results(args.workdir).items() if result in SURVIVED]
        sync_tests(args.workdir)
        run_mutmut(args.workdir, args.workers, survivors)
    elif not args.report_only:
        prepare(args.workdir, modules)
        run_mutmut(args.workdir, args.workers)
    report(read_results(args.workdir), modules)


if __name__ == "__main__":
    main()
