#!/usr/bin/python3
"""A Python grpcio bot against a secure roomd (--auth=jwt, TLS, relay secret): it trusts
the test CA with grpc.ssl_channel_credentials, carries a token from scripts/mint-token in
metadata `authorization: Bearer`, chats, posts and lists its rooms; a plaintext channel and a
forged token are refused.

Usage: tls_bot_test.py --roomd PATH --proto_dir DIR --make_certs PATH --mint_token PATH
"""

import argparse
import os
import subprocess
import tempfile

import roomd_process as helpers
from roomd_process import fail, run_main


def mint(mint_token, secret_file, *args):
    return subprocess.run([mint_token, f"--secret_file={secret_file}", *args], check=True,
                          capture_output=True, text=True).stdout.strip()


def run(args, work):
    import grpc
    helpers.generate_stubs(args.proto_dir, work)
    from chat.v1 import chat_pb2 as pb
    from chat.v1 import chat_pb2_grpc as pb_grpc

    certs = os.path.join(work, "certs")
    subprocess.run([args.make_certs, certs], check=True)
    secret_file = os.path.join(work, "jwt-secret")
    relay_file = os.path.join(work, "relay-secret")
    for path in (secret_file, relay_file):
        with open(path, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
    roomd = helpers.RoomdProcess(args.roomd, [
        "--auth=jwt", f"--jwt_secret_file={secret_file}", f"--relay_secret_file={relay_file}",
        f"--tls_cert_file={certs}/server.pem", f"--tls_key_file={certs}/server.key"])
    try:
        with open(f"{certs}/ca.pem", "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        channel = grpc.secure_channel(roomd.address, credentials)
        stub = pb_grpc.ChatServiceStub(channel)
        token = mint(args.mint_token, secret_file, "--sub=bot-1", "--name=Robo", "--bot",
                     "--rooms=lobby,ops-*", "--ttl=10m")
        bearer = [("authorization", f"Bearer {token}")]

        bot = helpers.Bot(stub, pb, metadata=bearer)
        bot.send(join=pb.Join(room="lobby"))
        welcome = bot.wait_for(lambda e: e.HasField("welcome"), "welcome")
        if welcome.welcome.self.name != "Robo" or not welcome.welcome.self.bot:
            fail(f"unexpected self: {welcome.welcome.self}")
        bot.send(send=pb.Send(text="beep over tls"))
        bot.wait_for(lambda e: e.HasField("message") and e.message.text == "beep over tls",
                     "own message")

        posted = stub.Post(pb.PostRequest(room="ops-alerts", text="disk 91%"), metadata=bearer,
                           timeout=helpers.TIMEOUT)
        if getattr(posted.message, "from").name != "Robo":
            fail("the post is not from the token's user")
        rooms = stub.ListRooms(pb.ListRoomsRequest(), metadata=bearer, timeout=helpers.TIMEOUT)
        names = sorted(room.name for room in rooms.rooms)
        if names != ["lobby", "ops-alerts"]:
            fail(f"rooms: {names}")

        for attempt, metadata, code in [
                ("no token", None, grpc.StatusCode.UNAUTHENTICATED),
                ("forged token", [("authorization", f"Bearer {token[:-2]}xx")],
                 grpc.StatusCode.UNAUTHENTICATED)]:
            try:
                stub.ListRooms(pb.ListRoomsRequest(), metadata=metadata, timeout=helpers.TIMEOUT)
                fail(f"{attempt}: ListRooms succeeded")
            except grpc.RpcError as error:
                if error.code() != code:
                    fail(f"{attempt}: {error.code()} {error.details()}")
        try:
            pb_grpc.ChatServiceStub(grpc.insecure_channel(roomd.address)).ListRooms(
                pb.ListRoomsRequest(), metadata=bearer, timeout=helpers.TIMEOUT)
            fail("a plaintext channel got through to the TLS port")
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE:
                fail(f"plaintext: {error.code()} {error.details()}")
        bot.outgoing.put(None)
        bot.done.wait(helpers.TIMEOUT)
    finally:
        roomd.stop()
    print("tls_bot_test: OK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--roomd", required=True)
    parser.add_argument("--proto_dir", required=True)
    parser.add_argument("--make_certs", required=True)
    parser.add_argument("--mint_token", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        run(args, work)


if __name__ == "__main__":
    run_main(main)
