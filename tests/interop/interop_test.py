#!/usr/bin/python3
"""Interop test: a Python bot (Debian's python3-grpcio) and a C++ client talk through the real
roomd binary; also checks server reflection and grpc.health.v1 without any local .proto of
roomd's services, and that SIGTERM ends streams UNAVAILABLE and exits 0.

Usage: interop_test.py --roomd PATH --client PATH --proto_dir DIR
Stubs are generated at test time into a temporary directory with grpc_tools.protoc.
"""

import argparse
import os
import queue
import subprocess
import tempfile

from roomd_process import PROCESSES, TIMEOUT, Bot, RoomdProcess, fail, generate_stubs, run_main

HERE = os.path.dirname(os.path.abspath(__file__))


def check_reflection(channel):
    from interop import reflection_v1alpha_pb2 as rpb, reflection_v1alpha_pb2_grpc as rgrpc
    from google.protobuf import descriptor_pb2
    stub = rgrpc.ServerReflectionStub(channel)
    requests = [rpb.ServerReflectionRequest(list_services=""),
                rpb.ServerReflectionRequest(file_containing_symbol="chat.v1.ChatService")]
    responses = list(stub.ServerReflectionInfo(iter(requests), timeout=TIMEOUT))
    services = {s.name for s in responses[0].list_services_response.service}
    for wanted in ("chat.v1.ChatService", "grpc.health.v1.Health"):
        if wanted not in services:
            fail(f"reflection does not list {wanted}: {sorted(services)}")
    methods = set()
    for blob in responses[1].file_descriptor_response.file_descriptor_proto:
        fd = descriptor_pb2.FileDescriptorProto.FromString(blob)
        for service in fd.service:
            if fd.package + "." + service.name == "chat.v1.ChatService":
                methods = {m.name for m in service.method}
    if methods != {"Chat", "Post", "ListRooms", "GetPresence", "GetHistory", "Relay"}:
        fail(f"reflection describes ChatService with methods {sorted(methods)}")
    print(f"interop: reflection lists {sorted(services)}")


def check_health(channel):
    from interop import health_v1_pb2 as hpb, health_v1_pb2_grpc as hgrpc
    response = hgrpc.HealthStub(channel).Check(hpb.HealthCheckRequest(service=""), timeout=TIMEOUT)
    if response.status != hpb.HealthCheckResponse.SERVING:
        fail(f"health status {response.status}, want SERVING")


def check_relay(stub, pb):
    """Two sessions on one Relay call (the gateway protocol) from grpcio's own stub."""
    outgoing = queue.Queue()
    call = stub.Relay(iter(outgoing.get, None), timeout=TIMEOUT)

    def up(session, **action):
        outgoing.put(pb.RelayUp(items=[pb.RelayUpItem(session=session, **action)]))

    def events(item):
        if item.event.HasField("batch"):
            return list(item.event.batch.events)
        return [item.event] if item.HasField("event") else []

    up(1, event=pb.ClientEvent(join=pb.Join(room="relay", email="ann@example.com")))
    up(2, event=pb.ClientEvent(join=pb.Join(room="relay", email="ben@example.com")))
    seen = {1: [], 2: []}
    done = {}
    said = closed = False

    def has(session, predicate):
        return any(predicate(e) for e in seen[session])

    for frame in call:
        for item in frame.items:
            # An event for several sessions comes once, naming the others in more_sessions
            # (docs/protocol.md): each of them gets it.
            for session in [item.session, *item.more_sessions]:
                seen[session] += events(item)
            if item.done:
                done[item.session] = (item.code, item.message)
        if not said and all(has(s, lambda e: e.HasField("welcome")) for s in (1, 2)):
            up(1, event=pb.ClientEvent(send=pb.Send(text="via relay", client_id="r-1")))
            said = True
        if not closed and all(has(s, lambda e: e.message.text == "via relay") for s in (1, 2)):
            up(2, close=True)
            closed = True
        if 2 in done and has(1, lambda e: e.presence.left.name == "ben"):
            break
    if done.get(2) != (0, ""):
        fail(f"relay session 2 ended with {done.get(2)}, want OK")
    outgoing.put(None)
    for _ in call:
        pass
    print("interop: relay sessions ok")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--roomd", required=True)
    parser.add_argument("--client", required=True)
    parser.add_argument("--proto_dir", required=True)
    args = parser.parse_args()
    try:
        import grpc
    except ImportError:
        fail("python3-grpcio is missing: run scripts/install-deps test (use /usr/bin/python3)")

    with tempfile.TemporaryDirectory(prefix="roomd-interop-") as stubs:
        generate_stubs(args.proto_dir, stubs, [
            (os.path.join(HERE, "protos"), "interop/reflection_v1alpha.proto"),
            (os.path.join(HERE, "protos"), "interop/health_v1.proto")])
        from chat.v1 import chat_pb2 as pb, chat_pb2_grpc as pbgrpc

        roomd = RoomdProcess(args.roomd)
        channel = grpc.insecure_channel(roomd.address)
        grpc.channel_ready_future(channel).result(timeout=TIMEOUT)
        stub = pbgrpc.ChatServiceStub(channel)
        check_reflection(channel)
        check_health(channel)

        bot = Bot(stub, pb)
        bot.send(join=pb.Join(room="interop", email="py.bot@example.com", name="PyBot"))
        welcome = bot.wait_for(lambda e: e.HasField("welcome"), "welcome").welcome
        if welcome.self.name != "PyBot" or "example.com" in str(welcome):
            fail(f"unexpected welcome: {welcome}")

        client = subprocess.Popen([args.client, f"--target={roomd.address}", "--room=interop"])
        PROCESSES.append(client)
        bot.wait_for(lambda e: e.HasField("presence") and e.presence.joined.name == "cppclient",
                     "the C++ client to join")
        bot.send(send=pb.Send(text="ping from python", client_id="py-1"))
        ping = bot.wait_for(lambda e: e.HasField("message") and e.message.text == "ping from python",
                            "own ping echo")
        if ping.message.client_id != "py-1":
            fail("client_id not echoed")
        pong = bot.wait_for(lambda e: e.HasField("message") and e.message.text == "pong from c++",
                            "the C++ pong")
        sender = getattr(pong.message, "from")
        if sender.name != "cppclient" or pong.message.seq != ping.message.seq + 1:
            fail(f"unexpected pong: {pong}")

        posted = stub.Post(pb.PostRequest(room="interop", email="poster@example.com", text="bye"),
                           timeout=TIMEOUT)
        bot.wait_for(lambda e: e.HasField("message") and e.message.seq == posted.message.seq,
                     "the posted bye")
        bot.wait_for(lambda e: e.HasField("presence") and e.presence.left.name == "cppclient",
                     "the C++ client to leave")
        if client.wait(timeout=TIMEOUT) != 0:
            fail("the C++ client failed")

        history = stub.GetHistory(pb.GetHistoryRequest(room="interop"), timeout=TIMEOUT)
        texts = [m.text for m in history.messages]
        if texts != ["ping from python", "pong from c++", "bye"]:
            fail(f"history {texts}")
        presence = stub.GetPresence(pb.GetPresenceRequest(room="interop"), timeout=TIMEOUT)
        if [u.name for u in presence.online] != ["PyBot"]:
            fail(f"presence {presence}")

        check_relay(stub, pb)

        exit_code = roomd.stop()
        bot.done.wait(timeout=TIMEOUT)
        if bot.status != (grpc.StatusCode.UNAVAILABLE, "server shutting down"):
            fail(f"bot stream ended with {bot.status}, want UNAVAILABLE server shutting down")
        if exit_code != 0:
            fail(f"roomd exited {exit_code} after SIGTERM")
        bot.outgoing.put(None)
        channel.close()
    print("interop: ok")


if __name__ == "__main__":
    run_main(main)
