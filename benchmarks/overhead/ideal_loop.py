"""The ideal loop: the least a harness must do to send a pack and check the answers.

One httpx.AsyncClient limited to C connections, a Semaphore(C), non-streaming
requests with the same body benchlab sends, exact-match checks. Prints one JSON line:
``{"total": N, "correct": K, "errors": E}``.

Run: ``python ideal_loop.py --pack PACK --endpoint URL --concurrency C``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import httpx


async def main(pack: Path, endpoint: str, concurrency: int, model: str) -> dict[str, int]:
    scenarios = [json.loads(line) for line in (pack / "scenarios.jsonl").read_text().splitlines() if line.strip()]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    url = endpoint.rstrip("/") + "/v1/chat/completions"
    counts = {"total": len(scenarios), "correct": 0, "errors": 0}
    async with httpx.AsyncClient(limits=limits, timeout=30.0, trust_env=False) as client:

        async def one(scenario: dict) -> None:
            body = {"messages": scenario["messages"], "model": model, "max_tokens": 2048, "temperature": 0}
            async with gate:
                try:
                    reply = await client.post(url, json=body)
                    answer = reply.json()["choices"][0]["message"]["content"]
                except (httpx.HTTPError, ValueError, KeyError, IndexError):
                    counts["errors"] += 1
                    return
            if answer.strip() == scenario["verifier"]["expected"].strip():
                counts["correct"] += 1

        await asyncio.gather(*(one(s) for s in scenarios))
    return counts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", type=Path, required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--model", default="overhead-echo")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.pack, args.endpoint, args.concurrency, args.model))))
