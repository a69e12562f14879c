#!/bin/bash
# Profiles a zombiesim command with Linux perf: where the main thread's time goes, by .NET method.
#   bash benchmarks/profile.sh OUT zombiesim bench fleet --hours 4
# writes OUT.data (perf record), OUT.txt (perf script of the busiest thread) and OUT.frames (self and
# inclusive shares of frames, and runtime stubs by their managed caller), and prints the top of OUT.frames.
# perf samples on a timer interrupt, anywhere (dotnet-trace's samples land at safe points only, which
# misattributes tight loops). The runtime writes /tmp/perf-PID.map so perf can name JIT-compiled methods;
# W^X off, or compiled code shows up as anonymous memory. Needs perf (Debian: linux-perf) and python3.
set -euo pipefail
OUT=$1; shift
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
perf record -F 999 -g -o "$OUT.data" "$@" >/dev/null
TID=$(perf script -i "$OUT.data" -F tid 2>/dev/null | sort | uniq -c | sort -rn | head -1 | awk '{print $2}')
perf script -i "$OUT.data" --tid "$TID" 2>/dev/null > "$OUT.txt"
python3 "$(dirname "$0")/perf-frames.py" "$OUT.txt" 2 > "$OUT.frames"
head -40 "$OUT.frames"
