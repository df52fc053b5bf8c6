#!/usr/bin/python3
"""A join storm: many Chat streams join one room at once, then some leave while as many new
ones join. Prints one JSON line, {"online": [names]}, once every join was welcomed and
every leaver's stream has ended; the members stay until stdin closes, then all leave.

  storm.py --target 127.0.0.1:50051 --room big --joins 40 --churn 15
"""

import argparse
import json
import os
import queue
import sys
import tempfile
import threading

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bot import generate_stubs  # noqa: E402

DEADLINE_S = 60.0


class Member:
    """One Chat stream: joins at once; leave() ends it."""

    def __init__(self, pb, stub, room, name):
        self.name = name
        self.events = queue.Queue()
        self.welcomed = threading.Event()
        self.ended = threading.Event()
        self.events.put(pb.ClientEvent(join=pb.Join(room=room, email=name + "@example.com")))
        self.call = stub.Chat(iter(self.events.get, None), wait_for_ready=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for event in self.call:
                if event.HasField("welcome"):
                    self.welcomed.set()
        except grpc.RpcError:
            pass
        self.ended.set()

    def leave(self, pb):
        self.events.put(pb.ClientEvent(leave=pb.Leave()))
        self.events.put(None)


def wait_all(members, what, flag):
    for member in members:
        if not getattr(member, flag).wait(DEADLINE_S):
            raise SystemExit("%s was not %s within %.0f s" % (member.name, what, DEADLINE_S))


def main():
    parser = argparse.ArgumentParser(description="A storm of joins and leaves in one room.")
    parser.add_argument("--target", required=True)
    parser.add_argument("--room", required=True)
    parser.add_argument("--joins", type=int, default=40)
    parser.add_argument("--churn", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="chatstorm-") as out_dir:
        generate_stubs(out_dir)
        from chat.v1 import chat_pb2 as pb, chat_pb2_grpc  # generated just above

        with grpc.insecure_channel(args.target) as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            first = [Member(pb, stub, args.room, "storm-%d" % i) for i in range(args.joins)]
            wait_all(first, "welcomed", "welcomed")
            leavers = first[:args.churn]
            for member in leavers:
                member.leave(pb)
            second = [Member(pb, stub, args.room, "late-%d" % i) for i in range(args.churn)]
            wait_all(second, "welcomed", "welcomed")
            wait_all(leavers, "ended", "ended")
            staying = first[args.churn:] + second
            print(json.dumps({"online": [m.name for m in staying]}), flush=True)
            sys.stdin.read()
            for member in staying:
                member.leave(pb)
            wait_all(staying, "ended", "ended")
    return 0


if __name__ == "__main__":
    sys.exit(main())
