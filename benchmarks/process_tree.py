"""Memory and CPU of a process and all its descendants, sampled in a background thread."""

import threading
from dataclasses import dataclass, field

import psutil

# RSS is cheap to read, so it is sampled often; PSS (shared pages split between the processes
# that share them, so closer to what the tree really costs) reads smaps and is sampled less.
RSS_INTERVAL_SECONDS = 0.2
PSS_EVERY_N_SAMPLES = 5

# Process roles, by a piece of their command line, for the per-role peaks. Runs are spawned by
# the code server (DefaultRunLauncher); a multiprocess executor would spawn steps from their run.
ROLES = (
    ("dagster_webserver", "webserver"),
    ("anchor_assets.daemon", "daemon"),
    ("code-server", "code server"),
    ("api grpc", "code server"),
    ("anchor_assets.serve", "ui launcher"),
)


@dataclass
class PhaseMemory:
    peak_rss: int = 0
    peak_pss: int = 0
    peak_processes: int = 0
    peak_rss_by_role: dict[str, int] = field(default_factory=dict)
    cpu_seconds_at_start: float | None = None
    cpu_seconds_at_end: float | None = None
    # Busy CPU seconds of the whole machine over the phase: what is not the tree's was used by
    # the sandbox, the benchmark itself and whatever else runs on the machine.
    machine_busy_at_start: float | None = None
    machine_busy_at_end: float | None = None

    @property
    def cpu_seconds(self) -> float:
        if self.cpu_seconds_at_start is None or self.cpu_seconds_at_end is None:
            return float("nan")
        return self.cpu_seconds_at_end - self.cpu_seconds_at_start


class TreeSampler(threading.Thread):
    """Samples the summed RSS (and PSS) of ``root_pid`` and its descendants until stopped.

    Peaks are kept per phase: start_phase(name) opens one, end_phase() closes it.
    """

    def __init__(self, root_pid: int) -> None:
        super().__init__(name="tree-sampler", daemon=True)
        self._root = psutil.Process(root_pid)
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._phase: PhaseMemory | None = None
        self.phases: dict[str, PhaseMemory] = {}
        self.overall = PhaseMemory()

    def start_phase(self, name: str) -> PhaseMemory:
        phase = PhaseMemory(
            cpu_seconds_at_start=self.tree_cpu_seconds(), machine_busy_at_start=_machine_busy()
        )
        with self._lock:
            self.phases[name] = self._phase = phase
        return phase

    def end_phase(self) -> PhaseMemory | None:
        self._sample(with_pss=True)
        with self._lock:
            phase, self._phase = self._phase, None
        if phase is not None:
            phase.cpu_seconds_at_end = self.tree_cpu_seconds()
            phase.machine_busy_at_end = _machine_busy()
        return phase

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)

    def run(self) -> None:
        count = 0
        while not self._stop_event.wait(RSS_INTERVAL_SECONDS):
            count += 1
            self._sample(with_pss=count % PSS_EVERY_N_SAMPLES == 0)

    def tree_cpu_seconds(self) -> float:
        """CPU seconds used so far by the live processes of the tree and the children they have
        reaped (psutil's children_* fields hold those, recursively)."""
        total = 0.0
        for process in self._tree():
            try:
                times = process.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            total += times.user + times.system + times.children_user + times.children_system
        return total

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self._root, *self._root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _sample(self, with_pss: bool) -> None:
        rss = pss = 0
        by_role: dict[str, int] = {}
        processes = self._tree()
        commands = _commands(processes)
        for process in processes:
            try:
                if with_pss:
                    info = process.memory_full_info()
                    pss += info.pss
                else:
                    info = process.memory_info()
                role = _role(process, commands)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            rss += info.rss
            by_role[role] = by_role.get(role, 0) + info.rss
        with self._lock:
            for phase in (self.overall, self._phase):
                if phase is None:
                    continue
                phase.peak_rss = max(phase.peak_rss, rss)
                phase.peak_pss = max(phase.peak_pss, pss)
                phase.peak_processes = max(phase.peak_processes, len(processes))
                for role, value in by_role.items():
                    phase.peak_rss_by_role[role] = max(phase.peak_rss_by_role.get(role, 0), value)


def _role(process: psutil.Process, commands: dict[int, str]) -> str:
    command = commands.get(process.pid, "")
    if "spawn_main" in command:
        parent = commands.get(process.ppid(), "")
        return "run worker" if "api grpc" in parent else "step worker"
    for fragment, role in ROLES:
        if fragment in command:
            return role
    return "other"


def _machine_busy() -> float:
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + times.irq + times.softirq + times.steal


def _commands(processes: list[psutil.Process]) -> dict[int, str]:
    commands = {}
    for process in processes:
        try:
            commands[process.pid] = " ".join(process.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return commands
