#!/usr/bin/python3
"""A client we do not write, as a new user would write it: a Python Chat stream (Debian's
python3-grpcio) that never asks for batches and handles only `message` events must see
every one of 120 messages another stream sends as fast as it can.

Usage: plain_stream_test.py --roomd PATH --proto_dir DIR
"""

import argparse
import queue
import tempfile
import threading

from roomd_process import TIMEOUT, RoomdProcess, fail, generate_stubs, run_main

MESSAGES = 120


def stream(stub, outgoing):
    """A Chat call whose requests come from the `outgoing` queue (None ends them)."""
    def requests():
        while True:
            event = outgoing.get()
            if event is None:
                return
            yield event
    return stub.Chat(requests())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--roomd", required=True)
    parser.add_argument("--proto_dir", required=True)
    args = parser.parse_args()
    import grpc

    with tempfile.TemporaryDirectory(prefix="roomd-plain-") as stubs:
        generate_stubs(args.proto_dir, stubs)
        from chat.v1 import chat_pb2 as pb, chat_pb2_grpc as pbgrpc

        # The writer sends faster than the default rate limit allows.
        roomd = RoomdProcess(args.roomd, ["--rate=1000", "--rate_burst=1000"])
        channel = grpc.insecure_channel(roomd.address)
        grpc.channel_ready_future(channel).result(timeout=TIMEOUT)
        stub = pbgrpc.ChatServiceStub(channel)

        # The reader: joins, then keeps only `message` events, as a naive bot would.
        reader_out = queue.Queue()
        reader_out.put(pb.ClientEvent(join=pb.Join(room="burst", email="reader@example.com")))
        reader_call = stream(stub, reader_out)
        texts = queue.Queue()
        welcomed = threading.Event()
        others = []

        def read():
            for event in reader_call:
                kind = event.WhichOneof("event")
                if kind == "welcome":
                    welcomed.set()
                elif kind == "message":
                    texts.put(event.message.text)
                else:
                    others.append(kind)
        threading.Thread(target=read, daemon=True).start()
        if not welcomed.wait(TIMEOUT):
            fail("no welcome for the reader")

        writer_out = queue.Queue()
        writer_out.put(pb.ClientEvent(join=pb.Join(room="burst", email="writer@example.com")))
        for i in range(MESSAGES):
            writer_out.put(pb.ClientEvent(send=pb.Send(text=f"fast {i}")))
        writer_call = stream(stub, writer_out)
        threading.Thread(target=lambda: [None for _ in writer_call], daemon=True).start()

        for i in range(MESSAGES):
            try:
                text = texts.get(timeout=TIMEOUT)
            except queue.Empty:
                fail(f"the reader saw {i} of {MESSAGES} messages (other events: {others})")
            if text != f"fast {i}":
                fail(f"message {i} is {text!r}")
        if "batch" in others:
            fail("a client that did not ask for batches got one")
        writer_out.put(None)
        reader_out.put(None)
        if roomd.stop() != 0:
            fail("roomd did not exit 0")
        channel.close()
    print(f"plain stream: {MESSAGES} of {MESSAGES} messages, one event each")


if __name__ == "__main__":
    run_main(main)
