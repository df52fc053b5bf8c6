#!/usr/bin/python3
"""A chat bot for roomd, in Python with Debian's python3-grpcio (run it with /usr/bin/python3).

It joins a room and answers three commands:
  !help   the commands
  !time   the time (the bot's clock, UTC)
  !who    who is online
When roomd goes away (a restart), it reconnects and resumes where it was: Join.after_seq
and Join.epoch ask for the messages it missed (it answers commands among them), or, if
roomd's numbering restarted, Welcome.history_reset says the old seqs mean nothing.

  bot.py --target 127.0.0.1:50051 --room lobby [--email bot@example.com] [--name Bot]

The gRPC stubs are generated from proto/chat/v1/chat.proto into a temporary folder at start
(Debian's python3-grpc-tools), so nothing generated is kept in the repository.
"""

import argparse
import datetime
import itertools
import os
import queue
import sys
import tempfile
import time

import grpc
from grpc_tools import protoc

PROTO_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "proto")


def load_stubs(out_dir):
    """Generates chat_pb2 and chat_pb2_grpc from the .proto and imports them."""
    if protoc.main(["protoc", "-I" + PROTO_ROOT, "--python_out=" + out_dir,
                    "--grpc_python_out=" + out_dir, "chat/v1/chat.proto"]) != 0:
        sys.exit("bot: could not generate the gRPC stubs")
    sys.path.insert(0, out_dir)
    from chat.v1 import chat_pb2, chat_pb2_grpc
    return chat_pb2, chat_pb2_grpc


class Bot:
    def __init__(self, pb, stub, room, email, name):
        self.pb, self.stub = pb, stub
        self.room, self.email, self.name = room, email, name
        self.last_seq, self.epoch = 0, ""  # where to resume
        self.online = {}                   # user id -> display name
        self.me = None                     # our own user id
        self.ids = itertools.count(1)      # for client_id

    def run_once(self):
        """One Chat stream: join, then handle events until the stream ends."""
        outgoing = queue.Queue()  # ClientEvents to send; None ends the stream

        def requests():
            while (event := outgoing.get()) is not None:
                yield event

        # Resume after what we saw, naming the numbering those seqs belong to.
        outgoing.put(self.pb.ClientEvent(join=self.pb.Join(
            room=self.room, email=self.email, name=self.name,
            after_seq=self.last_seq, epoch=self.epoch)))
        call = self.stub.Chat(requests())
        try:
            for event in call:  # one event per ServerEvent: we did not ask for batches
                kind = event.WhichOneof("event")
                if kind == "welcome":
                    self.on_welcome(event.welcome, outgoing)
                elif kind == "message":
                    self.on_message(event.message, outgoing)
                elif kind == "presence":
                    self.on_presence(event.presence)
        finally:
            outgoing.put(None)

    def on_welcome(self, welcome, outgoing):
        resumed = self.epoch == welcome.epoch and self.last_seq > 0
        if not resumed:
            self.last_seq = 0  # a first join, or welcome.history_reset: old seqs mean nothing
        self.me, self.epoch = welcome.self.id, welcome.epoch
        self.online = {u.id: u.name for u in welcome.online}
        print(f"bot: joined #{welcome.room} as {welcome.self.name}"
              f"{' (resumed)' if resumed else ''}", flush=True)
        for message in welcome.history:
            # Only commands we missed while away; a first join or a reset is not "missed".
            self.on_message(message, outgoing, answer=resumed)
        self.last_seq = max(self.last_seq, welcome.last_seq)

    def on_presence(self, presence):
        if presence.HasField("joined"):
            self.online[presence.joined.id] = presence.joined.name
        if presence.HasField("left"):
            self.online.pop(presence.left.id, None)

    def on_message(self, message, outgoing, answer=True):
        if message.seq <= self.last_seq:
            return  # seen already
        self.last_seq = message.seq
        sender = getattr(message, "from")  # `from` is a Python keyword
        if not answer or sender.id == self.me:
            return
        reply = self.answer(message.text.strip())
        if reply:
            outgoing.put(self.pb.ClientEvent(send=self.pb.Send(
                text=reply, client_id=f"{self.me}-{self.epoch}-{next(self.ids)}")))

    def answer(self, command):
        if command == "!help":
            return "Commands: !help (this list), !time (the time, UTC), !who (who is online)"
        if command == "!time":
            now = datetime.datetime.now(datetime.timezone.utc)
            return "It is " + now.strftime("%Y-%m-%d %H:%M:%S") + " UTC"
        if command == "!who":
            return "Online: " + ", ".join(sorted(self.online.values()))
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--room", default="lobby")
    parser.add_argument("--email", default="bot@example.com")
    parser.add_argument("--name", default="Bot")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chat-bot-") as stubs:
        pb, pb_grpc = load_stubs(stubs)
        # Retry the connection quickly while roomd restarts (gRPC's default waits up to 2 min).
        channel = grpc.insecure_channel(args.target, options=[
            ("grpc.initial_reconnect_backoff_ms", 200), ("grpc.max_reconnect_backoff_ms", 5000)])
        bot = Bot(pb, pb_grpc.ChatServiceStub(channel), args.room, args.email, args.name)
        delay = 0.2
        while True:
            started = time.monotonic()
            try:
                bot.run_once()
                reason = "the stream ended"
            except grpc.RpcError as error:
                reason = f"{error.code().name}: {error.details()}"
                if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                    sys.exit(f"bot: refused: {reason}")  # retrying would not help
            # Back off (doubling up to 5 s) unless the stream had been up for a while.
            delay = 0.2 if time.monotonic() - started > 10 else min(delay * 2, 5.0)
            print(f"bot: disconnected ({reason}); reconnecting in {delay:.1f} s", flush=True)
            time.sleep(delay)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
