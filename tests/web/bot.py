#!/usr/bin/python3
"""A tiny bot: posts messages to a room through roomd's unary Post RPC.

The stubs are generated from proto/chat/v1/chat.proto into a temporary folder at start,
with Debian's grpc_tools (run it with /usr/bin/python3: Debian's grpc lives there).
Prints one line per message, "seq <n>", and exits non-zero on any failure.

  bot.py --target 127.0.0.1:50051 --room lobby --email bot@example.com TEXT [TEXT...]
"""

import argparse
import os
import subprocess
import sys
import tempfile

import grpc

PROTO_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")


def generate_stubs(out_dir):
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I" + PROTO_ROOT,
         "--python_out=" + out_dir, "--grpc_python_out=" + out_dir,
         os.path.join(PROTO_ROOT, "chat", "v1", "chat.proto")],
        check=True)
    sys.path.insert(0, out_dir)


def main():
    parser = argparse.ArgumentParser(description="Post messages to a chat room over gRPC.")
    parser.add_argument("--target", required=True, help="roomd address, host:port")
    parser.add_argument("--room", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", default="", help="display name (default: from the email)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per RPC")
    parser.add_argument("texts", nargs="+", metavar="TEXT")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="chatbot-") as out_dir:
        generate_stubs(out_dir)
        from chat.v1 import chat_pb2, chat_pb2_grpc  # generated just above

        with grpc.insecure_channel(args.target) as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            for i, text in enumerate(args.texts):
                request = chat_pb2.PostRequest(room=args.room, email=args.email, name=args.name,
                                               text=text, client_id="bot-%d-%d" % (os.getpid(), i))
                try:
                    response = stub.Post(request, timeout=args.timeout, wait_for_ready=True)
                except grpc.RpcError as err:
                    print("Post failed: %s: %s" % (err.code().name, err.details()), file=sys.stderr)
                    return 1
                print("seq %d" % response.message.seq, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
