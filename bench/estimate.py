"""The time of ``client.estimate``, in a fresh process; prints one JSON line.

    python bench/estimate.py openai/gpt-4o [--warm 2000]

``first_ms``: the first estimate of the process, after ``import modelplex`` and a client: the plugin's
catalog file is read and, for a model with an offline tokenizer (OpenAI's, with ``modelplex[tokenizers]``),
the tokenizer loaded. ``warm_us``: the median of later ones. The request is a system message and a user
message of about 1 KB of English, with ``max_tokens``. ``import_ms``: the import and the client, for
reference. No server: an estimate sends nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

TEXT = ("The quarterly report shows revenue up 12% on the year, driven by the new subscription tier; "
        "costs rose 4% as the team grew. ") * 8


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--warm", type=int, default=2000)
    args = parser.parse_args()
    start = time.perf_counter()
    import modelplex

    client = modelplex.Client(config_file=False)
    messages = [modelplex.Message.system("You are a careful analyst."), modelplex.Message.user(TEXT)]
    imported = time.perf_counter()
    first = client.estimate(args.model, messages, max_tokens=256)
    done = time.perf_counter()
    times = []
    for _ in range(args.warm):
        t = time.perf_counter()
        client.estimate(args.model, messages, max_tokens=256)
        times.append(time.perf_counter() - t)
    client.close()
    print(json.dumps({"model": args.model, "import_ms": (imported - start) * 1000,
                      "first_ms": (done - imported) * 1000,
                      "warm_us": statistics.median(times) * 1e6 if times else None,
                      "input_tokens": first.input_tokens, "exact": not first.estimated,
                      "cost": None if first.cost.total is None else str(first.cost.total)}))


if __name__ == "__main__":
    main()
