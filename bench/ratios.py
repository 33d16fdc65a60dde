"""Some endpoints beside their authenticated floor, in-process, in about twenty seconds:
`python -m bench.ratios [ROUNDS] [LABEL ...]`.

For trying a change before running the whole `make bench`: each round sends every chosen
endpoint (all of them without a label) and its authenticated floor answering the same
number of bytes, shuffled together, on the small benchmark database (seeded if missing);
prints the medians and their ratio. No HTTP, no loads: its ratios run a little below the
whole bench's, whose rounds share the machine with two gunicorn servers.
"""

import random
import statistics
import sys

import bench.config  # noqa: F401 (configures Django)
from bench.measure import Bench, check_status, in_process
from bench.scenario import pathway_endpoints, signed_in_client, use_small_database

FLOOR = "authenticated floor"


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    labels = set(sys.argv[2:])
    dataset = use_small_database()
    endpoints = [each for each in pathway_endpoints() if not labels or each.label in labels]
    bench = Bench(endpoints)
    bench.clients[dataset.name] = signed_in_client(dataset)
    bench.measure_shapes(dataset)
    client, _ = bench.clients[dataset.name]
    samples = {}
    shuffler = random.Random(6)
    for _ in range(rounds):
        work = [(endpoint, variant) for endpoint in endpoints for variant in ("endpoint", FLOOR)]
        shuffler.shuffle(work)
        for endpoint, variant in work:
            request = bench.requests_of(dataset, endpoint)[variant]
            seconds, status, body = in_process(client, request)
            check_status(endpoint.label, status, request.expected_status, body)
            samples.setdefault((endpoint.label, variant), []).append(seconds * 1000)
    for endpoint in endpoints:
        spent = statistics.median(samples[(endpoint.label, "endpoint")])
        floor = statistics.median(samples[(endpoint.label, FLOOR)])
        print(f"{endpoint.label:28} {spent:6.2f} ms  floor {floor:5.2f} ms  {spent / floor:4.2f}×")


if __name__ == "__main__":
    main()
