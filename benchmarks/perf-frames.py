#!/usr/bin/env python3
# perf-frames.py PERF_SCRIPT_TXT [SKIP_SECONDS]: self and inclusive shares of the frames in `perf script` output (one
# thread), JIT-compiled .NET methods named from the runtime's perf map; runtime stubs and native leaves by their managed
# caller. SKIP_SECONDS drops the start (JIT warm-up). Used by benchmarks/profile.sh.
import collections
import re
import sys

FRAME = re.compile(r'^\s*[0-9a-f]+ (.*?)\+0x[0-9a-f]+ \((.*)\)$')
TIER = re.compile(r'\[(OptimizedTier1|OptimizedTier1OSR|QuickJitted|InstrumentedTier|Optimized|PreJIT)[^\]]*\]')


def frame(line):
    """(method or None, library) of one stack line; the method without tier, signature or assembly."""
    m = FRAME.search(line)
    if not m:
        lib = re.search(r'\((.*)\)$', line)
        return None, (lib.group(1).split('/')[-1] if lib else '?')
    method = TIER.sub('', m.group(1))
    method = re.sub(r'(instance |valuetype |class )', '', method)
    method = re.sub(r'\[[A-Za-z.]+\] ', '', method)
    method = re.sub(r'\(.*', '', method)
    return method, m.group(2).split('/')[-1]


def main():
    skip = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    own, inclusive, by_caller = collections.Counter(), collections.Counter(), collections.Counter()
    total, first = 0, None
    for sample in open(sys.argv[1]).read().split('\n\n'):
        lines = sample.strip().split('\n')
        if len(lines) < 2:
            continue
        stamp = re.search(r' (\d+\.\d+): ', lines[0])  # the thread's name before it may hold spaces
        if not stamp:
            continue
        t = float(stamp.group(1))
        first = t if first is None else first
        if t - first < skip:
            continue
        total += 1
        frames = [frame(line) for line in lines[1:]]
        leaf, lib = frames[0]
        own[leaf or lib] += 1
        for method in {m for m, _ in frames if m}:
            inclusive[method] += 1
        if leaf is None or leaf.startswith('stub'):
            caller = next((m for m, _ in frames[1:] if m and not m.startswith('stub')), '?')
            by_caller[f'{leaf or lib} <- {caller}'] += 1
    print(f'{total} samples')
    for title, counts, n in (('self', own, 45), ('inclusive', inclusive, 70), ('runtime leaves by managed caller', by_caller, 30)):
        print(f'== {title}')
        for key, count in counts.most_common(n):
            print(f'{100 * count / max(total, 1):6.2f}% {key[:170]}')


main()
