import { systemScope } from '../../platform/context.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import type { Transaction } from '../../platform/store/port.ts';
import type { JsonValue } from './domain/config-schema.ts';
import type { Environment } from './domain/config-versioning.ts';
import { configs, configVersions, deployments } from './store.ts';

/** The consumer group that acts on monitoring's rollback requests. */
export const ROLLBACK_CONSUMER = 'implementation-auto-rollback';
const ENVIRONMENTS: readonly string[] = ['DEV', 'STAGING', 'PRODUCTION'];

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) ? value : null);
const text = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);

/**
 * Acts on `monitoring.rollback.requested` (lifecycle's monitoring, topic monitoring_incidents):
 * redeploys the previous version to the environment — only if the incident's version is still the
 * one deployed there, and the target version exists — with a `config.deployed` event (the runtime
 * hot-reloads it) and `config.auto_rolled_back`; otherwise `config.rollback.skipped` with the reason.
 * The target ran in that environment before, so no approval or promotion rule is bypassed.
 */
export const applyRollbackRequest = async (deps: SubgraphDeps, event: EventEnvelope, tx: Transaction): Promise<void> => {
  const scope = systemScope(event.tenantId, 'auto-rollback consumer');
  const p = event.payload;
  const incidentId = text(p.incidentId);
  const configId = text(p.configId);
  const environment = text(p.environment);
  const version = num(p.version);
  const toVersion = num(p.toVersion);
  const skip = (reason: string): void => {
    const provenance = deps.provenance.build({ method: 'RULE', inputs: { eventId: event.id, reason }, explanation: `Automatic rollback skipped: ${reason}`, confidence: 1 }, event.correlationId);
    tx.emit({ type: 'config.rollback.skipped', topic: 'config_events', subject: { typename: 'Config', id: configId ?? event.subject.id }, payload: { incidentId, configId, environment, version, toVersion, reason } }, provenance);
  };
  if (!configId || !environment || !ENVIRONMENTS.includes(environment) || version === null || toVersion === null) return skip('the request is incomplete');
  const config = await deps.store.collection(configs).get(scope, configId);
  if (!config) return skip('the configuration no longer exists');
  const env = environment as Environment;
  const current = config.deployed[env] ?? null;
  if (current !== version) return skip(`version ${version} is no longer deployed to ${env} (now ${current ?? 'none'})`);
  const target = await deps.store.collection(configVersions).findOne(scope, { configId, number: toVersion });
  if (!target) return skip(`version ${toVersion} does not exist`);
  const ranThere = (await deps.store.collection(deployments).count(scope, { configId, environment: env, digest: target.digest })) > 0;
  if (!ranThere) return skip(`version ${toVersion} never ran in ${env}`);

  const deployedAt = new Date().toISOString();
  const provenance = deps.provenance.build(
    { method: 'RULE', inputs: { incidentId, configId, environment: env, fromVersion: version, toVersion }, explanation: `Automatic rollback of ${env} from version ${version} to ${toVersion} for monitoring incident ${incidentId}: ${text(p.reason) ?? 'thresholds breached'}`, confidence: 1 },
    event.correlationId,
  );
  const deployment = tx.insert(
    deployments,
    { configId, versionId: target.id, versionNumber: target.number, environment: env, digest: target.digest, previousVersion: current, deployedBy: { id: ROLLBACK_CONSUMER, kind: 'system' }, deployedAt },
    provenance,
  );
  tx.update(configs, config, { deployed: { ...config.deployed, [env]: target.number } }, provenance);
  tx.emit(
    {
      type: 'config.deployed',
      topic: 'config_events',
      subject: { typename: 'Deployment', id: deployment.id },
      payload: { configId, configName: config.name, productType: config.productType, version: target.number, versionId: target.id, environment: env, previousVersion: current, digest: target.digest, document: JSON.parse(target.document) as JsonValue, autoRollback: true, incidentId },
    },
    provenance,
  );
  tx.emit({ type: 'config.auto_rolled_back', topic: 'config_events', subject: { typename: 'Deployment', id: deployment.id }, payload: { incidentId, configId, name: config.name, environment: env, fromVersion: current, toVersion: target.number, deploymentId: deployment.id } }, provenance);
};
