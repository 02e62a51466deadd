"""A minimal Chrome DevTools Protocol client over --remote-debugging-pipe
(no sockets, no third-party modules): the browser reads NUL-terminated
JSON commands on its fd 3 and writes replies and events on fd 4."""
import json
import os
import shutil
import subprocess
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         # containers often have a small /dev/shm
         "--disable-dev-shm-usage",
         "--allow-file-access-from-files", "--remote-debugging-pipe"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class Browser:
    def __init__(self, exe, timeout=60):
        self.profile = tempfile.mkdtemp(prefix="tg-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds():  # the browser's fd 3 (commands) and 4 (replies)
            # via fresh numbers first: a pipe may already sit on 3 or 4,
            # and os.pipe's descriptors are close-on-exec
            r, w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [exe] + FLAGS + ["--user-data-dir=" + self.profile, "about:blank"],
            preexec_fn=fds, close_fds=False,  # closing would drop fds 3 and 4
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.timeout = timeout
        self.events = []
        self.console = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no reply from the browser")
            chunk = os.read(self.from_child, 1 << 16)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace")[-2000:]
                raise RuntimeError("the browser closed its pipe: " + err)
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=None):
        self.next_id += 1
        cmd = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            cmd["sessionId"] = session
        os.write(self.to_child, json.dumps(cmd).encode() + b"\0")
        deadline = time.time() + (timeout or self.timeout)
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m["result"]
            if m.get("method") == "Runtime.consoleAPICalled":
                args = m["params"].get("args", [])
                self.console.append(" ".join(str(a.get("value", a.get("description", "")))
                                             for a in args))
            elif m.get("method") == "Runtime.exceptionThrown":
                d = m["params"]["exceptionDetails"]
                self.console.append("exception: " + d.get("exception", {}).get(
                    "description", d.get("text", "")))
            else:
                self.events.append(m)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_child)
        os.close(self.from_child)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab, attached with a flat session."""

    def __init__(self, browser, url, width=1400, height=1000):
        self.b = browser
        tid = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.s = browser.send("Target.attachToTarget",
                              {"targetId": tid, "flatten": True})["sessionId"]
        self.send("Runtime.enable")
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1,
                   "mobile": False})
        # in front, or the tab's animation frames are throttled away
        self.send("Page.bringToFront")
        self.send("Page.navigate", {"url": url})

    def send(self, method, params=None, timeout=None):
        return self.b.send(method, params, session=self.s, timeout=timeout)

    def eval(self, expr, timeout=None):
        """Value of a JavaScript expression (promises awaited)."""
        r = self.send("Runtime.evaluate",
                      {"expression": expr, "awaitPromise": True,
                       "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise RuntimeError("page: " + d.get("exception", {}).get(
                "description", d.get("text", "")) + " (in " + expr[:80] + ")")
        return r["result"].get("value")

    def wait(self, expr, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.eval(expr):
                    return True
            except RuntimeError:
                pass
            time.sleep(0.05)
        raise TimeoutError("page: still false after %ss: %s" % (timeout, expr))
