#!/usr/bin/env python3
# The flake table of docs/BENCHMARKS.md from the folders of `lab run NAME --repeat 10 --out DIR/NAME`:
# per scenario, the hypotheses held k of N (the least of them), and the hypothesis clause
# with the least slack left in its worst run. Usage: python3 docs/flake-table.py DIR
import json, glob, re, sys, os
root = sys.argv[1] if len(sys.argv) > 1 else 'runs/flake'
def unit(v, u):
    v = float(v)
    return v/1000 if u == 'ms' else v
def observed(expr, obs):
    m = re.match(r'(\w+)\.(success_rate|p50|p95|p99)$', expr)
    if m:
        ep, met = m.groups()
        mm = re.search(re.escape(ep) + r': (\d+) req, ([\d.]+)% ok, p50 ([\d.]+)ms, p95 ([\d.]+)ms, p99 ([\d.]+)ms', obs)
        if not mm: return None
        vals = {'success_rate': float(mm.group(2))/100, 'p50': float(mm.group(3))/1000, 'p95': float(mm.group(4))/1000, 'p99': float(mm.group(5))/1000}
        return vals[met]
    mm = re.search(re.escape(expr) + r' = (-?[\d.]+)(ms|s)?', obs)
    if mm: return unit(mm.group(1), mm.group(2))
    return None
def fmt(expr, v):
    if 'success_rate' in expr: return '%.2f%%' % (100*v)
    if re.search(r'p\d\d$|_after|recovery_time', expr): return '%.0fms' % (1000*v) if v < 10 else '%.1fs' % v
    return '%g' % v
rows = []
for sdir in sorted(glob.glob(root + '/*/')):
    name = os.path.basename(sdir.rstrip('/'))
    rep = sdir + 'repeat.json'
    if not os.path.exists(rep): continue
    R = json.load(open(rep))
    runs = sorted(glob.glob(sdir + 'run-*/report.json'))
    tight = None
    for h in R['hypotheses']:
        for clause in h['expect'].split('&&'):
            m = re.match(r'\s*(.+?)\s*(>=|<=|<|>)\s*(-?[\d.]+)(ms|s)?\s*$', clause)
            if not m: continue
            lhs, op, thr, u = m.groups()
            thr = unit(thr, u)
            worst = None
            for rf in runs:
                r = json.load(open(rf))
                for hh in r['hypotheses']:
                    if hh['name'] != h['name']: continue
                    v = observed(lhs, hh['observed'])
                    if v is None: continue
                    margin = (v - thr) if op in ('>=', '>') else (thr - v)
                    if worst is None or margin < worst[0]: worst = (margin, v)
            if worst is None: continue
            rel = worst[0] / abs(thr) if thr else (1e9 if worst[0] > 0 else -1)
            if 'success_rate' in lhs: rel = worst[0] / (1 - thr) if thr < 1 else worst[0]
            if tight is None or rel < tight[0]:
                tight = (rel, h['name'], clause.strip(), fmt(lhs, worst[1]))
    held = min([hh['held'] for hh in R['hypotheses']] + [i['held'] for i in R.get('invariants', [])]) if R['hypotheses'] else R['done']
    t = '%s (`%s`): worst run %s' % (tight[1], tight[2], tight[3]) if tight else '-'
    rows.append('| %s | %d of %d | %s |' % (name, held, R['runs'], t))
print('| scenario | held | tightest hypothesis: its worst run of the ten |')
print('|---|---|---|')
print('\n'.join(rows))
