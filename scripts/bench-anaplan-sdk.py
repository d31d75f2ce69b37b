"""
`npm run bench -- --scenario anaplan-sdk` runs this inside a throw-away venv with the PyPI package
`anaplan-sdk` installed: one `upload_and_import` with the SDK's defaults (25 MB gzip chunks uploaded
by a thread pool, a status poll every second) against the Anaplan sandbox, timed from the client's
construction (its basic-auth login) to the task's completion. Prints one JSON line.

The SDK builds its URLs on the production hosts (`https://api.anaplan.com/2/0/...`,
`https://auth.anaplan.com/token/authenticate`); the only change made here is where those requests
go: the transport sends them to the sandbox's loopback URL instead (what a hosts-file entry would
do), so the SDK's own code — chunking, gzip, threads, polling, retries — runs unchanged.

Arguments come in the environment (the password never on a command line): SANDBOX_URL,
ANAPLAN_USER, ANAPLAN_PASSWORD, WORKSPACE_ID, MODEL_ID, FILE_ID, IMPORT_ID, CSV_PATH, RUNS.
"""
import json
import os
import sys
import time

import httpx2
from anaplan_sdk import Client

PRODUCTION_HOSTS = {"api.anaplan.com", "auth.anaplan.com"}
target = httpx2.URL(os.environ["SANDBOX_URL"])
original = httpx2.HTTPTransport.handle_request


def to_sandbox(self, request):
    if request.url.host in PRODUCTION_HOSTS:
        request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
        request.headers["Host"] = target.netloc.decode()
    return original(self, request)


httpx2.HTTPTransport.handle_request = to_sandbox

with open(os.environ["CSV_PATH"], "rb") as f:
    # upload_and_import takes the content in memory: read before the clock starts.
    content = f.read()

t0 = time.perf_counter()
client = Client(
    workspace_id=os.environ["WORKSPACE_ID"],
    model_id=os.environ["MODEL_ID"],
    user_email=os.environ["ANAPLAN_USER"],
    password=os.environ["ANAPLAN_PASSWORD"],
)
auth_s = time.perf_counter() - t0
# RUNS uploads + imports on one client, each timed (the first includes the login).
seconds, successful, start = [], True, t0
for _ in range(int(os.environ.get("RUNS", "1"))):
    task = client.upload_and_import(int(os.environ["FILE_ID"]), content, int(os.environ["IMPORT_ID"]))
    successful = successful and task.result.successful
    now = time.perf_counter()
    seconds.append(round(now - start, 3))
    start = now
json.dump(
    {
        "seconds": seconds,
        "auth_s": round(auth_s, 3),
        "successful": successful,
        "bytes": len(content),
        "chunk_bytes": client.upload_chunk_size,
        "parallel": client.upload_parallel,
        "poll_s": client.status_poll_delay,
    },
    sys.stdout,
)
sys.stdout.write("\n")
