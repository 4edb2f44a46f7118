#!/usr/bin/env bash
# Command-line tests of the mle binary: exit statuses, error positions on stderr, script modes.
# Usage: scripts/cli-tests.sh PATH/TO/mle   (run from the repository's top folder)
set -u
mle="${1:?usage: cli-tests.sh PATH/TO/mle}"
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
check() {  # check NAME CONDITION-COMMAND...
    local name="$1"; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

# A script with an error on line 3 stops there, with FILE:3:COL and exit status 1.
printf 'a = 1\nb = 2\nnet = mlp nosuch\nc = 3\n' > "$tmp/err.mle"
"$mle" "$tmp/err.mle" >"$tmp/out" 2>"$tmp/err"; status=$?
check "error exit status" [ "$status" -eq 1 ]
check "error position" grep -q "^$tmp/err.mle:3:11: error: unknown variable 'nosuch'" "$tmp/err"
check "lines before the error ran" grep -q "^b: 2$" "$tmp/out"
check "lines after the error did not run" bash -c "! grep -q '^c: 3' '$tmp/out'"

# --keep-going reports the error and goes on, still exiting 1.
"$mle" --keep-going "$tmp/err.mle" >"$tmp/out" 2>"$tmp/err"; status=$?
check "keep-going status" [ "$status" -eq 1 ]
check "keep-going runs on" grep -q "^c: 3$" "$tmp/out"

# -c runs one command line; errors say <command line>.
check "-c help" bash -c "'$mle' -c 'help' | grep -q '^evaluate'"
"$mle" -c 'evalute x' >/dev/null 2>"$tmp/err"; status=$?
check "-c error status" [ "$status" -eq 1 ]
check "-c did you mean" grep -qF "<command line>:1:1: error: unknown command 'evalute'; did you mean 'evaluate'?" "$tmp/err"

# Without a terminal, commands are read from stdin with no prompt.
printf 'x = 41\ny = [x, 1]\n' | "$mle" >"$tmp/out" 2>"$tmp/err"
check "stdin runs" grep -q "^y: \[41, 1\]$" "$tmp/out"
check "stdin shows no prompt" bash -c "! grep -q 'mle>' '$tmp/out' '$tmp/err'"

# A #! script runs directly.
printf '#!/usr/bin/env mle\nz = "shebang"\n' > "$tmp/she.mle"; chmod +x "$tmp/she.mle"
check "shebang" bash -c "PATH='$(dirname "$mle"):$PATH' '$tmp/she.mle' | grep -q '^z: \"shebang\"$'"

# --format json: every line is one JSON object.
"$mle" --format json -c 'data = load "datasets/iris.csv" target=species; describe data' > "$tmp/json"
check "json lines parse" python3 -c "import json,sys; [json.loads(l) for l in open('$tmp/json')]"
check "json describe" python3 -c "import json; r=[json.loads(l) for l in open('$tmp/json')]; assert r[1]['report']=='describe' and r[1]['rows']==150"

# The tour: MLP test accuracy at least 0.93, and deterministic output.
"$mle" scripts/tour.mle > "$tmp/tour1" 2>"$tmp/tour_err"; status=$?
check "tour status" [ "$status" -eq 0 ]
acc=$(awk '/^evaluate net on test/{f=1} f && /^accuracy/{print $2; exit}' "$tmp/tour1")
check "tour accuracy >= 0.93 (got $acc)" python3 -c "assert float('${acc:-0}') >= 0.93"
"$mle" scripts/tour.mle > "$tmp/tour2" 2>/dev/null
check "tour is deterministic" cmp -s "$tmp/tour1" "$tmp/tour2"

# The intervals example runs to the end.
"$mle" scripts/intervals.mle > "$tmp/iv" 2>"$tmp/iv_err"; status=$?
check "intervals example status" [ "$status" -eq 0 ]
check "intervals example verdict" grep -q "^net is better on accuracy" "$tmp/iv"

# The coverage example runs, and says when a criterion saturates within the first 1%.
"$mle" scripts/coverage.mle > "$tmp/cov" 2>"$tmp/cov_err"; status=$?
check "coverage example status" [ "$status" -eq 0 ]
check "coverage example saturation note" grep -q "too weak to tell test sets apart" "$tmp/cov"
check "coverage example versus" grep -q "^dtest (359 examples) versus half" "$tmp/cov"

# The your-model example brings three outside models in, warns about the misread one, and compares.
"$mle" scripts/your-model.mle > "$tmp/yours" 2>"$tmp/yours_err"; status=$?
check "your-model example status" [ "$status" -eq 0 ]
check "your-model example warning" grep -q "^warning: the network" "$tmp/yours_err"
check "your-model example comparison" grep -q "^no detectable difference on accuracy" "$tmp/yours"
check "your-model example torch accuracy" grep -q "^accuracy     0.9788" "$tmp/yours"

# The calibration example runs: the over-confident network read in words, three calibrations side
# by side.
"$mle" scripts/calibration.mle > "$tmp/cal" 2>"$tmp/cal_err"; status=$?
check "calibration example status" [ "$status" -eq 0 ]
check "calibration example reading" grep -q "^over-confident above 0.90: right 99% of the time where it says 100%" "$tmp/cal"
check "calibration example side by side" grep -q "^temperature  0.0171 \[" "$tmp/cal"
check "calibration example segments" grep -q "^2 segments worse than the rest; the worst: mean_radius in (13.165, 28.11], diagnosis = benign," "$tmp/cal"
check "calibration example regression segments" grep -q "^species = Adelie       59  256.0065 \[209.7893, 302.2236\]" "$tmp/cal"

# --version; -i runs the script or -c command, then goes on with the session (here from stdin).
"$mle" --version > "$tmp/version"
check "--version" grep -q '^mle [0-9][0-9.]*$' "$tmp/version"
printf 'ans\n' | "$mle" -i -c 'd = load "datasets/iris.csv" target=species' > "$tmp/inter" 2>&1; status=$?
check "-i status" [ "$status" -eq 0 ]
check "-i keeps the session" bash -c "[ \$(grep -c '150 rows × 4 features' '$tmp/inter') -eq 2 ]"

# The drift example runs: random halves alike, the filtered production set shifted.
"$mle" scripts/drift.mle > "$tmp/drift" 2>"$tmp/drift_err"; status=$?
check "drift example status" [ "$status" -eq 0 ]
check "drift example halves alike" grep -q "^no column differs beyond noise: the current data looks like the reference" "$tmp/drift"
check "drift example shift" grep -q "^20 of 31 columns shifted beyond noise and by at least 0.1: worst_radius (0.9476)" "$tmp/drift"

# The fairness example runs: the census model's sex gap is beyond noise.
"$mle" scripts/fairness.mle > "$tmp/fair" 2>"$tmp/fair_err"; status=$?
check "fairness example status" [ "$status" -eq 0 ]
check "fairness example adult by sex" grep -q "^the groups differ beyond noise: demographic parity difference 0.1780 \[0.1632, 0.1929\] (χ² p < 1e-16" "$tmp/fair"

# The mutation example runs: a tenth of the test set covers every unit but kills fewer mutants.
"$mle" scripts/mutation.mle > "$tmp/mut" 2>"$tmp/mut_err"; status=$?
check "mutation example status" [ "$status" -eq 0 ]
check "mutation example full test set" grep -q "^mutation score   88.9% (8 of 9 mutants killed)" "$tmp/mut"
check "mutation example coverage disagrees" grep -q "^the two measures disagree: neuron coverage is 100.0%, yet the test set kills only 66.7%" "$tmp/mut"

# The robustness example runs and gives verdicts.
"$mle" scripts/robustness.mle > "$tmp/rob" 2>"$tmp/rob_err"; status=$?
check "robustness example status" [ "$status" -eq 0 ]
check "robustness example verdicts" grep -q "^robust  *[0-9]* ([0-9.]*%) — proved by a sound bound" "$tmp/rob"
# method=complete leaves no example undecided: every "unknown" count is 0, in the single reports
# and on every radius of the two curves; radius exact narrows every bracket.
check "robustness example: nothing undecided" python3 -c "
import re, sys
text = open('$tmp/rob').read()
fields = re.findall(r'^unknown +(\d+) \(', text, re.M)
curve = re.findall(r'^ *[0-9.]+ +\d+ \([0-9.]+%\) +\d+ \([0-9.]+%\) +(\d+) \(', text, re.M)
sys.exit(0 if len(fields) >= 5 and len(curve) == 9 and set(fields + curve) == {'0'} else 1)"
check "robustness example: exact radius brackets" grep -qE "^exact +([0-9]+) of \1 brackets within the tolerance" "$tmp/rob"

# The verification example: ACAS Xu property 1 holds on network 1_1, property 2 is violated on
# 2_1 (the published answers), and the breast_cancer boxes are answered.
"$mle" scripts/verify.mle > "$tmp/ver" 2>"$tmp/ver_err"; status=$?
check "verification example status" [ "$status" -eq 0 ]
check "verification example: ACAS Xu property 1 holds" bash -c "grep -A4 'against prop_1.vnnlib' '$tmp/ver' | grep -q '^answer  *holds'"
check "verification example: ACAS Xu property 2 is violated" bash -c "grep -A4 'against prop_2.vnnlib' '$tmp/ver' | grep -q '^answer  *violated'"
check "verification example: four rows answered" bash -c "[ \$(grep -cE '^answer  *(holds|violated)' '$tmp/ver') -eq 6 ]"

# The data-preparation example runs: penguins with NA and text columns end to end, a search,
# adversarial validation that finds the planted shift.
"$mle" scripts/data.mle > "$tmp/data" 2>"$tmp/data_err"; status=$?
check "data example status" [ "$status" -eq 0 ]
check "data example penguins" grep -q "^accuracy  *0\.9[0-9]*  ([0-9]* of 69 correct)" "$tmp/data"
check "data example shift" grep -q "they differ (AUC 0\.9" "$tmp/data"

# The imbalanced-data example runs: the book's ensemble beats the untreated network on digits
# 8-versus-the-rest, and every strategy gets a row.
"$mle" scripts/imbalance.mle > "$tmp/imb" 2>"$tmp/imb_err"; status=$?
check "imbalance example status" [ "$status" -eq 0 ]
# (At 100 columns the strategy names wrap: "book's" / "ensemble".)
check "imbalance example strategies" bash -c "[ \$(grep -cE '^(none|class weights|undersampling|oversampling|SMOTE|EasyEnsemble|book.s|threshold)  +[0-9]' '$tmp/imb') -eq 16 ]"
check "imbalance example ensemble beats untreated" awk '/^strategy/ {t++} t == 1 && /^none +[0-9]/ {n = $2} t == 1 && /^book.s +[0-9]/ {e = $2} END {exit !(e > n && n > 0)}' "$tmp/imb"
"$mle" scripts/imbalance.mle 2>/dev/null | cmp -s - "$tmp/imb"
check "imbalance example reproducible" [ $? -eq 0 ]

# After a command that stopped OpenBLAS's workers (ensemble), training whose batch is split over
# two threads (products of a million multiply-adds or more, one OpenBLAS thread per part) and an
# evaluation that gives OpenBLAS its threads back give the same output as without it.
cat > "$tmp/wide.mle" <<EOF
d = load "$PWD/datasets/digits.csv" target=digit
train, test = split d ratio=0.7 stratify seed=1
net = mlp train hidden=[256] epochs=2 batch=128 seed=3
evaluate net test
EOF
sed '2a ens = ensemble train model=mlp hidden=[8] epochs=2 chunks=3 seed=1' "$tmp/wide.mle" > "$tmp/wide_ens.mle"
"$mle" "$tmp/wide.mle" > "$tmp/wide" 2>&1; s1=$?
"$mle" "$tmp/wide_ens.mle" > "$tmp/wide_ens_all" 2>&1; s2=$?
check "threads back after an ensemble: status" [ "$s1" -eq 0 -a "$s2" -eq 0 ]
check "threads back after an ensemble: same training and evaluation" bash -c "sed -n '/^net:/,\$p' '$tmp/wide' | cmp -s - <(sed -n '/^net:/,\$p' '$tmp/wide_ens_all')"

# An unreadable script is exit status 2 with a message.
"$mle" "$tmp/none.mle" 2>"$tmp/err"; status=$?
check "missing script" [ "$status" -eq 2 ]

# Bad CSV input: a clear error naming the data file's line and column.
printf 'x,y\n1,a\n2,b,c\n' > "$tmp/ragged.csv"
"$mle" -c "d = load \"$tmp/ragged.csv\" target=y" 2>"$tmp/err"
check "ragged csv" grep -qF "$tmp/ragged.csv:3:5: this row has 3 fields but the header has 2" "$tmp/err"

# Every command of the registry under --format csv and --format json: each result parses with
# Python's csv (a rectangular table, numbers without markers or padding) and json modules, every
# JSON report names its command, and the long tables carry every row (predict and robust show 20
# of 113 to people).
sed "s|OUT/|$tmp/|g" Tests/cli/every_command.mle > "$tmp/every.mle"; : > "$tmp/empty.mle"
acas="$PWD/../shared/benchmarks/acasxu"
printf '%s\n' "$acas/ACASXU_run2a_1_1_batch_2000.onnx,$acas/prop_3.vnnlib,30" \
    "$acas/ACASXU_run2a_1_9_batch_2000.onnx,$acas/prop_4.vnnlib,30" > "$tmp/instances.csv"
"$mle" --format csv "$tmp/every.mle" > "$tmp/every.csv" 2>"$tmp/every_err"; status=$?
check "every command under csv: status" [ "$status" -eq 0 ]
check "every command under csv: parses" python3 scripts/checks/machine_output.py csv "$tmp/every.csv"
check "every command under csv: predict keeps every row" python3 scripts/checks/machine_output.py count "$tmp/every.csv" predict predictions 113
check "every command under csv: robust keeps every row" python3 scripts/checks/machine_output.py count "$tmp/every.csv" robust examples 113
"$mle" --format json "$tmp/every.mle" > "$tmp/every.json" 2>"$tmp/every_err"; status=$?
check "every command under json: status" [ "$status" -eq 0 ]
check "every command under json: parses" python3 scripts/checks/machine_output.py json "$tmp/every.json"
check "every command under json: robust keeps every row" python3 scripts/checks/machine_output.py count "$tmp/every.json" robust examples 113
check "every command under json: predict keeps every row" python3 scripts/checks/machine_output.py count "$tmp/every.json" predict predictions 113
check "every command of the reference is in the script" python3 scripts/checks/machine_output.py covers docs/reference.md Tests/cli/every_command.mle
check "plot wrote an SVG picture" python3 -c "
import xml.etree.ElementTree as ET
root = ET.parse('$tmp/robust.svg').getroot()
assert root.tag == '{http://www.w3.org/2000/svg}svg', root.tag
assert len(root.findall('.//{http://www.w3.org/2000/svg}polyline')) == 3"
check "once and set output wrote their files" bash -c "grep -q breast_cancer '$tmp/once.txt' && grep -q zero_rule '$tmp/all.txt'"
check "report wrote the session's page" bash -c "grep -q '<pre class=\"source\">help robust</pre>' '$tmp/session.html'"
# verify's batch wrote VNN-COMP's layout with the published answers (1_1 prop 3 holds, 1_9
# prop 4 is violated), and its JSON compared both with vnncomp2021_results.csv.
check "verify results CSV" python3 -c "
import csv
rows = list(csv.reader(open('$tmp/results.csv')))
assert rows[0] == ['benchmark', 'onnx', 'vnnlib', 'prepare_time', 'result', 'run_time'], rows[0]
assert [r[4] for r in rows[1:]] == ['holds', 'violated'], rows
assert all(float(r[5]) > 0 for r in rows[1:])"
check "verify batch agrees with the published answers" python3 -c "
import json
for line in open('$tmp/every.json'):
    if '\"verification_batch\"' in line:
        r = json.loads(line)
        assert r['agreed'] == 2 and r['wrong'] == 0 and [i['agrees'] for i in r['instances']] == ['yes', 'yes'], r
        break
else:
    raise SystemExit('no batch report')"

# The teaching scripts as HTML pages, rendered in headless Chromium: each page's statements,
# tables and plots are in the browser's DOM, and its screenshot is not blank.
check "HTML reports in Chromium" python3 scripts/checks/html_report.py "$mle" "$tmp/html" \
    scripts/tour.mle scripts/intervals.mle scripts/robustness.mle scripts/imbalance.mle

# Options take variables: a loop over radii, a class named by a number.
cat > "$tmp/vars.mle" <<EOF
d = load "$PWD/datasets/digits.csv" target=digit
train, test = split d ratio=0.8 stratify seed=1
net = mlp train hidden=[8] epochs=3 seed=1
for delta in [0.05, 0.1] { robust net test delta=delta method=certify rows=1 features=0 }
interval net test metric=recall positive=8 method=wilson
eight = 8
interval net test metric=recall positive=eight method=wilson
EOF
"$mle" "$tmp/vars.mle" > "$tmp/vars_out" 2>"$tmp/vars_err"; status=$?
check "options take variables: status" [ "$status" -eq 0 ]
check "for d in [...] { robust ... delta=d }" bash -c "[ \$(grep -cE '^question .*δ = (0.05|0.1) ' '$tmp/vars_out') -eq 2 ]"
check "positive=8 and positive=eight" bash -c "[ \$(grep -c '^recall (8)' '$tmp/vars_out') -eq 2 ]"

# help fits the terminal: COLUMNS=80, and a pseudo-terminal 80 columns wide.
COLUMNS=80 "$mle" -c 'help' > "$tmp/help80"
check "help at COLUMNS=80" python3 -c "assert max(len(l) for l in open('$tmp/help80', encoding='utf-8').read().split('\n')) <= 80"
check "help on an 80-column terminal" python3 scripts/checks/pty_width.py "$mle" 80 "help" "help ensemble" "help robust" "help coverage"

# Deep nesting through the binary is an error at the bracket, never a crash (status 139): 60,000
# nested brackets, parentheses and loops, with --keep-going running the statement after them.
python3 -c "
n = 60000
print('y = ' + '[' * n + ']' * n)
print('z = ' + '(' * n + '1' + ')' * n)
print('for i in [1] { ' * n + ' }' * n)
print('after = 1')" > "$tmp/deep.mle"
"$mle" --keep-going "$tmp/deep.mle" > "$tmp/deep_out" 2> "$tmp/deep_err"; status=$?
check "deep nesting: status 1, not a crash (got $status)" [ "$status" -eq 1 ]
check "deep nesting: three errors at the brackets" bash -c "[ \$(grep -c 'nest at most 100 levels deep' '$tmp/deep_err') -eq 3 ]"
check "deep nesting: the statement after runs" grep -q '^after: 1$' "$tmp/deep_out"

# A file that is not a table (one 70 MB line) is refused at its record, not read until memory
# runs out; a load larger than the memory left (MLE_MEMORY_LIMIT stands in for a small machine)
# and a network too large for it are errors, and the session goes on.
python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    f.write('a,b\n1,2\n' + 'x' * 70_000_000 + ',3\n')" "$tmp/huge.csv"
printf 'x = 1\nd = load "%s"\nx\n' "$tmp/huge.csv" > "$tmp/huge.mle"
"$mle" --keep-going "$tmp/huge.mle" > "$tmp/huge_out" 2> "$tmp/huge_err"; status=$?
check "one huge record: status 1 (got $status)" [ "$status" -eq 1 ]
check "one huge record: error at its line" grep -qF "huge.csv:3:1: the record starting here is longer than 67.1 MB" "$tmp/huge_err"
check "one huge record: the session goes on" bash -c "grep -q '^x: 1$' '$tmp/huge_out' && grep -qx 1 '$tmp/huge_out'"
rm -f "$tmp/huge.csv"
printf 'x = 1\nd = load "datasets/digits.csv" target=digit\nx\n' > "$tmp/mem.mle"
MLE_MEMORY_LIMIT=200K "$mle" --keep-going "$tmp/mem.mle" > "$tmp/mem_out" 2> "$tmp/mem_err"; status=$?
check "load beyond the memory left: status 1" [ "$status" -eq 1 ]
check "load beyond the memory left: error at the file" grep -qE "mem.mle:2:10: error: not enough memory to load digits.csv .*: it needs about .* and 205 KB is free" "$tmp/mem_err"
check "load beyond the memory left: the session goes on" bash -c "grep -q '^x: 1$' '$tmp/mem_out' && grep -qx 1 '$tmp/mem_out'"
"$mle" -c 'd = load "datasets/iris.csv" target=species; net = mlp d hidden=[65536, 65536]; net' > "$tmp/big_out" 2> "$tmp/big_err"; status=$?
check "mlp hidden=[65536, 65536]: status 1" [ "$status" -eq 1 ]
check "mlp hidden=[65536, 65536]: error at hidden" grep -qE "^<command line>:1:65: error: not enough memory to train a network with hidden layers of \[65536, 65536\] units on 150 rows: it needs about 13[0-9] GB" "$tmp/big_err"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
