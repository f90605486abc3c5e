"""Checks of the rendered kubernetes/ overlays, run by tests/k8s/validate with kubectl as the argument."""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.33.0"
ROOT = pathlib.Path(__file__).resolve().parents[2] / "kubernetes"
PLACEHOLDER_IMAGE = "scalelite-rs"
PROBE_PATHS = {"/healthz", "/readyz"}


def require(condition, message):
    if not condition:
        raise AssertionError(message)


def check_container(container, where):
    image = container.get("image", "")
    require(image, f"{where}: no image")
    require(where.startswith("base/") or image != PLACEHOLDER_IMAGE, f"{where}: image {image!r} not set by the overlay")
    for probe in ("readinessProbe", "livenessProbe"):
        path = container.get(probe, {}).get("httpGet", {}).get("path")
        require(path is None or path in PROBE_PATHS, f"{where}: {probe} on {path}")


def check_knative_service(doc, where):
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    containers = spec.get("containers", [])
    require(len(containers) == 1, f"{where}: a Knative Service has exactly one container")
    container = containers[0]
    check_container(container, where)
    require(container.get("envFrom"), f"{where}: no envFrom for the configuration and the secret")
    require(len(container.get("ports", [])) <= 1, f"{where}: Knative allows one port")
    for env in container.get("env", []):
        if env["name"] == "FUNCTION":
            require(env.get("value"), f"{where}: FUNCTION is empty")
    require(container.get("readinessProbe"), f"{where}: no readiness probe")


def check_openfaas_function(doc, where):
    spec = doc.get("spec", {})
    name = doc["metadata"]["name"]
    require(spec.get("name") == name, f"{where}: spec.name differs from metadata.name")
    require(len(name) <= 63, f"{where}: name longer than 63 characters")
    check_container(spec, where)
    environment = spec.get("environment", {})
    require(environment.get("FUNCTION"), f"{where}: no FUNCTION in environment")
    require(spec.get("secrets") == ["scalelite"], f"{where}: secrets should be [scalelite]")
    for key in ("LOADBALANCER_SECRET", "REDIS_URL", "DATABASE_URL"):
        require(environment.get(f"{key}_FILE"), f"{where}: no {key}_FILE")


def check_http_route(doc, where):
    spec = doc.get("spec", {})
    require(spec.get("parentRefs"), f"{where}: no parentRefs")
    rules = spec.get("rules", [])
    require(0 < len(rules) <= 16, f"{where}: an HTTPRoute has 1 to 16 rules")
    for rule in rules:
        for match in rule.get("matches", []):
            path = match.get("path", {})
            require(path.get("type") in ("Exact", "PathPrefix"), f"{where}: path type {path.get('type')}")
            require(path.get("value", "").startswith("/"), f"{where}: path {path.get('value')!r}")
        for backend in rule.get("backendRefs", []):
            require(backend.get("name") and backend.get("port"), f"{where}: backendRef without name or port")
        for flt in rule.get("filters", []):
            require(flt.get("type") == "URLRewrite" and flt.get("urlRewrite"), f"{where}: filter {flt}")
            host = flt["urlRewrite"].get("hostname")
            if host:
                require(host.split(".")[1:] == [doc["metadata"].get("namespace"), "svc", "cluster", "local"],
                        f"{where}: {host} is not a service of the route's namespace")
            rewrite = flt["urlRewrite"].get("path")
            if rewrite:
                require(rewrite["type"] != "ReplacePrefixMatch" or path["type"] == "PathPrefix",
                        f"{where}: ReplacePrefixMatch needs a PathPrefix match")


CUSTOM = {
    ("serving.knative.dev/v1", "Service"): check_knative_service,
    ("openfaas.com/v1", "Function"): check_openfaas_function,
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): check_http_route,
}
CLUSTER_SCOPED = {"PersistentVolume", "Namespace"}


def check_references(docs, overlay):
    """ConfigMaps and claims that pods use exist in the rendering; the Secret comes from secret.example.yaml."""
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    text = yaml.safe_dump_all(docs)
    for doc in docs:
        for node in walk(doc):
            if isinstance(node, dict) and "configMapRef" in node:
                ref = node["configMapRef"]["name"]
                require(("ConfigMap", ref) in names, f"{overlay}: ConfigMap {ref} is not rendered")
            if isinstance(node, dict) and "secretRef" in node:
                require(node["secretRef"]["name"] == "scalelite", f"{overlay}: unknown secret {node}")
            if isinstance(node, dict) and "claimName" in node:
                claim = node["claimName"]
                require(("PersistentVolumeClaim", claim) in names, f"{overlay}: claim {claim} is not rendered")
    require(f"image: {PLACEHOLDER_IMAGE}\n" not in text, f"{overlay}: an image was left at the placeholder")


def walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def check_document(doc, overlay):
    kind, api_version, name = doc["kind"], doc["apiVersion"], doc["metadata"]["name"]
    where = f"{overlay}/{kind}/{name}"
    if overlay != "base" and kind not in CLUSTER_SCOPED:
        require(doc["metadata"].get("namespace"), f"{where}: no namespace")
    custom = CUSTOM.get((api_version, kind))
    if custom:
        custom(doc, where)
    else:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        pod = doc.get("spec", {})
        pod = pod.get("jobTemplate", {}).get("spec", pod).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            check_container(container, where)
            require(container.get("resources", {}).get("limits"), f"{where}: no resource limits")
    return where


NGINX_VARIABLES = ("SCALELITE_API_URL", "SCALELITE_RECORDING_RESOURCE_URL", "SCALELITE_RECORDING_TOKEN_LINK_URL",
                   "SCALELITE_RECORDING_AUTHORIZE_URL", "SCALELITE_RECORDING_CAPTIONS_URL")


def check_nginx_template(template):
    """The template with its variables filled in, inside an http block, passes `nginx -t`."""
    server = template.read_text()
    for name in NGINX_VARIABLES:
        server = server.replace("${" + name + "}", "http://127.0.0.1:3000")
    require("${" not in server, f"{template.name}: a variable nginx.yaml does not set")
    with tempfile.TemporaryDirectory() as work:
        conf = pathlib.Path(work) / "nginx.conf"
        (pathlib.Path(work) / "server.conf").write_text(server)
        conf.write_text(f"pid {work}/nginx.pid;\nerror_log {work}/error.log;\nevents {{}}\n"
                        f"http {{ access_log off; include {work}/server.conf; }}\n")
        result = subprocess.run(["nginx", "-t", "-c", str(conf)], capture_output=True, text=True)
        require(result.returncode == 0, result.stderr.strip())


def main():
    kubectl = sys.argv[1]
    passed, failed = 0, 0

    def run(where, check):
        nonlocal passed, failed
        try:
            check()
            print(f"test {where} ... ok")
            passed += 1
        except Exception as error:  # noqa: BLE001 - every failure is reported the same way
            print(f"test {where} ... FAILED\n    {type(error).__name__}: {error}")
            failed += 1

    scratch = tempfile.TemporaryDirectory()
    targets = [("base", ROOT / "base")] + [(p.name, p) for p in sorted((ROOT / "overlays").iterdir())]
    # Each component on top of the base, as an operator would add it.
    for component in sorted((ROOT / "components").iterdir()):
        path = pathlib.Path(scratch.name) / component.name
        path.mkdir()
        (path / "kustomization.yaml").write_text(yaml.safe_dump({
            "namespace": "scalelite",
            "resources": [os.path.relpath(ROOT / "base", path)],
            "components": [os.path.relpath(component, path)],
            "images": [{"name": PLACEHOLDER_IMAGE, "newName": "registry.example.com/scalelite-rs"}],
        }))
        targets.append((f"components/{component.name}", path))
    for overlay, path in targets:
        try:
            rendered = subprocess.run([kubectl, "kustomize", str(path)], check=True, capture_output=True,
                                      text=True).stdout
        except subprocess.CalledProcessError as error:
            run(f"{overlay} renders", lambda: require(False, error.stderr.strip()))
            continue
        docs = [d for d in yaml.safe_load_all(rendered) if d]
        run(f"{overlay} renders", lambda: require(docs, "nothing rendered"))
        for doc in docs:
            where = f"{overlay}/{doc['kind']}/{doc['metadata']['name']}"
            run(where, lambda doc=doc: check_document(doc, overlay))
        if overlay != "base":
            run(f"{overlay} references", lambda: check_references(docs, overlay))
    for doc in yaml.safe_load_all((ROOT / "base" / "secret.example.yaml").read_text()):
        run(f"secret.example/{doc['metadata']['name']}",
            lambda doc=doc: kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True))

    templates = sorted(ROOT.glob("**/*.conf.template"))
    if shutil.which("nginx"):
        for template in templates:
            run(f"nginx -t {template.relative_to(ROOT)}", lambda template=template: check_nginx_template(template))
    else:
        reason = "no nginx; apt-get install nginx-light"
        if os.environ.get("CI"):
            print(f"FAILED: nginx -t cannot run ({reason}), and CI needs it")
            failed += 1
        for template in templates:
            print(f"skipped: nginx -t {template.relative_to(ROOT)} ({reason})")
            ledger = os.environ.get("SCALELITE_SKIP_LEDGER")
            if ledger:
                with open(ledger, "a", encoding="utf-8") as file:
                    file.write(f"suite\tnginx -t {template.relative_to(ROOT)}: {reason}\n")

    status = "ok" if failed == 0 else "FAILED"
    print(f"\ntest result: {status}. {passed} passed; {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
