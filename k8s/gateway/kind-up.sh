#!/usr/bin/env bash
# One command from nothing to a kind cluster ready for `skaffold dev -p kind-gateway`, without ingress-nginx:
# the cluster, the Gateway API CRDs, cloud-provider-kind as the Gateway implementation, the TLS secret for HOST
# and the Gateway (k8s/gateway/*.yaml). Prints how to reach the API through it.
# Usage: kind-up.sh [HOST]   (npm run kind:gateway); HOST must be shaservice.test, the host the
# kind-gateway skaffold profile's release answers (refused otherwise, saying what to do instead).
#
# Why cloud-provider-kind: kind's own documentation (Ingress and LoadBalancer pages, 2026) points to it; since
# v0.9.0 it implements Gateway API natively (its Envoy runs in a container beside the node, with an address
# of its own), and the Kubernetes blog's "Experimenting with Gateway API using kind" (January 2026) uses it.
# It is a process on the host, not a chart: it needs the Docker socket to start those containers.
# Its GatewayClass lists what it supports (kubectl get gatewayclass cloud-provider-kind -o
# jsonpath='{.status.supportedFeatures}'): its 2026 sources list the 308 redirect (else set
# httpRoute.httpsRedirect.statusCode=301) but not HTTPRoute timeouts, so on kind the route's timeouts may not
# be enforced (README: Exposing the API). Envoy Gateway, from its Helm chart, enforces both; the chart's
# HTTPRoute works with either.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
host=${1:-shaservice.test}
# The kind-gateway skaffold profile installs the chart with its default host, shaservice.test, and skaffold has
# no flag to change a chart value: a certificate for another host would not match the route. Refuse it rather
# than print commands that fail.
if [ "$host" != shaservice.test ]; then
  echo "kind-up.sh: the kind-gateway profile answers shaservice.test only; for $host, run this without HOST" >&2
  echo "  and install the chart with helm: --set httpRoute.enabled=true --set 'httpRoute.hostnames[0]=$host'" >&2
  echo "  after k8s/ingress-nginx/make-tls-secret.sh $host shaservice-tls default" >&2
  exit 2
fi
cluster=shaservice-gateway

# Pinned: the standard channel only (no experimental CRDs), at a release whose HTTPRoute allows the 308
# redirect (303, 307 and 308 came in v1.5) and whose ReferenceGrant is served as v1.
gateway_api_version=v1.6.3
cloud_provider_kind_version=v0.10.0

if ! kind get clusters | grep -qx "$cluster"; then
  kind create cluster --config "$here/kind-cluster.yaml"
fi
kubectl config use-context "kind-$cluster"

kubectl apply --server-side \
  -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/$gateway_api_version/standard-install.yaml"
kubectl wait --for condition=Established --timeout=60s \
  crd/gatewayclasses.gateway.networking.k8s.io crd/gateways.gateway.networking.k8s.io \
  crd/httproutes.gateway.networking.k8s.io crd/referencegrants.gateway.networking.k8s.io

# One cloud-provider-kind serves every kind cluster of the host. --gateway-channel disabled: it would otherwise
# install the copy of the CRDs built into it (v1.4.0 in v0.10.0) at start-up, which the safe-upgrades
# ValidatingAdmissionPolicy of newer releases refuses, and then fails to start.
# A binary run by hand shows up by its path (pgrep -x would compare only the first 15 characters of the name,
# "cloud-provider-", and never match); the container is started again if it exists but is stopped, since
# `docker run --name` refuses a name in use.
if ! pgrep -f '(^|/)cloud-provider-kind( |$)' >/dev/null; then
  if [ -n "$(docker ps -aq --filter name='^cloud-provider-kind$')" ]; then
    if [ -z "$(docker ps -q --filter name='^cloud-provider-kind$')" ]; then
      docker start cloud-provider-kind
    fi
  else
    docker run -d --name cloud-provider-kind --restart unless-stopped --network host \
      -v /var/run/docker.sock:/var/run/docker.sock \
      "registry.k8s.io/cloud-provider-kind/cloud-controller-manager:$cloud_provider_kind_version" \
      --gateway-channel disabled
  fi
fi
echo "Waiting for the GatewayClass cloud-provider-kind ..."
for _ in $(seq 60); do
  kubectl get gatewayclass cloud-provider-kind >/dev/null 2>&1 && break
  sleep 2
done
kubectl wait --for=condition=Accepted --timeout=120s gatewayclass/cloud-provider-kind

# The same self-signed certificate and Secret as the Ingress path (shaservice-tls in default), and the grant
# that lets the Gateway in gateway-system read it.
"$here/../ingress-nginx/make-tls-secret.sh" "$host" shaservice-tls default
kubectl apply -f "$here/namespace.yaml" -f "$here/reference-grant.yaml" -f "$here/gateway.yaml"
kubectl wait --namespace gateway-system --for=condition=Programmed --timeout=180s gateway/gateway
address=$(kubectl get gateway gateway --namespace gateway-system -o jsonpath='{.status.addresses[0].value}')

ca="$here/../ingress-nginx/.tls/$host.crt"
cat <<DONE
Ready: Gateway gateway-system/gateway at $address. Next:
  skaffold dev -p kind-gateway
then, in another terminal:
  curl --cacert $ca --resolve $host:443:$address https://$host/messages -H 'Content-Type: application/json' -d '{"message": "foo"}'
  curl -s -o /dev/null -w '%{http_code} %{redirect_url}\n' --resolve $host:80:$address http://$host/healthz   # 308 to https
DONE
