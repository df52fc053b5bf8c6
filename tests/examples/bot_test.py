#!/usr/bin/python3
"""An example bot (examples/bots/) against the real roomd: a test client sends !help, !time
and !who and checks the answers; then roomd restarts under the bot (same port, memory
broker: a new numbering), and the bot must come back by itself and answer again.

Usage: bot_test.py --roomd PATH --proto_dir DIR -- BOT_COMMAND...
(the test appends --target, --room, --email and --name to BOT_COMMAND)
"""

import argparse
import datetime
import re
import subprocess
import sys
import tempfile
import threading

from roomd_process import PROCESSES, Bot, RoomdProcess, fail, generate_stubs, run_main

ROOM = "bots"


def start_bot(command, address):
    bot = subprocess.Popen(command + ["--target", address, "--room", ROOM,
                                      "--email", "bot@example.com", "--name", "Bot"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    PROCESSES.append(bot)

    def pump():
        for line in bot.stdout:
            sys.stderr.write("[bot] " + line)
    threading.Thread(target=pump, daemon=True).start()
    return bot


class Tester:
    """A client in the room that asks the bot and waits for its answers."""

    def __init__(self, stub, pb):
        self.pb = pb
        self.client = Bot(stub, pb)  # roomd_process's Chat stream helper
        self.client.send(join=pb.Join(room=ROOM, email="tester@example.com"))
        welcome = self.client.wait_for(lambda e: e.HasField("welcome"), "welcome").welcome
        self.bot_online = any(u.name == "Bot" for u in welcome.online)

    def wait_for_bot(self):
        if not self.bot_online:
            self.client.wait_for(
                lambda e: e.HasField("presence") and e.presence.joined.name == "Bot",
                "the bot to join")
            self.bot_online = True

    def ask(self, command):
        self.client.send(send=self.pb.Send(text=command))
        answer = self.client.wait_for(
            lambda e: e.HasField("message") and getattr(e.message, "from").name == "Bot",
            f"the bot's answer to {command}")
        return answer.message.text

    def close(self):
        self.client.outgoing.put(None)


def check_answers(tester):
    help_text = tester.ask("!help")
    for command in ("!help", "!time", "!who"):
        if command not in help_text:
            fail(f"!help does not list {command}: {help_text!r}")
    time_text = tester.ask("!time")
    match = re.fullmatch(r"It is (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", time_text)
    if not match:
        fail(f"!time answered {time_text!r}")
    said = datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    if abs((datetime.datetime.now(datetime.timezone.utc) - said).total_seconds()) > 300:
        fail(f"!time is off: {time_text!r}")
    who = tester.ask("!who")
    if who != "Online: Bot, tester":
        fail(f"!who answered {who!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--roomd", required=True)
    parser.add_argument("--proto_dir", required=True)
    parser.add_argument("bot", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.bot[1:] if args.bot[:1] == ["--"] else args.bot
    import grpc

    with tempfile.TemporaryDirectory(prefix="bot-test-") as stubs:
        generate_stubs(args.proto_dir, stubs)
        from chat.v1 import chat_pb2 as pb, chat_pb2_grpc as pbgrpc

        roomd = RoomdProcess(args.roomd)
        address = roomd.address
        bot = start_bot(command, address)
        channel = grpc.insecure_channel(address)
        stub = pbgrpc.ChatServiceStub(channel)
        tester = Tester(stub, pb)
        tester.wait_for_bot()
        check_answers(tester)
        print("bot test: answers ok", flush=True)

        # roomd restarts under the bot, on the same port, with nothing remembered.
        if roomd.stop() != 0:
            fail("roomd did not exit 0 on SIGTERM")
        tester.close()
        roomd = RoomdProcess(args.roomd, [f"--listen={address}"])
        channel.close()
        channel = grpc.insecure_channel(address)
        tester = Tester(pbgrpc.ChatServiceStub(channel), pb)
        tester.wait_for_bot()
        check_answers(tester)
        if bot.poll() is not None:
            fail(f"the bot exited ({bot.returncode})")
        print("bot test: the bot came back after the roomd restart", flush=True)
        tester.close()
        bot.terminate()
        roomd.stop()
        channel.close()
    print("bot test: ok")


if __name__ == "__main__":
    run_main(main)
