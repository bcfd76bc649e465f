import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import {
  Gateway,
  HTTPRoute,
  ReferenceGrant,
} from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';

interface Validatable {
  validate(): void;
}

/**
 * Every apiVersion/kind the chart may render, or k8s/ applies beside it, with the schema-carrying model of
 * kubernetes-models.
 */
const MODELS: Record<string, new (data: never) => Validatable> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Pod': Pod,
  'v1/Namespace': Namespace,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
  'gateway.networking.k8s.io/v1/Gateway': Gateway,
  'gateway.networking.k8s.io/v1/ReferenceGrant': ReferenceGrant,
  'cert-manager.io/v1/Certificate': Certificate,
};

/**
 * Validates one object against the Kubernetes (or CRD) OpenAPI schema of its kind. Answers the problems,
 * empty when there are none; a kind without a known schema is a problem too, so nothing goes unchecked.
 */
export function schemaProblems(object: { apiVersion: string; kind: string }): string[] {
  const { apiVersion, kind } = object;
  const Model = MODELS[`${apiVersion}/${kind}`];
  if (!Model) return [`no schema known for ${apiVersion} ${kind}`];
  try {
    // `source` is the test's note of the template, not part of the object.
    const data: Record<string, unknown> = { ...object };
    delete data.source;
    new Model(data as never).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
