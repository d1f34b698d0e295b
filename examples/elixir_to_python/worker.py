"""Python worker of the Elixir -> Python example (docs/tutorials/elixir-to-python.md).

    python3 worker.py REQUEST_REGION ANSWER_REGION

Opens the region the Elixir service published, scores every request with a linear model on the
feature matrix (a numpy view of the shared memory, no copy), and publishes the scores and a
summary in a new region for Elixir to read.
"""
import collections
import sys

import numpy as np

import zerial.shm

WEIGHTS = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)


def main(request_region, answer_region):
    with zerial.shm.open(request_region) as r:
        requests = r["requests"]            # list of dicts, str keys and values
        features = r["features"]            # numpy float32 (n, 4), a view of the mapping
        n = len(requests)
        assert features.shape == (n, 4) and features.dtype == np.float32

        users = collections.Counter(req["user"] for req in requests)
        summary = {"count": n, "amount_sum": sum(req["amount"] for req in requests),
                   "top_user": users.most_common(1)[0][0], "worker": "python"}

        w = zerial.shm.create(answer_region)
        scores = w.new_array("scores", (n,), np.float32)   # allocated inside the new region
        np.dot(features, WEIGHTS, out=scores)              # written in place
        w.put("summary", summary)
        del scores, features
        w.publish()
        w.close()
    print("python: scored %d requests" % n)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
