"""Profile one request of the pathway in-process:
`python -m bench.profile LABEL [N] [LINES] [PATTERN]`.

Uses the benchmark's small database (seeded as `make bench` seeds it when missing) and the
benchmark's signed-in client; prints the cProfile of N requests (default 100), sorted by
cumulative time, and the median time per request.
"""

import cProfile
import pstats
import statistics
import sys
import time

import bench.config  # noqa: F401 (configures Django)
from bench.scenario import (
    build_request,
    pathway_endpoints,
    signed_in_client,
    use_small_database,
)


def send(client, request):
    headers = {
        f"HTTP_{name.upper().replace('-', '_')}": value for name, value in request.headers.items()
    }
    content_type = headers.pop("HTTP_CONTENT_TYPE", None)
    if request.method == "GET":
        return client.get(request.path, **headers)
    return client.post(request.path, request.body, content_type=content_type, **headers)


def main():
    label = sys.argv[1] if len(sys.argv) > 1 else "summary GET"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    dataset = use_small_database()
    client, csrf_token = signed_in_client(dataset)
    endpoint = next(each for each in pathway_endpoints() if each.label == label)
    for _ in range(5):
        response = send(client, build_request(endpoint, csrf_token, endpoint.next_path()))
        assert response.status_code == endpoint.expected_status, response.status_code
    times = []
    for _ in range(count):
        request = build_request(endpoint, csrf_token, endpoint.next_path())
        started = time.perf_counter()
        send(client, request)
        times.append(time.perf_counter() - started)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        send(client, build_request(endpoint, csrf_token, endpoint.next_path()))
    profiler.disable()
    print(f"{label}: median {statistics.median(times) * 1000:.2f} ms over {count}")
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    # Optional: how many lines, and a pattern the lines must match (e.g. "guidance|crispy").
    restrictions = [int(sys.argv[3]) if len(sys.argv) > 3 else 45]
    if len(sys.argv) > 4:
        restrictions.insert(0, sys.argv[4])
    stats.print_stats(*restrictions)


if __name__ == "__main__":
    main()
