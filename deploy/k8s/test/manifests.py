#!/usr/bin/env python3
"""What kubectl cannot check without a cluster: the manifests hang together, and the commands
they describe run.

  manifests.py check FILE...
      Cross-references across the manifests and secrets: every Secret, key, ConfigMap and volume
      a pod names exists (optional ConfigMaps excepted), every $(VAR) in a command is defined,
      every file an argument points into lies on a mount that provides it, the Service selects
      the coordinator's pods and its port is the one the coordinator binds and the workers
      connect to. Prints one line per problem; exit 1 if any.

  manifests.py pod FILE... --kind KIND --name NAME --root DIR --bin DIR [--env K=V]...
      Lays out the container's mounts under DIR as the kubelet would (Secret items with their
      mode and group 65532 (fsGroup), emptyDir and volume claims as group-writable folders,
      optional ConfigMaps as empty folders) and prints the container's argv, NUL-separated,
      with $(VAR) expanded as the kubelet does (env values, secretKeyRef, resourceFieldRef
      rounded up) and every path under a mount moved under DIR.

Needs PyYAML (kubernetes-validate installs it).
"""
import base64
import math
import os
import re
import sys

import yaml

VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def load(files):
    docs = []
    for f in files:
        with open(f) as fh:
            docs += [d for d in yaml.safe_load_all(fh) if d]
    return docs


def find(docs, kind, name=None):
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def pod_spec(doc):
    return doc["spec"]["template"]["spec"]


def cpu_units(q):
    q = str(q)
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


def env_of(container, docs, overrides):
    env = {}
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "secretKeyRef" in e.get("valueFrom", {}):
            ref = e["valueFrom"]["secretKeyRef"]
            secret = find(docs, "Secret", ref["name"])
            if secret:
                env[e["name"]] = base64.b64decode(secret[0]["data"][ref["key"]]).decode().strip()
        elif "resourceFieldRef" in e.get("valueFrom", {}):
            ref = e["valueFrom"]["resourceFieldRef"]
            kind, res = ref["resource"].split(".")
            value = container["resources"][kind][res]
            env[e["name"]] = str(math.ceil(cpu_units(value) / cpu_units(ref.get("divisor", "1"))))
    env.update(overrides)
    return env


def expand(arg, env):
    return VAR.sub(lambda m: env.get(m.group(1), m.group(0)), arg)


def mount_for(path, container):
    best = None
    for m in container.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best["mountPath"]):
                best = m
    return best


def check(docs):
    problems = []
    services = find(docs, "Service")
    workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")]
    bind_ports, connect_targets = [], []
    for w in workloads:
        wname = f'{w["kind"]}/{w["metadata"]["name"]}'
        spec = pod_spec(w)
        labels = w["spec"]["template"]["metadata"]["labels"]
        sel = w["spec"]["selector"]["matchLabels"]
        if any(labels.get(k) != v for k, v in sel.items()):
            problems.append(f"{wname}: selector {sel} does not match its pod labels {labels}")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        if w["kind"] == "StatefulSet":
            for t in w["spec"].get("volumeClaimTemplates", []):
                volumes[t["metadata"]["name"]] = {"name": t["metadata"]["name"], "persistentVolumeClaim": {}}
            if not find(docs, "Service", w["spec"]["serviceName"]):
                problems.append(f"{wname}: serviceName {w['spec']['serviceName']} is no Service here")
        for v in volumes.values():
            if "secret" in v:
                s = find(docs, "Secret", v["secret"]["secretName"])
                if not s:
                    problems.append(f"{wname}: volume {v['name']} names Secret {v['secret']['secretName']}, which does not exist")
                for item in v["secret"].get("items", []):
                    if s and item["key"] not in s[0].get("data", {}):
                        problems.append(f"{wname}: Secret {v['secret']['secretName']} has no key {item['key']}")
            if "configMap" in v and not v["configMap"].get("optional") and not find(docs, "ConfigMap", v["configMap"]["name"]):
                problems.append(f"{wname}: ConfigMap {v['configMap']['name']} does not exist and is not optional")
        for c in spec["containers"]:
            cname = f"{wname} container {c['name']}"
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    problems.append(f"{cname}: mount {m['mountPath']} names no volume {m['name']}")
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    s = find(docs, "Secret", ref["name"])
                    if not s or ref["key"] not in s[0].get("data", {}):
                        problems.append(f"{cname}: env {e['name']} names {ref['name']}/{ref['key']}, which does not exist")
                ref = e.get("valueFrom", {}).get("resourceFieldRef")
                if ref:
                    kind, res = ref["resource"].split(".")
                    if res not in c.get("resources", {}).get(kind, {}):
                        problems.append(f"{cname}: env {e['name']} reads {ref['resource']}, which is not set")
            names = {e["name"] for e in c.get("env", [])}
            argv = c.get("command", []) + c.get("args", [])
            for a in argv:
                for var in VAR.findall(a):
                    if var not in names:
                        problems.append(f"{cname}: $({var}) in its command is not in its env")
            for i, a in enumerate(argv):
                if a.startswith("/") and not a.startswith("/opt/urnnsweep/"):
                    m = mount_for(a, c)
                    if m is None:
                        problems.append(f"{cname}: {a} is on no volume mount (the root file system is read-only)")
                        continue
                    v = volumes.get(m["name"], {})
                    if "secret" in v:
                        rel = os.path.relpath(a, m["mountPath"])
                        items = [it["path"] for it in v["secret"].get("items", [])]
                        if items and rel not in items:
                            problems.append(f"{cname}: {a} is not an item of Secret volume {m['name']} ({items})")
                if a == "--bind" and i + 1 < len(argv):
                    bind_ports.append((wname, argv[i + 1].rsplit(":", 1)[1]))
                if a == "--connect" and i + 1 < len(argv):
                    connect_targets.append((wname, argv[i + 1]))
            for p in c.get("ports", []):
                if not any(p["containerPort"] == int(port) for _, port in bind_ports if _ == wname):
                    problems.append(f"{cname}: port {p['containerPort']} is not the port it binds ({bind_ports})")
    for svc in services:
        sname = f"Service/{svc['metadata']['name']}"
        sel = svc["spec"]["selector"]
        targets = [w for w in workloads if all(w["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in sel.items())]
        if len(targets) != 1:
            problems.append(f"{sname}: selects {len(targets)} workloads, expected 1")
            continue
        tw = f'{targets[0]["kind"]}/{targets[0]["metadata"]["name"]}'
        ports = [str(p["port"]) for p in svc["spec"]["ports"]]
        for w, port in bind_ports:
            if w == tw and port not in ports:
                problems.append(f"{sname}: port {ports} is not the port {tw} binds ({port})")
        for w, target in connect_targets:
            m = re.fullmatch(r"tcp://([^:/]+):(\d+)", target)
            if not m or m.group(1) != svc["metadata"]["name"] or m.group(2) not in ports:
                problems.append(f"{w}: connects to {target}, not to {sname} on {ports}")
    if not connect_targets:
        problems.append("no workload connects to a coordinator (--connect)")
    if not bind_ports:
        problems.append("no workload binds a coordinator endpoint (--bind)")
    return problems


def lay_out_pod(docs, kind, name, root, bin_dir, overrides):
    w = find(docs, kind, name)
    if not w:
        sys.exit(f"no {kind}/{name} in the files")
    spec = pod_spec(w[0])
    c = spec["containers"][0]
    group = spec.get("securityContext", {}).get("fsGroup")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        target = root + m["mountPath"]
        os.makedirs(target, exist_ok=True)
        v = volumes.get(m["name"], {})
        if "secret" in v:
            s = find(docs, "Secret", v["secret"]["secretName"])[0]
            items = v["secret"].get("items") or [{"key": k, "path": k} for k in s["data"]]
            for it in items:
                p = os.path.join(target, it["path"])
                with open(p, "wb") as fh:
                    fh.write(base64.b64decode(s["data"][it["key"]]))
                os.chmod(p, it.get("mode", v["secret"].get("defaultMode", 0o644)))
                if group is not None:
                    os.chown(p, 0, group)
        elif group is not None:  # fsGroup: the volume belongs to the group, setgid, group-writable
            os.chown(target, 0, group)
            os.chmod(target, 0o2775)
        else:
            os.chmod(target, 0o1777)
    env = env_of(c, docs, overrides)
    argv = [expand(a, env) for a in c.get("command", []) + c.get("args", [])]
    mapped = []
    for a in argv:
        if a.startswith("/opt/urnnsweep/bin/"):
            a = os.path.join(bin_dir, os.path.basename(a))
        elif a.startswith("/") and mount_for(a, c):
            a = root + a
        mapped.append(a)
    sys.stdout.write("\0".join(mapped))


def main(args):
    if not args or args[0] not in ("check", "pod"):
        sys.exit(__doc__)
    if args[0] == "check":
        problems = check(load(args[1:]))
        for p in problems:
            print(p)
        sys.exit(1 if problems else 0)
    files, opts, overrides = [], {}, {}
    it = iter(args[1:])
    for a in it:
        if a in ("--kind", "--name", "--root", "--bin"):
            opts[a[2:]] = next(it)
        elif a == "--env":
            k, _, v = next(it).partition("=")
            overrides[k] = v
        else:
            files.append(a)
    missing = [k for k in ("kind", "name", "root", "bin") if k not in opts]
    if missing:
        sys.exit(f"pod: missing --{', --'.join(missing)}")
    lay_out_pod(load(files), opts["kind"], opts["name"], opts["root"], opts["bin"], overrides)


if __name__ == "__main__":
    main(sys.argv[1:])
