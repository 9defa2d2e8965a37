"""Offline validation of the Kubernetes manifests (see validate.sh)."""
import argparse
import copy
import sys

import jsonschema
import kubernetes_validate
import yaml
from cloudcoil.models.keda import v1alpha1 as keda


def strict(schema):
    """Unknown fields become errors (KEDA's CRD is structural; pydantic's export allows extras)."""
    s = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(s)
    return s


SCALED_OBJECT = strict(keda.ScaledObject.model_json_schema(by_alias=True))


def check(doc, version):
    """Errors for one object (empty when valid)."""
    if doc.get("apiVersion") == "keda.sh/v1alpha1":
        if doc.get("kind") != "ScaledObject":
            return [f"no schema for keda.sh/v1alpha1 {doc.get('kind')}"]
        v = jsonschema.Draft202012Validator(SCALED_OBJECT)
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in v.iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, version, strict=True)
        return []
    except kubernetes_validate.ValidationError as e:
        return [f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}"]


def self_test(version):
    bad_so = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "x"},
              "spec": {"scaleTargetRef": {"name": "w"}, "maxReplicaCont": 3, "triggers": []}}
    bad_dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
               "spec": {"replicas": "two", "selector": {}, "template": {}}}
    good_so = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "x"},
               "spec": {"scaleTargetRef": {"name": "w"}, "triggers": [{"type": "cpu", "metadata": {"value": "50"}}]}}
    assert check(bad_so, version), "a misspelt ScaledObject field was accepted"
    assert check(bad_dep, version), "a broken Deployment was accepted"
    assert not check(good_so, version), check(good_so, version)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k8s-version", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    self_test(a.k8s_version)
    failed = 0
    n = 0
    for path in a.files:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                n += 1
                errors = check(doc, a.k8s_version)
                name = f"{path}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
                if errors:
                    failed += 1
                    for e in errors:
                        print(f"INVALID {name}: {e}")
                else:
                    print(f"ok {name}")
    print(f"{n - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
