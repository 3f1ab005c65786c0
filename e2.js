export { validate as deployment } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment.js';
export { validate as pod } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Pod.js';
export { validate as cronjob } from 'kubernetes-models/_schemas/IoK8sApiBatchV1CronJob.js';
export { validate as container } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Container.js';
