"""Runs done by `auditor worker` processes through procrastinate's queue in PostgreSQL.

Real parts only: a throwaway PostgreSQL cluster, `auditor worker` processes started as a user starts them,
a `playwright run-server` browser server they share, the demo marketplace on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from auditor.config import Target, load_config
from auditor.crawl.install import choose_executable
from auditor.demo import generate, score, serve_demo
from auditor.evidence.files import sha256_of
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store
from conftest import RULES, cluster

pytestmark = pytest.mark.e2e
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


def write_config(folder: Path, database: str, **settings) -> Path:
    data = {
        "database": database, "reports_dir": str(folder / "reports"), "rules_dir": str(RULES), "log_file": None,
        "data_dir": str(folder / "data"),
        "browser": {"concurrency": 4},
        "crawl": {"requests_per_second": 500, "retries": 1, "backoff_seconds": 0.05, "page_timeout_seconds": 15,
                  "allow_addresses": ["127.0.0.1"]},
        "workers": {"enabled": True, "batch": 25, "stalled_seconds": 5, "concurrency": 2},
    }
    for key, value in settings.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@contextmanager
def workers(config_path: Path, n: int, env: dict[int, dict[str, str]] | None = None):
    """n `auditor worker` processes, each in a process group of its own; stopped with SIGTERM at the end. Each
    one's connections to PostgreSQL carry its name (libpq's PGAPPNAME), so a test can cut them; `env` adds to
    the environment of the workers it names by index."""
    procs = [subprocess.Popen([sys.executable, "-m", "auditor", "--config", str(config_path), "-v", "worker",
                               "--name", f"worker-{i}"], cwd=config_path.parent, start_new_session=True,
                              env={**os.environ, "PGAPPNAME": f"worker-{i}", "COLUMNS": "200", **(env or {}).get(i, {})},
                              stdout=open(config_path.parent / f"worker-{i}.log", "w"), stderr=subprocess.STDOUT)
             for i in range(n)]
    try:
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)


def until_asked(server, prefix: str, n: int) -> None:
    """Wait until the demo marketplace has been asked for `n` pages whose path starts with `prefix`."""
    while sum(1 for _, p in list(server.times) if p.startswith(prefix)) < n:
        time.sleep(0.02)


@contextmanager
def beside(action):
    """`action` in a thread of its own while the block runs (what a test does to the fleet mid-run), joined after;
    what it raised is raised here."""
    failed: list[BaseException] = []

    def act():
        try:
            action()
        except BaseException as e:  # noqa: BLE001 - given to the test below
            failed.append(e)

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join(30)
    if failed:
        raise failed[0]


def start_browser_server(port: int) -> subprocess.Popen:
    """`playwright run-server` on the port, in a process group of its own (--unsafe lets a client name the
    Chromium binary, which this machine has from Debian rather than from Playwright's download)."""
    proc = subprocess.Popen([str(Path(sys.executable).parent / "playwright"), "run-server", "--host", "127.0.0.1",
                             "--port", str(port), "--unsafe"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)
    line = proc.stdout.readline()
    assert "Listening on" in line, line
    return proc


@contextmanager
def browser_server():
    """A browser server on a free port: the browser the workers connect to."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = start_browser_server(port)
    try:
        yield f"ws://127.0.0.1:{port}/", proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def descendants(pid: int) -> list[str]:
    """Command names of a process's descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                names[int(entry.name)] = (entry / "comm").read_text().strip()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(names.get(p, "?"))
        todo.extend(children.get(p, []))
    return out


@pytest.mark.timeout(600)
def test_three_workers_one_killed_store_every_listing_hit_and_capture_once(tmp_path, pg_cluster):
    # 2,162 listings: a large auction section read over HTTP (3 % flagged: the captures are the slow part here),
    # a flea market rendered in the browser; every page in a browser, and every capture, is the browser server's
    auctions = generate(seed=7, size=3200, flagged_share=0.03)
    flea = generate(seed=8, size=120)
    truth = {k for k in auctions.truth() if k[0] == "demo_auction"} | {k for k in flea.truth() if k[0] == "demo_fleamarket"}
    listings = sum(1 for x in auctions.listings if x.key[0] == "demo_auction") + \
        sum(1 for x in flea.listings if x.key[0] == "demo_fleamarket")
    assert listings >= 2000
    with browser_server() as (endpoint, server_proc):
        path = write_config(tmp_path, pg_cluster.schema_url(), browser={"endpoint": endpoint, "concurrency": 2,
                                                                         "executable": choose_executable(None)})
        config = load_config(path)
        with serve_demo(auctions) as a, serve_demo(flea) as f, workers(path, 3) as procs:
            targets = [Target(name="auction", site="demo_auction", start_urls=[a.url + "/auction/search"]),
                       Target(name="flea", site="demo_fleamarket", start_urls=[f.url + "/flea/search"])]
            victim = procs[1]
            seen: dict = {}

            def watch(progress) -> None:  # a third of the way through, worker-1 dies mid-job
                if progress.done >= 100 and "server" not in seen:
                    seen["server"] = descendants(server_proc.pid)
                    seen["workers"] = [descendants(p.pid) for p in procs]
                if "killed" not in seen and progress.done >= 700:
                    os.kill(victim.pid, signal.SIGKILL)
                    seen["killed"] = progress.done

            with Store(config.database) as store:
                summary = start_audit(config, store, AuditOptions(targets=targets, on_progress=watch))
                run_id = summary.run_id
                observed = store.db.execute("select count(*), count(distinct site || '/' || item_id) from observations"
                                            " where run_id = ?", [run_id]).fetchone()
                hits = store.db.execute("select count(*), count(distinct site || '/' || item_id || '/' || rule_id)"
                                        " from hits where run_id = ?", [run_id]).fetchone()
                flagged = store.flagged_keys(run_id)
                evidence = list(store.db.query("select site, item_id, folder, path, sha256 from evidence"))
                starts = store.db.execute("select (select count(*) from procrastinate_events where type = 'started'),"
                                          " (select count(*) from procrastinate_jobs)").fetchone()
    assert "killed" in seen, "the run ended before worker-1 could be killed"
    assert victim.returncode == -signal.SIGKILL
    assert summary.status == "completed", summary
    assert observed == (listings, listings)  # every listing stored once
    assert hits[0] == hits[1] and hits[0] >= len(flagged)
    assert score(set(flagged), truth) == (1.0, 1.0)
    assert starts[0] > starts[1]  # a job was started twice: the killed worker's, given to another
    # every flagged listing's evidence: one capture each, and the files on disk are the rows
    folders: dict[tuple[str, str], set[str]] = {}
    for row in evidence:
        folders.setdefault((row["site"], row["item_id"]), set()).add(row["folder"])
    assert set(folders) == set(flagged)
    assert all(len(f) == 1 for f in folders.values()), {k: v for k, v in folders.items() if len(v) > 1}
    root = config.evidence_dir
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
               and p.relative_to(root).parts[0] != "manifests"}
    assert on_disk == {row["path"] for row in evidence}
    assert all(sha256_of(root / row["path"]) == row["sha256"] for row in evidence)
    # the browser is the server's: Chromium runs under `playwright run-server`, under no worker
    assert any("chrom" in name for name in seen["server"]), seen
    assert not any("chrom" in name for names in seen["workers"] for name in names), seen


def busiest_second(times: list[float]) -> int:
    """The most requests the server saw in any one-second window."""
    times = sorted(times)
    most, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        most = max(most, i - j + 1)
    return most


def test_a_targets_rate_holds_for_the_whole_fleet_of_workers(tmp_path, pg_cluster):
    catalog = generate(seed=3, size=80)
    path = write_config(tmp_path, pg_cluster.schema_url(), evidence={"enabled": False},
                        workers={"batch": 4, "concurrency": 2})
    config = load_config(path)
    with serve_demo(catalog) as server, workers(path, 3):
        target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"],
                        requests_per_second=2, images="none")
        with Store(config.database) as store:
            started = time.monotonic()
            summary = start_audit(config, store, AuditOptions(targets=[target]))
            took = time.monotonic() - started
            takers = store.db.execute("select count(distinct worker_id) from procrastinate_jobs"
                                      " where task_name = 'auditor.items'").fetchone()[0]
    times = [t for t, _ in server.times]
    items = sum(1 for x in catalog.listings if x.key[0] == "demo_auction")
    assert summary.status == "completed" and summary.listings_seen == items
    assert takers >= 2  # the item pages were read by more than one worker
    assert len(times) >= items
    # at 2 a second (each turn 15 % longer), a limiter per worker instead of one for the fleet puts 6 in a second.
    # Load only delays requests, never speeds them, so no one-second window is asserted (a server thread that
    # logs one request late and the next on time bunches them): any 11 in a row span 5.75 s, less jitter, and
    # the whole audit takes at least its requests' time.
    ordered = sorted(times)
    assert min(b - a for a, b in zip(ordered, ordered[10:])) >= 4.5
    assert took >= (len(times) - 1) / 2, (took, busiest_second(times))


def test_a_worker_frozen_and_thawed_keeps_to_the_fleets_pace(tmp_path, pg_cluster):
    """SIGSTOP one of three workers while its requests wait for their turns, SIGCONT it seconds later: its turns
    have gone by, and the others have had theirs since. It takes new ones, so the marketplace's log holds no
    burst: any 3 requests in a row span their two turns (1.15 s at 2 a second) less half a second of jitter."""
    catalog = generate(seed=3, size=60)
    path = write_config(tmp_path, pg_cluster.schema_url(), evidence={"enabled": False},
                        workers={"batch": 2, "concurrency": 4, "stalled_seconds": 30}, crawl={"max_per_host": 4})
    config = load_config(path)
    frozen: list[float] = []
    with serve_demo(catalog) as server, workers(path, 3) as procs:
        target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"],
                        requests_per_second=2, images="none")

        def freeze():
            while len(server.times) < 12:
                time.sleep(0.05)
            os.kill(procs[0].pid, signal.SIGSTOP)
            frozen.append(len(server.times))
            time.sleep(6)
            os.kill(procs[0].pid, signal.SIGCONT)
            frozen.append(len(server.times))

        with beside(freeze), Store(config.database) as store:
            summary = start_audit(config, store, AuditOptions(targets=[target]))
    times = sorted(t for t, _ in server.times)
    items = sum(1 for x in catalog.listings if x.key[0] == "demo_auction")
    assert summary.status == "completed" and summary.listings_seen == items
    assert len(frozen) == 2 and frozen[1] < len(times)  # it was thawed mid-run, with requests still to make
    assert min(b - a for a, b in zip(times, times[2:])) >= 0.65, min(b - a for a, b in zip(times, times[2:]))
    woke = (tmp_path / "worker-0.log").read_text(encoding="utf-8")
    assert "past its turn" in woke  # it did wake past its turns, and took new ones


def test_a_worker_whose_connections_are_cut_connects_again_and_the_run_completes(tmp_path, pg_cluster):
    """Every connection of the run's one worker terminated by the server, twice, mid-run (a pooler restarting, an
    idle timeout): the worker stays up, connects again (its store, its pace, its queue), takes jobs again (no other
    worker could do them), and the run ends completed with every listing; the jobs that met a cut are done again,
    none is left failed."""
    import psycopg

    catalog = generate(seed=3, size=60)
    path = write_config(tmp_path, pg_cluster.schema_url(), evidence={"enabled": False},
                        workers={"batch": 3, "concurrency": 2})
    config = load_config(path)
    cuts: list[int] = []
    with serve_demo(catalog) as server, workers(path, 1) as procs:
        target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"],
                        requests_per_second=20, images="none")

        def cut():
            with psycopg.connect(pg_cluster.schema_url(), autocommit=True) as admin:
                for after in (10, 25):
                    while len(server.times) < after:
                        time.sleep(0.02)
                    cuts.append(admin.execute("select count(pg_terminate_backend(pid)) from pg_stat_activity"
                                              " where application_name = 'worker-0'").fetchone()[0])

        with beside(cut), Store(config.database) as store:
            summary = start_audit(config, store, AuditOptions(targets=[target]))
            jobs = store.db.query("select status, worker_id, attempts from procrastinate_jobs")
            failed = [j for j in jobs if j["status"] == "failed"]
        alive = procs[0].poll() is None
    items = sum(1 for x in catalog.listings if x.key[0] == "demo_auction")
    assert len(cuts) == 2 and all(n >= 1 for n in cuts), cuts  # its connections were there, and cut
    assert summary.status == "completed" and summary.listings_seen == items, (summary.status, summary.listings_seen)
    assert failed == [] and alive
    log = (tmp_path / "worker-0.log").read_text(encoding="utf-8")
    last_cut = max(log.rfind("AdminShutdown"), log.rfind("connection to PostgreSQL was lost"))
    assert last_cut > 0 and "status: Success" in log[last_cut:]  # it met the cuts, and did jobs after them


def test_workers_with_a_stale_config_do_what_the_run_decided(tmp_path, pg_cluster):
    """The coordinator's config captures evidence and asks at 500 a second; the workers' stale copy says
    `evidence: off` and 0.5 a second. What a run captures and how fast it asks are the run's (runs.settings):
    every flagged listing has its capture, and the marketplace's log shows the run's pace, not the stale one."""
    catalog = generate(seed=5, size=40)
    with browser_server() as (endpoint, _):
        browser = {"endpoint": endpoint, "concurrency": 2, "executable": choose_executable(None)}
        database = pg_cluster.schema_url()  # a fresh schema, the one for both configs
        path = write_config(tmp_path, database, browser=browser, workers={"batch": 4})
        stale = tmp_path / "stale"
        stale.mkdir()
        stale_path = write_config(stale, database, browser=browser, workers={"batch": 4},
                                  evidence={"enabled": False, "dir": str(tmp_path / "reports" / "evidence")},
                                  crawl={"requests_per_second": 0.5})
        config = load_config(path)
        with serve_demo(catalog) as server, workers(stale_path, 2):
            target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"])
            with Store(config.database) as store:
                summary = start_audit(config, store, AuditOptions(targets=[target]))
                flagged = set(store.flagged_keys(summary.run_id))
                captured = {(r["site"], r["item_id"]) for r in store.db.query("select site, item_id from evidence")}
                settings = store.run(summary.run_id)["settings"]
        times = sorted(t for t, p in server.times if "/auction/item/" in p)
    items = sum(1 for x in catalog.listings if x.key[0] == "demo_auction")
    assert summary.status == "completed" and summary.listings_seen == items
    assert '"enabled": true' in settings and flagged and captured == flagged  # every flagged listing captured
    assert len(times) >= items and min(b - a for a, b in zip(times, times[1:])) < 1.0  # not one each 2 s


def test_a_worker_killed_while_pictures_are_checked_loses_no_picture_hit(tmp_path, pg_cluster):
    """Eight listings show pictures of the confirmed bank; a worker is killed with pictures still being fetched
    and hashed (every response slowed a little). Its jobs are given again: the pages it stored are not read again,
    but their pictures, never checked, are; so every listing's pictures are checked in the run and the eight
    picture hits are there, once each."""
    import httpx

    from auditor.images import hash_image
    from auditor.sites import get_profile

    catalog = generate(seed=3, size=60)
    database = pg_cluster.schema_url()
    path = write_config(tmp_path, database, evidence={"enabled": False}, workers={"batch": 3, "concurrency": 2})
    config = load_config(path)
    auction = [x for x in catalog.listings if x.key[0] == "demo_auction"]
    with serve_demo(catalog) as server:
        profile, chosen = get_profile("demo_auction"), auction[5:45:5]
        with Store(config.database) as store, httpx.Client() as http:
            store.create_bank("confirmed", "", "test", T0)
            for x in chosen:
                page = profile.parse(http.get(f"{server.url}/auction/item/{x.item_id}").text, f"{server.url}/auction/item/{x.item_id}")
                pdq = hash_image(http.get(page.image_urls[0]).content)
                store.add_to_bank("confirmed", [{"pdq": pdq.hex, "quality": pdq.quality, "source": "file",
                                                 "ref": f"{x.item_id}.png"}], "test", T0)
        server.times.clear()
        server.delay = 0.03
        server.slower["/img/"] = 0.3  # pictures slower than pages, on a loaded machine too: some are owed at the kill
        killed: dict = {}
        with workers(path, 2) as procs:
            target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"],
                            requests_per_second=200, images="all")

            def watch(progress) -> None:
                if "at" not in killed and sum(1 for _, p in list(server.times) if p.startswith("/img/")) >= 12:
                    with Store(config.database) as peek:
                        killed["owed"] = peek.db.execute(
                            "select count(*) from observations o where o.source = 'item' and not exists (select 1 from"
                            " listing_images li where li.site = o.site and li.item_id = o.item_id and li.run_id = o.run_id)"
                        ).fetchone()[0]
                    os.kill(procs[1].pid, signal.SIGKILL)
                    killed["at"] = progress.done

            with Store(config.database) as store:
                summary = start_audit(config, store, AuditOptions(targets=[target], on_progress=watch))
                run = summary.run_id
                unchecked = [r[0] for r in store.db.execute(
                    "select o.item_id from observations o join listings l using (site, item_id) where o.run_id = ?"
                    " and o.source = 'item' and l.image_urls != '[]' and not exists (select 1 from listing_images li"
                    " where li.site = o.site and li.item_id = o.item_id and li.run_id = o.run_id)", [run])]
                hits = [r[0] for r in store.db.execute(
                    "select item_id from hits where run_id = ? and rule_id = 'images.relisted_confirmed'", [run])]
    assert "at" in killed and killed["owed"] > 0, killed  # killed with pictures still to check
    assert summary.status == "completed" and summary.listings_seen == len(auction)
    assert unchecked == []  # every listing's pictures checked in the run
    assert sorted(hits) == sorted(x.item_id for x in chosen)  # every picture hit, once each


FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")  # Debian's faketime (.ci/run installs it)


@pytest.mark.skipif(not FAKETIME.exists(), reason=f"libfaketime is not installed ({FAKETIME}): apt-get install faketime")
def test_a_worker_whose_clock_is_hours_fast_stamps_what_it_records_in_the_databases_time(tmp_path, pg_cluster):
    """One of two workers runs three hours fast (libfaketime). What either records is stamped with the database's
    time: no observation or job record of the run lies outside the run's own start and end."""
    catalog = generate(seed=3, size=40)
    path = write_config(tmp_path, pg_cluster.schema_url(), evidence={"enabled": False}, workers={"batch": 3})
    config = load_config(path)
    fast = {0: {"LD_PRELOAD": str(FAKETIME), "FAKETIME": "+3h", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}}
    with serve_demo(catalog) as server, workers(path, 2, env=fast) as procs:
        target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"],
                        requests_per_second=200, images="none")
        with Store(config.database) as store:
            summary = start_audit(config, store, AuditOptions(targets=[target]))
            run = store.run(summary.run_id)
            seen = [r[0] for r in store.db.execute("select seen_at from observations where run_id = ?", [run["id"]])]
            jobs = [r[0] for r in store.db.execute("select finished_at from run_jobs where run_id = ?", [run["id"]])]
            takers = store.db.execute("select count(distinct worker_id) from procrastinate_jobs"
                                      " where task_name = 'auditor.items'").fetchone()[0]
    items = sum(1 for x in catalog.listings if x.key[0] == "demo_auction")
    assert summary.status == "completed" and len(seen) == items and takers == 2  # both workers did item pages
    stamps = [datetime.fromisoformat(t) for t in seen + jobs]
    began, ended = datetime.fromisoformat(run["started_at"]), datetime.fromisoformat(run["finished_at"])
    late = [t for t in stamps if not began <= t <= ended]
    assert late == [], (len(late), late[:3], began, ended)


def test_a_run_done_by_workers_stopped_then_resumed_stores_every_listing_once(tmp_path, pg_cluster):
    """`auditor run` coordinating two workers gets SIGTERM mid-run: the run is interrupted and its queued jobs
    cancelled; `auditor run --resume`, in a fresh process, carries it on with the same workers: the run ends
    completed, every listing stored once in it, none read twice."""
    import psycopg

    catalog = generate(seed=3, size=80)
    database = pg_cluster.schema_url()
    items = sum(1 for x in catalog.listings if x.key[0] == "demo_auction")
    with serve_demo(catalog) as server:
        target = {"name": "auction", "site": "demo_auction", "start_urls": [server.url + "/auction/search"],
                  "requests_per_second": 20, "images": "none"}
        path = write_config(tmp_path, database, evidence={"enabled": False}, workers={"batch": 3}, targets=[target])
        command = [sys.executable, "-m", "auditor", "--config", str(path), "run"]
        with workers(path, 2), psycopg.connect(database, autocommit=True) as db:
            count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
            first = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120  # a hang guard only
            while count("select to_regclass('observations')") is None or count("select count(*) from observations") < 15:
                assert first.poll() is None and time.monotonic() < deadline, first.communicate()
                time.sleep(0.05)
            first.send_signal(signal.SIGTERM)
            _, err = first.communicate(timeout=120)
            assert first.returncode == 130 and "--resume" in err and "Traceback" not in err, err[-800:]
            assert db.execute("select status from runs").fetchone()[0] == "interrupted"
            stopped_with = count("select count(*) from observations")
            resumed = subprocess.run([*command, "--resume"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
            assert resumed.returncode == 0 and "Traceback" not in resumed.stderr, resumed.stderr[-800:]
            runs = db.execute("select id, status from runs").fetchall()
            stored = db.execute("select count(*), count(distinct site || '/' || item_id) from observations"
                                " where run_id = %s", (runs[0][0],)).fetchone()
            asked = [p for _, p in server.times if p.startswith("/auction/item/")]
    assert stopped_with < items  # it was stopped with pages still to read
    assert [status for _, status in runs] == ["completed"]  # the same run, carried on
    assert stored == (items, items)  # every listing once
    assert len(asked) - len(set(asked)) <= 4  # pages in flight at the stop may be read again; no more than those


def test_a_worker_killed_in_its_discover_job_has_the_job_done_by_another(tmp_path, pg_cluster):
    """The only worker is killed while it reads a target's search pages; a worker started afterwards takes the
    job once the first is taken for dead (workers.stalled_seconds): the search is read again, its item pages
    queued once, and the run ends completed with every listing stored once."""
    catalog = generate(seed=3, size=80)
    path = write_config(tmp_path, pg_cluster.schema_url(), evidence={"enabled": False}, workers={"batch": 5})
    config = load_config(path)
    items = sum(1 for x in catalog.listings if x.key[0] == "demo_auction")
    late: list = []
    with serve_demo(catalog, delay=0.3) as server, workers(path, 1) as (first,):  # a slow search: time to kill
        target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"],
                        requests_per_second=50, images="none")

        def kill_then_start_another():
            until_asked(server, "/auction/search", 2)
            os.killpg(first.pid, signal.SIGKILL)
            server.delay = 0.0
            late.append(subprocess.Popen([sys.executable, "-m", "auditor", "--config", str(path), "worker", "--name",
                                          "worker-late"], cwd=tmp_path, start_new_session=True,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        try:
            with beside(kill_then_start_another), Store(config.database) as store:
                summary = start_audit(config, store, AuditOptions(targets=[target]))
                stored = store.db.execute("select count(*), count(distinct site || '/' || item_id) from observations"
                                          " where run_id = ?", [summary.run_id]).fetchone()
        finally:
            for p in late:
                p.send_signal(signal.SIGTERM)
                p.wait(30)
        searched = [p for _, p in server.times if p.startswith("/auction/search")]
    assert late and first.poll() is not None  # the first was killed mid-search, the second did its job
    assert summary.status == "completed" and stored == (items, items)
    assert len(searched) > len(set(searched))  # the search was read again by the job given again


@pytest.fixture
def own_cluster():
    """A PostgreSQL cluster of this test's own, for a test that restarts it (the session's is shared)."""
    with cluster() as started:
        yield started


@pytest.mark.timeout(600)
def test_postgresql_restarted_mid_run_the_fleet_connects_again_and_the_run_completes(tmp_path, own_cluster):
    """The database server stops for a second mid-run (an upgrade, a fail-over: every session ended) and comes back.
    `auditor run` coordinating two workers and the workers themselves connect again: the run ends completed, or says
    interrupted and one `run --resume` completes it; every listing is stored once, every flagged listing has one
    capture and its hits once; no traceback anywhere."""
    import psycopg

    catalog = generate(seed=4, size=90)
    database = own_cluster.schema_url()
    truth = {k for k in catalog.truth() if k[0] == "demo_auction"}
    items = sum(1 for x in catalog.listings if x.key[0] == "demo_auction")
    restarted: list[int] = []
    with serve_demo(catalog) as server:
        target = {"name": "auction", "site": "demo_auction", "start_urls": [server.url + "/auction/search"],
                  "requests_per_second": 15, "images": "none"}
        path = write_config(tmp_path, database, browser={"concurrency": 2, "executable": choose_executable(None)},
                            workers={"batch": 3}, targets=[target])
        command = [sys.executable, "-m", "auditor", "--config", str(path), "run"]

        def restart():
            until_asked(server, "/auction/item/", 20)
            own_cluster.restart(pause=1.0)
            restarted.append(len(server.times))

        with workers(path, 2) as procs, beside(restart):
            done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=400)
            outputs = [done]
            if done.returncode != 0 and "--resume" in done.stderr:
                outputs.append(subprocess.run([*command, "--resume"], cwd=tmp_path, capture_output=True, text=True,
                                              timeout=300))
            alive = [p.poll() is None for p in procs]
        with psycopg.connect(database, autocommit=True) as db:
            runs = db.execute("select id, status from runs").fetchall()
            run_id = runs[0][0]
            stored = db.execute("select count(*), count(distinct site || '/' || item_id) from observations"
                                " where run_id = %s", (run_id,)).fetchone()
            hits = db.execute("select count(*), count(distinct site || '/' || item_id || '/' || rule_id) from hits"
                              " where run_id = %s", (run_id,)).fetchone()
            flagged = {(s, i) for s, i in db.execute("select distinct site, item_id from hits where run_id = %s",
                                                    (run_id,)).fetchall()}
            captures = db.execute("select site, item_id, count(distinct folder) from evidence group by site, item_id"
                                  ).fetchall()
    for n, o in enumerate(outputs):
        (tmp_path / f"run-{n}.log").write_text(o.stdout + o.stderr)
    logs = [o.stdout + o.stderr for o in outputs] + [(tmp_path / f"worker-{i}.log").read_text() for i in range(2)]
    assert restarted, "the run ended before the database could be restarted"
    assert outputs[-1].returncode == 0, outputs[-1].stderr[-1500:]
    assert not [log for log in logs if "Traceback" in log], [log[-2000:] for log in logs if "Traceback" in log]
    assert [status for _, status in runs] == ["completed"] and alive == [True, True]
    assert stored == (items, items)
    assert hits[0] == hits[1] and score(flagged, truth) == (1.0, 1.0)
    assert {(s, i) for s, i, _ in captures} == flagged and all(n == 1 for *_, n in captures)


@pytest.mark.timeout(600)
def test_the_browser_server_gone_for_ten_seconds_is_waited_for_and_every_page_and_capture_is_taken(tmp_path, pg_cluster):
    """`playwright run-server` is killed (its Chromium with it) while two workers render a flea market's pages and
    capture evidence, and started again on its port 10 s later. The workers wait for it and go on: the run ends
    completed with every listing stored once and every flagged listing captured once; no page failed."""
    from urllib.parse import urlsplit

    catalog = generate(seed=6, size=120)
    truth = {k for k in catalog.truth() if k[0] == "demo_fleamarket"}
    items = sum(1 for x in catalog.listings if x.key[0] == "demo_fleamarket")
    events: list[str] = []
    with browser_server() as (endpoint, first):
        port = urlsplit(endpoint).port
        path = write_config(tmp_path, pg_cluster.schema_url(), browser={"endpoint": endpoint, "concurrency": 2,
                                                                         "executable": choose_executable(None)})
        config = load_config(path)
        later: list[subprocess.Popen] = []
        with serve_demo(catalog) as server, workers(path, 2) as procs:
            target = Target(name="flea", site="demo_fleamarket", start_urls=[server.url + "/flea/search"],
                            requests_per_second=30, images="none")

            def kill_then_restart():
                until_asked(server, "/flea/item/", 12)
                os.killpg(first.pid, signal.SIGKILL)
                events.append(f"killed after {len(server.times)} requests")
                time.sleep(10)
                later.append(start_browser_server(port))
                events.append("restarted")

            try:
                with beside(kill_then_restart), Store(config.database) as store:
                    summary = start_audit(config, store, AuditOptions(targets=[target]))
                    stored = store.db.execute("select count(*), count(distinct item_id) from observations"
                                              " where run_id = ?", [summary.run_id]).fetchone()
                    failed = list(store.db.query("select url, kind, error from page_failures where run_id = ?",
                                                 [summary.run_id]))
                    flagged = set(store.flagged_keys(summary.run_id))
                    captures = store.db.execute("select site, item_id, count(distinct folder) from evidence"
                                                " group by site, item_id").fetchall()
                alive = [p.poll() is None for p in procs]
            finally:
                for p in later:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(10)
    logs = [(tmp_path / f"worker-{i}.log").read_text(encoding="utf-8") for i in range(2)]
    assert events == [events[0], "restarted"], events  # killed mid-run, and back 10 s later
    assert summary.status == "completed" and stored == (items, items), (summary.status, stored, failed[:3])
    assert failed == [] and alive == [True, True]
    assert score(flagged, truth) == (1.0, 1.0)
    assert {(s, i) for s, i, _ in captures} == flagged and all(n == 1 for *_, n in captures)
    assert any("browser server" in log and "went away" in log for log in logs)
    assert not [log for log in logs if "Traceback" in log], [log[-2000:] for log in logs if "Traceback" in log]


def test_a_daily_run_done_by_workers_reads_only_the_item_pages_that_can_tell_something_new(tmp_path, pg_cluster):
    """The crawl budget holds for a fleet as for one process: the second daily run, minutes after the first, asks
    only for the item pages of followed listings and of the one listing whose card changed (its price); the others
    are recorded from their cards, counted as spared, and what the run spent is added up from its jobs. `--full`
    reads every item page again."""
    from dataclasses import replace

    catalog = generate(seed=3, size=80)
    database = pg_cluster.schema_url()
    auction = [x for x in catalog.listings if x.key[0] == "demo_auction"]
    changed = auction[7]
    day2 = type(catalog)(catalog.seed, [replace(x, price=x.price + 500) if x is changed else x
                                        for x in catalog.listings], catalog.sellers)

    path = write_config(tmp_path, database, evidence={"enabled": False}, workers={"batch": 4})
    config = load_config(path)
    with workers(path, 2), serve_demo(catalog) as server:  # one marketplace, its listings as on each day
        target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"],
                        requests_per_second=200, images="none")
        runs = []
        for world, full in ((catalog, False), (day2, False), (day2, True)):
            server.catalog = world
            server.times.clear()
            with Store(config.database) as store:
                followed = {r["item_id"] for r in store.followed(["auction"])}
                summary = start_audit(config, store, AuditOptions(targets=[target], full=full))
                spent = store.spent_of_run(summary.run_id).get("auction", {})
                sources = dict(store.db.execute("select source, count(*) from observations where run_id = ?"
                                                " group by source", [summary.run_id]).fetchall())
            asked = {p.rsplit("/", 1)[1] for _, p in server.times if p.startswith("/auction/item/")}
            runs.append((summary, followed, asked, spent, sources))
    (first, _, asked1, _, _), (second, followed, asked2, spent2, sources2), (third, _, asked3, _, _) = runs
    assert len(asked1) == len(auction) and first.pages_spared == 0  # day 1: everything is new
    assert followed and asked2 == followed | {changed.item_id}, sorted(asked2 ^ (followed | {changed.item_id}))
    assert second.status == "completed" and second.listings_seen == len(auction)  # every listing in the picture
    assert second.pages_spared == len(auction) - len(asked2) == spent2.get("unchanged") == sources2.get("card")
    assert spent2.get("item") == len(asked2) and spent2.get("search", 0) >= 1  # what it spent, from its jobs
    assert len(asked3) == len(auction) and third.pages_spared == 0  # --full reads them all
