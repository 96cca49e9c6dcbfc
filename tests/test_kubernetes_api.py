"""operations/kubernetes_api.py: the EKS token and the HTTPS client, against the stand-in API
server, which checks tokens as EKS's authenticator does (tests/kubernetes_standin.py)."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from operations.kubernetes_api import (
    ClusterAccess,
    KubernetesApi,
    KubernetesError,
    KubernetesUnreachable,
    describe_cluster,
    eks_token,
)
from tests.tls import make_pki

CLUSTER, REGION = "erlmcp-prod-eu-west-1", "eu-west-1"


@pytest.fixture
def session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing"
    )


def api_for(kubernetes, session, cluster: str = CLUSTER, token_cluster: str = CLUSTER, **kwargs):
    access = ClusterAccess(cluster, REGION, kubernetes.endpoint(cluster), kubernetes.ca_pem)
    return KubernetesApi(access, lambda: eks_token(session, token_cluster, REGION), **kwargs)


def test_token_is_a_presigned_regional_get_caller_identity(session, monkeypatch):
    # Regional even where the SDK is set to sign for the global endpoint.
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")
    token = eks_token(session, CLUSTER, REGION)
    assert token.startswith("k8s-aws-v1.") and "=" not in token
    encoded = token.removeprefix("k8s-aws-v1.")
    url = urlsplit(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode())
    query = parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("https", f"sts.{REGION}.amazonaws.com", "/")
    assert query["Action"] == ["GetCallerIdentity"]
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]


def test_the_cluster_accepts_its_token(kubernetes, session):
    kubernetes.cluster(CLUSTER).add_release("erlmcp-prod", replicas=2, ready=2, version="3.0.0")
    answer = api_for(kubernetes, session).get(
        "/apis/apps/v1/namespaces/erlmcp-prod/statefulsets/erlmcp-cluster"
    )
    assert answer["status"]["readyReplicas"] == 2
    assert kubernetes.refused == []


def test_a_token_for_another_cluster_is_refused(kubernetes, session):
    kubernetes.cluster(CLUSTER)
    api = api_for(kubernetes, session, token_cluster="erlmcp-prod-eu-central-1")
    with pytest.raises(KubernetesError) as refused:
        api.get("/api/v1/namespaces/erlmcp-prod/pods")
    assert refused.value.status == 401
    assert kubernetes.refused == [f"signature does not match a token for cluster {CLUSTER}"]


def test_a_server_the_cluster_ca_did_not_sign_is_not_trusted(kubernetes, session, tmp_path):
    kubernetes.cluster(CLUSTER)
    other_ca = make_pki(tmp_path, []).ca_pem
    access = ClusterAccess(CLUSTER, REGION, kubernetes.endpoint(CLUSTER), other_ca)
    api = KubernetesApi(access, lambda: eks_token(session, CLUSTER, REGION))
    with pytest.raises(KubernetesUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
        api.get("/api/v1/namespaces/erlmcp-prod/pods")


def test_no_answer_is_unreachable_and_a_missing_object_is_deleted_already(kubernetes, session):
    kubernetes.cluster(CLUSTER)
    api_for(kubernetes, session).delete("/api/v1/namespaces/default/pods/gone")
    closed = ClusterAccess(CLUSTER, REGION, "https://127.0.0.1:9", kubernetes.ca_pem)
    with pytest.raises(KubernetesUnreachable):
        KubernetesApi(closed, lambda: "t", timeout=2).get("/api/v1/namespaces/default/pods")


def test_describe_cluster_reads_the_address_and_the_pem_ca():
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    class Eks:
        def describe_cluster(self, name):
            assert name == CLUSTER
            data = base64.b64encode(pem.encode()).decode()
            return {
                "cluster": {
                    "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com/",
                    "certificateAuthority": {"data": data},
                }
            }

    access = describe_cluster(Eks(), CLUSTER, REGION)
    assert access == ClusterAccess(
        CLUSTER, REGION, "https://ABC.gr7.eu-west-1.eks.amazonaws.com", pem
    )
