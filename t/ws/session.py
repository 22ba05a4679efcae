#!/usr/bin/python3
"""One full WaaV /ws session with an independent client: Debian's
python3-websockets (10.4 in Debian 12; newer versions work too).

    /usr/bin/python3 t/ws/session.py --url ws://127.0.0.1:3001/ws \\
        [--token T [--token-via query|header|message]] \\
        [--stt-provider openai --stt-model whisper-1 ...] \\
        [--tts-provider deepgram --tts-model aura-asteria-en --voice V \\
         --audio-format linear16 --sample-rate 24000] \\
        [--stt-config JSON] [--tts-config JSON]   (replace the built ones)
        [--text "Hello" ...]   one speak each, in turn (default: one)
        [--audio-bytes N [--flush]]  N bytes of 16-bit PCM in 20 ms frames
                                     before the speaks; --flush then sends
                                     {"type":"flush"} and waits for stt_result
        [--ping]               {"type":"ping","timestamp":T} → pong T
        [--timeout 30] [--expect-close 1000|any] [--allow-errors]

Use Debian's python (/usr/bin/python3): the one first in PATH may lack the
module.  The session: connect (the token as ?token=, an Authorization:
Bearer header, or an {"type":"auth"} message after auth_required) → config
{stt_config, tts_config} → ready → for each text: speak → binary frames →
tts_playback_complete → close 1000 (the server's close code is recorded).

It prints one JSON object on stdout: ok, error, status (101, or the HTTP
status of a refused upgrade), ready (the message), auth (the auth
messages), speaks (per text: binary_frames, binary_bytes, binary_sizes,
first_binary_ms, complete), binary_frames, binary_bytes, binary_sizes (all),
messages (every text message, decoded, in order), sequence (message types
in order, runs of binary frames as "binary*N"), close_code, close_reason.
Exit status 0 when the session went as described (no error message unless
--allow-errors), 1 otherwise, 2 on bad arguments.
"""

import argparse
import asyncio
import json
import math
import struct
import sys
import time
import urllib.parse

import websockets


class Session:
    def __init__(self, args):
        self.args = args
        self.out = {
            "ok": False, "error": None, "url": args.url, "status": None,
            "auth": [], "ready": None, "speaks": [], "stt_results": [],
            "pong": None, "binary_frames": 0, "binary_bytes": 0,
            "binary_sizes": [], "messages": [], "sequence": [],
            "close_code": None, "close_reason": None,
        }
        self.errors = []

    # --- bookkeeping ---------------------------------------------------------

    def note(self, kind):
        seq = self.out["sequence"]
        if kind == "binary" and seq and seq[-1].startswith("binary"):
            n = int(seq[-1].split("*")[1]) if "*" in seq[-1] else 1
            seq[-1] = "binary*%d" % (n + 1)
        else:
            seq.append(kind)

    async def recv(self, ws, deadline):
        """The next message: ("text", decoded JSON or raw str) or
        ("binary", bytes); raises asyncio.TimeoutError at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise asyncio.TimeoutError()
        data = await asyncio.wait_for(ws.recv(), left)
        if isinstance(data, (bytes, bytearray)):
            self.out["binary_frames"] += 1
            self.out["binary_bytes"] += len(data)
            self.out["binary_sizes"].append(len(data))
            self.note("binary")
            return "binary", bytes(data)
        try:
            msg = json.loads(data)
        except ValueError:
            msg = data
        self.out["messages"].append(msg)
        mtype = msg.get("type") if isinstance(msg, dict) else None
        self.note(mtype or "text")
        if mtype == "error":
            self.errors.append(msg.get("message"))
        return "text", msg

    async def wait_type(self, ws, want, deadline, on_binary=None):
        """Reads until a text message of type `want`; an error message
        ends the wait (returned) unless --allow-errors."""
        while True:
            kind, msg = await self.recv(ws, deadline)
            if kind == "binary":
                if on_binary:
                    on_binary(msg)
                continue
            mtype = msg.get("type") if isinstance(msg, dict) else None
            if mtype == want:
                return msg
            if mtype == "error" and not self.args.allow_errors:
                return msg

    # --- the session ---------------------------------------------------------

    def connect_args(self):
        a = self.args
        url = a.url
        headers = {}
        if a.token is not None and a.token_via == "query":
            parts = urllib.parse.urlsplit(url)
            q = parts.query + ("&" if parts.query else "")
            q += urllib.parse.urlencode({"token": a.token})
            url = urllib.parse.urlunsplit(parts._replace(query=q))
        elif a.token is not None and a.token_via == "header":
            headers["Authorization"] = "Bearer " + a.token
        kw = {"open_timeout": a.timeout, "close_timeout": a.timeout,
              "ping_interval": None, "max_size": 64 * 1024 * 1024}
        if headers:
            # websockets >= 14 (new asyncio client) renamed extra_headers
            major = int(websockets.__version__.split(".")[0])
            kw["additional_headers" if major >= 14 else "extra_headers"] = headers
        return url, kw

    def configs(self):
        a = self.args
        stt = {"provider": a.stt_provider, "language": a.language,
               "sample_rate": a.stt_sample_rate, "channels": 1,
               "punctuation": True, "encoding": "linear16",
               "model": a.stt_model}
        tts = {"provider": a.tts_provider, "audio_format": a.audio_format,
               "sample_rate": a.sample_rate}
        if a.tts_model:
            tts["model"] = a.tts_model
        if a.voice:
            tts["voice_id"] = a.voice
        if a.stt_config:
            stt = json.loads(a.stt_config)
        if a.tts_config:
            tts = json.loads(a.tts_config)
        return stt, tts

    async def run(self):
        a = self.args
        deadline = time.monotonic() + a.timeout
        url, kw = self.connect_args()
        try:
            ws = await websockets.connect(url, **kw)
        except Exception as e:  # a refused upgrade, or no server
            resp = getattr(e, "response", None)
            self.out["status"] = getattr(e, "status_code", None) or \
                getattr(resp, "status_code", None)
            body = getattr(resp, "body", None)
            if body:
                try:
                    self.out["body"] = json.loads(body)
                except ValueError:
                    self.out["body"] = body.decode("utf-8", "replace")
            self.out["error"] = "connect: %s: %s" % (type(e).__name__, e)
            return
        self.out["status"] = 101
        try:
            await self.session(ws, deadline)
        except asyncio.TimeoutError:
            self.out["error"] = "timeout after %ss (sequence: %s)" % (
                a.timeout, " ".join(self.out["sequence"]))
        except websockets.exceptions.ConnectionClosed as e:
            self.out["error"] = "the server closed the connection: %s" % e
        finally:
            await ws.close(code=1000)
            self.out["close_code"] = ws.close_code
            self.out["close_reason"] = ws.close_reason

    async def session(self, ws, deadline):
        a = self.args
        if a.token_via == "message":
            first = await self.wait_type(ws, "auth_required", deadline)
            self.out["auth"].append(first)
            await ws.send(json.dumps({"type": "auth", "token": a.token or ""}))
            msg = await self.wait_type(ws, "authenticated", deadline)
            self.out["auth"].append(msg)
            if msg.get("type") != "authenticated":
                self.out["error"] = "auth: %s" % json.dumps(msg)
                return

        stt, tts = self.configs()
        config = {"type": "config", "audio": True,
                  "stt_config": stt, "tts_config": tts}
        if a.stream_id:
            config["stream_id"] = a.stream_id
        await ws.send(json.dumps(config))
        ready = await self.wait_type(ws, "ready", deadline)
        if ready.get("type") != "ready":
            self.out["error"] = "config: %s" % json.dumps(ready)
            return
        self.out["ready"] = ready

        if a.ping:
            ts = int(time.time() * 1000)
            await ws.send(json.dumps({"type": "ping", "timestamp": ts}))
            pong = await self.wait_type(ws, "pong", deadline)
            self.out["pong"] = pong
            if pong.get("timestamp") != ts:
                self.out["error"] = "pong: %s, sent %d" % (json.dumps(pong), ts)
                return

        if a.audio_bytes:
            await self.send_audio(ws, a.audio_bytes)
            if a.flush:
                await ws.send(json.dumps({"type": "flush"}))
                res = await self.wait_type(ws, "stt_result", deadline)
                if res.get("type") != "stt_result":
                    self.out["error"] = "flush: %s" % json.dumps(res)
                    return
                self.out["stt_results"].append(res)

        for text in a.text or ["Hello from the python client."]:
            if not await self.speak(ws, text, deadline):
                return
        if self.errors and not a.allow_errors:
            self.out["error"] = "error messages: %s" % json.dumps(self.errors)
            return
        self.out["ok"] = True

    async def send_audio(self, ws, n):
        """n bytes of a 440 Hz tone, 16-bit LE, in 20 ms frames"""
        rate = self.args.stt_sample_rate
        samples = [int(8000 * math.sin(2 * math.pi * 440 * i / rate))
                   for i in range(n // 2)]
        pcm = struct.pack("<%dh" % len(samples), *samples)
        step = rate // 50 * 2
        for off in range(0, len(pcm), step):
            await ws.send(pcm[off:off + step])

    async def speak(self, ws, text, deadline):
        rec = {"text": text, "binary_frames": 0, "binary_bytes": 0,
               "binary_sizes": [], "first_binary_ms": None, "complete": None}
        self.out["speaks"].append(rec)
        sent = time.monotonic()

        def on_binary(data):
            if rec["first_binary_ms"] is None:
                rec["first_binary_ms"] = round((time.monotonic() - sent) * 1000, 3)
            rec["binary_frames"] += 1
            rec["binary_bytes"] += len(data)
            rec["binary_sizes"].append(len(data))

        await ws.send(json.dumps({"type": "speak", "text": text}))
        msg = await self.wait_type(ws, "tts_playback_complete", deadline, on_binary)
        if msg.get("type") != "tts_playback_complete":
            self.out["error"] = "speak %r: %s" % (text, json.dumps(msg))
            return False
        rec["complete"] = msg
        if not rec["binary_frames"]:
            self.out["error"] = "speak %r: no audio before tts_playback_complete" % text
            return False
        return True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--token")
    p.add_argument("--token-via", choices=["query", "header", "message"],
                   default="query")
    p.add_argument("--stt-provider", default="openai")
    p.add_argument("--stt-model", default="whisper-1")
    p.add_argument("--language", default="en")
    p.add_argument("--stt-sample-rate", type=int, default=16000)
    p.add_argument("--tts-provider", default="openai")
    p.add_argument("--tts-model", default=None)
    p.add_argument("--voice", default=None)
    p.add_argument("--audio-format", default="linear16")
    p.add_argument("--sample-rate", type=int, default=24000)
    p.add_argument("--stt-config")
    p.add_argument("--tts-config")
    p.add_argument("--stream-id")
    p.add_argument("--text", action="append")
    p.add_argument("--audio-bytes", type=int, default=0)
    p.add_argument("--flush", action="store_true")
    p.add_argument("--ping", action="store_true")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--expect-close", default="1000")
    p.add_argument("--allow-errors", action="store_true")
    args = p.parse_args()
    if args.expect_close != "any" and not args.expect_close.isdigit():
        p.error("--expect-close: a code or any")

    s = Session(args)
    asyncio.run(s.run())
    out = s.out
    if out["ok"] and args.expect_close != "any" \
            and out["close_code"] != int(args.expect_close):
        out["ok"] = False
        out["error"] = "close code %s, expected %s" % (out["close_code"],
                                                       args.expect_close)
    json.dump(out, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
