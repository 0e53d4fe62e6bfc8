"""Runs code in a kernel that the notebook server started, as a notebook's cell would run it.

    python3 - CONNECTION_FILE CODE TIMEOUT  < kernel_exec.py

Connects to the kernel's channels with its connection file (in Jupyter's runtime folder), runs
CODE and prints one JSON line: {"status": "ok" | "error", "stdout": str, "error": str}.
"""
import json
import sys

from jupyter_client import BlockingKernelClient

connection_file, code, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
client = BlockingKernelClient(connection_file=connection_file)
client.load_connection_file()
client.start_channels()
client.wait_for_ready(timeout=60)
stdout, errors = [], []


def collect(msg):
    kind, content = msg["header"]["msg_type"], msg["content"]
    if kind == "stream" and content.get("name") == "stdout":
        stdout.append(content["text"])
    elif kind == "error":
        errors.append(f"{content['ename']}: {content['evalue']}")


reply = client.execute_interactive(code, timeout=timeout, output_hook=collect)
client.stop_channels()
print(json.dumps({"status": reply["content"]["status"], "stdout": "".join(stdout), "error": "; ".join(errors)}))
