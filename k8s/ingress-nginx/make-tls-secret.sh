#!/usr/bin/env bash
# Makes a self-signed certificate for HOST and stores it as a kubernetes.io/tls Secret that the chart's
# Ingress names (ingress.tls.secretName). The certificate stays in k8s/ingress-nginx/.tls/ for
# `curl --cacert`.
# Usage: make-tls-secret.sh [HOST] [SECRET_NAME] [NAMESPACE]
set -euo pipefail
host=${1:-shaservice.test}
secret=${2:-shaservice-tls}
namespace=${3:-default}
dir="$(cd "$(dirname "$0")" && pwd)/.tls"
mkdir -p "$dir"

if [ ! -s "$dir/$host.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 \
    -keyout "$dir/$host.key" -out "$dir/$host.crt" \
    -subj "/CN=$host" -addext "subjectAltName=DNS:$host" 2>/dev/null
fi

# apply, not create, so running it again is harmless.
kubectl create secret tls "$secret" --namespace "$namespace" \
  --cert "$dir/$host.crt" --key "$dir/$host.key" --dry-run=client -o yaml | kubectl apply -f -
echo "TLS secret $namespace/$secret for $host; CA file for curl: $dir/$host.crt"
