"""The servers under test: processes, their memory and CPU, waiting for them."""

import os
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

from .config import ROOT

# --- Processes and memory -------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from /proc (no psutil: not a dependency)."""
    children = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: the ppid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry))
    result, todo = [], [pid]
    while todo:
        current = todo.pop()
        result.append(current)
        todo.extend(children.get(current, []))
    return result


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far: shows how the load is spread over the workers."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class Service:
    """A server process started by this script, its output in a file (never an unread pipe)."""

    def __init__(self, name, argv, env, log_path: Path):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        # A session of its own: Ctrl-C in the terminal reaches only this script, which then
        # stops the service in order (in its finally).
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def memory(self) -> dict[int, int]:
        if self.process.poll() is not None:
            return {}
        return {pid: rss_kib(pid) for pid in descendants(self.process.pid)}

    def cpu(self) -> dict[int, float]:
        if self.process.poll() is not None:
            return {}
        return {pid: cpu_seconds(pid) for pid in descendants(self.process.pid)}

    def stop(self, timeout: float):
        if self.process.poll() is None:
            pids = descendants(self.process.pid)
            self.process.send_signal(signal.SIGTERM)  # graceful: gunicorn and Celery finish what runs
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                for pid in pids:  # only processes this service started, by id
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.process.wait(timeout=10)
        self.log.close()


def wait_for(what, predicate, timeout, service=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service is not None and service.process.poll() is not None:
            raise SystemExit(f"{service.name} exited while waiting for {what}; see {service.log_path}")
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")
