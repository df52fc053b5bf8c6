"""What the Python tests (tests/interop, tests/examples) share: the real roomd on a free
loopback port, one Chat stream with its events in a queue, stubs generated at test time, and
a main() runner that kills every child whatever happens. CMake puts this folder on
PYTHONPATH; call with /usr/bin/python3 (Debian's python3-grpcio).
"""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import traceback

TIMEOUT = 20.0
# Child processes, killed whatever happens so a failure never leaves ctest waiting.
PROCESSES = []


def fail(message):
    print(f"{os.path.basename(sys.argv[0])}: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def generate_stubs(proto_dir, out_dir, extra=()):
    """chat/v1/chat.proto (and each (root, path) in `extra`) into out_dir, put on sys.path."""
    from grpc_tools import protoc  # noqa: imported late for a clear error if missing
    import grpc_tools
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    for root, path in [(proto_dir, "chat/v1/chat.proto"), *extra]:
        code = protoc.main(["protoc", f"-I{root}", f"-I{include}", f"--python_out={out_dir}",
                            f"--grpc_python_out={out_dir}", os.path.join(root, path)])
        if code != 0:
            fail(f"protoc failed for {path}")
    sys.path.insert(0, out_dir)


class RoomdProcess:
    """The real roomd on a free loopback port (it binds port 0 and logs the port)."""

    def __init__(self, binary, extra_args=()):
        self.proc = subprocess.Popen([binary, "--listen=127.0.0.1:0", *extra_args],
                                     stderr=subprocess.PIPE, text=True)
        PROCESSES.append(self.proc)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        deadline = time.monotonic() + TIMEOUT
        self.address = None
        while self.address is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                fail("roomd did not report its port")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                fail("roomd exited during startup")
            match = re.search(r"listening on (\S+)", line)
            if match:
                self.address = match.group(1)

    def _pump(self):
        for line in self.proc.stderr:
            sys.stderr.write(line)
            self.lines.put(line)
        self.lines.put(None)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("roomd did not exit within 10 s of SIGTERM")


class Bot:
    """One Chat stream; a thread collects events (batches flattened) into a queue."""

    def __init__(self, stub, pb, metadata=None):
        self.pb = pb
        self.outgoing = queue.Queue()
        self.events = queue.Queue()
        self.status = None
        self.done = threading.Event()
        self.call = stub.Chat(self._requests(), metadata=metadata)
        threading.Thread(target=self._read, daemon=True).start()

    def _requests(self):
        while True:
            event = self.outgoing.get()
            if event is None:
                return
            yield event

    def _read(self):
        import grpc
        try:
            for event in self.call:
                if event.WhichOneof("event") == "batch":
                    for inner in event.batch.events:
                        self.events.put(inner)
                else:
                    self.events.put(event)
            self.status = (grpc.StatusCode.OK, "")
        except grpc.RpcError as error:
            self.status = (error.code(), error.details())
        self.done.set()

    def send(self, **kwargs):
        self.outgoing.put(self.pb.ClientEvent(**kwargs))

    def wait_for(self, predicate, what):
        deadline = time.monotonic() + TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                fail(f"bot timed out waiting for {what}")
            try:
                event = self.events.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self.done.is_set() and self.events.empty():
                    fail(f"bot stream ended ({self.status}) waiting for {what}")
                continue
            if predicate(event):
                return event


def run_main(main):
    """Runs main(), reports anything it raises, kills the children, and exits hard: gRPC's
    threads must not keep a failed test alive."""
    exit_code = 1
    try:
        main()
        exit_code = 0
    except SystemExit as error:
        exit_code = error.code if isinstance(error.code, int) else 1
    except BaseException:  # noqa: report anything, then clean up
        traceback.print_exc()
    finally:
        for process in PROCESSES:
            if process.poll() is None:
                process.kill()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
