#!/usr/bin/env bash
# CUDA smoke check for a GPU machine that has a Python PyTorch but no DJL-matched libtorch.
# Expects gpu/diffalign-native-free.jar (./mvnw -Pnative-free package) and optionally gpu/jre.tgz
# (a jlinked JRE) next to the repository; writes what it sees to $OUT (default ./gpu-out).
set -u
OUT="${OUT:-$PWD/gpu-out}"; mkdir -p "$OUT"
cd "$(dirname "$0")/../gpu" || exit 1
exec > >(tee "$OUT/gpu-check.log") 2>&1
nvidia-smi -L || true
J=$(command -v java || true)
if [ -z "$J" ]; then tar xf jre.tgz && J="$PWD/jre/bin/java"; fi
"$J" -version 2>&1 | head -1
TL=$(python3 -c "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))")
python3 -c "import torch;print('python torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())"
ls "$TL" | head -40
# DJL extracts the cu128 JNI from the jar (PYTORCH_FLAVOR) and loads libtorch from torch/lib.
# Note: DJL 0.36's JNI is built for libtorch 2.7.1; a newer libtorch loads but its tensors can't be read.
export PYTORCH_LIBRARY_PATH="$TL" PYTORCH_FLAVOR=cu128 DJL_OFFLINE=true OPT_OUT_TRACKING=true
R=("$J" -Dai.djl.offline=true -jar diffalign-native-free.jar)
echo "== --version"; "${R[@]}" --version
echo "== info cuda"; DIFFALIGN_DEBUG=1 "${R[@]}" info --device cuda || { echo "CUDA engine failed"; exit 0; }
"${R[@]}" tiny-model --out /tmp/tiny --vae --resolution 32
echo "== sample cuda"; time "${R[@]}" sample --model /tmp/tiny --prompt "a red circle" --device cuda --steps 10 --num-images 4 --out "$OUT/samples"
"${R[@]}" toy-data --out /tmp/data --pairs 32 --size 32
echo "== train cuda"; time "${R[@]}" train --model /tmp/tiny --dataset /tmp/data/pairs.jsonl --output-dir /tmp/run --device cuda --max-train-steps 20 --train-batch-size 4 --checkpointing-steps 10
cp /tmp/run/metrics.jsonl "$OUT/" 2>/dev/null; tail -3 /tmp/run/metrics.jsonl
