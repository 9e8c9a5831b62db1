"""The mock server against Stoplight Prism and WireMock, and its full-lifecycle throughput.

Each server runs in its own process pinned to one core; the load generator (aiohttp, 16
concurrent connections) runs on another.  Every endpoint gets one bounded run (at most
``--requests`` requests or ``--seconds`` seconds, whichever ends first), only ever on 127.0.0.1.

- **Per endpoint**: the same requests (a 512x512 PNG in Novita's submit body, the documented
  example bodies elsewhere) against the mock and against Prism and WireMock serving the mock's own
  OpenAPI documents (``/__mock/openapi/{provider}.json``) on the same paths.  Prism answers from
  the documents (validating requests); WireMock gets one stub per documented operation, answering
  its documented example.  Rates are requests per second; ``ratio`` is the mock's over Prism's.
- **Lifecycle**: jobs of a 512x512 image, each with its own seed (so nothing is served from a
  cache), submit -> poll until final -> download every output, per provider.

Every rate is given twice: per wall-clock second, and per CPU-second the server process used
(read from /proc), which is its rate on a core of its own even when the machine is shared.

Set-up: Prism and WireMock come from npm into ``bench/.npm`` (``npm install --prefix bench/.npm
@stoplight/prism-cli wiremock``; WireMock's package carries the jar and needs Java).  Missing
tools are skipped with a message.

Run: .venv/bin/python bench/bench_mock.py [--src DIR] [--no-others] [--json out.json]
(``--src`` runs the mock from another source tree laid out as an ``inpaintkit`` package, e.g. the
original code for a before/after comparison.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import (
    Rate,
    Server,
    b64,
    free_port,
    hammer,
    mask,
    photo,
    pin,
    start_mock,
    wait_until_up,
)

HERE = Path(__file__).resolve().parent
NPM = HERE / ".npm"
KEY = "bench-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
NOVITA_MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"
SERVER_CORE, CLIENT_CORE = 1, 0
CONCURRENCY = 16
PROVIDERS = ("novita", "stablediffusionapi", "modelslab")

MOCK_CONFIG: dict[str, Any] = {
    "seed": 1,
    "novita_images_per_minute": None,
    "modelslab_max_queued": None,
    "sdapi_duplicate_window": None,
    "finish_after_polls": 1,
    "sync_mode": "processing",
}

IMAGE = b64(photo(512))
MASK = b64(mask(512))
URL_IMAGE = "https://example.com/bench/init.png"  # never fetched: outside the allow-list
URL_MASK = "https://example.com/bench/mask.png"


def novita_submit(seed: int) -> dict[str, Any]:
    return {
        "extra": {"response_image_type": "png"},
        "request": {
            "model_name": NOVITA_MODEL,
            "prompt": "a red wooden bench in a park",
            "image_num": 1,
            "steps": 20,
            "guidance_scale": 7.5,
            "sampler_name": "Euler a",
            "seed": seed,
            "image_base64": IMAGE,
            "mask_image_base64": MASK,
        },
    }


def sd_submit(seed: int, *, modelslab: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": KEY,
        "prompt": "a red wooden bench in a park",
        "init_image": URL_IMAGE,
        "mask_image": URL_MASK,
        "width": "512",
        "height": "512",
        "samples": "1",
        "guidance_scale": 7.5,
        "strength": 0.7,
        "seed": seed,
    }
    if modelslab:
        body.update(model_id="lazymixv4-inpaint", steps="21", scheduler="UniPCMultistepScheduler")
    else:
        body["num_inference_steps"] = "30"
    return body


SUBMIT = {
    "novita": ("/v3/async/inpainting", lambda seed: novita_submit(seed)),
    "stablediffusionapi": ("/api/v3/inpaint", lambda seed: sd_submit(seed, modelslab=False)),
    "modelslab": ("/api/v6/images/inpaint", lambda seed: sd_submit(seed, modelslab=True)),
}


# -- operations --------------------------------------------------------------------------------


async def _post(session: aiohttp.ClientSession, url: str, body: Any, **kw: Any) -> int:
    async with session.post(url, json=body, **kw) as r:
        await r.read()
        return r.status


async def _get(session: aiohttp.ClientSession, url: str, **kw: Any) -> int:
    async with session.get(url, **kw) as r:
        await r.read()
        return r.status


def endpoint_ops(base: str, ids: dict[str, list[str]], file_url: str | None) -> dict[str, Any]:
    """name -> op for every compared endpoint; ``ids`` are task ids to poll per provider."""

    def pick(provider: str, i: int) -> str:
        pool = ids.get(provider) or ["1"]
        return pool[i % len(pool)]

    ops: dict[str, Any] = {
        "novita submit": lambda s, i: _post(
            s, base + "/v3/async/inpainting", novita_submit(abs(i) % 10_000), headers=AUTH
        ),
        "novita task-result": lambda s, i: _get(
            s,
            base + "/v3/async/task-result",
            params={"task_id": pick("novita", i)},
            headers=AUTH,
        ),
        "novita model list": lambda s, i: _get(
            s, base + "/v3/model", params={"pagination.limit": "10"}, headers=AUTH
        ),
        "sdapi submit": lambda s, i: _post(
            s, base + "/api/v3/inpaint", sd_submit(abs(i) % 10_000, modelslab=False)
        ),
        "sdapi fetch": lambda s, i: _post(
            s, base + f"/api/v3/fetch/{pick('stablediffusionapi', i)}", {"key": KEY}
        ),
        "modelslab submit": lambda s, i: _post(
            s, base + "/api/v6/images/inpaint", sd_submit(abs(i) % 10_000, modelslab=True)
        ),
        "modelslab fetch": lambda s, i: _post(
            s,
            base + "/api/v6/images/fetch",
            {"key": KEY, "request_id": pick("modelslab", i)},
        ),
    }
    if file_url is not None:
        ops["file download (mock only)"] = lambda s, i: _get(s, file_url)
    return ops


async def seed_tasks(base: str, count: int) -> tuple[dict[str, list[str]], str | None]:
    """Submit ``count`` tasks per provider on the mock (ids to poll), and one finished output."""
    ids: dict[str, list[str]] = {p: [] for p in PROVIDERS}
    file_url = None
    async with aiohttp.ClientSession() as s:
        for i in range(count):
            for provider, (path, body) in SUBMIT.items():
                headers = AUTH if provider == "novita" else {}
                async with s.post(base + path, json=body(50_000 + i), headers=headers) as r:
                    answer = await r.json()
                ids[provider].append(str(answer.get("task_id") or answer.get("id")))
        async with s.get(
            base + "/v3/async/task-result", params={"task_id": ids["novita"][0]}, headers=AUTH
        ) as r:
            images = (await r.json())["images"]
        if images:
            file_url = images[0]["image_url"]
    return ids, file_url


async def measure(
    ops: dict[str, Any], *, requests: int, seconds: float, label: str, pid: int
) -> dict[str, Rate]:
    rates = {}
    for name, op in ops.items():
        rate = await hammer(
            name,
            op,
            concurrency=CONCURRENCY,
            max_requests=requests,
            max_seconds=seconds,
            server_pid=pid,
        )
        rates[name] = rate
        print(
            f"  [{label}] {name:28s} {rate.per_second:8.1f}/s  "
            f"{_fmt(rate.per_cpu_second):>8s}/cpu-s  p50 {rate.p50_ms:7.1f} ms  "
            f"statuses {dict(sorted(rate.statuses.items()))} failures {rate.failures}",
            flush=True,
        )
    return rates


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


# -- the lifecycle -------------------------------------------------------------------------------


async def lifecycle(base: str, provider: str, *, jobs: int, seconds: float, pid: int) -> Rate:
    path, make = SUBMIT[provider]

    async def job(s: aiohttp.ClientSession, i: int) -> int:
        # a fresh seed per job and provider: nothing is served from the render cache
        offset = 1_000_000 * (1 + PROVIDERS.index(provider))
        seed = offset + (i if i >= 0 else 900_000 - i)
        if provider == "novita":
            async with s.post(base + path, json=make(seed), headers=AUTH) as r:
                task_id = (await r.json())["task_id"]
            for _ in range(20):
                async with s.get(
                    base + "/v3/async/task-result", params={"task_id": task_id}, headers=AUTH
                ) as r:
                    result = await r.json()
                if result["task"]["status"] in ("TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"):
                    break
            urls = [image["image_url"] for image in result["images"]]
        else:
            async with s.post(base + path, json=make(seed)) as r:
                answer = await r.json()
            fetch = answer.get("fetch_result")
            for _ in range(20):
                if answer["status"] != "processing":
                    break
                async with s.post(fetch, json={"key": KEY}) as r:
                    answer = await r.json()
            urls = list(answer["output"])
        assert urls, f"{provider}: no outputs"
        for url in urls:
            async with s.get(url) as r:
                data = await r.read()
                assert r.status == 200, (r.status, data[:40])
                assert data[:4] == b"\x89PNG", data[:40]
        return 200

    return await hammer(
        f"{provider} lifecycle",
        job,
        concurrency=8,
        max_requests=jobs,
        max_seconds=seconds,
        warmup=2,
        server_pid=pid,
    )


# -- the other servers ---------------------------------------------------------------------------


def fetch_documents(mock_url: str, workdir: Path) -> dict[str, Path]:
    docs = {}
    for provider in PROVIDERS:
        with urllib.request.urlopen(f"{mock_url}/__mock/openapi/{provider}.json") as r:
            document = json.loads(r.read())
        path = workdir / f"{provider}.json"
        path.write_text(json.dumps(document))
        docs[provider] = path
    return docs


def start_prism(doc: Path, provider: str) -> Server | None:
    prism = NPM / "node_modules" / ".bin" / "prism"
    if not prism.exists():
        print("  Prism skipped: not installed")
        print("  (npm install --prefix bench/.npm @stoplight/prism-cli)")
        return None
    port = free_port()
    process = subprocess.Popen(
        [str(prism), "mock", "-h", "127.0.0.1", "-p", str(port), str(doc)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pin(process.pid, [SERVER_CORE])
    url = f"http://127.0.0.1:{port}"
    if not wait_until_up(url + "/__prism_probe"):
        process.kill()
        print(f"  Prism skipped: did not start for {provider}")
        return None
    return Server(f"prism:{provider}", url, process)


def _example(responses: dict[str, Any]) -> tuple[int, Any]:
    for status in ("200", "201"):
        content = responses.get(status, {}).get("content", {}).get("application/json", {})
        if "example" in content:
            return int(status), content["example"]
        for example in content.get("examples", {}).values():
            return int(status), example.get("value")
    return 200, {}


def start_wiremock(docs: dict[str, Path]) -> Server | None:
    jars = sorted((NPM / "node_modules" / "wiremock").glob("**/wiremock-standalone-*.jar"))
    java = shutil.which("java")
    if not jars or java is None:
        print("  WireMock skipped: needs bench/.npm/node_modules/wiremock (npm) and java")
        return None
    port = free_port()
    process = subprocess.Popen(
        [
            java,
            "-jar",
            str(jars[-1]),
            "--port",
            str(port),
            "--bind-address",
            "127.0.0.1",
            "--disable-banner",
            "--no-request-journal",
            "--async-response-enabled",
            "true",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pin(process.pid, [SERVER_CORE])
    url = f"http://127.0.0.1:{port}"
    if not wait_until_up(url + "/__admin/mappings", seconds=90):
        process.kill()
        print("  WireMock skipped: did not start")
        return None
    for doc in docs.values():
        document = json.loads(doc.read_text())
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                status, example = _example(operation.get("responses", {}))
                request: dict[str, Any] = {"method": method.upper()}
                if "{" in path:
                    request["urlPathPattern"] = "".join(
                        "[^/]+" if part.startswith("{") else part for part in _split_template(path)
                    )
                else:
                    request["urlPath"] = path
                mapping = {
                    "request": request,
                    "response": {
                        "status": status,
                        "jsonBody": example,
                        "headers": {"Content-Type": "application/json"},
                    },
                }
                req = urllib.request.Request(
                    url + "/__admin/mappings",
                    data=json.dumps(mapping).encode(),
                    method="POST",
                    headers={"Content-Type": "application/json"},
                )
                urllib.request.urlopen(req).read()
    return Server("wiremock", url, process)


def _split_template(path: str) -> list[str]:
    parts, current = [], ""
    for char in path:
        if char == "{":
            parts.append(current)
            current = "{"
        elif char == "}":
            parts.append(current + "}")
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p]


# -- main ----------------------------------------------------------------------------------------


PROVIDER_OF = {
    "novita": "novita",
    "sdapi": "stablediffusionapi",
    "modelslab": "modelslab",
}


async def run_others(docs: dict[str, Path], args: argparse.Namespace) -> dict[str, dict[str, Rate]]:
    results: dict[str, dict[str, Rate]] = {}
    prism_rates: dict[str, Rate] = {}
    for provider in PROVIDERS:
        server = start_prism(docs[provider], provider)
        if server is None:
            break
        try:
            ops = {
                name: op
                for name, op in endpoint_ops(server.url, {}, None).items()
                if PROVIDER_OF[name.split()[0]] == provider
            }
            prism_rates.update(
                await measure(
                    ops,
                    requests=args.requests,
                    seconds=args.seconds,
                    label="prism",
                    pid=server.process.pid,
                )
            )
        finally:
            server.stop()
    if prism_rates:
        results["prism"] = prism_rates
    wiremock = start_wiremock(docs)
    if wiremock is not None:
        try:
            results["wiremock"] = await measure(
                endpoint_ops(wiremock.url, {}, None),
                requests=args.requests,
                seconds=args.seconds,
                label="wiremock",
                pid=wiremock.process.pid,
            )
        finally:
            wiremock.stop()
    return results


def table(results: dict[str, dict[str, Rate]]) -> str:
    """Requests per second (wall clock) and per server CPU-second, per server and endpoint."""
    names = list(results["mock"])
    servers = list(results)
    head = "| endpoint | " + " | ".join(f"{s} req/s (per cpu-s)" for s in servers)
    if "prism" in results:
        head += " | mock / prism (per cpu-s)"
    lines = [head + " |", "|" + "---|" * (len(servers) + 1 + ("prism" in results))]
    for name in names:
        cells = []
        for server in servers:
            rate = results[server].get(name)
            cells.append(
                "n/a" if rate is None else f"{rate.per_second:.0f} ({_fmt(rate.per_cpu_second)})"
            )
        row = f"| {name} | " + " | ".join(cells)
        if "prism" in results:
            prism, mock = results["prism"].get(name), results["mock"][name]
            if prism and prism.per_second:
                row += f" | {mock.per_second / prism.per_second:.1f}x"
                if prism.per_cpu_second and mock.per_cpu_second:
                    row += f" ({mock.per_cpu_second / prism.per_cpu_second:.1f}x)"
            else:
                row += " | n/a"
        lines.append(row + " |")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    pin(0, [CLIENT_CORE])
    workdir = Path(tempfile.mkdtemp(prefix="inpaintkit-bench-"))
    mock = start_mock(MOCK_CONFIG, src=args.src, core=SERVER_CORE, workdir=workdir)
    results: dict[str, dict[str, Rate]] = {}
    lifecycles: dict[str, Rate] = {}
    try:
        ids, file_url = await seed_tasks(mock.url, 20)
        print(f"mock at {mock.url} (src: {args.src or 'this tree'})", flush=True)
        results["mock"] = await measure(
            endpoint_ops(mock.url, ids, file_url),
            requests=args.requests,
            seconds=args.seconds,
            label="mock",
            pid=mock.process.pid,
        )
        for provider in PROVIDERS:
            rate = await lifecycle(
                mock.url, provider, jobs=args.jobs, seconds=args.seconds, pid=mock.process.pid
            )
            lifecycles[provider] = rate
            print(
                f"  [mock] {provider:18s} lifecycle {rate.per_second:7.1f} jobs/s "
                f"{_fmt(rate.per_cpu_second)} jobs/cpu-s "
                f"(p50 {rate.p50_ms:.0f} ms, failures {rate.failures})",
                flush=True,
            )
        docs = fetch_documents(mock.url, workdir) if not args.no_others else {}
    finally:
        mock.stop()
    if docs:
        results.update(await run_others(docs, args))
    print()
    print(table(results))
    print()
    print("| provider | lifecycle jobs/s (512x512: submit + polls + download) | per server cpu-s |")
    print("|---|---|---|")
    for provider, rate in lifecycles.items():
        print(f"| {provider} | {rate.per_second:.1f} | {_fmt(rate.per_cpu_second)} |")
    if args.json:
        data: dict[str, Any] = {
            server: {name: [rate.per_second, rate.per_cpu_second] for name, rate in rates.items()}
            for server, rates in results.items()
        }
        data["lifecycle"] = {p: [r.per_second, r.per_cpu_second] for p, r in lifecycles.items()}
        Path(args.json).write_text(json.dumps(data, indent=2))  # noqa: ASYNC240
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--src", type=Path, default=None, help="run the mock from this tree")
    parser.add_argument("--requests", type=int, default=3000, help="max requests per endpoint")
    parser.add_argument("--seconds", type=float, default=8.0, help="max seconds per endpoint")
    parser.add_argument("--jobs", type=int, default=400, help="max lifecycle jobs per provider")
    parser.add_argument("--no-others", action="store_true", help="skip Prism and WireMock")
    parser.add_argument("--json", default=None, help="write the rates to this file")
    started = time.perf_counter()
    code = asyncio.run(main_async(parser.parse_args()))
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
