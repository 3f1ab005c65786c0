import crdJson from '../../../schemas/k8s/admission-crds.json';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Container } from 'kubernetes-models/v1/Container';
import { Pod } from 'kubernetes-models/v1/Pod';
import { PodSpec } from 'kubernetes-models/v1/PodSpec';
import { PodTemplate } from 'kubernetes-models/v1/PodTemplate';
import { ReplicationController } from 'kubernetes-models/v1/ReplicationController';
import { Volume } from 'kubernetes-models/v1/Volume';

/**
 * The schema data of the k8s engine, loaded on the first manifest (the extension builds it into
 * dist/extension-k8s-schemas.js, see esbuild.js LAZY; reach it only with `await import()`): the
 * validators `kubernetes-models` precompiles from the Kubernetes OpenAPI document, and the
 * admission-policy CRD schemas (schemas/k8s/admission-crds.json).
 */

export interface Validatable {
  validate(): void;
}
export type ModelClass = new (data: unknown) => Validatable;

/** kind@apiVersion (or a Kubernetes type name) → its model class. */
export const MODELS: Readonly<Record<string, ModelClass>> = {
  'Pod@v1': Pod as unknown as ModelClass,
  'PodTemplate@v1': PodTemplate as unknown as ModelClass,
  'ReplicationController@v1': ReplicationController as unknown as ModelClass,
  'Deployment@apps/v1': Deployment as unknown as ModelClass,
  'StatefulSet@apps/v1': StatefulSet as unknown as ModelClass,
  'DaemonSet@apps/v1': DaemonSet as unknown as ModelClass,
  'ReplicaSet@apps/v1': ReplicaSet as unknown as ModelClass,
  'Job@batch/v1': Job as unknown as ModelClass,
  'CronJob@batch/v1': CronJob as unknown as ModelClass,
  PodSpec: PodSpec as unknown as ModelClass,
  Container: Container as unknown as ModelClass,
  Volume: Volume as unknown as ModelClass,
};

export const CRDS = crdJson as unknown;
