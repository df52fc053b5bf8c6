#!/usr/bin/python3
"""An example bot (examples/bots/) against the real roomd: a test client sends !help, !time
and !who and checks the answers; then roomd restarts under the bot (same port, memory
broker: a new numbering), and the bot must come back by itself and answer again. Last,
roomd runs with --store=sqlite and restarts while the bot is away (paused): the numbering
(epoch) goes on, so the bot resumes without a history reset and answers the command sent
while it was away.

Usage: bot_test.py --roomd PATH --proto_dir DIR -- BOT_COMMAND...
(the test appends --target, --room, --email and --name to BOT_COMMAND)
"""

import argparse
import datetime
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

from roomd_process import PROCESSES, TIMEOUT, Bot, RoomdProcess, fail, generate_stubs, run_main

ROOM = "bots"


class BotProcess:
    """The bot under test; its output is echoed and kept, line by line, for wait_line()."""

    def __init__(self, command, address):
        self.proc = subprocess.Popen(command + ["--target", address, "--room", ROOM,
                                                "--email", "bot@example.com", "--name", "Bot"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        PROCESSES.append(self.proc)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            sys.stderr.write("[bot] " + line)
            self.lines.put(line)

    def forget_lines(self):
        while not self.lines.empty():
            self.lines.get_nowait()

    def wait_line(self, pattern, what):
        deadline = time.monotonic() + TIMEOUT
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self.proc.poll() is not None:
                    fail(f"the bot exited ({self.proc.returncode}) waiting for {what}")
                continue
            if re.search(pattern, line):
                return line
        fail(f"the bot printed no {what}")


class Tester:
    """A client in the room that asks the bot and waits for its answers."""

    def __init__(self, stub, pb):
        self.pb = pb
        self.client = Bot(stub, pb)  # roomd_process's Chat stream helper
        self.client.send(join=pb.Join(room=ROOM, email="tester@example.com"))
        welcome = self.client.wait_for(lambda e: e.HasField("welcome"), "welcome").welcome
        self.bot_online = any(u.name == "Bot" for u in welcome.online)
        self.epoch = welcome.epoch

    def wait_for_bot(self):
        if not self.bot_online:
            self.client.wait_for(
                lambda e: e.HasField("presence") and e.presence.joined.name == "Bot",
                "the bot to join")
            self.bot_online = True

    def ask(self, command):
        self.client.send(send=self.pb.Send(text=command))
        return self.answer(command)

    def answer(self, command):
        answer = self.client.wait_for(
            lambda e: e.HasField("message") and getattr(e.message, "from").name == "Bot",
            f"the bot's answer to {command}")
        return answer.message.text

    def send_and_wait_echo(self, text):
        self.client.send(send=self.pb.Send(text=text, client_id="while-away"))
        self.client.wait_for(
            lambda e: e.HasField("message") and e.message.client_id == "while-away",
            f"the echo of {text}")

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


def skip_without_node_packages(command):
    """The Node bot needs `npm ci` first: say so and skip (exit 77, ctest's SKIP_RETURN_CODE)
    rather than time out waiting for a bot that cannot start."""
    script = next((part for part in command if part.endswith(".mjs")), None)
    if script is None:
        return
    folder = os.path.dirname(script)
    if not os.path.isdir(os.path.join(folder, "node_modules", "@grpc", "grpc-js")):
        print(f"SKIP: the Node bot's packages are not installed: npm ci --prefix {folder} "
              "(scripts/test runs it)", flush=True)
        sys.exit(77)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--roomd", required=True)
    parser.add_argument("--proto_dir", required=True)
    parser.add_argument("bot", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.bot[1:] if args.bot[:1] == ["--"] else args.bot
    skip_without_node_packages(command)

    with tempfile.TemporaryDirectory(prefix="bot-test-") as stubs:
        generate_stubs(args.proto_dir, stubs)
        from chat.v1 import chat_pb2 as pb, chat_pb2_grpc as pbgrpc

        roomd = RoomdProcess(args.roomd)
        address = roomd.address
        bot = BotProcess(command, address)
        side = TestSide(args.roomd, address, pb, pbgrpc, roomd)
        side.tester.wait_for_bot()
        check_answers(side.tester)
        print("bot test: answers ok", flush=True)

        # roomd restarts under the bot, on the same port, with nothing remembered.
        side.restart_roomd()
        side.tester.wait_for_bot()
        check_answers(side.tester)
        if bot.proc.poll() is not None:
            fail(f"the bot exited ({bot.proc.returncode})")
        print("bot test: the bot came back after the roomd restart", flush=True)

        with tempfile.TemporaryDirectory(prefix="bot-test-store-") as state:
            side.store = f"--store=sqlite:{os.path.join(state, 'history.db')}"
            resume_after_store_restart(side, bot)
            side.close()
        bot.proc.terminate()
    print("bot test: ok")


class TestSide:
    """roomd on a fixed address, and the tester's channel and client to it."""

    def __init__(self, binary, address, pb, pbgrpc, roomd):
        self.binary, self.address, self.pb, self.pbgrpc = binary, address, pb, pbgrpc
        self.roomd = roomd
        self.store = None  # e.g. --store=sqlite:PATH for the next start
        self._connect()

    def _connect(self):
        import grpc
        self.channel = grpc.insecure_channel(self.address)
        self.tester = Tester(self.pbgrpc.ChatServiceStub(self.channel), self.pb)

    def restart_roomd(self):
        """SIGTERM, then roomd again on the same address (with self.store); a new tester."""
        if self.roomd.stop() != 0:
            fail("roomd did not exit 0 on SIGTERM")
        self.tester.close()
        self.channel.close()
        extra = [f"--listen={self.address}"] + ([self.store] if self.store else [])
        self.roomd = RoomdProcess(self.binary, extra)
        self._connect()

    def close(self):
        self.tester.close()
        self.channel.close()
        self.roomd.stop()


def resume_after_store_restart(side, bot):
    """With a history store roomd's numbering (epoch) survives a restart: a bot that was away
    resumes without a history reset and answers the command it missed."""
    # From the memory broker to a fresh store: a new numbering, the bot rejoins afresh.
    side.restart_roomd()
    side.tester.wait_for_bot()
    if "!help" not in side.tester.ask("!help"):
        fail("the bot did not answer !help once roomd had a store")
    epoch = side.tester.epoch

    # The bot is away (paused) while roomd restarts and a command is sent.
    bot.proc.send_signal(signal.SIGSTOP)
    side.restart_roomd()
    if side.tester.epoch != epoch:
        fail(f"the restart with a store changed the epoch: {epoch!r} -> {side.tester.epoch!r}")
    side.tester.send_and_wait_echo("!help")
    bot.forget_lines()
    bot.proc.send_signal(signal.SIGCONT)
    joined = bot.wait_line(r"bot: joined #", "join after the restart")
    if "(resumed)" not in joined:
        fail(f"the bot did not resume in the same epoch: {joined.strip()!r}")
    if "!help" not in side.tester.answer("the !help sent while it was away"):
        fail("the bot's answer to the command it missed is not the help text")
    print("bot test: the bot resumed after a restart with --store and answered what it missed",
          flush=True)


if __name__ == "__main__":
    run_main(main)
