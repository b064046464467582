"""Simulating chunks of tickets in worker processes while the main process writes.

A chunk is (index, first ticket id, creation times); its random generator is seeded from the run's
seed and the chunk's index alone, so a run makes the same rows however many processes share the
work, or none (`simulated_chunks(..., processes=0)` simulates here).

The workers are plain `python -m helpdesk.demo.workers` processes that read pickled tasks on stdin
and write pickled chunks on stdout, not multiprocessing's: a forked child would inherit this
process's database connections and threads, and a spawned one re-runs the caller's main script
(an unguarded script would seed again from inside each worker). Worker i takes chunks i, i + n,
...; a thread per worker feeds its tasks and another reads and unpickles its chunks into a queue
of two, so the chunks come back in order, at most two per worker wait in memory, and a stalled writer stalls the
workers instead of filling memory."""
from __future__ import annotations

import os
import pickle
import queue
import random
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from helpdesk.demo.bulk import encode
from helpdesk.demo.simulate import Plan, Simulator

Task = tuple[int, int, Sequence[float]]  # chunk index, first ticket id, creation times
_HEADER = struct.Struct("!Q")
_END = object()


def chunk_rows(simulator: Simulator, index: int, first_ticket_id: int, times: Sequence[float]):
    return simulator.simulate(first_ticket_id, times, random.Random(f"demo-{simulator.plan.seed}-chunk-{index}"))


def _write_frame(stream, payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_frame(stream) -> bytes | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    return data if len(data) == size else None


def simulated_chunks(plan: Plan, tasks: Sequence[Task], processes: int) -> Iterator:
    """The encoded chunks in task order, simulated by `processes` workers (0: here, one by one)."""
    if processes <= 0 or not tasks:
        simulator = Simulator(plan)
        for index, first_ticket_id, times in tasks:
            yield encode(chunk_rows(simulator, index, first_ticket_id, times), plan.backend)
        return
    workers = [_Worker(plan, tasks[number::processes]) for number in range(min(processes, len(tasks)))]
    try:
        for number in range(len(tasks)):
            yield workers[number % len(workers)].next_chunk()
    finally:
        for worker in workers:
            worker.stop()


class _Worker:
    def __init__(self, plan: Plan, tasks: Sequence[Task]):
        package_root = str(Path(__file__).resolve().parents[2])
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [package_root, *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.process = subprocess.Popen([sys.executable, "-m", "helpdesk.demo.workers"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=environment)
        self.chunks: queue.Queue = queue.Queue(maxsize=2)
        self.feeder = threading.Thread(target=self._feed, args=(plan, tasks), daemon=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.feeder.start()
        self.reader.start()

    def _feed(self, plan: Plan, tasks: Sequence[Task]) -> None:
        try:
            _write_frame(self.process.stdin, plan)
            for index, first_ticket_id, times in tasks:
                _write_frame(self.process.stdin, (index, first_ticket_id, list(times)))
            self.process.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the worker died or was stopped; the reader reports it

    def _read(self) -> None:
        # Unpickled here: the writer's thread lets go of the GIL while the database works.
        while (data := _read_frame(self.process.stdout)) is not None:
            self.chunks.put(pickle.loads(data))
        self.chunks.put(_END)

    def next_chunk(self):
        chunk = self.chunks.get()
        if chunk is _END:
            code = self.process.wait()
            raise RuntimeError(f"a demo data worker stopped early (exit code {code}; its error is above)")
        return chunk

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _serve() -> None:
    """The worker's side: a Plan, then tasks until stdin closes; one encoded chunk per task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle; it stops us
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the real stdout
    plan = pickle.loads(_read_frame(source))
    simulator = Simulator(plan)
    while (data := _read_frame(source)) is not None:
        index, first_ticket_id, times = pickle.loads(data)
        _write_frame(sink, encode(chunk_rows(simulator, index, first_ticket_id, times), plan.backend))


if __name__ == "__main__":
    _serve()
