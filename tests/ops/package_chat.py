#!/usr/bin/python3
"""The installed roomd carries a chat message (package_test.sh runs this).

  post:    a reader joins room "ops" on a Chat stream, a unary Post sends a message, and the
           reader must get it with the seq the Post answered.
  history: after a restart with the same flags, GetHistory still holds that message (the
           example flags' sqlite store), and resending its client_id posts nothing.

Usage: package_chat.py --target HOST:PORT --proto_dir DIR {post,history}
(/usr/bin/python3, with tests/support on PYTHONPATH)
"""

import argparse
import tempfile

from roomd_process import TIMEOUT, Bot, fail, generate_stubs, run_main

ROOM = "ops"
TEXT = "hello from the packages"
CLIENT_ID = "package-1"


def post(stub, pb):
    reader = Bot(stub, pb)
    reader.send(join=pb.Join(room=ROOM, email="reader@example.com"))
    reader.wait_for(lambda e: e.HasField("welcome"), "the reader's welcome")
    posted = stub.Post(pb.PostRequest(room=ROOM, email="ops@example.com", text=TEXT,
                                      client_id=CLIENT_ID), timeout=TIMEOUT)
    seen = reader.wait_for(lambda e: e.HasField("message") and e.message.text == TEXT,
                           "the posted message on the reader's stream")
    if seen.message.seq != posted.message.seq:
        fail(f"the reader got seq {seen.message.seq}, the Post said {posted.message.seq}")
    reader.outgoing.put(None)
    print(f"package chat: a Post reached a Chat stream as seq {posted.message.seq}")


def history(stub, pb):
    kept = stub.GetHistory(pb.GetHistoryRequest(room=ROOM), timeout=TIMEOUT)
    if [m.text for m in kept.messages] != [TEXT]:
        fail(f"after the restart the history holds {[m.text for m in kept.messages]}")
    resent = stub.Post(pb.PostRequest(room=ROOM, email="ops@example.com", text=TEXT,
                                      client_id=CLIENT_ID), timeout=TIMEOUT)
    if not resent.duplicate or resent.message.seq != kept.messages[0].seq:
        fail(f"the resend was posted again: {resent}")
    print(f"package chat: seq {kept.messages[0].seq} survived the restart")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--proto_dir", required=True)
    parser.add_argument("mode", choices=["post", "history"])
    args = parser.parse_args()
    import grpc

    with tempfile.TemporaryDirectory(prefix="package-chat-") as stubs:
        generate_stubs(args.proto_dir, stubs)
        from chat.v1 import chat_pb2 as pb, chat_pb2_grpc as pbgrpc
        channel = grpc.insecure_channel(args.target)
        stub = pbgrpc.ChatServiceStub(channel)
        (post if args.mode == "post" else history)(stub, pb)
        channel.close()


if __name__ == "__main__":
    run_main(main)
