"""JupyterLab round trip through the Jupyter server API: open notebook 00, run every cell, save with outputs.

What Lab does when a researcher opens a notebook and runs "Run All" then "Save": GET the notebook
from the contents API, start a session (kernel), send every code cell as an ``execute_request``
over the kernel websocket, and PUT the notebook back with its outputs.  Checked afterwards:

* the notebook ran without an error output, and its claims reached the results folder;
* a ``.py`` paired notebook opens as a notebook through jupytext's contents manager (when installed);
* what git would commit (``ssmtheory.harness.nbstrip``, the clean filter) is byte for byte the stripped
  notebook, and the saved file still matches its ``.py`` source cell by cell (the contract test).

Skipped where ``jupyter_server`` is not installed (it comes with ``make lab``'s ``lab`` extra).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("jupyter_server")
tornado_websocket = pytest.importorskip("tornado.websocket")
from tornado.httpclient import AsyncHTTPClient, HTTPRequest  # noqa: E402

from ssmtheory.harness.nbstrip import strip_text  # noqa: E402

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
NB = "00_ssm_core"
TOKEN = "roundtrip-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "checkout"
    (root / "notebooks").mkdir(parents=True)
    for suffix in (".ipynb", ".py"):
        shutil.copy(ROOT / "notebooks" / f"{NB}{suffix}", root / "notebooks" / f"{NB}{suffix}")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")  # jupytext configuration
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ)
    env["SSMTHEORY_RESULTS_DIR"] = str(tmp_path / "results")
    env["SSMTHEORY_FIG_DIR"] = str(tmp_path / "results" / "figures")
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        import urllib.request

        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail((tmp_path / "server.log").read_text())
                time.sleep(0.5)
        yield {"base": base, "root": root, "results": tmp_path / "results", "log": tmp_path / "server.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


async def _api(base, method, path, body=None):
    client = AsyncHTTPClient()
    req = HTTPRequest(f"{base}{path}{'&' if '?' in path else '?'}token={TOKEN}", method=method,
                      body=None if body is None else json.dumps(body), request_timeout=600)
    resp = await client.fetch(req)
    return json.loads(resp.body) if resp.body else None


def _msg(code, session):
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "session": session, "username": "",
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }


async def _run_all_and_save(base, path):
    model = await _api(base, "GET", f"/api/contents/{path}?content=1")
    nb = model["content"]
    sess = await _api(base, "POST", "/api/sessions", {"path": path, "type": "notebook", "name": "",
                                                      "kernel": {"name": "python3"}})
    kid = sess["kernel"]["id"]
    ws = await tornado_websocket.websocket_connect(
        f"{base.replace('http', 'ws')}/api/kernels/{kid}/channels?token={TOKEN}", max_message_size=1 << 30)
    session = uuid.uuid4().hex
    count = 0
    try:
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            msg = _msg(cell["source"], session)
            await ws.write_message(json.dumps(msg))
            outputs, idle, replied = [], False, False
            while not (idle and replied):
                raw = await asyncio.wait_for(ws.read_message(), timeout=900)
                assert raw is not None, "kernel websocket closed"
                m = json.loads(raw)
                if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
                    continue
                t, c = m["msg_type"], m["content"]
                if t == "status" and c.get("execution_state") == "idle":
                    idle = True
                elif t == "execute_reply":
                    replied = True
                    count = c.get("execution_count") or count
                elif t == "stream":
                    outputs.append({"output_type": "stream", "name": c["name"], "text": c["text"]})
                elif t in ("display_data", "execute_result"):
                    out = {"output_type": t, "data": c["data"], "metadata": c.get("metadata", {})}
                    if t == "execute_result":
                        out["execution_count"] = c["execution_count"]
                    outputs.append(out)
                elif t == "error":
                    outputs.append({"output_type": "error", "ename": c["ename"], "evalue": c["evalue"],
                                    "traceback": c["traceback"]})
            cell["outputs"], cell["execution_count"] = outputs, count
            cell.setdefault("metadata", {})["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
        nb["metadata"]["language_info"] = {"name": "python"}
        await _api(base, "PUT", f"/api/contents/{path}", {"type": "notebook", "format": "json", "content": nb})
    finally:
        ws.close()
        await _api(base, "DELETE", f"/api/sessions/{sess['id']}")
    return nb


def test_open_run_save_in_lab_keeps_the_contract(server):
    path = f"notebooks/{NB}.ipynb"
    before = (server["root"] / path).read_text(encoding="utf-8")
    nb = asyncio.run(_run_all_and_save(server["base"], path))
    errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, "\n".join(f"{e['ename']}: {e['evalue']}" for e in errors)
    saved = (server["root"] / path).read_text(encoding="utf-8")
    assert '"output_type"' in saved  # Lab saved the outputs into the working copy
    claims = json.loads((server["results"] / "claims" / f"{NB}.json").read_text())
    assert claims and all(r["profile"] == "quick" for r in claims)
    # what git commits through the nbstrip filter is exactly the stripped notebook
    assert strip_text(saved) == before
    # and the saved notebook still matches its .py source cell by cell (the contract test's check)
    import jupytext
    import nbformat

    src = jupytext.read(server["root"] / "notebooks" / f"{NB}.py")
    stored = nbformat.reads(saved, as_version=4)
    assert [(c.cell_type, c.source.strip()) for c in src.cells] == [(c.cell_type, c.source.strip()) for c in stored.cells]


def test_py_opens_as_a_notebook(server):
    pytest.importorskip("jupytext")
    model = asyncio.run(_api(server["base"], "GET", f"/api/contents/notebooks/{NB}.py?type=notebook&content=1"))
    if model.get("type") != "notebook":
        pytest.skip("jupytext's contents manager is not active in this server")
    assert any("parameters" in c["metadata"].get("tags", []) for c in model["content"]["cells"])
