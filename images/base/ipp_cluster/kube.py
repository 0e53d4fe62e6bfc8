"""The scaler's client of the Kubernetes API: in the Pod's own namespace, with the token, CA and namespace
that its projected volume holds (only the scaler's container mounts it), at the address every container
of a Pod is given (KUBERNETES_SERVICE_HOST and _PORT). It asks for nothing but what the scaler's Role
allows: the scale subresource of the worker Deployments, and patches of worker pods' annotations."""
import json
import os
import ssl
import urllib.error
import urllib.request

ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
TIMEOUT_SECONDS = 10
# Prefer the worker pods chosen to go: the ReplicaSet removes the lowest cost first.
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


class KubeError(Exception):
    pass


class Kube:
    def __init__(self, account_dir=ACCOUNT_DIR, environ=os.environ):
        with open(os.path.join(account_dir, "namespace")) as f:
            self.namespace = f.read().strip()
        self.account_dir = account_dir
        host, port = environ["KUBERNETES_SERVICE_HOST"], environ.get("KUBERNETES_SERVICE_PORT", "443")
        self.base = f"https://{f'[{host}]' if ':' in host else host}:{port}"
        self.context = ssl.create_default_context(cafile=os.path.join(account_dir, "ca.crt"))

    def token(self):
        """Read again at every request: the kubelet renews it in place."""
        with open(os.path.join(self.account_dir, "token")) as f:
            return f.read().strip()

    def request(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS, context=self.context) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            raise KubeError(f"{method} {path}: {e.code} {e.read().decode(errors='replace')[:300]}") from e
        except OSError as e:
            raise KubeError(f"{method} {path}: {e}") from e

    def scale_path(self, deployment):
        return f"/apis/apps/v1/namespaces/{self.namespace}/deployments/{deployment}/scale"

    def replicas(self, deployment):
        """The replicas a Deployment asks for (its scale subresource's spec)."""
        return int(self.request("GET", self.scale_path(deployment))["spec"].get("replicas", 0))

    def scale(self, deployment, replicas):
        self.request("PATCH", self.scale_path(deployment), {"spec": {"replicas": int(replicas)}}, "application/merge-patch+json")

    def annotate(self, pod, annotations):
        """Sets annotations of a pod (a merge patch of its metadata, nothing else)."""
        path = f"/api/v1/namespaces/{self.namespace}/pods/{pod}"
        return self.request("PATCH", path, {"metadata": {"annotations": annotations}}, "application/merge-patch+json")
