"""The time of pricing a call, in a fresh process; prints one JSON line.

    python bench/cost.py openai/gpt-4o-mini [--warm 20000]

``first_ms``: the first price of the process, after ``import modelplex``, a client and its plugins'
discovery: every installed plugin's catalog file is read and the model's entry merged with the config's
overrides. ``warm_us``: what
every later call of that model pays as the client hands its response over (``Costs.attach``: the prices
applied to the usage, the ``Cost`` set on the response), per response, the best of five batches.
``import_ms``: the import, the client and the discovery, for reference. No server: pricing sends nothing.
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--warm", type=int, default=20000)
    args = parser.parse_args()
    start = time.perf_counter()
    import modelplex
    from modelplex._call.costs import costs

    client = modelplex.AsyncClient(config_file=False)
    assert client.registry.names  # discovery: what a first call has done before its response is priced
    provider, model = args.model.split("/", 1)
    usage = modelplex.Usage(input=1234, cache_read=512, output=256)
    imported = time.perf_counter()
    pricing = costs(client)
    first = pricing.attach(modelplex.ChatResponse(provider=provider, model=model, usage=usage)).cost
    done = time.perf_counter()
    best = float("inf")
    for _ in range(5 if args.warm else 0):
        responses = [modelplex.ChatResponse(provider=provider, model=model, usage=usage)
                     for _ in range(args.warm)]
        t = time.perf_counter()
        for response in responses:
            pricing.attach(response)
        best = min(best, (time.perf_counter() - t) / args.warm)
    print(json.dumps({"model": args.model, "import_ms": (imported - start) * 1000,
                      "first_ms": (done - imported) * 1000,
                      "warm_us": best * 1e6 if args.warm else None, "status": first.status,
                      "cost": None if first.total is None else str(first.total)}))


if __name__ == "__main__":
    main()
