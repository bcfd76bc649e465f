#!/usr/bin/env bash
# One command from nothing to a kind cluster ready for `skaffold dev -p kind`: the cluster (ports 80/443 on
# the host), the ingress-nginx controller, ready, and the TLS secret for HOST.
# Usage: kind-up.sh [HOST]   (npm run kind:up)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
host=${1:-shaservice.test}

if ! kind get clusters | grep -qx shaservice; then
  kind create cluster --config "$here/kind-cluster.yaml"
fi
kubectl config use-context kind-shaservice

# ingress-nginx was retired upstream in March 2026: chart 4.15.1 (controller 1.15.1) is its last release.
# Pinned, so every new cluster gets that release and not whatever the repository index says; the Gateway
# API path (k8s/gateway/kind-up.sh) is the one whose implementations still receive releases.
ingress_nginx_chart_version=4.15.1

helm upgrade --install ingress-nginx ingress-nginx \
  --repo https://kubernetes.github.io/ingress-nginx --version "$ingress_nginx_chart_version" \
  --namespace ingress-nginx --create-namespace \
  --values "$here/values-kind.yaml" --values "$here/values-proxy.yaml" --wait --timeout 5m
kubectl wait --namespace ingress-nginx --for=condition=ready pod \
  --selector=app.kubernetes.io/component=controller --timeout=180s

"$here/make-tls-secret.sh" "$host" shaservice-tls default
echo "Ready: skaffold dev -p kind, then curl --cacert $here/.tls/$host.crt --resolve $host:443:127.0.0.1 https://$host/healthz"
