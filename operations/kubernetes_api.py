"""The Kubernetes API of an EKS cluster over plain HTTPS, with an EKS token: what `kubectl` and
`aws eks get-token` do, without either in a shell and without a Kubernetes client library.

**The token** is the one aws-iam-authenticator makes and EKS verifies (read at commit 81b1dab,
kubernetes-sigs/aws-iam-authenticator pkg/token/token.go): a GetCallerIdentity request to STS,
presigned with the caller's credentials and with the header `x-k8s-aws-id: <cluster name>`
signed in (`GetWithSTS`, lines 356-387: `clusterIDHeader`, `X-Amz-Expires` 60, which STS ignores:
the URL is good for 15 minutes after its `X-Amz-Date`), then `k8s-aws-v1.` + the URL in
unpadded URL-safe base64 (`base64.RawURLEncoding`, line 387). The verifier (`Verify`, lines
594-690) wants https, an STS host (`sts.amazonaws.com` or a region's `sts.<region>.amazonaws.com`,
`verifyHost`), path `/`, only the SigV4 query parameters, Action GetCallerIdentity, and the
cluster header among the signed headers; it then sends the request to STS with its own cluster
name in that header, so a token made for another cluster fails the signature. The STS endpoint
here is the cluster's own region's: a region's check must not depend on us-east-1's STS.

The token is made locally (presigning sends nothing), so each request gets a fresh one: no
15-minute expiry to track during a long drill.

**The cluster's address and CA** come from EKS DescribeCluster (`endpoint`,
`certificateAuthority.data`: base64 of the PEM). The caller needs Kubernetes permissions through
an EKS access entry (components/eks.py: the identity that ran `pulumi up` is cluster admin).
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
# aws-iam-authenticator `requestPresignParam`: ignored by STS, checked to be 0..900 by EKS.
TOKEN_EXPIRES_SECONDS = 60


class KubernetesError(Exception):
    """The API answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class KubernetesUnreachable(Exception):
    """No answer: the connection failed or timed out."""


def eks_token(session: boto3.session.Session, cluster_name: str, region: str) -> str:
    """The bearer token EKS accepts for `cluster_name`, signed for STS in `region`."""
    sts = session.client(
        "sts", region_name=region, endpoint_url=f"https://sts.{region}.amazonaws.com"
    )

    def sign_cluster_id(request: Any, **_: Any) -> None:
        request.headers[CLUSTER_ID_HEADER] = cluster_name

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", sign_cluster_id)
    url = sts.generate_presigned_url(
        "get_caller_identity", Params={}, ExpiresIn=TOKEN_EXPIRES_SECONDS, HttpMethod="GET"
    )
    encoded = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    return TOKEN_PREFIX + encoded


@dataclass(frozen=True)
class ClusterAccess:
    name: str
    region: str
    endpoint: str
    """`https://...`, no trailing slash."""
    ca_pem: str


def describe_cluster(eks: Any, name: str, region: str) -> ClusterAccess:
    """The cluster's API address and CA, as EKS reports them."""
    cluster = eks.describe_cluster(name=name)["cluster"]
    ca_pem = base64.b64decode(cluster["certificateAuthority"]["data"]).decode()
    return ClusterAccess(name, region, str(cluster["endpoint"]).rstrip("/"), ca_pem)


class KubernetesApi:
    """JSON requests to one cluster, each with a fresh token; TLS verified against the
    cluster's own CA."""

    def __init__(
        self, access: ClusterAccess, token: Callable[[], str], *, timeout: float = 10
    ) -> None:
        self.access = access
        self._token = token
        self._timeout = timeout
        self._tls = ssl.create_default_context(cadata=access.ca_pem)

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return json.loads(self._request("GET", path, params))

    def text(self, path: str, params: Mapping[str, str] | None = None) -> str:
        return self._request("GET", path, params).decode("utf-8", "replace")

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return json.loads(self._request("POST", path, None, body))

    def delete(self, path: str) -> None:
        """Deleted, or already gone (404)."""
        try:
            self._request("DELETE", path)
        except KubernetesError as error:
            if error.status != 404:
                raise

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> bytes:
        url = self.access.endpoint + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        request = urllib.request.Request(url, method=method)
        request.add_header("Authorization", f"Bearer {self._token()}")
        request.add_header("Accept", "application/json")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(
                request, data=data, timeout=self._timeout, context=self._tls
            ) as answer:
                return answer.read()
        except urllib.error.HTTPError as error:
            raise KubernetesError(error.code, _status_message(error)) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise KubernetesUnreachable(f"{self.access.endpoint}: {reason}") from None


def _status_message(error: urllib.error.HTTPError) -> str:
    """A Kubernetes `Status` object's message, or the body as it came."""
    body = error.read().decode("utf-8", "replace")
    try:
        return str(json.loads(body).get("message") or body)
    except ValueError:
        return body or str(error.reason)
