"""Side-by-side benchmark: backoffice-site against Hugo, MkDocs and Pelican on the same synthetic corpus.

    .venv/bin/python bench/run.py [--sizes small,medium] [--runs 3] [--tools ours,hugo,mkdocs,pelican]

One command: generates the corpora (cached in bench/corpora/, regenerated when the generator, the adapters
or the repository's templates change), adapts them per tool, then times whole processes from outside
(start-up included), interleaving the tools round by round so that load from elsewhere on a small, shared
machine hits every tool alike. Writes the Markdown report to bench/results/latest.md (and a dated copy),
the raw numbers to bench/results/latest.json. See bench/README.md for the method.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
import http.client
import itertools
import json
import math
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

# bench/ is run as scripts, not a package: Python puts this script's folder first on sys.path.
import adapt
import gen_corpus

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPORA = BENCH / "corpora"
RESULTS = BENCH / "results"
PEERS = BENCH / ".venv-peers"
OURS = REPO / ".venv" / "bin" / "backoffice-site"
PEER_PINS = ("mkdocs==1.6.1", "pelican[markdown]==4.12.0")
ALL_TOOLS = ("ours", "hugo", "mkdocs", "pelican")
SERVER_TOOLS = ("ours", "hugo", "mkdocs")  # the issue compares our dev server with Hugo's and MkDocs'
KINDS = ("full", "nochange", "edit")


# ---------------------------------------------------------------------------------------------------------
# Timing one whole process


@dataclass
class Run:
    wall: float  # seconds, process start to exit as seen from outside
    cpu: float  # user + sys of the process and its waited-for children
    rss_mib: float  # largest single process (ru_maxrss)
    tree_mib: float | None  # largest sum of RSS over the process tree, sampled (cold builds only)
    ok: bool
    note: str = ""


class TreeSampler:
    """Samples the summed RSS of a process and its descendants every ``interval`` seconds.

    ru_maxrss only knows the largest single process; a build that forks workers uses their sum. RSS counts
    pages shared after fork once per process, so this is an upper bound. Scanning /proc costs ~1 ms, so it
    runs only for cold builds (the memory figure we report) and not for the timed rebuilds.
    """

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self._tree_rss())

    def _tree_rss(self) -> int:
        parent: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            p = frontier.pop()
            kids = [c for c, pp in parent.items() if pp == p and c not in tree]
            tree.update(kids)
            frontier.extend(kids)
        total = 0
        for p in tree:
            with contextlib.suppress(OSError, IndexError):
                total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * self._page
        return total

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # This workplace sets PYTHONDONTWRITEBYTECODE; a user's machine keeps .pyc files, and without them every
    # Python tool would recompile its modules on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_timed(cmd: list[str], cwd: Path, sample_tree: bool = False) -> Run:
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=child_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        sampler = TreeSampler(proc.pid) if sample_tree else None
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would mix all runs so far.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        tree = sampler.stop() if sampler else None
        note = ""
        if proc.returncode != 0:
            err.seek(0)
            note = f"exit {proc.returncode}: " + err.read().decode(errors="replace")[-600:].strip()
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, tree, proc.returncode == 0, note)


# ---------------------------------------------------------------------------------------------------------
# Tools


@dataclass(frozen=True)
class Tool:
    name: str
    src: Path  # the tool's site folder
    out: Path  # its output folder
    build: list[str]
    serve: Callable[[int], list[str]] | None  # port → command
    caches: tuple[Path, ...] = ()  # removed before a cold build

    def edited_source(self, article_file: str) -> Path:
        return adapt.edited_source(self.name, self.src, article_file)


def peer_bin(name: str) -> str:
    return str(PEERS / "bin" / name)


def make_tool(name: str, size: str) -> Tool:
    src = CORPORA / size / name
    out = CORPORA / size / f"out-{name}"
    if name == "ours":
        return Tool(name, src, out, [str(OURS), "build", "--root", str(src), "--out", str(out)],
                    lambda port: [str(OURS), "serve", "--root", str(src), "--port", str(port)],
                    (src / ".cache",))
    if name == "hugo":
        return Tool(name, src, out, ["hugo", "--source", str(src), "--destination", str(out), "--quiet"],
                    lambda port: ["hugo", "server", "--source", str(src), "--port", str(port), "--bind",
                                  "127.0.0.1", "--disableLiveReload"],
                    (src / "resources", src / ".hugo_build.lock"))
    if name == "mkdocs":
        config = str(src / "mkdocs.yml")
        return Tool(name, src, out, [peer_bin("mkdocs"), "build", "-q", "-f", config, "-d", str(out)],
                    lambda port: [peer_bin("mkdocs"), "serve", "-f", config, "-a", f"127.0.0.1:{port}"])
    if name == "pelican":
        return Tool(name, src, out, [peer_bin("pelican"), str(src / "content"), "-s",
                                     str(src / "pelicanconf.py"), "-o", str(out), "-q"], None)
    raise ValueError(name)


def ensure_peers(tools: list[str]) -> list[str]:
    """Install the Python peers into their own venv (never the project's), and check for Hugo."""
    wanted = [t for t in tools if t in ("mkdocs", "pelican")]
    if wanted and not all(Path(peer_bin(t)).exists() for t in wanted):
        log(f"installing {', '.join(PEER_PINS)} into {PEERS} ...")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
            (PEERS / ".gitignore").write_text("*\n")  # keeps the venv out of commits, before anything lands
            subprocess.run([peer_bin("python"), "-m", "pip", "install", "--quiet", *PEER_PINS], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            log(f"could not install the Python peers ({exc}); continuing without them")
    if PEERS.exists():
        (PEERS / ".gitignore").write_text("*\n")
    kept = []
    for t in tools:
        if t == "hugo" and shutil.which("hugo") is None:
            log("hugo not found: skipping it (Debian/Ubuntu: apt-get install -y hugo)")
        elif t in ("mkdocs", "pelican") and not Path(peer_bin(t)).exists():
            log(f"{t} not installed in {PEERS}: skipping it")
        else:
            kept.append(t)
    return kept


# ---------------------------------------------------------------------------------------------------------
# Corpora


def _files_digest(*files: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    for p in files:
        h.update(str(p.relative_to(REPO)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _tree_digest(*folders: Path) -> str:
    return _files_digest(*(p for folder in folders for p in sorted(folder.rglob("*"))
                           if p.is_file() and "__pycache__" not in p.parts))


def corpus_stamp() -> str:
    """Changes whenever the corpus would: generator, adapters, or the repository's templates/static."""
    return _tree_digest(REPO / "templates", REPO / "static") + ":" + _files_digest(
        BENCH / "gen_corpus.py", BENCH / "adapt.py")


def prepare(size: str, tools: list[str]) -> None:
    """Generate (or reuse) the corpus for ``size`` and the adapted copies for ``tools``."""
    base = CORPORA / size
    stamp_file = base / "STAMP"
    stamp = corpus_stamp()
    if not stamp_file.exists() or stamp_file.read_text() != stamp:
        log(f"[{size}] generating corpus ...")
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        gen_corpus.write_corpus(size, base / "ours")
        stamp_file.write_text(stamp)
    for tool in tools:
        if tool != "ours" and not (base / tool / "ADAPTED").exists():
            log(f"[{size}] adapting for {tool} ...")
            adapt.adapt(tool, base / "ours", base / tool)
            (base / tool / "ADAPTED").write_text(stamp)


def source_bytes(size: str) -> int:
    content = CORPORA / size / "ours" / "content"
    return sum(p.stat().st_size for p in content.rglob("*") if p.is_file())


def count_html(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html")) if folder.exists() else 0


def edit_article(size: str) -> tuple[str, str]:
    """(file, slug) of the article the edit benchmarks change: one in the middle of the reading order."""
    index = gen_corpus.SIZES[size].articles // 2
    file = gen_corpus.article_file(index - 1)
    return file, file.removesuffix(".md")


# ---------------------------------------------------------------------------------------------------------
# Builds: cold, no-change, one-article edit


def clean(tool: Tool) -> None:
    for p in (tool.out, *tool.caches):
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def cold_build(tool: Tool) -> Run:
    clean(tool)
    return run_timed(tool.build, tool.src, sample_tree=True)


def edit_build(tool: Tool, size: str) -> Run:
    """Append one line to one article (one write, like an editor's save), rebuild, check the page shows it."""
    file, slug = edit_article(size)
    source = tool.edited_source(file)
    original = source.read_bytes()
    marker = f"BENCH{secrets.token_hex(4)}"
    try:
        with source.open("a", encoding="utf-8") as f:
            f.write(f"\n追記しました {marker}\n")
        run = run_timed(tool.build, tool.src)
        page = tool.out / adapt.page_path(tool.name, slug)
        if run.ok and (not page.exists() or marker not in page.read_text(encoding="utf-8")):
            run.ok, run.note = False, f"edited text not found in {page}"
        return run
    finally:
        source.write_bytes(original)  # keep the cached corpus pristine


@dataclass
class Series:
    runs: dict[str, list[Run]] = field(default_factory=lambda: {k: [] for k in KINDS})
    html_files: int = 0

    def median(self, kind: str) -> float | None:
        good = [r.wall for r in self.runs[kind] if r.ok]
        return statistics.median(good) if good else None


def bench_size(size: str, tools: list[str], runs: int, warmup: bool) -> dict[str, Series]:
    specs = [make_tool(t, size) for t in tools]
    series = {t.name: Series() for t in specs}
    if warmup:
        # One cold build per tool: fills the OS file cache and .pyc files; not counted.
        for t in specs:
            r = cold_build(t)
            log(f"[{size} warm-up] {t.name:8} full {r.wall:7.2f} s" + ("" if r.ok else f"  FAILED {r.note}"))
    for i in range(runs):
        # Rotate the order each round: no tool always runs right after the heaviest one.
        for t in specs[i % len(specs):] + specs[: i % len(specs)]:
            s = series[t.name]
            full = cold_build(t)
            s.html_files = s.html_files or count_html(t.out)
            nochange = run_timed(t.build, t.src) if full.ok else full
            edit = edit_build(t, size) if full.ok else full
            for kind, r in zip(KINDS, (full, nochange, edit), strict=True):
                s.runs[kind].append(r)
            log(f"[{size} {i + 1}/{runs}] {t.name:8} full {full.wall:7.2f} s  no-change {nochange.wall:7.2f} s  "
                f"edit {edit.wall:7.2f} s  peak {full.rss_mib:6.0f} MiB"
                + "".join(f"  {k} FAILED: {r.note}" for k, r in zip(KINDS, (full, nochange, edit), strict=True)
                          if not r.ok))
    return series


# ---------------------------------------------------------------------------------------------------------
# Dev servers: edit → page served


@dataclass
class ServerResult:
    startup: float | None = None
    latencies_ms: list[float] = field(default_factory=list)
    note: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException):
        return 0, ""
    finally:
        conn.close()


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def bench_server(tool: Tool, size: str, edits: int) -> ServerResult:
    """Start the server, open the page once (as a browser tab would: Hugo re-renders visited pages first),
    then time each save until the server answers with the edited page (polled every 5 ms)."""
    assert tool.serve is not None
    file, slug = edit_article(size)
    url = "/" + adapt.page_path(tool.name, slug).removesuffix("index.html")
    source = tool.edited_source(file)
    original = source.read_bytes()
    port = free_port()
    result = ServerResult()
    with tempfile.TemporaryFile() as log_file:
        start = time.perf_counter()
        proc = subprocess.Popen(tool.serve(port), cwd=tool.src, env=child_env(), stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=log_file)
        try:
            if not wait_for(lambda: http_get(port, url)[0] == 200, timeout=600, interval=0.1):
                log_file.seek(0)
                result.note = "never served the page: " + log_file.read().decode(errors="replace")[-400:]
                return result
            result.startup = time.perf_counter() - start
            time.sleep(2.0)  # let watchers settle: some ignore events right after their first build
            for _ in range(edits):
                marker = f"BENCH{secrets.token_hex(4)}"
                t0 = time.perf_counter()
                with source.open("a", encoding="utf-8") as f:
                    f.write(f"\n追記しました {marker}\n")
                def shows(m: str = marker) -> bool:
                    return m in http_get(port, url)[1]

                if not wait_for(shows, timeout=300, interval=0.005):
                    result.note = "edit never showed up"
                    break
                latency = time.perf_counter() - t0
                result.latencies_ms.append(latency * 1000)
                log(f"[{size} server] {tool.name:8} edit → page {latency * 1000:8.0f} ms")
                time.sleep(2.0 + latency)  # a whole-site rebuild may still be running after the page lands
        finally:
            source.write_bytes(original)
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return result


# ---------------------------------------------------------------------------------------------------------
# Profile: where our build's time goes


def _bucket(file: str, func: str) -> str:
    """A readable owner for a profiled function: our module, a library, or the builtin itself."""
    if file == "~":
        if "select.poll" in func:
            return "select.poll (waiting for a child process)"
        return func.strip("<>").removeprefix("built-in method ").removeprefix("method ")
    if "backoffice_site/" in file:
        return "backoffice_site." + Path(file).stem
    for lib in ("markdown", "jinja2", "yaml", "markupsafe", "nh3", "multiprocessing", "xml", "json", "pickle"):
        if f"/{lib}/" in file or file.endswith(f"/{lib}.py"):
            return lib
    return Path(file).stem


def profile_ours(size: str, top: int = 15) -> list[str]:
    """A cold build under cProfile, pinned to one core so that the pool does not fork (cProfile sees only
    its own process): the serial cost of each part, which the pool then divides between the cores."""
    import pstats

    tool = make_tool("ours", size)
    clean(tool)
    prof = RESULTS / f"profile-{size}.prof"
    cmd = ["taskset", "-c", "0", str(REPO / ".venv" / "bin" / "python"), "-m", "cProfile", "-o", str(prof),
           "-m", "backoffice_site", *tool.build[1:]]
    run = run_timed(cmd, tool.src)
    if not run.ok or not prof.exists():
        return [f"profile failed: {run.note}"]
    stats = pstats.Stats(str(prof)).stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in stats.values())
    owners: dict[str, float] = {}
    for (file, _, func), (_, _, tt, _, _) in stats.items():
        key = _bucket(file, func)
        owners[key] = owners.get(key, 0.0) + tt
    lines = [f"### Where our cold build's time goes ({size}, one core, cProfile)", "",
             f"Whole process {run.wall:.2f} s under the profiler (profiled CPU {total:.2f} s); own time "
             f"(tottime) summed per module or builtin, top {top}. Raw profile: `bench/results/{prof.name}`.", "",
             "| where | own time s | share |", "| --- | ---: | ---: |"]
    for key, tt in sorted(owners.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| `{key}` | {tt:.2f} | {tt / total:.0%} |")
    # Our own functions by cumulative time: the stages, and what each costs including the libraries it calls.
    ours = sorted(((ct, f"{Path(file).stem}.{func}") for (file, _, func), (_, _, _, ct, _) in stats.items()
                   if "backoffice_site/" in file and func != "main" and not func.startswith("<")), reverse=True)
    lines += ["", "| our function (cumulative, includes callees) | s | share |", "| --- | ---: | ---: |"]
    lines += [f"| `{name}` | {ct:.2f} | {ct / total:.0%} |" for ct, name in ours[:top]]
    lines += ["", "Pinned to one core, child processes (e.g. a search indexer) share that core too, so time spent "
              "waiting for them is larger here than in a normal build."]
    return lines


# ---------------------------------------------------------------------------------------------------------
# Report


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _out(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "not available"


def versions(tools: Iterable[str]) -> dict[str, str]:
    v = {"backoffice-site": _out([str(OURS), "--version"]),
         "python": platform.python_version(),
         "python-markdown (ours)": _out([str(REPO / ".venv" / "bin" / "python"), "-c",
                                         "import markdown; print(markdown.__version__)"])}
    if "hugo" in tools:
        v["hugo"] = _out(["hugo", "version"])
    if "mkdocs" in tools:
        v["mkdocs"] = _out([peer_bin("mkdocs"), "--version"]).split(" from ")[0]
    if "pelican" in tools:
        v["pelican"] = _out([peer_bin("pelican"), "--version"])
    if "mkdocs" in tools or "pelican" in tools:
        v["python-markdown (peers)"] = _out([peer_bin("python"), "-c",
                                             "import markdown; print(markdown.__version__)"])
    return v


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    return f"{os.cpu_count()} cores {model}, {int(mem) / 2**20:.0f} GiB, Linux {platform.release()}"


def git_rev() -> str:
    rev = _out(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return rev + (" + uncommitted changes" if dirty else "")


def fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def size_table(size: str, series: dict[str, Series]) -> list[str]:
    spec = gen_corpus.SIZES[size]
    pages = spec.articles + spec.terms
    mb = source_bytes(size) / 1e6
    lines = [f"### {size}: {spec.articles:,} articles + {spec.terms:,} terms ({pages:,} source pages, "
             f"{mb:.2f} MB of source)", "",
             "| tool | full build s | min–max s | no-change s | one-article edit s | peak MiB (largest process) "
             "| peak MiB (process tree) | pages/s | source MB/s | cpu s (full) | HTML files | n |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, s in series.items():
        full = [r for r in s.runs["full"] if r.ok]
        med = s.median("full")
        rng = f"{min(r.wall for r in full):.2f}–{max(r.wall for r in full):.2f}" if full else "—"
        rss = max((r.rss_mib for r in full), default=None)
        tree = max((r.tree_mib or 0 for r in full), default=None)
        cpu = statistics.median(r.cpu for r in full) if full else None
        failed = sum(not r.ok for k in KINDS for r in s.runs[k])
        lines.append(
            f"| {name}{' (' + str(failed) + ' failed runs)' if failed else ''} | {fmt(med)} | {rng} | "
            f"{fmt(s.median('nochange'))} | {fmt(s.median('edit'))} | {fmt(rss, 0)} | {fmt(tree, 0)} | "
            f"{fmt(pages / med if med else None, 0)} | {fmt(mb / med if med else None)} | {fmt(cpu)} | "
            f"{s.html_files:,} | {len(full)} |")
    return lines


def server_table(size: str, servers: dict[str, ServerResult]) -> list[str]:
    lines = [f"### Dev server, {size}: save one article → the server answers with the new page", "",
             "| server | edit → page served (median) | per edit ms | start-up to first page s | note |",
             "| --- | ---: | --- | ---: | --- |"]
    for name, r in servers.items():
        med = statistics.median(r.latencies_ms) if r.latencies_ms else None
        lines.append(f"| {name} | {fmt(med, 0)} ms | {', '.join(f'{x:.0f}' for x in r.latencies_ms) or '—'} | "
                     f"{fmt(r.startup, 1)} | {r.note.replace('|', '/').splitlines()[0] if r.note else ''} |")
    return lines


def growth_table(results: dict[str, dict[str, Series]]) -> list[str]:
    sizes = [s for s in gen_corpus.SIZES if s in results]
    lines = ["### How build time grows with content", "",
             "exponent = log(time ratio) / log(source-bytes ratio) between consecutive sizes: 1.0 is linear.", "",
             "| tool | " + " | ".join(f"{s} full s / peak MiB" for s in sizes) + " | exponents |",
             "| --- |" + " ---: |" * len(sizes) + " --- |"]
    tools = sorted({t for s in sizes for t in results[s]}, key=ALL_TOOLS.index)
    for tool in tools:
        cells, points = [], []
        for s in sizes:
            series = results[s].get(tool)
            med = series.median("full") if series else None
            rss = max((r.rss_mib for r in series.runs["full"] if r.ok), default=None) if series else None
            cells.append(f"{fmt(med)} / {fmt(rss, 0)}")
            if med:
                points.append((s, med, source_bytes(s)))
        exps = [f"{a[0]}→{b[0]} {math.log(b[1] / a[1]) / math.log(b[2] / a[2]):.2f}"
                for a, b in itertools.pairwise(points)]
        lines.append(f"| {tool} | " + " | ".join(cells) + f" | {', '.join(exps) or '—'} |")
    return lines


def _round_ratio(series: dict[str, Series], num: str, den: str) -> str:
    """Median of the per-round ratios num/den: both ran in the same round, minutes apart at most, so this
    resists load that comes and goes better than the ratio of the two medians does."""
    pairs = [(a.wall / b.wall) for a, b in zip(series[num].runs["full"], series[den].runs["full"], strict=False)
             if a.ok and b.ok]
    return f"per-round median {statistics.median(pairs):.2f}×" if pairs else "no paired rounds"


def targets(results: dict[str, dict[str, Series]], servers: dict[str, ServerResult]) -> list[str]:
    """The issue's targets, each with the measured ratio (met or not)."""
    lines = ["### Targets from the issue (medium corpus, same machine, same run)", "",
             "| target | measured | met |", "| --- | --- | :---: |"]
    med = results.get("medium", {})
    if not med:
        return [*lines, "| (the targets are set on the medium corpus, which this run did not include) | — | — |"]

    def t(tool: str, kind: str = "full") -> float | None:
        return med[tool].median(kind) if tool in med else None

    ours = t("ours")
    for peer in ("mkdocs", "pelican"):
        theirs = t(peer)
        if ours and theirs:
            ratio = theirs / ours
            lines.append(f"| full build ≥ 5× faster than {peer} | {ratio:.2f}× ({theirs:.2f} s vs {ours:.2f} s; "
                         f"{_round_ratio(med, peer, 'ours')}) | {'yes' if ratio >= 5 else 'no'} |")
    hugo = t("hugo")
    if ours and hugo:
        ratio = ours / hugo
        lines.append(f"| full build within 2× of Hugo | {ratio:.2f}× Hugo's time ({ours:.2f} s vs {hugo:.2f} s; "
                     f"{_round_ratio(med, 'ours', 'hugo')}) | {'yes' if ratio <= 2 else 'no'} |")
    if (nc := t("ours", "nochange")) is not None:
        lines.append(f"| no-change rebuild < 1 s | {nc:.2f} s (CLI, whole process) | {'yes' if nc < 1 else 'no'} |")
    if (ed := t("ours", "edit")) is not None:
        lines.append(f"| one-article edit (CLI build, whole process) | {ed:.2f} s | — |")
    srv = {k: statistics.median(v.latencies_ms) for k, v in servers.items() if v.latencies_ms}
    if "ours" in srv:
        lines.append(f"| one-article edit < 50 ms from write to page (dev server) | {srv['ours']:.0f} ms | "
                     f"{'yes' if srv['ours'] < 50 else 'no'} |")
        if "hugo" in srv:
            faster = srv["hugo"] / srv["ours"]
            lines.append(f"| edit faster than Hugo's server | {srv['ours']:.0f} ms vs {srv['hugo']:.0f} ms "
                         f"({faster:.2f}× Hugo's speed) | {'yes' if faster > 1 else 'no'} |")
    large = results.get("large", {}).get("ours")
    lt = large.median("full") if large else None
    if large and lt:
        peak = max(r.rss_mib for r in large.runs["full"] if r.ok)
        tree = max((r.tree_mib or 0) for r in large.runs["full"] if r.ok)
        lines.append(f"| large: build < 60 s | {lt:.1f} s | {'yes' if lt < 60 else 'no'} |")
        lines.append(f"| large: peak memory < 1 GiB | {peak:.0f} MiB largest process, {tree:.0f} MiB process tree | "
                     f"{'yes' if max(peak, tree) < 1024 else 'no'} |")
        if "medium" in results and "ours" in results["medium"]:
            m = results["medium"]["ours"].median("full")
            if m:
                e = math.log(lt / m) / math.log(source_bytes("large") / source_bytes("medium"))
                lines.append(f"| large: time linear in content | exponent medium→large {e:.2f} | "
                             f"{'yes' if e <= 1.1 else 'no'} |")
    return lines


def report(results: dict[str, dict[str, Series]], servers: dict[str, dict[str, ServerResult]],
           args: argparse.Namespace, started: dt.datetime, load: tuple[float, float], profile: list[str]) -> str:
    tools = sorted({t for r in results.values() for t in r}, key=ALL_TOOLS.index)
    lines = [f"## Benchmark results — {started:%Y-%m-%d %H:%M} (local time)", "",
             f"- machine: {machine()}; load average {load[0]:.2f} at start, {load[1]:.2f} at end",
             f"- backoffice-site at {git_rev()}",
             f"- command: `bench/run.py --sizes {args.sizes} --runs {args.runs} --tools {args.tools}"
             f"{' --no-servers' if args.no_servers else ''}{' --profile ' + args.profile if args.profile else ''}`",
             "- medians of whole-process wall times (start-up included), tools interleaved per round; "
             "full = cold build (output and caches deleted), no-change = the same build again, edit = append "
             "one line to one article, build again",
             ""]
    lines += ["| component | version |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in versions(tools).items()]
    lines.append("")
    for size, series in results.items():
        lines += [*size_table(size, series), ""]
    for size, srv in servers.items():
        lines += [*server_table(size, srv), ""]
    if len(results) > 1:
        lines += [*growth_table(results), ""]
    lines += [*targets(results, servers.get("medium", {})), ""]
    if profile:
        lines += [*profile, ""]
    return "\n".join(lines)


def to_json(results: dict[str, dict[str, Series]], servers: dict[str, dict[str, ServerResult]]) -> str:
    data = {
        "builds": {size: {tool: {"html_files": s.html_files,
                                 "runs": {k: [dataclasses.asdict(r) for r in v] for k, v in s.runs.items()}}
                          for tool, s in series.items()} for size, series in results.items()},
        "servers": {size: {tool: dataclasses.asdict(r) for tool, r in srv.items()}
                    for size, srv in servers.items()},
    }
    return json.dumps(data, indent=1, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Benchmark backoffice-site against Hugo, MkDocs and Pelican.")
    ap.add_argument("--sizes", default="small,medium", help="comma list of small, medium, large")
    ap.add_argument("--runs", type=int, default=3, help="counted rounds per size (default 3)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma list of " + ", ".join(ALL_TOOLS))
    ap.add_argument("--large-tools", default="ours",
                    help="tools run on the large corpus (default: ours; peers take minutes there)")
    ap.add_argument("--large-runs", type=int, default=1, help="counted rounds for large, no warm-up (default 1)")
    ap.add_argument("--no-servers", action="store_true", help="skip the dev-server edit latency")
    ap.add_argument("--server-size", default="medium", help="corpus for the dev-server test (default medium)")
    ap.add_argument("--edits", type=int, default=3, help="saves timed per dev server (default 3)")
    ap.add_argument("--profile", metavar="SIZE", help="also profile one cold build of ours on SIZE (one core)")
    args = ap.parse_args(argv)
    for s in args.sizes.split(","):
        if s not in gen_corpus.SIZES:
            ap.error(f"unknown size {s!r}")
    for t in [*args.tools.split(","), *args.large_tools.split(",")]:
        if t not in ALL_TOOLS:
            ap.error(f"unknown tool {t!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now()
    load_start = os.getloadavg()[0]
    tools = ensure_peers(args.tools.split(","))
    results: dict[str, dict[str, Series]] = {}
    servers: dict[str, dict[str, ServerResult]] = {}
    for size in args.sizes.split(","):
        size_tools = [t for t in tools if size != "large" or t in args.large_tools.split(",")]
        if not size_tools:
            log(f"[{size}] no tool to run")
            continue
        prepare(size, size_tools)
        large = size == "large"
        results[size] = bench_size(size, size_tools, args.large_runs if large else args.runs, warmup=not large)
        if not args.no_servers and size == args.server_size:
            servers[size] = {t: bench_server(make_tool(t, size), size, args.edits)
                             for t in size_tools if t in SERVER_TOOLS}
    RESULTS.mkdir(parents=True, exist_ok=True)
    profile: list[str] = []
    if args.profile:
        prepare(args.profile, ["ours"])
        profile = profile_ours(args.profile)
    text = report(results, servers, args, started, (load_start, os.getloadavg()[0]), profile)
    (RESULTS / "latest.md").write_text(text + "\n", encoding="utf-8")
    (RESULTS / f"run-{started:%Y%m%d-%H%M%S}.md").write_text(text + "\n", encoding="utf-8")
    (RESULTS / "latest.json").write_text(to_json(results, servers) + "\n", encoding="utf-8")
    print(text)
    log(f"\nwritten to {RESULTS / 'latest.md'} in {(dt.datetime.now() - started).total_seconds() / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
