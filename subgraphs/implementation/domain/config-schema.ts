/**
 * The bot configuration document (FR-7.1) and a small JSON-Schema-like validator. Pure.
 * Errors name the offending path (e.g. `voice.speed`) so a dashboard can mark the field.
 */
import { SUPPORTED_INTEGRATIONS, type ProductType } from './prd-engine.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface BotConfigDocument {
  schemaVersion: 1;
  productType: ProductType;
  model: string;
  systemPrompt: string;
  objectives: string[];
  tools: Array<{ name: string; enabled: boolean; description?: string }>;
  integrations: Array<{ provider: string; enabled: boolean }>;
  voice: { speed: number; clarity: number; style: string; backgroundSound: string | null } | null;
  escalationRules: Array<{ trigger: string; action: string; target: string }>;
  kpis: Array<{ name: string; target: number; unit: string | null }>;
  edgeCases: string[];
}

export const MODELS = ['gpt-4', 'gpt-4o', 'gpt-3.5-turbo', 'claude-3-opus', 'claude-3-sonnet', 'claude-3-haiku'] as const;
export const ESCALATION_ACTIONS = ['HANDOFF_TO_HUMAN', 'CREATE_TICKET', 'NOTIFY_TEAM'] as const;

/** A schema node: the subset of JSON Schema the config needs. */
export type SchemaNode =
  | { type: 'string'; minLength?: number; maxLength?: number; enum?: readonly string[]; pattern?: RegExp; nullable?: boolean }
  | { type: 'number'; minimum?: number; maximum?: number; integer?: boolean; nullable?: boolean }
  | { type: 'boolean'; nullable?: boolean }
  | { type: 'array'; items: SchemaNode; maxItems?: number; nullable?: boolean }
  | { type: 'object'; properties: Record<string, SchemaNode>; required: readonly string[]; nullable?: boolean };

export interface FieldError {
  path: string;
  message: string;
}

const str = (extra: Omit<Extract<SchemaNode, { type: 'string' }>, 'type'> = {}): SchemaNode => ({ type: 'string', ...extra });

export const BOT_CONFIG_SCHEMA: SchemaNode = {
  type: 'object',
  required: ['schemaVersion', 'productType', 'model', 'systemPrompt', 'tools', 'integrations', 'voice', 'escalationRules'],
  properties: {
    schemaVersion: { type: 'number', minimum: 1, maximum: 1, integer: true },
    productType: str({ enum: ['CHATBOT', 'VOICEBOT'] }),
    model: str({ enum: MODELS }),
    systemPrompt: str({ minLength: 20, maxLength: 8000 }),
    objectives: { type: 'array', maxItems: 50, items: str({ minLength: 1, maxLength: 500 }) },
    tools: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        required: ['name', 'enabled'],
        properties: { name: str({ pattern: /^[a-z][a-z0-9_]{1,63}$/ }), enabled: { type: 'boolean' }, description: str({ maxLength: 500 }) },
      },
    },
    integrations: {
      type: 'array',
      maxItems: 20,
      items: { type: 'object', required: ['provider', 'enabled'], properties: { provider: str({ enum: SUPPORTED_INTEGRATIONS }), enabled: { type: 'boolean' } } },
    },
    voice: {
      type: 'object',
      nullable: true,
      required: ['speed', 'clarity', 'style'],
      properties: {
        speed: { type: 'number', minimum: 0.5, maximum: 2 },
        clarity: { type: 'number', minimum: 0, maximum: 1 },
        style: str({ minLength: 1, maxLength: 60 }),
        backgroundSound: str({ maxLength: 60, nullable: true }),
      },
    },
    escalationRules: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        required: ['trigger', 'action', 'target'],
        properties: { trigger: str({ minLength: 3, maxLength: 500 }), action: str({ enum: ESCALATION_ACTIONS }), target: str({ minLength: 1, maxLength: 120 }) },
      },
    },
    kpis: {
      type: 'array',
      maxItems: 50,
      items: { type: 'object', required: ['name', 'target'], properties: { name: str({ minLength: 1, maxLength: 200 }), target: { type: 'number' }, unit: str({ maxLength: 20, nullable: true }) } },
    },
    edgeCases: { type: 'array', maxItems: 100, items: str({ minLength: 1, maxLength: 500 }) },
  },
};

const join = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);
const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Validates `value` against `node`; every error carries its path. */
export const validateAgainst = (node: SchemaNode, value: unknown, path = ''): FieldError[] => {
  const at = path || '(document)';
  if (value === null || value === undefined) return node.nullable && value === null ? [] : [{ path: at, message: value === undefined ? 'is required' : 'must not be null' }];
  switch (node.type) {
    case 'string': {
      if (typeof value !== 'string') return [{ path: at, message: `must be a string, got ${kindOf(value)}` }];
      if (node.enum && !node.enum.includes(value)) return [{ path: at, message: `must be one of ${node.enum.join(', ')}` }];
      if (node.minLength !== undefined && value.trim().length < node.minLength) return [{ path: at, message: `must be at least ${node.minLength} characters` }];
      if (node.maxLength !== undefined && value.length > node.maxLength) return [{ path: at, message: `must be at most ${node.maxLength} characters` }];
      if (node.pattern && !node.pattern.test(value)) return [{ path: at, message: `must match ${node.pattern.source}` }];
      return [];
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return [{ path: at, message: `must be a number, got ${kindOf(value)}` }];
      if (node.integer && !Number.isInteger(value)) return [{ path: at, message: 'must be an integer' }];
      if (node.minimum !== undefined && value < node.minimum) return [{ path: at, message: `must be ≥ ${node.minimum}` }];
      if (node.maximum !== undefined && value > node.maximum) return [{ path: at, message: `must be ≤ ${node.maximum}` }];
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [{ path: at, message: `must be a boolean, got ${kindOf(value)}` }];
    case 'array': {
      if (!Array.isArray(value)) return [{ path: at, message: `must be an array, got ${kindOf(value)}` }];
      if (node.maxItems !== undefined && value.length > node.maxItems) return [{ path: at, message: `must have at most ${node.maxItems} items` }];
      return value.flatMap((item, i) => validateAgainst(node.items, item, join(path, i)));
    }
    case 'object': {
      if (kindOf(value) !== 'object') return [{ path: at, message: `must be an object, got ${kindOf(value)}` }];
      const record = value as Record<string, unknown>;
      const errors: FieldError[] = [];
      for (const key of node.required) if (!(key in record)) errors.push({ path: join(path, key), message: 'is required' });
      for (const [key, child] of Object.entries(record)) {
        const spec = node.properties[key];
        if (!spec) errors.push({ path: join(path, key), message: 'is not a known field' });
        else errors.push(...validateAgainst(spec, child, join(path, key)));
      }
      return errors;
    }
  }
};

/** Schema plus the cross-field rules: voice only (and always) for voicebots, integrations only for chatbots, unique tool names. */
export const validateConfig = (value: unknown): FieldError[] => {
  const errors = validateAgainst(BOT_CONFIG_SCHEMA, value);
  if (kindOf(value) !== 'object') return errors;
  const doc = value as Record<string, unknown>;
  if (doc.productType === 'VOICEBOT' && doc.voice === null) errors.push({ path: 'voice', message: 'is required for a VOICEBOT' });
  if (doc.productType === 'CHATBOT' && doc.voice !== null && doc.voice !== undefined) errors.push({ path: 'voice', message: 'must be null for a CHATBOT (voice parameters apply to voicebots)' });
  if (doc.productType === 'VOICEBOT' && Array.isArray(doc.integrations) && doc.integrations.length > 0) errors.push({ path: 'integrations', message: 'external integrations are supported for CHATBOT only' });
  if (Array.isArray(doc.tools)) {
    const seen = new Set<string>();
    doc.tools.forEach((tool, i) => {
      const name = kindOf(tool) === 'object' ? (tool as Record<string, unknown>).name : undefined;
      if (typeof name !== 'string') return;
      if (seen.has(name)) errors.push({ path: `tools[${i}].name`, message: `duplicate tool "${name}"` });
      seen.add(name);
    });
  }
  return errors;
};

/** Parses a JSON string; returns the value or the parse error message. */
export const parseJsonDocument = (text: string): { ok: true; value: JsonValue } | { ok: false; message: string } => {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : 'invalid JSON' };
  }
};
