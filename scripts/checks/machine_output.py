#!/usr/bin/env python3
"""Checks mle's machine-readable output (used by scripts/cli-tests.sh).

    machine_output.py csv FILE     every blank-line-separated result parses with Python's csv
                                   module into a rectangular table: a header, then rows of the
                                   same length; no cell holds a number with a marker or padding
    machine_output.py json FILE    every line is one JSON object without repeated keys; every report
                                   names its command
    machine_output.py covers REFERENCE SCRIPT
                                   every command of the reference (### NAME) is used in SCRIPT
    machine_output.py count FILE KIND TABLE N
                                   the result of command KIND (csv or json by FILE's suffix) holds
                                   exactly N rows of table TABLE (nothing dropped)
"""
import csv, io, json, re, sys

def csv_results(text):
    blocks, current = [], []
    for line in text.split("\n"):
        if line == "" and current:
            blocks.append("\n".join(current)); current = []
        elif line != "":
            current.append(line)
    if current: blocks.append("\n".join(current))
    return [list(csv.reader(io.StringIO(b))) for b in blocks]

# Display text where a number should be: a marker or padding beside it, a percentage, an interval
# or a pair written as text, a number followed by words in parentheses.
number_with_junk = re.compile(r"^\s*-?\d+(\.\d+)?\s+[*†‡]+$|^\s+-?\d|-?\d\s+$|^-?\d+(\.\d+)?%$"
                              r"|^\[-?\d+\.\d+, -?\d+\.\d+\]$|^-?\d+(\.\d+)?, -?\d+(\.\d+)?$|^-?\d+(\.\d+)?\s+\(")

def check_csv(path):
    tables = csv_results(open(path, encoding="utf-8").read())
    assert tables, "no CSV results"
    for t in tables:
        header = t[0]
        assert len(set(header)) == len(header), f"duplicate columns in {header}"
        for row in t[1:]:
            assert len(row) == len(header), f"row {row} has {len(row)} fields, header {header} has {len(header)}"
            for cell in row:
                assert not number_with_junk.match(cell), f"a number with a marker or padding: {cell!r} in {header}"
    print(f"csv: {len(tables)} results parsed")

def unique_keys(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    assert not dup, f"a JSON object repeats keys {sorted(dup)}"
    return dict(pairs)

def check_json(path):
    n = 0
    for line in open(path, encoding="utf-8"):
        obj = json.loads(line, object_pairs_hook=unique_keys)
        assert isinstance(obj, dict), f"not an object: {line[:80]}"
        if "report" in obj:
            assert "command" in obj, f"report without its command: {line[:120]}"
        n += 1
    print(f"json: {n} objects parsed")

def covers(reference, script):
    names = {m.group(1) for m in re.finditer(r"^### (\w+)", open(reference, encoding="utf-8").read(), re.M)}
    used = set()
    for line in open(script, encoding="utf-8"):
        line = line.split("#")[0].strip()
        if not line: continue
        # `name = command ...` and `a, b = command ...` run the command after the `=`.
        words = line.split(" = ", 1)[1].split() if re.match(r"^[\w, ]+ = ", line) else line.split()
        if words: used.add(words[0])
    missing = names - used
    assert not missing, f"commands not run: {sorted(missing)}"
    print(f"covers: all {len(names)} commands")

def count(path, kind, table, n):
    n = int(n)
    text = open(path, encoding="utf-8").read()
    if path.endswith(".json"):
        found = [json.loads(l) for l in text.splitlines() if l.startswith("{")]
        rows = [len(o[table]) for o in found if o.get("command") == kind and isinstance(o.get(table), list)]
    else:
        rows = []
        for t in csv_results(text):
            if t[0] and t[0][0] == "table":
                rows.append(sum(1 for r in t[1:] if r[0] == table))
            elif t[0] and t[0][0] == "row":
                # A report of one table has no `table` column: a table of numbered rows counts.
                rows.append(len(t) - 1)
        rows = [r for r in rows if r > 0]
    assert n in rows, f"{kind}: no result with {n} rows in {table} (found {rows})"
    print(f"{kind}: {table} has all {n} rows")

if __name__ == "__main__":
    mode = sys.argv[1]
    {"csv": lambda: check_csv(sys.argv[2]), "json": lambda: check_json(sys.argv[2]),
     "count": lambda: count(*sys.argv[2:6]), "covers": lambda: covers(sys.argv[2], sys.argv[3])}[mode]()
