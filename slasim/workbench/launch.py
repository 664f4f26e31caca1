"""Starting the workbench: Streamlit's server on the page script `app.py`, bound to 127.0.0.1
unless told otherwise, uploads capped, no usage statistics sent, no browser opened by the server,
nothing asked of other machines (the address shown is given, so Streamlit looks up no external
address), and no traceback shown on the page.

The scenario files given to `slasim app` reach the page through an environment variable
(`inputs.SCENARIOS_ENV`), the chosen language through `SLASIM_LANG`. The server runs as a child
process; when `slasim app` ends (Ctrl+C, a signal), the child is ended with it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

from slasim.io.errors import SlasimError
from slasim.io.i18n import Text, current, localized
from slasim.workbench.inputs import SCENARIOS_ENV, STREAMLIT_UPLOAD_MB

APP = Path(__file__).resolve().parent / "app.py"
LOCAL = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::", "")  # every address of this machine


def server_command(host: str, port: int) -> list[str]:
    """The Streamlit command line that serves the page."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.maxUploadSize",
        str(STREAMLIT_UPLOAD_MB),
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--client.showErrorDetails",
        "none",
        "--browser.serverAddress",
        "localhost" if host in WILDCARD else host,
    ]


def scenario_files(scenarios) -> list[str]:
    """The scenario files given, each checked to be a file (an absolute path, so the page finds
    it whatever its folder)."""
    found = []
    for name in scenarios:
        path = Path(name)
        if not path.is_file():
            raise SlasimError("file not found", source=str(name))
        found.append(str(path.resolve()))
    return found


def resolve_host(host: str, port: int) -> None:
    """Refuse an address this machine cannot resolve, as one line (not Streamlit's traceback)."""
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise SlasimError(
            "cannot resolve the address {host}", source="--host", host=repr(host)
        ) from None


def serve(scenarios, *, host: str = "127.0.0.1", port: int = 8501) -> None:
    """Run the workbench's server until it stops (or `slasim app` is ended)."""
    if find_spec("streamlit") is None:
        raise SlasimError(
            "slasim app needs the optional extra (missing: streamlit): pip install 'slasim[app]'"
        )
    resolve_host(host, port)
    env = dict(os.environ)
    env[SCENARIOS_ENV] = os.pathsep.join(scenario_files(scenarios))
    env["SLASIM_LANG"] = current()
    if host not in LOCAL:
        line = Text(
            "listening on {host}: anyone who can reach port {port} of this machine can use the "
            "page and run simulations on it",
            host=host,
            port=port,
        )
        print(localized(Text("warning: {message}", message=line)), file=sys.stderr)
    child = subprocess.Popen(server_command(host, port), env=env)
    try:
        code = child.wait()
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    if code != 0:
        raise SlasimError("the page's server stopped (exit code {code})", code=code)
