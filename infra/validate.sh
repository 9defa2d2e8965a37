#!/usr/bin/env bash
# Validate infra/k8s/*.yaml offline. Idempotent: creates .venv-infra/ (pinned packages) if missing.
#
# - Core objects (Deployment, Service, Secret): kubernetes-validate (PyPI), strict, against the
#   Kubernetes version below.
# - KEDA ScaledObject: the JSON Schema of the keda.sh/v1alpha1 models shipped in the PyPI package
#   cloudcoil.models.keda (generated from KEDA's CRDs), tightened so unknown fields are errors,
#   checked with jsonschema.
# A self-test first makes sure a broken manifest of each kind is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-infra
K8S_VERSION=1.31.0
PKGS=(kubernetes-validate==1.37.0 jsonschema==4.26.0 pyyaml==6.0.3 cloudcoil-models-keda==2.16.1.0)
stamp="$VENV/.installed-$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -c1-12)"
if [[ ! -f $stamp ]]; then
  echo "validate: installing ${PKGS[*]} into $VENV" >&2
  [[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PKGS[@]}"
  touch "$stamp"
fi
exec "$VENV/bin/python" infra/validate.py --k8s-version "$K8S_VERSION" infra/k8s/*.yaml
