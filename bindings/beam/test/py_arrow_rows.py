"""Write the Arrow stream the EUnit suite decodes (py_rows.arrows): five rows from Python's zerial.
usage: PYTHONPATH=<build>/python /usr/bin/python3 py_arrow_rows.py OUT"""
import sys

import zerial

rows = [{"id": i, "name": "r%d" % i, "score": i * 0.25, "flag": i % 2 == 0, "opt": None if i == 1 else i}
        for i in range(5)]
with open(sys.argv[1], "wb") as f:
    f.write(zerial.dumps(rows, format="arrow-stream"))
